/// A chart as a PNG image: the layout the SVG draws (title, legend, panels with value axes,
/// event shading, hatched gaps, stepped lines, the time axis with dates), rasterised with
/// the bitmap font. Lines are horizontal and vertical steps (a bin's value holds across its
/// bin), so they need no anti-aliasing.
struct PNGChartWriter {
    let layout: ChartLayout

    func image() -> [UInt8] {
        var r = Raster(width: layout.width, height: layout.height, background: ChartColor.background)
        draw(&r)
        return PNGEncoder.encode(indices: r.pixels, palette: r.palette, width: r.width, height: r.height, title: layout.title)
    }

    /// Everything, in the SVG's order.
    func draw(_ r: inout Raster) {
        let l = layout
        r.text(l.title, x: ChartLayout.pad, y: l.titleTop, ChartColor.text, scale: l.titleScale)
        legend(&r)
        for p in l.panels {
            for t in l.timeTicks { r.fill(column(t.time), p.top, column(t.time) + 1, p.bottom, ChartColor.grid) }
        }
        for b in l.events {
            let outage = b.event.kind == .outage
            let x0 = Int(b.x0.rounded()), x1 = max(Int(b.x1.rounded()), Int(b.x0.rounded()) + 1)
            r.fill(x0, b.top, x1, b.bottom + 1, outage ? ChartColor.outage : ChartColor.instability, alpha: 0.6)
            let edge = outage ? ChartColor.outageEdge : ChartColor.instabilityEdge
            r.fill(x0, b.top, x0 + 1, b.bottom + 1, edge, alpha: 0.5)
            r.fill(x1 - 1, b.top, x1, b.bottom + 1, edge, alpha: 0.5)
        }
        for b in l.events {
            if let label = b.label {
                r.text(label, x: b.labelLeft, y: b.labelTop, b.event.kind == .outage ? ChartColor.outageEdge : ChartColor.instabilityEdge)
            }
        }
        for p in l.panels { panel(p, &r) }
        timeAxis(&r)
    }

    private func column(_ t: UInt32) -> Int { Int(layout.x(t).rounded()) }

    private func legend(_ r: inout Raster) {
        let l = layout, w = ChartLayout.markWidth
        for item in l.legend {
            switch item.mark {
            case .line(let c):
                r.fill(item.x, l.legendTop + 3, item.x + w, l.legendTop + 5, c)
            case .band(let c, let edge):
                r.fill(item.x, l.legendTop - 1, item.x + w, l.legendTop + 8, c, alpha: 0.6)
                frame(&r, item.x, l.legendTop - 1, item.x + w, l.legendTop + 8, edge)
            case .hatch:
                r.hatch(item.x, l.legendTop - 1, item.x + w, l.legendTop + 8, ChartColor.gap)
                frame(&r, item.x, l.legendTop - 1, item.x + w, l.legendTop + 8, ChartColor.gap)
            }
            r.text(item.label, x: item.x + w + 5, y: l.legendTop, ChartColor.mutedText)
        }
    }

    private func frame(_ r: inout Raster, _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: ChartColor.RGB) {
        r.fill(x0, y0, x1, y0 + 1, c)
        r.fill(x0, y1 - 1, x1, y1, c)
        r.fill(x0, y0, x0 + 1, y1, c)
        r.fill(x1 - 1, y0, x1, y1, c)
    }

    private func panel(_ p: ChartLayout.Panel, _ r: inout Raster) {
        let l = layout
        if !p.label.isEmpty { r.text(p.label, x: l.plotLeft, y: p.labelTop + 1, ChartColor.text) }
        for t in p.ticks {
            let y = Int(p.y(t.value).rounded())
            let row = t.value == 0 ? y - 1 : y
            r.fill(l.plotLeft, row, l.plotRight + 1, row + 1, t.value == 0 ? ChartColor.axis : ChartColor.grid)
            r.text(t.label, x: l.plotLeft - 6 - BitmapFont.width(t.label), y: y - 3, ChartColor.mutedText)
        }
        if let note = p.note {
            r.text(note, x: (l.plotLeft + l.plotRight - BitmapFont.width(note)) / 2, y: (p.top + p.bottom) / 2 - 3, ChartColor.mutedText)
        }
        for g in p.gaps {
            r.hatch(column(max(g.start, l.from)), p.top, column(min(g.end, l.to)), p.bottom, ChartColor.gap)
        }
        for (i, s) in p.series.enumerated() {
            let color = ChartColor.series(s.key, index: i)
            for run in ChartLayout.runs(s, bin: l.bin, from: l.from, to: l.to) {
                var previous: Int?
                for k in run {
                    let pt = s.points[k]
                    let y = Int(p.y(pt.value).rounded()), x0 = column(pt.time), x1 = column(min(pt.time + l.bin, l.to))
                    if let previous { r.fill(x0 - 1, min(previous, y) - 1, x0 + 1, max(previous, y) + 1, color) }
                    r.fill(x0 - 1, y - 1, x1 + 1, y + 1, color)
                    previous = y
                }
            }
        }
    }

    private func timeAxis(_ r: inout Raster) {
        let l = layout
        for t in l.timeTicks {
            let x = column(t.time)
            r.fill(x, l.plotBottom, x + 1, l.plotBottom + ChartLayout.tickLength, ChartColor.axis)
            if let clock = t.clock { r.text(clock, x: t.clockLeft, y: l.clockTop, ChartColor.mutedText) }
            if let date = t.date { r.text(date, x: t.dateLeft, y: l.dateTop, ChartColor.mutedText) }
        }
    }
}
