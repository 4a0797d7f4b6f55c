/// Which archive files a time range needs.
public enum ArchiveSelection: String, Sendable, CaseIterable {
    /// The RIB dump at or before the start only.
    case ribs
    /// The update files from the start to the end only.
    case updates
    /// The RIB at or before the start, then every update file from that RIB to the end: the
    /// data that rebuilds every peer's table at the start and follows it to the end.
    case all
}

/// The files of one collector for a time range: the RIB dumps to try (the one at or before
/// the start first, then further back, for when that one is missing) and the update files.
public struct ArchivePlan: Sendable {
    public var collector: Collector
    /// Newest first: take the first one that exists.
    public var ribCandidates: [ArchiveFile]
    /// In time order. With `.all`, they start at the newest RIB candidate; once the RIB that
    /// exists is known, `updates(after:)` drops those before it.
    public var updates: [ArchiveFile]

    /// How far back a missing RIB dump is looked for by default: a day.
    public static let defaultLookback: UInt32 = 86_400

    /// The plan for `collector` from `from` to `to` (Unix seconds, `from <= to`): update files
    /// whose period starts before `to` (or at it, for an empty range).
    public init(collector: Collector, from: UInt32, to: UInt32, selection: ArchiveSelection,
                lookback: UInt32 = ArchivePlan.defaultLookback) {
        self.collector = collector
        let p = collector.project
        var ribs: [ArchiveFile] = []
        if selection != .updates {
            var t = from / p.ribInterval * p.ribInterval
            let oldest = t >= lookback ? t - lookback : 0
            while true {
                ribs.append(ArchiveFile(collector: collector, kind: .rib, time: t))
                guard t >= oldest + p.ribInterval else { break }
                t -= p.ribInterval
            }
        }
        ribCandidates = ribs
        var files: [ArchiveFile] = []
        if selection != .ribs {
            let start = selection == .all ? (ribs.last?.time ?? from) : from / p.updateInterval * p.updateInterval
            var t = start / p.updateInterval * p.updateInterval
            repeat {
                files.append(ArchiveFile(collector: collector, kind: .updates, time: t))
                t += p.updateInterval
            } while t < to
        }
        updates = files
    }

    /// The update files needed after the RIB dumped at `ribTime`: those whose period ends
    /// after it (the file in which the dump was taken included).
    public func updates(after ribTime: UInt32) -> [ArchiveFile] {
        updates.filter { $0.time + collector.project.updateInterval > ribTime }
    }
}
