#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MRT

/// Reads an inner source on a background thread, a few chunks ahead of the consumer.
///
/// Decompressing bzip2 costs more than decoding MRT, so with the two on separate cores
/// the total time approaches the decompression time alone. The queue is bounded, so
/// memory stays at `depth` chunks however large the file.
public final class PrefetchSource: ByteSource {
    private final class Shared: @unchecked Sendable {
        // Guarded by `condition`.
        let condition = Condition()
        var filled: [[UInt8]] = []
        var spare: [[UInt8]] = []
        var finished = false
        var failure: (any Error)?
        var cancelled = false
    }

    private let shared = Shared()
    private var current: [UInt8] = []
    private var position = 0
    /// Set only when no thread could be started.
    private var direct: ByteSource?

    public init(_ inner: ByteSource, chunkSize: Int = 1 << 18, depth: Int = 16) {
        let shared = self.shared
        let box = UncheckedBox(inner)
        let started = startThread {
            let inner = box.value
            while true {
                shared.condition.lock()
                while shared.filled.count >= depth && !shared.cancelled { shared.condition.wait() }
                if shared.cancelled {
                    shared.condition.unlock()
                    return
                }
                var chunk = shared.spare.popLast() ?? [UInt8](repeating: 0, count: chunkSize)
                shared.condition.unlock()

                if chunk.count < chunkSize { chunk.append(contentsOf: repeatElement(0, count: chunkSize - chunk.count)) }
                var used = 0
                var failure: (any Error)?
                var ended = false
                chunk.withUnsafeMutableBytes { buf in
                    while used < chunkSize {
                        do {
                            let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: buf[used...]))
                            if n == 0 { ended = true; break }
                            used += n
                        } catch {
                            failure = error
                            break
                        }
                    }
                }
                chunk.removeLast(chunkSize - used)

                shared.condition.lock()
                if used > 0 { shared.filled.append(chunk) }
                if ended || failure != nil {
                    shared.failure = failure
                    shared.finished = true
                }
                shared.condition.broadcast()
                let stop = shared.finished
                shared.condition.unlock()
                if stop { return }
            }
        }
        // Without a second thread, read in the caller's thread.
        direct = started ? nil : inner
    }

    deinit {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let direct { return try direct.read(into: buffer) }
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if position == current.count {
            shared.condition.lock()
            while shared.filled.isEmpty && !shared.finished { shared.condition.wait() }
            if shared.filled.isEmpty {
                let failure = shared.failure
                shared.failure = nil
                shared.condition.unlock()
                if let failure { throw failure }
                return 0
            }
            let next = shared.filled.removeFirst()
            if current.count > 0 {
                current.removeAll(keepingCapacity: true)
                if shared.spare.count < 4 { shared.spare.append(current) }
            }
            current = next
            position = 0
            shared.condition.broadcast()
            shared.condition.unlock()
        }
        let n = min(buffer.count, current.count - position)
        current.withUnsafeBytes { base.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
        position += n
        return n
    }
}

/// A mutex and its condition variable (pthreads), for the prefetch queue.
final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func wait() { pthread_cond_wait(cond, mutex) }
    func broadcast() { pthread_cond_broadcast(cond) }
}

/// Runs `body` on a new detached thread; false if no thread could be created.
func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    let rc = pthread_create(&thread, &attributes, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    pthread_attr_destroy(&attributes)
    if rc != 0 {
        Unmanaged<Box>.fromOpaque(context).release()
        return false
    }
    return true
}

/// Carries a non-Sendable value into a thread, which then owns it alone.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
