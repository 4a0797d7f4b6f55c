import Foundation
import Hummingbird
import Outages
import Pipeline
import Registry
import Store

/// The dashboard's charts: a country's or an origin AS's series over the range and bins of
/// its timeline (`API.timeline`: `GET .../timeline` with the same `from`, `to` and `bin`
/// gives the same points), drawn as SVG by the one chart renderer (`TimelineChart.standard`).
enum DashboardChart {
    /// The SVG of `subject`, built once per store generation and query.
    /// `title` names the subject in full, `short` where the chart is narrow (a phone).
    static func response(_ subject: SeriesSubject, title: String, short: String, _ q: QueryParameters, store: APIStore) throws -> Response {
        let (bin, from, to) = try API.timelineQuery(q)
        // Drawn at the size it is shown (the page asks for its width), so text is not scaled.
        let width = try q.integer("width", in: 320...2400) ?? 960, height = try q.integer("height", in: 240...1600) ?? 420
        let key = "chart \(subject) \(bin) \(from.map(String.init) ?? "-") \(to.map(String.init) ?? "-") \(width)x\(height)"
        let body = try store.cached(key) {
            let t = try API.timeline(subject, bin: bin, from: from, to: to, store: store)
            return svg(TimelineChart.standard(subject: width < 640 ? short : title, rows: t.rows, events: t.events.map(\.event)),
                       width: width, height: height)
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
