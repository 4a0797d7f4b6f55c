import Outages

/// Where everything of a chart goes, in pixels from the top left, computed once and drawn
/// by both writers (SVG and PNG) so that the two show the same chart. Text is measured with
/// the bitmap font's metrics (6 pixels a character, 7 high; the title twice that), which the
/// SVG's 11-pixel sans-serif labels roughly match.
struct ChartLayout {
    /// A panel: its plot rectangle, value axis and gap bands.
    struct Panel {
        var label: String
        /// Top of the label line (the label's capitals start here), when there is a label.
        var labelTop: Int
        var top: Int, bottom: Int
        var ticks: [ValueTick]
        /// The value at the top of the plot.
        var axisTop: Double
        var series: [ChartSeries]
        var family: Family?
        /// Runs of bins with no data: [start, end) in Unix time.
        var gaps: [(start: UInt32, end: UInt32)]
        /// Said in the middle of a panel whose series are all zero (`none visible`).
        var note: String?

        func y(_ v: Double) -> Double {
            Double(bottom) - (axisTop > 0 ? v / axisTop : 0) * Double(bottom - top)
        }
    }

    /// A legend entry: a series' line, an event's band or the hatching of gaps.
    struct LegendItem {
        enum Mark { case line(ChartColor.RGB), band(ChartColor.RGB, edge: ChartColor.RGB), hatch }
        var mark: Mark
        var label: String
        /// Left edge of the mark; the label starts `markWidth + 5` to its right.
        var x: Int
    }

    /// An event's shading: the plot's columns of its time span over the panels of its family,
    /// and its label (kind and duration) where it fits.
    struct EventBand {
        var event: Event
        var x0: Double, x1: Double
        var top: Int, bottom: Int
        var label: String?
        var labelLeft = 0, labelTop = 0
    }

    static let pad = 12, titleScale = 2, markWidth = 16, tickLength = 4
    static let panelLabelHeight = 13, panelGap = 8, timeAxisHeight = 34, legendRowHeight = 16

    let width: Int, height: Int
    let from: UInt32, to: UInt32
    /// The width of a bin (the smallest step between points), for the lines' steps.
    let bin: UInt32
    let title: String
    /// The title's top and its scale in the PNG (2, or 1 when it would not fit).
    let titleTop: Int, titleScale: Int
    let legend: [LegendItem]
    /// Top of the legend's line (marks and text are 7 pixels high from here).
    let legendTop: Int
    let plotLeft: Int, plotRight: Int
    let panels: [Panel]
    let timeTicks: [TimeTick]
    /// The bottom of the last panel, where the time axis is; the tops of the clock labels
    /// and of the dates under it (the dates take the first line when no mark has a clock).
    let plotBottom: Int, clockTop: Int, dateTop: Int
    let events: [EventBand]

    init(chart: TimelineChart, width: Int, height: Int) {
        self.width = max(120, width)
        self.height = max(80, height)
        from = chart.from
        to = max(chart.to, chart.from + 1)
        title = chart.title
        let all = chart.panels.flatMap(\.series)
        bin = Self.binWidth(all, span: to - from)

        // Title, and the legend on its line when both fit.
        let fontAdvance = BitmapFont.advance
        titleTop = 10
        titleScale = BitmapFont.width(title, scale: Self.titleScale) + 2 * Self.pad <= self.width ? Self.titleScale : 1
        let hasGaps = all.contains { $0.points.contains { $0.value.isNaN } }
        var entries: [(LegendItem.Mark, String)] = all.enumerated().map { i, s in (.line(ChartColor.series(s.key, index: i)), s.label) }
        let (first, last) = (chart.from, max(chart.to, chart.from + 1))
        let kinds = Set(chart.events.filter { ($0.end ?? max($0.lastSeen, $0.start)) >= first && $0.start <= last }.map(\.kind))
        if kinds.contains(.outage) { entries.append((.band(ChartColor.outage, edge: ChartColor.outageEdge), "outage")) }
        if kinds.contains(.instability) { entries.append((.band(ChartColor.instability, edge: ChartColor.instabilityEdge), "instability")) }
        if hasGaps { entries.append((.hatch, "no data")) }
        let legendWidth = entries.reduce(0) { $0 + Self.markWidth + 5 + $1.1.count * fontAdvance + 14 } - 14
        let titleWidth = BitmapFont.width(title, scale: titleScale)
        let legendOnTitleLine = Self.pad + titleWidth + 28 + legendWidth <= self.width - Self.pad
        legendTop = legendOnTitleLine ? titleTop + (7 * titleScale - 7) / 2 : titleTop + 7 * titleScale + 8
        var x = legendOnTitleLine ? self.width - Self.pad - legendWidth : Self.pad
        var items: [LegendItem] = []
        for (mark, label) in entries {
            items.append(LegendItem(mark: mark, label: label, x: x))
            x += Self.markWidth + 5 + label.count * fontAdvance + 14
        }
        legend = items
        let contentTop = (legendOnTitleLine ? titleTop + 7 * titleScale : legendTop + 7) + 12

        // Panels share the height, a panel whose lines are all zero ("none visible") half as
        // much as one with something to show; the value labels set the left margin.
        let n = max(1, chart.panels.count)
        let labelled = chart.panels.filter { !$0.label.isEmpty }.count
        let bottom = self.height - Self.timeAxisHeight
        let available = bottom - contentTop - labelled * Self.panelLabelHeight - (n - 1) * Self.panelGap
        let peaks = chart.panels.map { p in p.series.flatMap { $0.points.map(\.value) }.filter { $0.isFinite }.max() }
        let empty = peaks.map { $0 == 0 }
        let weights = empty.map { $0 ? 1 : 2 }
        var panels: [Panel] = []
        var y = contentTop
        for (i, p) in chart.panels.enumerated() {
            let plotHeight = max(16, available * weights[i] / max(1, weights.reduce(0, +)))
            let labelTop = y
            if !p.label.isEmpty { y += Self.panelLabelHeight }
            let axis = ChartTicks.value(max: peaks[i] ?? 0, target: max(3, plotHeight / 22))
            panels.append(Panel(label: p.label, labelTop: labelTop, top: y, bottom: y + plotHeight, ticks: axis.ticks,
                                axisTop: axis.top, series: p.series, family: p.family,
                                gaps: Self.gaps(p.series, bin: bin), note: empty[i] ? "none visible" : nil))
            y += plotHeight + Self.panelGap
        }
        self.panels = panels
        let longest = panels.flatMap { $0.ticks.map(\.label.count) }.max() ?? 1
        let left = Self.pad + longest * fontAdvance + 8, right = self.width - Self.pad - 4
        plotLeft = left
        plotRight = right
        let (start, end, imageWidth) = (from, to, self.width)
        let xOf = { (t: UInt32) in Self.x(t, from: start, to: end, left: left, right: right) }

        // Time marks, their labels centred under them and kept inside the image.
        var ticks = ChartTicks.time(from: from, to: to, pixels: Double(right - left))
        func labelLeft(_ text: String?, _ x: Double) -> Int {
            let w = BitmapFont.width(text ?? "")
            return min(max(2, Int((x - Double(w) / 2).rounded())), imageWidth - 2 - w)
        }
        for i in ticks.indices {
            let x = xOf(ticks[i].time).rounded()
            ticks[i].clockLeft = labelLeft(ticks[i].clock, x)
            ticks[i].dateLeft = labelLeft(ticks[i].date, x)
        }
        timeTicks = ticks
        plotBottom = panels.last?.bottom ?? bottom
        clockTop = plotBottom + Self.tickLength + 5
        dateTop = ticks.contains { $0.clock != nil } ? clockTop + 12 : clockTop

        // Events over the panels of their family, clipped to the chart.
        var bands: [EventBand] = []
        var labelEnds: [Int: Int] = [:]  // per label line, where the last label ends
        for e in chart.events.sorted(by: { $0.start < $1.start }) {
            let end = e.end ?? max(e.lastSeen, e.start)
            guard end >= from, e.start <= to else { continue }
            let mine = panels.filter { $0.family == nil || $0.family == e.family }
            guard let first = mine.first, let top = mine.map(\.top).min(), let bottom = mine.map(\.bottom).max() else { continue }
            let x0 = xOf(max(e.start, from)), x1 = max(xOf(min(end, to)), x0 + 1)
            var band = EventBand(event: e, x0: x0, x1: x1, top: top, bottom: bottom)
            // The label on the first panel's label line, right of the panel's own label, else
            // inside the top of the plot.
            let text = Self.eventLabel(e)
            let line = first.label.isEmpty ? first.top + 3 : first.labelTop + 1
            let after = labelEnds[line] ?? (first.label.isEmpty ? left : left + BitmapFont.width(first.label) + 6)
            let x = max(Int(x0.rounded()) + 3, after + 10)
            if x + BitmapFont.width(text) <= right, x <= Int(x1.rounded()) {
                band.label = text
                band.labelLeft = x
                band.labelTop = line
                labelEnds[line] = x + BitmapFont.width(text)
            }
            bands.append(band)
        }
        events = bands
    }

    /// `complete outage, 9h30m`, `instability, 12h0m`, `partial outage, ongoing`.
    static func eventLabel(_ e: Event) -> String {
        let what = e.kind == .outage ? "\(e.severity.rawValue) outage" : "instability"
        return what + ", " + (e.end.map { durationText(Int($0) - Int(e.start)) } ?? "ongoing")
    }

    /// The x of a time: `from` at the plot's left edge, `to` at its right.
    func x(_ t: UInt32) -> Double { Self.x(t, from: from, to: to, left: plotLeft, right: plotRight) }

    static func x(_ t: UInt32, from: UInt32, to: UInt32, left: Int, right: Int) -> Double {
        Double(left) + Double(Int64(t) - Int64(from)) / Double(to - from) * Double(right - left)
    }

    /// The smallest step between consecutive points, else the whole span.
    static func binWidth(_ series: [ChartSeries], span: UInt32) -> UInt32 {
        var best = UInt32.max
        for s in series {
            for (a, b) in zip(s.points, s.points.dropFirst()) where b.time > a.time { best = min(best, b.time - a.time) }
        }
        return best == .max ? max(1, span) : best
    }

    /// The indices of a series' points in runs drawn as one line: consecutive bins with data
    /// inside [from, to); a gap or a missing bin ends a run.
    static func runs(_ s: ChartSeries, bin: UInt32, from: UInt32, to: UInt32) -> [[Int]] {
        var out: [[Int]] = [], run: [Int] = []
        for (k, p) in s.points.enumerated() {
            guard !p.value.isNaN, p.time >= from, p.time < to else {
                if !run.isEmpty { out.append(run); run = [] }
                continue
            }
            if let last = run.last, s.points[last].time + bin != p.time {
                out.append(run)
                run = []
            }
            run.append(k)
        }
        if !run.isEmpty { out.append(run) }
        return out
    }

    /// Runs of bins where no series of a panel has a value.
    static func gaps(_ series: [ChartSeries], bin: UInt32) -> [(start: UInt32, end: UInt32)] {
        var known: Set<UInt32> = [], missing: [UInt32] = []
        for s in series {
            for p in s.points { if p.value.isNaN { missing.append(p.time) } else { known.insert(p.time) } }
        }
        var out: [(start: UInt32, end: UInt32)] = []
        for t in Set(missing).subtracting(known).sorted() {
            if let last = out.last, last.end == t { out[out.count - 1].end = t + bin } else { out.append((t, t + bin)) }
        }
        return out
    }
}
