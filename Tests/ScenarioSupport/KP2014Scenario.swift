import Foundation
import MRT

/// North Korea, 21-23 December 2014, as the collectors' archives would hold it: the real
/// route-views.jinx table of May 2014 (North Korea's four /24s of AS131279 behind AS4837,
/// China Unicom, whole; a sample of the rest of the world) carried by synthetic peers of
/// route-views2 and rrc00, and what the published timelines say happened
/// (`shared/data/truth/published_bgp_outage_events.csv`):
/// - the country's routes unstable from the day before: from 2014-12-21 16:15 for 12 hours,
///   every peer withdraws them every 7 minutes and announces them again 200 s later;
/// - all four withdrawn by every peer at 2014-12-22 16:15, announced again at 2014-12-23 01:46.
///
/// The times are the published ones; the data around them is made up from the real table.
/// RouteViews files are bzip2 with RIB dumps every 2 hours and updates every 15 minutes,
/// RIS files gzip with dumps every 8 hours and updates every 5 minutes, as the projects
/// publish them; route-views2's files are under its own name (as `blackout fetch` keeps them)
/// and, with `topLevelRouteViews2`, also at `bgpdata/` (as archive.routeviews.org has them).
public enum KP2014Scenario {
    public static let kp = ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"].map { Prefix($0)! }
    /// 2014-12-21 00:00 UTC.
    public static let start: UInt32 = 1_419_120_000
    /// 2014-12-23 12:00 UTC.
    public static let end: UInt32 = 1_419_336_000
    /// 2014-12-21 16:15 UTC: the instability starts, for 12 hours.
    public static let unstableFrom: UInt32 = 1_419_178_500
    public static let unstableTo: UInt32 = 1_419_221_700
    /// 2014-12-22 16:15 UTC: every route withdrawn.
    public static let outageStart: UInt32 = 1_419_264_900
    /// 2014-12-23 01:46 UTC: announced again.
    public static let outageEnd: UInt32 = 1_419_299_160

    /// Four peers of route-views2 (AS64496-64499) and three of rrc00 (AS64500-64502), with
    /// documentation ASNs and addresses (RFC 5398, RFC 5737).
    public static let peers: [ScenarioPeer] =
        ScenarioPeer.synthetic(collector: "route-views2", count: 4, firstASN: 64496, firstAddress: IPAddress("198.51.100.1")!)
        + ScenarioPeer.synthetic(collector: "rrc00", count: 3, firstASN: 64500, firstAddress: IPAddress("203.0.113.1")!)

    /// Writes the archives under `directory` for `start..<end` (multiples of 5 minutes within
    /// the scenario's days), with one prefix in `sampleOneIn` of the rest of the world.
    @discardableResult
    public static func write(directory: String, from: UInt32 = start, to: UInt32 = end, sampleOneIn: Int = 200,
                             peers: [ScenarioPeer] = peers, topLevelRouteViews2: Bool = true) throws -> [ScenarioFile] {
        let base = try BaseTable.load(keepingRanges: [Prefix("175.45.176.0/22")!], sampleOneIn: sampleOneIn, seed: 2014)
        let w = try ScenarioWriter(base: base, peers: peers, start: from, end: to, directory: directory)
        for c in w.collectors {
            let every: UInt32 = c.hasPrefix("rrc") ? 8 * 3600 : 2 * 3600
            var t = (from + every - 1) / every * every
            while t <= to {
                w.writeRIB(time: t, collector: c)
                t += every
            }
        }
        w.background(churn: Churn(pathChangesPerMinute: 2, withdrawalsPerMinute: 1, excluding: kp))
        if from < unstableTo, unstableFrom < to {
            w.flap(kp, from: max(unstableFrom, from), to: min(unstableTo, to), every: 420, down: 200)
        }
        if from <= outageStart, outageStart < to { w.withdraw(kp, at: outageStart) }
        if from <= outageEnd, outageEnd < to { w.announce(kp, at: outageEnd) }
        let files = try w.finish()
        if topLevelRouteViews2, w.collectors.contains("route-views2") {
            try FileManager.default.createSymbolicLink(atPath: "\(directory)/bgpdata", withDestinationPath: "route-views2/bgpdata")
        }
        return files
    }
}
