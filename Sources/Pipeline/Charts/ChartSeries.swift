import Outages

/// One line of a chart: a value per bin, keyed for the SVG's `data-series` attribute.
public struct ChartSeries: Sendable {
    /// `visible`, `slash24s`, `visible6` in the standard chart (the SVG contract's keys).
    public var key: String
    /// What the line is, as the legend and the tooltips name it.
    public var label: String
    /// The bins in time order (each point's time is its bin's start); a value that is not a
    /// number (`.nan`) is a gap in the data: no full-feed peer counted, nothing known. A gap
    /// is drawn as a gap (no line, no point, a hatched band), never as a zero.
    public var points: [(time: UInt32, value: Double)]

    public init(key: String, label: String, points: [(time: UInt32, value: Double)]) {
        self.key = key
        self.label = label
        self.points = points
    }
}

/// A band of a chart with its own value axis; the panels of a chart share its time axis.
public struct ChartPanel: Sendable {
    /// Above the panel: what its axis counts.
    public var label: String
    public var series: [ChartSeries]
    /// The events shaded on this panel: those of this address family, or all when nil.
    public var family: Family?

    public init(label: String, series: [ChartSeries], family: Family? = nil) {
        self.label = label
        self.series = series
        self.family = family
    }
}

/// The colours of the charts, one place for the SVG and the PNG.
enum ChartColor {
    typealias RGB = (r: UInt8, g: UInt8, b: UInt8)
    static let seriesColors: [String: RGB] = ["visible": (37, 99, 235), "slash24s": (124, 58, 237), "visible6": (5, 150, 105)]
    static let fallback: [RGB] = [(37, 99, 235), (124, 58, 237), (5, 150, 105), (234, 88, 12)]
    static let background: RGB = (255, 255, 255)
    static let text: RGB = (17, 24, 39)
    static let mutedText: RGB = (75, 85, 99)
    static let axis: RGB = (107, 114, 128)
    static let grid: RGB = (229, 231, 235)
    static let outage: RGB = (254, 202, 202)
    static let outageEdge: RGB = (220, 38, 38)
    static let instability: RGB = (253, 230, 138)
    static let instabilityEdge: RGB = (217, 119, 6)
    static let gap: RGB = (209, 213, 219)

    /// The colour of the series `key`, the `index`th of its chart.
    static func series(_ key: String, index: Int) -> RGB {
        seriesColors[key] ?? fallback[index % fallback.count]
    }

    /// `#rrggbb`.
    static func hex(_ c: RGB) -> String {
        let digits = Array("0123456789abcdef")
        return "#" + String([c.r, c.g, c.b].flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
}
