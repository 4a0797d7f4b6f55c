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
    public static func firstTime(_ path: String) -> UInt32? {
        guard let source = try? Input.open(path, prefetch: false).source else { return nil }
        let reader = MRTReader(source: source, name: path)
        return (try? reader.next())?.header.timestamp
    }

    /// Calls `body` for every element in time order with its input, and, with
    /// `endOfFile`, when a file has been read to its end (RIB dumps end there).
    public func run(_ body: (RouteElement, ReplayInput) throws -> Void,
                    endOfFile: (ReplayInput) throws -> Void = { _ in }) throws {
        // Files are opened in order of their first record's time.
        let starts = inputs.enumerated().map { ($0.offset, Self.firstTime($0.element.path) ?? 0) }
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
