import Foundation
import Hummingbird
import Outages
import Pipeline
import Registry
import Store

/// The dashboard's charts: a country's or an origin AS's series over the range and bins of
/// its timeline (`GET .../timeline` with the same `from`, `to` and `bin` gives the same
/// points), drawn as SVG by the one chart renderer (`TimelineChart.standard`).
enum DashboardChart {
    /// The SVG of `subject`, built once per store generation and query.
    /// `title` names the subject in full, `short` where the chart is narrow (a phone).
    static func response(_ subject: SeriesSubject, title: String, short: String, _ q: QueryParameters, store: APIStore) throws -> Response {
        let bin = try q.string("bin").map(TimelineBin.parse) ?? .fiveMinutes
        let (from, to) = try q.period()
        if let from, let to, (to - from) / bin.seconds > API.maxPoints {
            throw APIError.badRequest("the range from \(EventRendering.iso(from)) to \(EventRendering.iso(to)) holds more than "
                                      + "\(API.maxPoints) bins of \(bin.rawValue); ask for a shorter range or a wider bin")
        }
        // Drawn at the size it is shown (the page asks for its width), so text is not scaled.
        let width = try q.integer("width", in: 320...2400) ?? 960, height = try q.integer("height", in: 240...1600) ?? 420
        let key = "chart \(subject) \(bin.seconds) \(from.map(String.init) ?? "-") \(to.map(String.init) ?? "-") \(width)x\(height)"
        let body = try store.cached(key) {
            let (rows, events) = try data(subject, bin: bin.seconds, from: from, to: to, store: store)
            return svg(TimelineChart.standard(subject: width < 640 ? short : title, rows: rows, events: events), width: width, height: height)
        }
        return Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "no-cache"],
                        body: ResponseBody(byteBuffer: body))
    }

    /// The name to put in a chart's title beside the code: the page's heading gives it in full,
    /// the chart only when it is short enough to leave the legend room.
    static func title(name: String?) -> String? {
        guard let name, !name.isEmpty, name.count <= 24 else { return nil }
        return name
    }

    /// The rows and the subject's own events of [from, to), aligned to whole bins, as the
    /// timeline route selects them (`API.timelineJSON`): by default the last day of stored data.
    /// The same selection in two places until the timeline route exposes its own (the browser
    /// test checks that the chart and the timeline agree point for point).
    static func data(_ subject: SeriesSubject, bin: UInt32, from: UInt32?, to: UInt32?,
                     store: APIStore) throws -> (rows: [TimelineRow], events: [Event]) {
        let s = store.store
        let latest: UInt32?
        var grid: [UInt32]?
        switch subject {
        case .country:
            latest = [try s.latestBinTime(SeriesID(subject, .ipv4)), try s.latestBinTime(SeriesID(subject, .ipv6))].compactMap { $0 }.max()
        case .asn:
            latest = try s.hasSeries(subject) ? try store.allBinTimes().last : nil
            grid = try store.allBinTimes()
        }
        guard let latest else { throw APIError.notFound("no data for \(subject) in the store (no bins stored for it)") }
        let b = Int(bin)
        var endTime = to.map(Int.init) ?? from.map { Int($0) + Int(API.defaultRange) } ?? Int(latest) + Int(API.storedBin)
        let startTime = (from.map(Int.init) ?? max(0, endTime - Int(API.defaultRange))) / b * b
        endTime = min((endTime + b - 1) / b * b, Int(UInt32.max))
        let start = UInt32(startTime), end = UInt32(endTime)
        let v4 = try s.bins(SeriesID(subject, .ipv4), from: start, to: end)
        let v6 = try s.bins(SeriesID(subject, .ipv6), from: start, to: end)
        let times = grid.map { t in t.filter { $0 >= start && $0 < end } } ?? Array(Set(v4.map(\.time) + v6.map(\.time))).sorted()
        var rows = SeriesRendering.rows(times: times, ipv4: v4, ipv6: v6, carryOver: grid != nil)
        if bin != API.storedBin { rows = SeriesRendering.merge(rows, width: bin) }
        let events: [StoredEvent]
        switch subject {
        case .country(let cc):
            events = try s.events(EventQuery(country: cc, from: start, to: end), after: nil, limit: 1000).filter { $0.event.asn == nil }
        case .asn(let asn):
            events = try s.events(EventQuery(asn: asn, from: start, to: end), after: nil, limit: 1000)
        }
        return (rows, events.map(\.event).reversed())
    }

    /// One panel as it is; several stacked in one SVG document (each keeps its own root
    /// `<svg class="timeline-chart">` and attributes, nested at its offset).
    static func svg(_ panels: [TimelineChart], width: Int, height: Int) -> String {
        let drawn = panels.map { strip($0.svg(width: width, height: height)) }
        guard drawn.count != 1 else { return drawn[0] }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline-charts\" viewBox=\"0 0 \(width) \(height * drawn.count)\" "
            + "width=\"\(width)\" height=\"\(height * drawn.count)\">"
        for (i, panel) in drawn.enumerated() {
            // A nested <svg> takes x and y: the panel moved down by its index.
            out += panel.replacingOccurrences(of: "<svg ", with: "<svg y=\"\(i * height)\" ", options: [], range: panel.range(of: "<svg "))
        }
        return out + "</svg>"
    }

    /// A document without its XML declaration, to be nested or inserted.
    static func strip(_ svg: String) -> String {
        guard svg.hasPrefix("<?xml"), let end = svg.range(of: "?>") else { return svg }
        return String(svg[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
