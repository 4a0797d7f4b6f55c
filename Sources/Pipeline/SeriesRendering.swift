import Outages

/// One row of a timeline: a series' IPv4 bin and its IPv6 bin for the same time.
public struct TimelineRow: Sendable, Equatable {
    public var time: UInt32
    public var ipv4: SeriesBin
    public var ipv6: SeriesBin
}

/// Timelines as JSON, CSV and a text table: the one rendering the command line and the
/// HTTP API share. Column names are a contract (README "blackout timeline").
public enum SeriesRendering {
    /// Joins a series' IPv4 and IPv6 bins by time over `times` (the stored bin times);
    /// an origin AS's rows, stored only where something changed, hold until the next.
    public static func rows(times: [UInt32], ipv4: [SeriesBin], ipv6: [SeriesBin], carryOver: Bool) -> [TimelineRow] {
        var out: [TimelineRow] = []
        var i = 0, j = 0
        var last4: SeriesBin?, last6: SeriesBin?
        for t in times {
            var b4 = SeriesBin(time: t, visiblePrefixes: 0, space: 0), b6 = b4
            var found4 = false, found6 = false
            while i < ipv4.count, ipv4[i].time <= t {
                last4 = ipv4[i]
                if ipv4[i].time == t { b4 = ipv4[i]; found4 = true }
                i += 1
            }
            while j < ipv6.count, ipv6[j].time <= t {
                last6 = ipv6[j]
                if ipv6[j].time == t { b6 = ipv6[j]; found6 = true }
                j += 1
            }
            if carryOver {
                // Levels hold until the next stored row; counts are those of the bin itself.
                guard last4 != nil || last6 != nil else { continue }
                if !found4, let l = last4 { b4 = carried(l, to: t) }
                if !found6, let l = last6 { b6 = carried(l, to: t) }
            } else if !found4 && !found6 {
                continue
            }
            out.append(TimelineRow(time: t, ipv4: b4, ipv6: b6))
        }
        return out
    }

    /// A stored row's levels carried to a later bin with no updates of its own.
    static func carried(_ b: SeriesBin, to t: UInt32) -> SeriesBin {
        SeriesBin(time: t, visiblePrefixes: b.visiblePrefixes, space: b.space, fullFeedPeers: b.fullFeedPeers, peers: b.peers,
                  collectors: b.collectors)
    }

    /// Merges rows into wider bins: the lowest visibility (a dip stays visible), summed counts.
    public static func merge(_ rows: [TimelineRow], width: UInt32) -> [TimelineRow] {
        var out: [TimelineRow] = []
        func fold(_ a: inout SeriesBin, _ b: SeriesBin) {
            a.visiblePrefixes = min(a.visiblePrefixes, b.visiblePrefixes)
            a.space = min(a.space, b.space)
            a.announcements += b.announcements
            a.withdrawals += b.withdrawals
            a.pathChanges += b.pathChanges
            a.flaps += b.flaps
            a.unstablePrefixes = max(a.unstablePrefixes, b.unstablePrefixes)
            a.fullFeedPeers = min(a.fullFeedPeers, b.fullFeedPeers)
            a.peers = min(a.peers, b.peers)
            a.collectors = min(a.collectors, b.collectors)
        }
        for r in rows {
            let t = r.time / width * width
            if var last = out.last, last.time == t {
                fold(&last.ipv4, r.ipv4)
                fold(&last.ipv6, r.ipv6)
                out[out.count - 1] = last
            } else {
                var r = r
                r.time = t
                r.ipv4.time = t
                r.ipv6.time = t
                out.append(r)
            }
        }
        return out
    }

    /// The columns of earlier versions come first, in their order; later ones follow.
    static let ipv4Columns = ["visible_prefixes", "slash24s", "announcements", "withdrawals", "path_changes", "flaps"]
    static let peerColumns = ["full_feed_peers", "unstable_prefixes", "peers", "collectors"]
    static let ipv6Columns = ["visible_prefixes_v6", "slash48s_v6", "announcements_v6", "withdrawals_v6", "path_changes_v6",
                              "flaps_v6", "unstable_prefixes_v6"]

    static func values(_ b: SeriesBin) -> [String] {
        [String(b.visiblePrefixes), EventRendering.number(b.space), String(b.announcements), String(b.withdrawals),
         String(b.pathChanges), String(b.flaps)]
    }

    static func peerValues(_ b: SeriesBin) -> [String] {
        [String(b.fullFeedPeers), String(b.unstablePrefixes), String(b.peers), String(b.collectors)]
    }

    /// The columns, in order: time, [asn], the IPv4 figures, the peers counted, the IPv6 figures.
    public static func columns(asn: UInt32?) -> [String] {
        ["time"] + (asn == nil ? [] : ["asn"]) + ipv4Columns + peerColumns + ipv6Columns
    }

    private static func cells(_ r: TimelineRow, asn: UInt32?) -> [String] {
        [iso(r.time)] + (asn.map { [String($0)] } ?? []) + values(r.ipv4) + peerValues(r.ipv4) + values(r.ipv6)
            + [String(r.ipv6.unstablePrefixes)]
    }

    static func iso(_ t: UInt32) -> String { EventRendering.iso(t) }

    public static func json(_ rows: [TimelineRow], asn: UInt32?) -> String {
        let names = columns(asn: asn)
        return "[" + rows.map { r in
            let c = cells(r, asn: asn)
            return "{" + zip(names, c).enumerated().map { k, nc in
                "\"\(nc.0)\":" + (k == 0 ? "\"\(nc.1)\"" : nc.1)
            }.joined(separator: ",") + "}"
        }.joined(separator: ",\n") + "]\n"
    }

    public static func csv(_ rows: [TimelineRow], asn: UInt32?) -> String {
        columns(asn: asn).joined(separator: ",") + "\n" + rows.map { cells($0, asn: asn).joined(separator: ",") + "\n" }.joined()
    }

    /// A table for a terminal; a bin with no full-feed peer is marked as a gap in the data.
    public static func table(_ rows: [TimelineRow]) -> String {
        let widths = [8, 8, 7, 7, 7, 7, 8, 9, 8, 7]
        var out = "time (UTC)         visible    /24s      A      W  paths  flaps unstable   v6 pfx    /48s   peers\n"
        for r in rows {
            let cells = [String(r.ipv4.visiblePrefixes), String(Int(r.ipv4.space)), String(r.ipv4.announcements),
                         String(r.ipv4.withdrawals), String(r.ipv4.pathChanges), String(r.ipv4.flaps),
                         String(r.ipv4.unstablePrefixes), String(r.ipv6.visiblePrefixes), String(Int(r.ipv6.space)),
                         String(r.ipv4.peers)]
            out += utcMinute(r.time) + "  " + cells.enumerated().map { i, s in
                String(repeating: " ", count: max(0, widths[i] - s.count)) + s
            }.joined() + (r.ipv4.isGap ? "  gap in the data" : "") + "\n"
        }
        return out
    }
}
