import Hummingbird
import Outages
import Pipeline
import Registry
import Store

/// `GET /api/v1/countries/{cc}/timeline` and `/api/v1/asns/{asn}/timeline`: the bins of a
/// series joined by time (IPv4 and IPv6, as `blackout timeline` joins them), merged into
/// wider bins on request, with the subject's own events.
extension API {
    /// The most bins one response holds: 31 days of 5-minute bins. A larger range is a 400.
    static let maxPoints: UInt32 = 31 * 288
    static let defaultRange: UInt32 = 86_400
    static let storedBin: UInt32 = 300

    func countryTimeline(_ text: String, _ q: QueryParameters) throws -> Response {
        let cc = try QueryParameters.country(text, parameter: "country code", store: store)
        return try timeline(.country(cc), q)
    }

    func asnTimeline(_ text: String, _ q: QueryParameters) throws -> Response {
        try timeline(.asn(try QueryParameters.asn(text, parameter: "AS number")), q)
    }

    private func timeline(_ subject: SeriesSubject, _ q: QueryParameters) throws -> Response {
        let (bin, from, to) = try Self.timelineQuery(q)
        let key = "timeline \(subject) \(bin) \(from.map(String.init) ?? "-") \(to.map(String.init) ?? "-")"
        return JSONResponse.make(try store.cached(key) {
            let t = try Self.timeline(subject, bin: bin, from: from, to: to, store: store)
            let name: String
            switch subject {
            case .country(let cc): name = "\"country\":\"\(cc)\""
            case .asn(let asn): name = "\"asn\":\(asn)"
            }
            var out = "{\(name),\"bin\":\(bin),\"from\":\(JSONResponse.time(t.start)),\"to\":\(JSONResponse.time(t.end)),\"points\":["
            out.reserveCapacity(t.rows.count * 330 + 1000)
            for (i, r) in t.rows.enumerated() {
                if i > 0 { out += ",\n" }
                out += Self.point(r)
            }
            return out + "],\"events\":\(Self.json(t.events))}"
        })
    }

    /// A timeline's `bin`, `from` and `to` parameters, checked: a range of more than
    /// `maxPoints` bins is a 400. Shared by the timeline and chart routes.
    static func timelineQuery(_ q: QueryParameters) throws -> (bin: UInt32, from: UInt32?, to: UInt32?) {
        let bin = try q.string("bin").map(TimelineBin.parse) ?? .fiveMinutes
        let (from, to) = try q.period()
        if let from, let to, (to - from) / bin.seconds > maxPoints {
            throw APIError.badRequest("the range from \(EventRendering.iso(from)) to \(EventRendering.iso(to)) holds more than "
                                      + "\(maxPoints) bins of \(bin.rawValue); ask for a shorter range or a wider bin")
        }
        return (bin.seconds, from, to)
    }

    /// What a timeline shows: the range [start, end) aligned to whole bins (by default the
    /// last day of stored data), the rows in it and the subject's own events, newest first.
    struct Timeline {
        var start: UInt32
        var end: UInt32
        var rows: [TimelineRow]
        var events: [StoredEvent]
    }

    /// The one selection of a timeline, for the timeline route and the chart.
    static func timeline(_ subject: SeriesSubject, bin: UInt32, from: UInt32?, to: UInt32?, store: APIStore) throws -> Timeline {
        let s = store.store
        let latest: UInt32?
        var times: [UInt32]?
        switch subject {
        case .country:
            latest = [try s.latestBinTime(SeriesID(subject, .ipv4)), try s.latestBinTime(SeriesID(subject, .ipv6))].compactMap { $0 }.max()
        case .asn:
            // An origin AS's rows are stored where something changed: laid on the grid of all bins.
            latest = try s.hasSeries(subject) ? try store.allBinTimes().last : nil
            times = try store.allBinTimes()
        }
        guard let latest else { throw APIError.notFound("no data for \(subject) in the store (no bins stored for it)") }
        let b = Int(bin)
        var endTime = to.map(Int.init) ?? from.map { Int($0) + Int(defaultRange) } ?? Int(latest) + Int(storedBin)
        let startTime = (from.map(Int.init) ?? max(0, endTime - Int(defaultRange))) / b * b
        endTime = min((endTime + b - 1) / b * b, Int(UInt32.max))
        let start = UInt32(startTime), end = UInt32(endTime)
        let v4 = try s.bins(SeriesID(subject, .ipv4), from: start, to: end)
        let v6 = try s.bins(SeriesID(subject, .ipv6), from: start, to: end)
        // A country's rows are its own bins; an AS's lie on the stored grid.
        let grid = times.map { t in t.filter { $0 >= start && $0 < end } } ?? Array(Set(v4.map(\.time) + v6.map(\.time))).sorted()
        var rows = SeriesRendering.rows(times: grid, ipv4: v4, ipv6: v6, carryOver: times != nil)
        if bin != storedBin { rows = SeriesRendering.merge(rows, width: bin) }
        let events: [StoredEvent]
        switch subject {
        case .country(let cc):
            events = try s.events(EventQuery(country: cc, from: start, to: end), after: nil, limit: 1000).filter { $0.event.asn == nil }
        case .asn(let asn):
            events = try s.events(EventQuery(asn: asn, from: start, to: end), after: nil, limit: 1000)
        }
        return Timeline(start: start, end: end, rows: rows, events: events.reversed())
    }

    /// One point: the IPv4 figures under the names, IPv6 with a 6.
    static func point(_ r: TimelineRow) -> String {
        let a = r.ipv4, b = r.ipv6
        return "{\"time\":\"\(EventRendering.iso(r.time))\",\"visible\":\(a.visiblePrefixes),\"slash24s\":\(EventRendering.number(a.space)),"
            + "\"visible6\":\(b.visiblePrefixes),\"slash48s\":\(EventRendering.number(b.space)),\"announcements\":\(a.announcements),"
            + "\"withdrawals\":\(a.withdrawals),\"path_changes\":\(a.pathChanges),\"flaps\":\(a.flaps),"
            + "\"unstable_prefixes\":\(a.unstablePrefixes),\"announcements6\":\(b.announcements),\"withdrawals6\":\(b.withdrawals),"
            + "\"path_changes6\":\(b.pathChanges),\"flaps6\":\(b.flaps),\"full_feed_peers\":\(a.fullFeedPeers),\"peers\":\(a.peers),"
            + "\"collectors\":\(a.collectors)}"
    }
}
