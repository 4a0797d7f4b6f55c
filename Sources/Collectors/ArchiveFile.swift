import Registry

/// What an archive file holds.
public enum ArchiveKind: String, Sendable, Hashable, CaseIterable {
    /// A RIB dump: every peer's table at one time (RouteViews `rib.*`, RIS `bview.*`).
    case rib
    /// BGP messages and session changes over the file's period (`updates.*`).
    case updates
}

/// One file of a collector's archive, and where it lives: under the project's base URL
/// (`remotePaths`, in the order to try) and under a local directory (`localPath`).
///
/// The layouts, as the projects publish them:
/// - RouteViews: `<collector>/bgpdata/YYYY.MM/RIBS/rib.YYYYMMDD.HHMM.bz2` (every 2 hours) and
///   `<collector>/bgpdata/YYYY.MM/UPDATES/updates.YYYYMMDD.HHMM.bz2` (every 15 minutes);
///   route-views2, the oldest, at `bgpdata/` directly (since July 2026 also under `route-views2/`).
/// - RIPE RIS: `rrcNN/YYYY.MM/bview.YYYYMMDD.HHMM.gz` (every 8 hours) and
///   `rrcNN/YYYY.MM/updates.YYYYMMDD.HHMM.gz` (every 5 minutes).
///
/// Locally (the download cache, `--dest`, `--archive-dir`) every collector has its own
/// directory, route-views2 included, so that a path names its collector.
public struct ArchiveFile: Sendable, Hashable, CustomStringConvertible {
    public var collector: Collector
    public var kind: ArchiveKind
    /// The time in the file's name: a RIB's dump time, an update file's first second.
    public var time: UInt32

    public init(collector: Collector, kind: ArchiveKind, time: UInt32) {
        self.collector = collector
        self.kind = kind
        self.time = time
    }

    /// `rib.20141222.1600.bz2`, `updates.20141222.1615.gz`, `bview.20141222.1600.gz`.
    public var fileName: String {
        let stamp = Self.stamp(time)
        switch (collector.project, kind) {
        case (.routeViews, .rib): return "rib.\(stamp.day).\(stamp.minute).bz2"
        case (.routeViews, .updates): return "updates.\(stamp.day).\(stamp.minute).bz2"
        case (.ris, .rib): return "bview.\(stamp.day).\(stamp.minute).gz"
        case (.ris, .updates): return "updates.\(stamp.day).\(stamp.minute).gz"
        }
    }

    /// The path below the collector's directory: `bgpdata/2014.12/RIBS/rib...` or `2014.12/bview...`.
    var pathInCollector: String {
        let month = Self.stamp(time).month
        switch collector.project {
        case .routeViews: return "bgpdata/\(month)/\(kind == .rib ? "RIBS" : "UPDATES")/\(fileName)"
        case .ris: return "\(month)/\(fileName)"
        }
    }

    /// Where the file is kept locally, relative to the cache or archive directory.
    public var localPath: String { "\(collector.name)/\(pathInCollector)" }

    /// Where the project publishes it, relative to its base URL, in the order to try.
    public var remotePaths: [String] {
        if collector.name == "route-views2" { return [pathInCollector, localPath] }
        return [localPath]
    }

    /// The period of data the file covers, for reports: a RIB's instant, an update file's interval.
    public var period: ClosedRange<UInt32> {
        kind == .rib ? time...time : time...(time + collector.project.updateInterval - 1)
    }

    public var description: String { "\(collector.name) \(fileName)" }

    /// `YYYY.MM`, `YYYYMMDD` and `HHMM` of a Unix time, UTC.
    static func stamp(_ t: UInt32) -> (month: String, day: String, minute: String) {
        let (y, m, d) = civilDate(t)
        let s = Int(t % 86_400)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return ("\(y).\(two(m))", "\(y)\(two(m))\(two(d))", "\(two(s / 3600))\(two(s / 60 % 60))")
    }
}
