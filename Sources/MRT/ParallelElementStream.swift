#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes one MRT stream on several threads and hands back the results in file order.
///
/// Framing stays sequential and stays `MRTReader`'s (the one place that decides where
/// records are, with its damage handling): the calling thread frames records and copies
/// them, each with a clean 12-byte header, into chunks of about `chunkBytes`. Records are
/// independent once the PEER_INDEX_TABLE in force is known (RFC 6396 section 4.3), so a
/// chunk is decoded on a worker by an ordinary `ElementStream` over the chunk's bytes,
/// preceded by a copy of the last PEER_INDEX_TABLE that decoded before it (a table later in
/// the chunk takes over in order, as it does in a sequential read). The decoding, the
/// damage policy and the counts are therefore `ElementStream`'s own, not a copy.
///
/// Each chunk's results come back to the calling thread in file order, with the chunk's
/// diagnostics (framing and decoding) in the order a sequential read reports them and
/// with the stream's record indexes and offsets. At most `chunksInFlight` chunks are
/// framed and not yet consumed, so memory does not grow with the stream.
public final class ParallelElementStream {
    public struct Options: Sendable {
        /// Worker threads decoding chunks (the calling thread frames and consumes).
        public var threads: Int
        /// A chunk closes after the first record that brings it to this many bytes.
        public var chunkBytes: Int
        /// Chunks framed and not yet consumed, at most.
        public var chunksInFlight: Int

        public init(threads: Int = ParallelElementStream.availableCores, chunkBytes: Int = 1 << 19,
                    chunksInFlight: Int? = nil) {
            self.threads = min(ParallelElementStream.maximumThreads, max(1, threads))
            self.chunkBytes = max(1, chunkBytes)
            self.chunksInFlight = max(1, chunksInFlight ?? 2 * max(1, threads) + 2)
        }
    }

    /// What one chunk of records gave, in file order.
    public struct Chunk<Value> {
        /// What `decode` returned for the chunk.
        public var value: Value
        /// What `decode` wrote to its output buffer (reused for a later chunk once `consume`
        /// returns: do not keep it).
        public var output: ByteSink
        /// Diagnostics of the chunk's records, framing and decoding, in the order a
        /// sequential read gives them, with the stream's record indexes and offsets.
        public var diagnostics: [MRTDiagnostic]
        /// The chunk's element stream counts (records by type, elements by kind, damage).
        public var stats: ElementStream.Stats
        /// Index in the stream of the chunk's first record, and the number of records.
        public var firstRecord: Int
        public var records: Int
    }

    /// Online processors, the default number of workers.
    public static var availableCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
    /// The most worker threads a stream starts, whatever it is asked for (each is a thread of
    /// the process: a mistyped count must not exhaust the machine's).
    public static let maximumThreads = 256

    /// The stream's framing. `run` takes over its `onDiagnostic` while it runs.
    public let reader: MRTReader
    public let options: Options

    public init(reader: MRTReader, options: Options = Options()) {
        self.reader = reader
        self.options = options
    }

    /// Frames the stream and decodes it chunk by chunk: `decode` runs on the worker
    /// threads, concurrently, once per chunk, with an `ElementStream` over the chunk's
    /// records and an empty output buffer for the chunk (it reads the records, typically
    /// with `forEach`, and must touch no shared mutable state; it must not replace the
    /// stream's or its reader's `onDiagnostic`). `consume`
    /// runs on the calling thread with each chunk's result, in file order; it returns false
    /// to stop early. Rethrows what framing throws (strict mode) once every chunk before
    /// it has been consumed.
    public func run<Value>(decode: (ElementStream, ByteSink) -> Value,
                           consume: (Chunk<Value>) throws -> Bool) throws {
        try withoutActuallyEscaping(decode) { decode in
            try run(escaping: UncheckedSendable(decode), consume: consume)
        }
    }

    // MARK: Framing into chunks

    /// Records framed for one worker: canonical bytes and where each record was.
    struct Job: @unchecked Sendable {
        var sequence: Int
        /// Record bytes, each with a 12-byte header (16 for _ET) saying its real length,
        /// after a copy of the PEER_INDEX_TABLE in force when `hasPrelude`.
        var bytes: ByteSink
        var hasPrelude: Bool
        var firstRecord: Int
        /// Offset of each record in the stream.
        var offsets: [UInt64]
        /// Framing diagnostics, each with the number of the chunk's records framed before it.
        var framing: [(position: Int, diagnostic: MRTDiagnostic)]
    }

    /// The last PEER_INDEX_TABLE record that decoded, in canonical form.
    private var peerTableRecord: [UInt8]?
    private var pendingFraming: [(position: Int, diagnostic: MRTDiagnostic)] = []
    private var framedInChunk = 0
    /// Chunk buffers, input and output, for reuse.
    private let pool = SinkPool()

    /// Frames records into the next job; nil when the stream ended with nothing more to
    /// report. Sets `error` when framing threw (strict mode), after the records before it.
    private func nextJob(sequence: Int, ended: inout Bool, error: inout (any Error)?) -> Job? {
        var job = Job(sequence: sequence, bytes: pool.take(capacity: options.chunkBytes + (options.chunkBytes >> 3)),
                      hasPrelude: false, firstRecord: reader.stats.records, offsets: [], framing: [])
        framedInChunk = 0
        while job.bytes.count < options.chunkBytes {
            let raw: MRTReader.RawRecord?
            do {
                raw = try reader.next()
            } catch let e {
                error = e
                ended = true
                break
            }
            guard let raw else {
                ended = true
                break
            }
            if job.offsets.isEmpty {
                job.firstRecord = raw.index
                if let table = peerTableRecord {
                    job.bytes.append(contentsOf: table)
                    // Its time is the first record's, so that the chunk frames as one chain.
                    job.bytes.patchBE(raw.header.timestamp, at: 0)
                    job.hasPrelude = true
                }
            }
            let start = job.bytes.count
            Self.appendCanonical(raw, to: job.bytes)
            job.offsets.append(raw.offset)
            framedInChunk += 1
            if raw.header.type == .tableDumpV2, raw.header.subtype == TableDumpV2Subtype.peerIndexTable,
               case .peerIndexTable? = try? MRTRecord.decode(header: raw.header, body: raw.body, peerTable: nil) {
                // The table later chunks start from; one that does not decode changes nothing,
                // as in `ElementDecoder`.
                peerTableRecord = Array(job.bytes.bytes[start...])
            }
        }
        job.framing = pendingFraming
        pendingFraming.removeAll()
        if job.offsets.isEmpty && job.framing.isEmpty {
            pool.give(job.bytes)
            return nil
        }
        return job
    }

    /// The record with a header that says its length as read (a corrected length too).
    static func appendCanonical(_ raw: MRTReader.RawRecord, to bytes: ByteSink) {
        let h = raw.header
        let et = h.type.hasExtendedTimestamp
        let headerSize = et ? 16 : 12
        let n = raw.body.count
        bytes.reserve(headerSize &+ n)
        let p = UnsafeMutableRawPointer(bytes.storage + bytes.used)
        p.storeBytes(of: h.timestamp.bigEndian, as: UInt32.self)
        p.storeBytes(of: (UInt32(h.type.rawValue) << 16 | UInt32(h.subtype)).bigEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: UInt32(truncatingIfNeeded: n &+ headerSize &- 12).bigEndian, toByteOffset: 8, as: UInt32.self)
        if et { p.storeBytes(of: h.microseconds.bigEndian, toByteOffset: 12, as: UInt32.self) }
        if n > 0 { (p + headerSize).copyMemory(from: raw.body.baseAddress!, byteCount: n) }
        bytes.used &+= headerSize &+ n
    }

    // MARK: Decoding a chunk (on a worker)

    static func decode<Value>(_ job: Job, name: String, options: MRTReader.Options, pool: SinkPool,
                              with decode: (ElementStream, ByteSink) -> Value) -> Chunk<Value> {
        let chunkReader = MRTReader(source: SinkSource(job.bytes), name: name, options: options)
        let stream = ElementStream(reader: chunkReader)
        let shift = job.hasPrelude ? 1 : 0
        var decoding: [(position: Int, diagnostic: MRTDiagnostic)] = []
        // Local record numbers to the stream's indexes and offsets.
        let collect: (MRTDiagnostic) -> Void = { d in
            var d = d
            let local = d.recordIndex - shift
            d.recordIndex = job.firstRecord + local
            if !job.offsets.isEmpty { d.offset = job.offsets[min(max(local, 0), job.offsets.count - 1)] }
            decoding.append((local, d))
        }
        stream.onDiagnostic = collect
        // The chunk is framed cleanly by construction; anything here would be a bug, and
        // is reported rather than lost.
        chunkReader.onDiagnostic = { d in
            assertionFailure("chunk framing reported \(d)")
            collect(d)
        }
        let output = pool.take(capacity: 2 * job.bytes.count)
        let value = decode(stream, output)
        pool.give(job.bytes)
        var stats = stream.stats
        if shift == 1 {
            let key = UInt32(MRTType.tableDumpV2.rawValue) << 16 | UInt32(TableDumpV2Subtype.peerIndexTable)
            let n = (stats.recordsByType[key] ?? 0) - 1
            stats.recordsByType[key] = n > 0 ? n : nil
        }
        // Framing diagnostics before record p come after the decoding diagnostics of the
        // records before p, as a sequential read interleaves them.
        var diagnostics: [MRTDiagnostic] = []
        diagnostics.reserveCapacity(job.framing.count + decoding.count)
        var f = 0
        for (local, d) in decoding {
            while f < job.framing.count, job.framing[f].position <= local {
                diagnostics.append(job.framing[f].diagnostic)
                f += 1
            }
            diagnostics.append(d)
        }
        while f < job.framing.count {
            diagnostics.append(job.framing[f].diagnostic)
            f += 1
        }
        return Chunk(value: value, output: output, diagnostics: diagnostics, stats: stats, firstRecord: job.firstRecord,
                     records: job.offsets.count)
    }

    // MARK: Threads

    private final class Shared<Value>: @unchecked Sendable {
        // Guarded by `lock`.
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let workReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        var queue: [Job] = []
        var queueHead = 0
        var results: [Int: Chunk<Value>] = [:]
        var stopped = false

        init() {
            pthread_mutex_init(lock, nil)
            pthread_cond_init(workReady, nil)
            pthread_cond_init(resultReady, nil)
        }

        deinit {
            pthread_cond_destroy(workReady)
            pthread_cond_destroy(resultReady)
            pthread_mutex_destroy(lock)
            lock.deallocate()
            workReady.deallocate()
            resultReady.deallocate()
        }
    }

    private func run<Value>(escaping decode: UncheckedSendable<(ElementStream, ByteSink) -> Value>,
                            consume: (Chunk<Value>) throws -> Bool) throws {
        let shared = Shared<Value>()
        let pool = self.pool
        let name = reader.name
        let readerOptions = reader.options
        let saved = reader.onDiagnostic
        reader.onDiagnostic = { [unowned self] d in pendingFraming.append((framedInChunk, d)) }
        defer { reader.onDiagnostic = saved }
        peerTableRecord = nil
        pendingFraming = []

        var threads: [pthread_t] = []
        for _ in 0..<options.threads {
            let started = startJoinableThread {
                while true {
                    pthread_mutex_lock(shared.lock)
                    while shared.queueHead == shared.queue.count && !shared.stopped {
                        pthread_cond_wait(shared.workReady, shared.lock)
                    }
                    if shared.stopped {
                        pthread_mutex_unlock(shared.lock)
                        return
                    }
                    let job = shared.queue[shared.queueHead]
                    shared.queueHead += 1
                    if shared.queueHead == shared.queue.count {
                        shared.queue.removeAll(keepingCapacity: true)
                        shared.queueHead = 0
                    }
                    pthread_mutex_unlock(shared.lock)

                    let chunk = Self.decode(job, name: name, options: readerOptions, pool: pool, with: decode.value)

                    pthread_mutex_lock(shared.lock)
                    shared.results[job.sequence] = chunk
                    pthread_cond_signal(shared.resultReady)
                    pthread_mutex_unlock(shared.lock)
                }
            }
            if let started { threads.append(started) }
        }
        defer {
            pthread_mutex_lock(shared.lock)
            shared.stopped = true
            pthread_cond_broadcast(shared.workReady)
            pthread_mutex_unlock(shared.lock)
            for t in threads { pthread_join(t, nil) }
        }

        var framed = 0
        var consumed = 0
        var ended = false
        var framingError: (any Error)?
        while true {
            // Consume what is ready, in order.
            pthread_mutex_lock(shared.lock)
            var ready = shared.results.removeValue(forKey: consumed)
            pthread_mutex_unlock(shared.lock)
            while let chunk = ready {
                consumed += 1
                let more = try consume(chunk)
                pool.give(chunk.output)
                if !more { return }
                pthread_mutex_lock(shared.lock)
                ready = shared.results.removeValue(forKey: consumed)
                pthread_mutex_unlock(shared.lock)
            }
            if !ended, framed - consumed < options.chunksInFlight {
                guard let job = nextJob(sequence: framed, ended: &ended, error: &framingError) else { continue }
                framed += 1
                if threads.isEmpty {
                    // No thread could be started: decode here.
                    let chunk = Self.decode(job, name: name, options: readerOptions, pool: pool, with: decode.value)
                    pthread_mutex_lock(shared.lock)
                    shared.results[job.sequence] = chunk
                    pthread_mutex_unlock(shared.lock)
                } else {
                    pthread_mutex_lock(shared.lock)
                    shared.queue.append(job)
                    pthread_cond_signal(shared.workReady)
                    pthread_mutex_unlock(shared.lock)
                }
                continue
            }
            if ended, consumed == framed { break }
            // Wait for the next chunk in order.
            pthread_mutex_lock(shared.lock)
            while shared.results[consumed] == nil { pthread_cond_wait(shared.resultReady, shared.lock) }
            pthread_mutex_unlock(shared.lock)
        }
        if let framingError { throw framingError }
    }
}

/// Byte buffers handed between the framing thread, the workers and the consumer.
final class SinkPool: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var sinks: [ByteSink] = []

    init() { pthread_mutex_init(lock, nil) }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// An empty buffer, reused when one is free.
    func take(capacity: Int) -> ByteSink {
        pthread_mutex_lock(lock)
        let sink = sinks.popLast()
        pthread_mutex_unlock(lock)
        guard let sink else { return ByteSink(capacity: capacity) }
        sink.removeAll()
        return sink
    }

    func give(_ sink: ByteSink) {
        pthread_mutex_lock(lock)
        if sinks.count < 64 { sinks.append(sink) }
        pthread_mutex_unlock(lock)
    }
}

/// Reads the bytes of a sink (which it keeps alive).
private final class SinkSource: ByteSource {
    private let sink: ByteSink
    private var position = 0

    init(_ sink: ByteSink) { self.sink = sink }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let bytes = sink.bytes
        let n = min(buffer.count, bytes.count &- position)
        if n > 0 {
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + position, byteCount: n)
            position &+= n
        }
        return n
    }
}

/// Carries a value into worker threads that use it as the caller promised (a closure
/// that is safe to call concurrently).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Starts `body` on a new joinable thread; nil if no thread could be created.
private func startJoinableThread(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    if rc != 0 {
        Unmanaged<Box>.fromOpaque(context).release()
        return nil
    }
    return thread
}
