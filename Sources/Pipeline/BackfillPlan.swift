import Collectors

/// How a backfill is cut into tasks.
public enum BackfillPlan {
    /// `from ..< to` cut at the collector's RIB dumps (RouteViews every 2 hours, RIS every 8):
    /// each window starts at a dump (or at `from`) and ends at the next (or at `to`).
    public static func windows(collector: Collector, from: UInt32, to: UInt32) -> [(start: UInt32, end: UInt32)] {
        let step = collector.project.ribInterval
        var out: [(start: UInt32, end: UInt32)] = []
        var start = from
        while start < to {
            let next = (start / step + 1) * step
            out.append((start, min(next, to)))
            start = next
        }
        return out
    }
}
