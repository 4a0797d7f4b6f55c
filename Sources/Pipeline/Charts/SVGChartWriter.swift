import Outages

/// A chart as a self-contained SVG 1.1 document (W3C SVG 1.1, second edition): no scripts,
/// fonts or links outside it. Its DOM is a contract the dashboard's script and tests read:
/// - the root `<svg class="timeline-chart">` with `data-from`, `data-to` (ISO 8601 UTC),
///   `data-plot-left`, `data-plot-right`, `data-plot-top`, `data-plot-bottom` (user units);
/// - `<title>` first, with the chart's title, which is also drawn (`text.chart-title`);
/// - `<g class="legend">`;
/// - per event `<rect class="event outage|instability" data-start data-end data-family>`
///   (`data-end` empty while ongoing) holding a `<title>` with the event's summary;
/// - per panel `<g class="panel">`, with `<g class="axis value">` (`g.tick[data-value]`
///   with a grid line and the number), `rect.gap[data-start][data-end]` over bins with no
///   data, a `path.line[data-series]` and, per bin with data,
///   `<circle class="point" data-series data-time data-value>` with a `<title>` tooltip;
/// - `<g class="axis time">` with `g.tick[data-time]` holding the clock time and the date.
struct SVGChartWriter {
    let layout: ChartLayout

    func document() -> String {
        let l = layout
        var out = SVGText(capacity: 6_000 + l.panels.reduce(0) { $0 + $1.series.reduce(0) { $0 + $1.points.count * 240 } })
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" class=\"timeline-chart\" width=\"\(l.width)\" height=\"\(l.height)\" "
        out += "viewBox=\"0 0 \(l.width) \(l.height)\" data-from=\"\(iso(l.from))\" data-to=\"\(iso(l.to))\" "
        out += "data-plot-left=\"\(l.plotLeft)\" data-plot-right=\"\(l.plotRight)\" "
        out += "data-plot-top=\"\(l.panels.first?.top ?? 0)\" data-plot-bottom=\"\(l.plotBottom)\" "
        out += "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif\" font-size=\"11\">\n"
        out += "<title>"
        out.escaped(l.title)
        out += "</title>\n<style type=\"text/css\">"
        out += ".point{fill-opacity:0;stroke:none}.point:hover{fill-opacity:1}.line{fill:none;stroke-width:2;stroke-linejoin:round}"
        out += ".event:hover{fill-opacity:0.8}text{fill:\(hex(ChartColor.mutedText))}.chart-title,.panel-label{fill:\(hex(ChartColor.text))}"
        out += "</style>\n"
        out += "<defs><pattern id=\"gap-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
        out += "<rect width=\"2\" height=\"6\" fill=\"\(hex(ChartColor.gap))\"/></pattern></defs>\n"
        out += "<rect class=\"background\" width=\"\(l.width)\" height=\"\(l.height)\" fill=\"\(hex(ChartColor.background))\"/>\n"
        out += "<text class=\"chart-title\" x=\"\(ChartLayout.pad)\" y=\"\(l.titleTop + 7 * l.titleScale)\" font-size=\"\(l.titleScale == 2 ? 17 : 12)\" "
        out += "font-weight=\"600\">"
        out.escaped(l.title)
        out += "</text>\n"
        legend(&out)
        timeGrid(&out)
        events(&out)
        for p in l.panels { panel(p, &out) }
        timeAxis(&out)
        out += "</svg>\n"
        return out.string
    }

    private func legend(_ out: inout SVGText) {
        let l = layout, mid = Double(l.legendTop) + 3.5
        out += "<g class=\"legend\">"
        for item in l.legend {
            let x = item.x, w = ChartLayout.markWidth
            switch item.mark {
            case .line(let c):
                out += "<line x1=\"\(x)\" y1=\"\(mid)\" x2=\"\(x + w)\" y2=\"\(mid)\" stroke=\"\(hex(c))\" stroke-width=\"2\"/>"
            case .band(let c, let edge):
                out += "<rect x=\"\(x)\" y=\"\(l.legendTop - 1)\" width=\"\(w)\" height=\"9\" fill=\"\(hex(c))\" fill-opacity=\"0.6\" "
                out += "stroke=\"\(hex(edge))\" stroke-width=\"1\"/>"
            case .hatch:
                out += "<rect x=\"\(x)\" y=\"\(l.legendTop - 1)\" width=\"\(w)\" height=\"9\" fill=\"url(#gap-hatch)\" stroke=\"\(hex(ChartColor.gap))\"/>"
            }
            out += "<text x=\"\(x + w + 5)\" y=\"\(l.legendTop + 7)\">"
            out.escaped(item.label)
            out += "</text>"
        }
        out += "</g>\n"
    }

    /// Faint vertical lines at the time marks, across every panel.
    private func timeGrid(_ out: inout SVGText) {
        let l = layout
        out += "<g class=\"grid time\" stroke=\"\(hex(ChartColor.grid))\" stroke-width=\"1\">"
        for p in l.panels {
            for t in l.timeTicks {
                let x = l.x(t.time).rounded() + 0.5
                out += "<line x1=\"\(fixed(x))\" y1=\"\(p.top)\" x2=\"\(fixed(x))\" y2=\"\(p.bottom)\"/>"
            }
        }
        out += "</g>\n"
    }

    private func events(_ out: inout SVGText) {
        let l = layout
        out += "<g class=\"events\">"
        for b in l.events {
            let e = b.event
            let outage = e.kind == .outage
            let fill = outage ? ChartColor.outage : ChartColor.instability
            let edge = outage ? ChartColor.outageEdge : ChartColor.instabilityEdge
            out += "<rect class=\"event \(e.kind.rawValue)\" data-start=\"\(iso(e.start))\" data-end=\"\(e.end.map(iso) ?? "")\" "
            out += "data-family=\"\(e.family.rawValue)\" data-severity=\"\(e.severity.rawValue)\" x=\"\(fixed(b.x0))\" y=\"\(b.top)\" "
            out += "width=\"\(fixed(b.x1 - b.x0))\" height=\"\(b.bottom - b.top)\" fill=\"\(hex(fill))\" fill-opacity=\"0.6\" "
            out += "stroke=\"\(hex(edge))\" stroke-opacity=\"0.5\" stroke-width=\"1\"><title>"
            out.escaped(e.summary)
            out += "</title></rect>"
            if let label = b.label {
                out += "<text class=\"event-label\" x=\"\(b.labelLeft)\" y=\"\(b.labelTop + 7)\" fill=\"\(hex(edge))\" style=\"fill:\(hex(edge))\">"
                out.escaped(label)
                out += "</text>"
            }
        }
        out += "</g>\n"
    }

    private func panel(_ p: ChartLayout.Panel, _ out: inout SVGText) {
        let l = layout
        out += "<g class=\"panel\" data-family=\"\(p.family?.rawValue ?? "")\">\n"
        if !p.label.isEmpty {
            out += "<text class=\"panel-label\" x=\"\(l.plotLeft)\" y=\"\(p.labelTop + 8)\" font-weight=\"600\">"
            out.escaped(p.label)
            out += "</text>\n"
        }
        out += "<g class=\"axis value\">"
        for t in p.ticks {
            let y = fixed(p.y(t.value).rounded() + (t.value == 0 ? -0.5 : 0.5))
            let stroke = t.value == 0 ? ChartColor.axis : ChartColor.grid
            out += "<g class=\"tick\" data-value=\""
            out.value(t.value)
            out += "\"><line x1=\"\(l.plotLeft)\" y1=\"\(y)\" x2=\"\(l.plotRight)\" y2=\"\(y)\" stroke=\"\(hex(stroke))\"/>"
            out += "<text x=\"\(l.plotLeft - 6)\" y=\"\(fixed(p.y(t.value) + 3.5))\" text-anchor=\"end\">\(t.label)</text></g>"
        }
        out += "</g>\n"
        if let note = p.note {
            out += "<text class=\"note\" x=\"\((l.plotLeft + l.plotRight) / 2)\" y=\"\((p.top + p.bottom) / 2 + 4)\" text-anchor=\"middle\">\(note)</text>\n"
        }
        for g in p.gaps {
            let x0 = l.x(max(g.start, l.from)), x1 = l.x(min(g.end, l.to))
            out += "<rect class=\"gap\" data-start=\"\(iso(g.start))\" data-end=\"\(iso(g.end))\" x=\"\(fixed(x0))\" y=\"\(p.top)\" "
            out += "width=\"\(fixed(x1 - x0))\" height=\"\(p.bottom - p.top)\" fill=\"url(#gap-hatch)\"><title>no data from \(utcMinute(g.start)) "
            out += "to \(utcMinute(g.end)) UTC: no full-feed peer counted</title></rect>\n"
        }
        for (i, s) in p.series.enumerated() {
            let color = hex(ChartColor.series(s.key, index: i))
            out += "<path class=\"line\" data-series=\""
            out.escaped(s.key)
            out += "\" stroke=\"\(color)\" d=\""
            for run in ChartLayout.runs(s, bin: l.bin, from: l.from, to: l.to) {
                var first = true
                for k in run {
                    let pt = s.points[k]
                    out.append(first ? "M" : "V")
                    if first {
                        out.fixed(l.x(pt.time))
                        out.append(" ")
                    }
                    out.fixed(p.y(pt.value))
                    out.append("H")
                    out.fixed(l.x(min(pt.time + l.bin, l.to)))
                    first = false
                }
            }
            out += "\"/>\n<g class=\"points\" data-series=\""
            out.escaped(s.key)
            out += "\" fill=\"\(color)\">"
            var key = SVGText(capacity: 16), label = SVGText(capacity: 32)
            key.escaped(s.key)
            label.escaped(s.label)
            let halfBin = (l.x(l.from + l.bin) - l.x(l.from)) / 2
            for pt in s.points where !pt.value.isNaN && pt.time >= l.from && pt.time < l.to {
                out.append("<circle class=\"point\" data-series=\"")
                out.append(contentsOf: key)
                out.append("\" data-time=\"")
                out.iso(pt.time)
                out.append("\" data-value=\"")
                out.value(pt.value)
                out.append("\" cx=\"")
                out.fixed(l.x(pt.time) + halfBin)
                out.append("\" cy=\"")
                out.fixed(p.y(pt.value))
                out.append("\" r=\"3\"><title>")
                out.minute(pt.time)
                out.append(" UTC: ")
                out.append(contentsOf: label)
                out.append(" ")
                out += ChartTicks.number(pt.value)
                out.append("</title></circle>")
            }
            out += "</g>\n"
        }
        out += "</g>\n"
    }

    private func timeAxis(_ out: inout SVGText) {
        let l = layout
        let base = l.plotBottom
        out += "<g class=\"axis time\" text-anchor=\"middle\">"
        for t in l.timeTicks {
            let x = fixed(l.x(t.time).rounded() + 0.5)
            out += "<g class=\"tick\" data-time=\"\(iso(t.time))\"><line x1=\"\(x)\" y1=\"\(base)\" x2=\"\(x)\" y2=\"\(base + ChartLayout.tickLength)\" "
            out += "stroke=\"\(hex(ChartColor.axis))\"/>"
            if let clock = t.clock { label(clock, "clock", left: t.clockLeft, top: l.clockTop, mark: t.time, &out) }
            if let date = t.date { label(date, "date", left: t.dateLeft, top: l.dateTop, mark: t.time, &out) }
            out += "</g>"
        }
        out += "</g>\n"
    }

    /// A time label: centred under its mark, or, where the layout moved it inside the image,
    /// anchored at the image's side (the browser's font is not the bitmap font's width).
    private func label(_ text: String, _ kind: String, left: Int, top: Int, mark: UInt32, _ out: inout SVGText) {
        let w = Double(BitmapFont.width(text)), centred = layout.x(mark).rounded() - w / 2
        let (x, anchor): (Double, String) = Double(left) > centred + 0.5 ? (Double(left), " text-anchor=\"start\"")
            : Double(left) < centred - 0.5 ? (Double(left) + w, " text-anchor=\"end\"") : (layout.x(mark).rounded() + 0.5, "")
        out += "<text class=\"\(kind)\" x=\"\(fixed(x))\" y=\"\(top + 7)\"\(anchor)>\(text)</text>"
    }

    // MARK: text

    private func iso(_ t: UInt32) -> String { EventRendering.iso(t) }
    private func hex(_ c: ChartColor.RGB) -> String { ChartColor.hex(c) }

    /// A coordinate with at most one decimal.
    private func fixed(_ v: Double) -> String {
        var t = SVGText(capacity: 8)
        t.fixed(v)
        return t.string
    }
}
