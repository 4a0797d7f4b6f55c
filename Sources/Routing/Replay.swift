import MRT
import MRTArchive

/// The collector of an archive, from its path as RouteViews and RIPE RIS lay them out:
/// `route-views2/bgpdata/...`, `routeviews.route-views.jinx.ribs...`, `rrc00/2014.12/...`,
/// `ris.rrc06.updates...`; else the file name up to its first dot.
public func collectorName(forPath path: String) -> String {
    let parts = path.split(separator: "/").map(String.init)
    for part in parts.reversed() {
        for token in part.split(separator: ".").map(String.init) {
            if token.hasPrefix("rrc"), token.count == 5, token.dropFirst(3).allSatisfy(\.isNumber) { return token }
        }
    }
    let file = parts.last ?? path
    let tokens = file.split(separator: ".").map(String.init)
    if tokens.first == "routeviews", tokens.count > 1 {  // routeviews.route-views.jinx.ribs.T -> route-views.jinx
        var name = tokens[1]
        if tokens.count > 2, !["ribs", "updates", "rib", "bview"].contains(tokens[2]) { name += "." + tokens[2] }
        return name
    }
    if let first = tokens.first, first.hasPrefix("route-views") { return first }
    for part in parts.reversed() where part.hasPrefix("route-views") { return part }
    return tokens.first ?? file
}

/// The time an archive's name gives: the start of the period of an update file or the
/// time of a RIB dump, as RouteViews and RIPE RIS name them (`updates.20141222.1615.bz2`,
/// `rib.20141222.1600.bz2`, `bview.20141222.1600.gz`, `routeviews.route-views.jinx.updates.1401493500.bz2`);
/// nil for other names. Records are within a minute after it in every archive under
/// `shared/data`, except an RIS file of 1999 named two hours late (local time): a name
/// is a hint, not a fact.
public func archiveTime(forPath path: String) -> UInt32? {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    let tokens = file.split(separator: ".").map(String.init)
    guard let kind = tokens.firstIndex(where: { ["updates", "rib", "ribs", "bview"].contains($0) }) else { return nil }
    let rest = tokens[(kind + 1)...]
    if let unix = rest.first, unix.count == 10, let t = UInt32(unix) { return t }
    guard rest.count >= 2, let day = rest.first, let hm = rest.dropFirst().first, day.count == 8, hm.count == 4,
          let y = Int(day.prefix(4)), let mo = Int(day.dropFirst(4).prefix(2)), let d = Int(day.suffix(2)),
          let h = Int(hm.prefix(2)), let mi = Int(hm.suffix(2)), (1970...2105).contains(y), (1...12).contains(mo),
          (1...31).contains(d), h < 24, mi < 60
    else { return nil }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let yy = mo <= 2 ? y - 1 : y
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    return UInt32(exactly: days * 86_400 + h * 3600 + mi * 60)
}

/// One input of a replay.
public struct ReplayInput {
    public var path: String
    public var collector: String
    public init(path: String, collector: String? = nil) {
        self.path = path
        self.collector = collector ?? collectorName(forPath: path)
    }
}

/// Replays MRT files in timestamp order across files, whatever order they are given in:
/// each file is read record by record and the records are merged by time (a stable
/// k-way merge; ties keep the order of the inputs, and records within a file keep their
/// order). Files are opened as the merge reaches them, so thousands of files cost one
/// open stream each only while they overlap in time.
public final class Replay {
    public struct FileReport: Sendable {
        public var path: String
        public var elements: Int
        /// MRT records framed (0: an empty file or not MRT).
        public var records: Int
        public var damagedRecords: Int
        public var error: String?
    }

    private struct Cursor {
        var input: ReplayInput
        var index: Int
        var stream: ElementStream?
        var pending: [RouteElement]
        var time: UInt32
    }

    public let inputs: [ReplayInput]
    public var onDiagnostic: ((MRTDiagnostic) -> Void)?
    public private(set) var reports: [FileReport] = []
    /// Elements handed out so far.
    public private(set) var elements = 0

    public init(_ inputs: [ReplayInput]) {
        self.inputs = inputs
    }

    /// First record time of a file (to order the opening of files), nil if unreadable or empty.
    /// Only the first MRT header is decompressed (for bzip2 that is still most of the work
    /// of the first block: all of a small file's).
    public static func firstTime(_ path: String) -> UInt32? {
        guard let source = try? Input.open(path, prefetch: false).source else { return nil }
        var header = [UInt8](repeating: 0, count: 12)
        var have = 0
        while have < header.count {
            guard let n = try? header.withUnsafeMutableBytes({ try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[have...])) }),
                  n > 0 else { return nil }
            have += n
        }
        return UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3])
    }

    /// When to open a file: at its first record's time; for a bzip2 archive whose name gives
    /// a time, one 15-minute period before that (reading its first record would decompress
    /// its first block once more, the whole of an update file: a replay of many files paid
    /// for each twice). RouteViews, whose archives are bzip2, names them in UTC.
    public static func openingTime(_ path: String) -> (time: UInt32, exact: Bool)? {
        if let named = archiveTime(forPath: path), (try? Input.open(path, prefetch: false).compression) == .bzip2 {
            return (named >= 900 ? named - 900 : 0, false)
        }
        return firstTime(path).map { ($0, true) }
    }

    /// Calls `body` for every element in time order with its input, and, with
    /// `endOfFile`, when a file has been read to its end (RIB dumps end there).
    public func run(_ body: (RouteElement, ReplayInput) throws -> Void,
                    endOfFile: (ReplayInput) throws -> Void = { _ in }) throws {
        // Files are opened in order of their first record's time (`openingTime`).
        let starts = inputs.enumerated().map { ($0.offset, Self.openingTime($0.element.path)?.time ?? 0) }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var waiting = starts[...]
        var open: [Cursor] = []
        // The next file is opened (and starts decompressing on idle cores) as one is opened.
        let opener = InputPrefetcher(order: starts.map { inputs[$0.0].path })

        func load(_ c: inout Cursor) -> Bool {
            do {
                if let batch = try c.stream?.nextRecord() {
                    c.pending = batch
                    c.time = batch[0].timestamp
                    return true
                }
            } catch {
                reports[c.index].error = "\(error)"
            }
            if let s = c.stream {
                reports[c.index].damagedRecords = s.stats.damagedRecords
                reports[c.index].records = s.reader.stats.records
            }
            return false
        }

        reports = inputs.map { FileReport(path: $0.path, elements: 0, records: 0, damagedRecords: 0, error: nil) }
        while true {
            // Open every file whose first record is not later than the earliest open record.
            let horizon = open.map(\.time).min()
            while let next = waiting.first, horizon == nil || next.1 <= horizon! {
                waiting = waiting.dropFirst()
                let input = inputs[next.0]
                var c = Cursor(input: input, index: next.0, stream: nil, pending: [], time: 0)
                do {
                    let reader = MRTReader(source: try opener.open(input.path), name: input.path)
                    reader.onDiagnostic = onDiagnostic
                    let stream = ElementStream(reader: reader)
                    stream.onDiagnostic = onDiagnostic
                    c.stream = stream
                } catch {
                    reports[next.0].error = "\(error)"
                    continue
                }
                if load(&c) { open.append(c) } else { try endOfFile(input) }
                if open.count == 1 { break }  // re-check the horizon
            }
            guard !open.isEmpty else {
                if waiting.isEmpty { return }
                continue
            }
            // The earliest record; ties go to the earlier input.
            var best = 0
            for i in open.indices.dropFirst() where open[i].time < open[best].time
                || (open[i].time == open[best].time && open[i].index < open[best].index) {
                best = i
            }
            do {  // the batch is let go before the stream decodes the next record into its storage
                let batch = open[best].pending
                open[best].pending = []
                let input = open[best].input
                for e in batch { try body(e, input) }
                reports[open[best].index].elements += batch.count
                elements += batch.count
            }
            if !load(&open[best]) {
                let finished = open.remove(at: best)
                try endOfFile(finished.input)
            }
        }
    }
}
