import Outages

/// A chart of series over time: a title, a legend, one or more panels stacked over one
/// time axis (dates and times in UTC), each with its own value axis from zero, and events
/// shaded over the panels of their address family (outages red, instability amber). Bins
/// with no data are hatched and the lines break there. The one renderer of the command
/// line (`blackout timeline --svg/--png`) and the dashboard: `svg` and `png` draw the same
/// layout (`ChartLayout`).
public struct TimelineChart: Sendable {
    public var title: String
    public var panels: [ChartPanel]
    /// The events to shade: the caller passes the subject's own (a country's chart shows
    /// the country's events, not those of its origin ASes).
    public var events: [Event]
    /// The time range [from, to) across the plot, Unix seconds.
    public var from: UInt32
    public var to: UInt32

    /// A chart of one panel holding every series on one value axis.
    public init(title: String, series: [ChartSeries], events: [Event], from: UInt32, to: UInt32) {
        self.init(title: title, panels: [ChartPanel(label: "", series: series)], events: events, from: from, to: to)
    }

    public init(title: String, panels: [ChartPanel], events: [Event], from: UInt32, to: UInt32) {
        self.title = title
        self.panels = panels
        self.events = events
        self.from = from
        self.to = max(to, from + 1)
    }

    /// The standard chart of a country or AS: visible IPv4 prefixes, IPv4 address space in
    /// /24s and visible IPv6 prefixes, each in its own panel over one time axis (one chart;
    /// none without rows). Panels rather than a shared or second axis: the three differ by
    /// orders of magnitude (a country's /24s are often ten times its prefixes, its IPv6
    /// prefixes a tenth), so on one axis the smaller lines lie flat on zero, and with two
    /// axes the reader compares heights that mean nothing. A panel per count, each from
    /// zero, shows each drop to zero for what it is, at the same x in every panel.
    /// `subject` names the country or AS (`KP`, `AS131279`); `events` are its own.
    public static func standard(subject: String, rows: [TimelineRow], events: [Event]) -> [TimelineChart] {
        guard let first = rows.first, let last = rows.last else { return [] }
        var visible: [(time: UInt32, value: Double)] = [], space = visible, visible6 = visible
        visible.reserveCapacity(rows.count)
        space.reserveCapacity(rows.count)
        visible6.reserveCapacity(rows.count)
        for r in rows {
            let gap4 = r.ipv4.isGap
            visible.append((r.time, gap4 ? .nan : Double(r.ipv4.visiblePrefixes)))
            space.append((r.time, gap4 ? .nan : r.ipv4.space))
            visible6.append((r.time, ipv6IsGap(r) ? .nan : Double(r.ipv6.visiblePrefixes)))
        }
        var step = UInt32.max
        for (a, b) in zip(rows, rows.dropFirst()) where b.time > a.time { step = min(step, b.time - a.time) }
        if step == .max { step = 300 }
        let to = last.time + step
        let title = "\(subject): visible routes, \(utcMinute(first.time)) to \(utcMinute(to)) UTC"
        let panels = [
            ChartPanel(label: "Visible IPv4 prefixes", series: [ChartSeries(key: "visible", label: "IPv4 prefixes", points: visible)],
                       family: .ipv4),
            ChartPanel(label: "IPv4 address space (/24 equivalents)", series: [ChartSeries(key: "slash24s", label: "/24s", points: space)],
                       family: .ipv4),
            ChartPanel(label: "Visible IPv6 prefixes", series: [ChartSeries(key: "visible6", label: "IPv6 prefixes", points: visible6)],
                       family: .ipv6),
        ]
        return [TimelineChart(title: title, panels: panels, events: events, from: first.time, to: to)]
    }

    /// Whether a row's IPv6 figure is unknown. A subject with no IPv6 routes has no IPv6 bins
    /// stored (the row's IPv6 bin is then all zeros, no peer counted): its IPv6 count is zero
    /// where the IPv4 bin had data. A stored IPv6 bin with no full-feed peer is a gap.
    static func ipv6IsGap(_ r: TimelineRow) -> Bool {
        let stored = r.ipv6.peers > 0 || r.ipv6.fullFeedPeers > 0 || r.ipv6.visiblePrefixes > 0
        return stored ? r.ipv6.isGap : r.ipv4.isGap
    }

    /// The chart as a self-contained SVG 1.1 document (see `SVGChartWriter` for its DOM).
    public func svg(width: Int = 960, height: Int = 320) -> String {
        SVGChartWriter(layout: ChartLayout(chart: self, width: width, height: height)).document()
    }

    /// The chart as a PNG image of `width` by `height` pixels.
    public func png(width: Int = 960, height: Int = 320) -> [UInt8] {
        PNGChartWriter(layout: ChartLayout(chart: self, width: width, height: height)).image()
    }
}
