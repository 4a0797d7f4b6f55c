import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Outages
import Pipeline
import Registry
import Store
import Testing
import TestSupport

/// `blackout timeline --svg/--png` on a real ingest: North Korea's December 2014 scenario
/// (`KP2014Scenario`: the instability from 2014-12-21 16:15 and the complete outage from
/// 2014-12-22 16:15 to 01:45, on the real jinx table) ingested once per test process.
@Suite(.serialized)
struct ChartTests {
    /// The ingested store, built once.
    static let store: Result<String, Error> = Result {
        let root = try KP2014Archives.shared.get()
        // bgpdata/ is a link to route-views2's files: each file once.
        let files = try FileManager.default.subpathsOfDirectory(atPath: root)
            .filter { !$0.hasPrefix("bgpdata") && ($0.hasSuffix(".bz2") || $0.hasSuffix(".gz")) }.sorted().map { "\(root)/\($0)" }
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-charts-\(UUID().uuidString).sqlite").path
        let r = try CLI.run(["ingest", "-q", "--db", db, "--registry", CLI.data("registry")] + files)
        guard r.status == 0 else { throw ChartTestError("ingest failed: \(r.stderr)") }
        return db
    }

    struct ChartTestError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("blackout-chart-\(UUID().uuidString)-\(name)").path
    }

    /// The CSV rows of `timeline` by column name.
    static func csv(_ args: [String]) throws -> [[String: String]] {
        let r = try CLI.run(["timeline", "--db", try store.get(), "--csv"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(lines.first)
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    /// The events of `events --json` for the arguments.
    static func events(_ args: [String]) throws -> [[String: Any]] {
        let r = try CLI.run(["events", "--db", try store.get(), "--json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    static func iso(_ text: String) throws -> UInt32 {
        let f = ISO8601DateFormatter()
        return UInt32(try #require(f.date(from: text), "not an ISO 8601 time: \(text)").timeIntervalSince1970)
    }

    // MARK: SVG

    @Test func countrySVGHoldsEveryBinTheAxesAndOnlyTheCountrysEvents() throws {
        let path = Self.temp("kp.svg")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["timeline", "--db", try Self.store.get(), "--country", "KP", "--svg", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty, "a chart file and neither --json nor --csv: no table")
        let svg = try XMLNode.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(svg.name == "svg" && svg.classes == ["timeline-chart"])

        // The title first, and drawn.
        let title = try #require(svg.children.first)
        #expect(title.name == "title" && title.text == "KP: visible routes, 2014-12-21 00:00 to 2014-12-23 12:00 UTC")
        #expect(svg.all { $0.classes.contains("chart-title") }.map(\.text) == [title.text])
        #expect(svg["data-from"] == "2014-12-21T00:00:00Z" && svg["data-to"] == "2014-12-23T12:00:00Z")
        let from = try Self.iso(try #require(svg["data-from"])), to = try Self.iso(try #require(svg["data-to"]))

        // One point per bin per series, with the bin's value.
        let rows = try Self.csv(["--country", "KP"])
        #expect(rows.count == 720)
        for (key, column) in [("visible", "visible_prefixes"), ("slash24s", "slash24s"), ("visible6", "visible_prefixes_v6")] {
            let points = svg.all { $0.name == "circle" && $0.classes.contains("point") && $0["data-series"] == key }
            #expect(points.map { $0["data-time"] ?? "" } == rows.map { $0["time"] ?? "?" }, "\(key)")
            #expect(points.map { Double($0["data-value"] ?? "") } == rows.map { Double($0[column] ?? "") }, "\(key)")
            #expect(points.allSatisfy { $0.children.first?.name == "title" && $0.children.first?.text.isEmpty == false })
        }
        let visible = svg.all { $0["data-series"] == "visible" && $0.name == "circle" }
        let outage = visible.filter { ($0["data-time"] ?? "") >= "2014-12-22T16:15:00Z" && ($0["data-time"] ?? "") < "2014-12-23T01:45:00Z" }
        #expect(outage.count == 114 && outage.allSatisfy { $0["data-value"] == "0" }, "16:15 to 01:45: 114 bins with no prefix")

        // The time axis: marks inside the range, labelled with their clock time and date.
        let timeAxis = try #require(svg.all { $0.name == "g" && $0.classes == ["axis", "time"] }.first)
        let ticks = timeAxis.all { $0.classes.contains("tick") }
        #expect(ticks.count >= 5)
        var dates: [String] = []
        for tick in ticks {
            let text = try #require(tick["data-time"])
            let t = try Self.iso(text)
            #expect(t >= from && t <= to, "\(text) outside the chart")
            let clock = tick.all { $0.classes.contains("clock") }.map(\.text)
            #expect(clock == [String(text.dropFirst(11).prefix(5))], "\(text): \(clock)")
            dates += tick.all { $0.classes.contains("date") }.map(\.text).filter { $0 == String(text.prefix(10)) }
        }
        #expect(dates == ["2014-12-21", "2014-12-22", "2014-12-23"])

        // Three panels, each with a value axis of numbers from 0 covering its series.
        let panels = svg.all { $0.classes.contains("panel") }
        #expect(panels.count == 3)
        for panel in panels {
            let axis = try #require(panel.all { $0.classes == ["axis", "value"] }.first)
            let values = axis.all { $0.classes.contains("tick") }.map { Double($0.text.replacingOccurrences(of: ",", with: "")) }
            let numbers = values.compactMap { $0 }
            #expect(numbers.count == values.count && numbers.first == 0 && numbers.count >= 2, "\(values)")
            #expect(zip(numbers, numbers.dropFirst()).allSatisfy { $1 > $0 })
            let peak = panel.all { $0.name == "circle" }.compactMap { Double($0["data-value"] ?? "") }.max() ?? 0
            #expect((numbers.last ?? 0) >= peak && peak >= 0, "\(numbers) do not cover \(peak)")
        }
        let firstAxis = panels[0].all { $0.classes == ["axis", "value"] }.first
        #expect(firstAxis?.all { $0.classes.contains("tick") }.map(\.text) == ["0", "1", "2", "3", "4", "5"])

        // Events: the country's two, at the stored times, with their summaries; not its AS's.
        let stored = try Self.events(["--country", "KP"])
        let own = stored.filter { $0["asn"] is NSNull }
        #expect(own.count == 2 && stored.count == 4)
        let rects = svg.all { $0.name == "rect" && $0.classes.contains("event") }
        #expect(rects.count == own.count)
        let left = Double(try #require(svg["data-plot-left"]))!, right = Double(try #require(svg["data-plot-right"]))!
        for e in own {
            let kind = try #require(e["kind"] as? String)
            let rect = try #require(rects.first { $0.classes == ["event", kind] }, "no \(kind) rect")
            #expect(rect["data-start"] == e["start"] as? String && rect["data-end"] == e["end"] as? String)
            #expect(rect.children.first?.name == "title" && rect.children.first?.text == e["summary"] as? String)
            let start = try Self.iso(try #require(e["start"] as? String)), end = try Self.iso(try #require(e["end"] as? String))
            let x0 = left + Double(start - from) / Double(to - from) * (right - left)
            let x1 = left + Double(end - from) / Double(to - from) * (right - left)
            #expect(abs(Double(rect["x"] ?? "")! - x0) <= 0.05 && abs(Double(rect["width"] ?? "")! - (x1 - x0)) <= 0.1)
        }
        #expect(own.compactMap { $0["start"] as? String }.sorted() == ["2014-12-21T16:15:00Z", "2014-12-22T16:15:00Z"])
        for e in stored where !(e["asn"] is NSNull) {
            #expect(!rects.contains { $0.children.first?.text == e["summary"] as? String }, "an AS's event on the country's chart")
        }
        // The legend names the series and the kinds of events.
        let legend = try #require(svg.all { $0.classes == ["legend"] }.first)
        #expect(legend.all { $0.name == "text" }.map(\.text) == ["IPv4 prefixes", "/24s", "IPv6 prefixes", "outage", "instability"])
    }

    @Test func asChartShowsTheASsOwnEvents() throws {
        let path = Self.temp("as.svg")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["timeline", "--db", try Self.store.get(), "--country", "KP", "--asn", "131279", "--svg", path])
        #expect(r.status == 0, "\(r.stderr)")
        let svg = try XMLNode.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(svg.children.first?.text.hasPrefix("AS131279: visible routes") == true)
        let stored = try Self.events(["--asn", "131279"])
        #expect(stored.count == 2)
        let rects = svg.all { $0.name == "rect" && $0.classes.contains("event") }
        #expect(Set(rects.map { $0.children.first?.text ?? "" }) == Set(stored.compactMap { $0["summary"] as? String }))
        #expect(rects.allSatisfy { $0.children.first?.text.hasPrefix("AS131279 (KP):") == true })
        let rows = try Self.csv(["--country", "KP", "--asn", "131279"])
        let points = svg.all { $0.name == "circle" && $0["data-series"] == "visible" }
        #expect(points.map { $0["data-value"] ?? "" } == rows.map { $0["visible_prefixes"] ?? "?" })
    }

    // MARK: PNG

    @Test func countryPNGHasTitleAxesLabelsAndTheOutageShaded() throws {
        let png = Self.temp("kp.png"), svgPath = Self.temp("kp.svg")
        defer { for p in [png, svgPath] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try CLI.run(["timeline", "--db", try Self.store.get(), "--country", "KP", "--png", png, "--svg", svgPath])
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stderr)")
        let image = try PNGImage(data: try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(image.width == 960 && image.height == 480)
        let svg = try XMLNode.parse(try Data(contentsOf: URL(fileURLWithPath: svgPath)))
        let left = Int(try #require(svg["data-plot-left"]))!, right = Int(try #require(svg["data-plot-right"]))!
        let top = Int(try #require(svg["data-plot-top"]))!, bottom = Int(try #require(svg["data-plot-bottom"]))!
        let from = try Self.iso(try #require(svg["data-from"])), to = try Self.iso(try #require(svg["data-to"]))
        func x(_ t: UInt32) -> Int { Int((Double(left) + Double(t - from) / Double(to - from) * Double(right - left)).rounded()) }
        func ink(_ p: (r: UInt8, g: UInt8, b: UInt8)) -> Bool { Int(p.r) + Int(p.g) + Int(p.b) < 3 * 140 }

        // The title: dark text in the band above the plot, from the left margin, as wide
        // as its characters at twice the font's 6-pixel advance, ink in every non-blank one.
        let title = try #require(svg.children.first?.text)
        let titleColumns = (0..<image.width).filter { x in (8..<30).contains { ink(image.pixel(x, $0)) } }
        #expect(titleColumns.first == 12 && titleColumns.last == 12 + title.count * 12 - 2 - 1,
                "\(titleColumns.first ?? -1)...\(titleColumns.last ?? -1) for \(title.count) characters")
        #expect(Set(titleColumns.map { ($0 - 12) / 12 }).count >= title.count - title.filter { $0 == " " }.count)

        // The outage's shading: exactly the columns of its time span, in a row of the top panel
        // above the line; the instability's likewise.
        let row = top + 3
        let red = (0..<image.width).filter { let p = image.pixel($0, row); return Int(p.r) > Int(p.g) + 20 && abs(Int(p.g) - Int(p.b)) <= 5 }
        let outageStart = try Self.iso("2014-12-22T16:15:00Z"), outageEnd = try Self.iso("2014-12-23T01:45:00Z")
        #expect(red.first == x(outageStart) && red.last == x(outageEnd) - 1 && red.count == x(outageEnd) - x(outageStart),
                "\(red.first ?? -1)...\(red.last ?? -1) (\(red.count))")
        let amber = (0..<image.width).filter { let p = image.pixel($0, row); return Int(p.g) > Int(p.b) + 30 }
        let unstable = try Self.iso("2014-12-21T16:15:00Z"), stable = try Self.iso("2014-12-22T04:15:00Z")
        #expect(amber.first == x(unstable) && amber.last == x(stable) - 1, "\(amber.first ?? -1)...\(amber.last ?? -1)")

        // Axis labels: ink under the time axis at every mark of the SVG, and left of the plot
        // at every value mark; none where an empty image has none.
        for tick in svg.all({ $0.classes.contains("tick") && $0["data-time"] != nil }) {
            let tx = x(try Self.iso(try #require(tick["data-time"])))
            let labelled = (bottom + 8..<bottom + 17).contains { y in (tx - 12...tx + 12).contains { ink(image.pixel($0, y)) } }
            #expect(labelled, "no label under the mark of \(tick["data-time"] ?? "")")
        }
        let valueTicks = svg.all { $0.classes.contains("tick") && $0["data-value"] != nil }
        #expect(valueTicks.count >= 6)
        for tick in valueTicks {
            let y = Int(Double(try #require(tick.all { $0.name == "text" }.first?["y"]))! - 3.5)
            #expect((y - 4...y + 4).contains { yy in (0..<left - 4).contains { ink(image.pixel($0, yy)) } }, "no value label at y \(y)")
        }
        // An empty chart of the same range has the same time labels but other value labels.
        let empty = try PNGImage(data: Data(TimelineChart(title: "KP: visible routes, 2014-12-21 00:00 to 2014-12-23 12:00 UTC",
                                                          series: [], events: [], from: from, to: to).png(width: 960, height: 480)))
        let labels = { (im: PNGImage) in (top..<bottom).map { y in (0..<left - 4).map { ink(im.pixel($0, y)) } } }
        #expect(labels(image) != labels(empty))
        #expect(labels(image).joined().contains(true) && labels(empty).joined().contains(true))
    }

    /// The old use keeps working: --png with a table not printed, a PNG written.
    @Test func pngAloneWritesNoTableAndJSONStillPrints() throws {
        let png = Self.temp("kp.png")
        defer { try? FileManager.default.removeItem(atPath: png) }
        let r = try CLI.run(["timeline", "--db", try Self.store.get(), "--country", "KP", "--png", png, "--json", "--bin", "1h"])
        #expect(r.status == 0 && r.stdout.hasPrefix("[{\"time\":\"2014-12-21T00:00:00Z\""), "\(r.stderr)")
        let image = try PNGImage(data: try Data(contentsOf: URL(fileURLWithPath: png)))
        #expect(image.width == 960 && image.height == 480)
    }

    // MARK: library

    /// Rows of the store with some bins made gaps (no full-feed peer): no point, a hatched
    /// band over the gap, and the line broken there.
    @Test func gapsAreDrawnAsGapsNotZeros() throws {
        let store = try SQLiteStore(path: try Self.store.get())
        let subject = SeriesSubject.country(CountryCode("KP")!)
        var rows = SeriesRendering.rows(times: try store.binTimes(from: nil, to: nil), ipv4: try store.bins(SeriesID(subject, .ipv4), from: nil, to: nil),
                                        ipv6: try store.bins(SeriesID(subject, .ipv6), from: nil, to: nil), carryOver: false)
        #expect(rows.count == 720)
        for i in 100..<112 { rows[i].ipv4.fullFeedPeers = 0 }
        let chart = try #require(TimelineChart.standard(subject: "KP", rows: rows, events: []).first)
        let svg = try XMLNode.parse(Data(chart.svg().utf8))
        let visible = svg.all { $0.name == "circle" && $0["data-series"] == "visible" }
        #expect(visible.count == 708)
        #expect(!visible.contains { $0["data-time"] == EventRendering.iso(rows[100].time) })
        let gaps = svg.all { $0.name == "rect" && $0.classes == ["gap"] }
        // The two IPv4 panels; IPv6 (none stored, so zero where IPv4 has data) too.
        #expect(gaps.count == 3)
        #expect(gaps.allSatisfy { $0["data-start"] == EventRendering.iso(rows[100].time) && $0["data-end"] == EventRendering.iso(rows[112].time) })
        let line = try #require(svg.all { $0.name == "path" && $0["data-series"] == "visible" }.first?["d"])
        #expect(line.filter { $0 == "M" }.count == 2, "the line breaks at the gap")
        #expect(svg.all { $0.classes == ["legend"] }.first?.all { $0.name == "text" }.last?.text == "no data")
    }
}

/// An element of a parsed XML document: enough DOM for the tests.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var ownText = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    subscript(_ attribute: String) -> String? { attributes[attribute] }
    var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }
    /// The text of the element and its descendants.
    var text: String { ownText + children.map(\.text).joined() }

    /// Every descendant (not this element) matching `test`, in document order.
    func all(_ test: (XMLNode) -> Bool) -> [XMLNode] {
        var out: [XMLNode] = []
        for c in children {
            if test(c) { out.append(c) }
            out += c.all(test)
        }
        return out
    }

    static func parse(_ data: Data) throws -> XMLNode {
        let builder = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw ChartTests.ChartTestError("not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root")")
        }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var root: XMLNode?
        var stack: [XMLNode] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let node = XMLNode(name: name, attributes: attributes)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.ownText += string
        }
    }
}

/// A PNG decoder for the tests: 8-bit RGB, RGBA or palette colour, not interlaced (the
/// charts write palette images), the IDAT data inflated by Python's zlib and the five
/// filters of RFC 2083 section 6 undone.
struct PNGImage {
    let width: Int, height: Int
    let channels: Int
    let pixels: [UInt8]
    let palette: [UInt8]

    func pixel(_ x: Int, _ y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * channels
        if channels == 1 {
            let p = Int(pixels[i]) * 3
            return (palette[p], palette[p + 1], palette[p + 2])
        }
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw ChartTests.ChartTestError("not a PNG signature")
        }
        func be(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        var i = 8, idat: [UInt8] = [], header: [UInt8] = [], plte: [UInt8] = []
        while i + 8 <= bytes.count {
            let length = be(i), type = String(decoding: bytes[i + 4..<i + 8], as: UTF8.self)
            let body = Array(bytes[i + 8..<i + 8 + length])
            if type == "IHDR" { header = body }
            if type == "IDAT" { idat += body }
            if type == "PLTE" { plte = body }
            i += 12 + length
        }
        guard header.count == 13, header[8] == 8, [2, 3, 6].contains(header[9]), header[12] == 0 else {
            throw ChartTests.ChartTestError("not an 8-bit RGB(A) or palette non-interlaced PNG: \(header)")
        }
        width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        channels = header[9] == 2 ? 3 : header[9] == 3 ? 1 : 4
        palette = plte
        guard channels != 1 || (plte.count % 3 == 0 && !plte.isEmpty) else { throw ChartTests.ChartTestError("a palette image without PLTE") }
        let raw = try Self.inflate(idat)
        let stride = width * channels
        guard raw.count == height * (stride + 1) else { throw ChartTests.ChartTestError("\(raw.count) bytes of image data") }
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = raw[y * (stride + 1) + 1 + x]
                let a = x >= channels ? Int(out[y * stride + x - channels]) : 0
                let b = y > 0 ? Int(out[(y - 1) * stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(out[(y - 1) * stride + x - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw ChartTests.ChartTestError("filter \(filter) on row \(y)")
                }
                out[y * stride + x] = UInt8((Int(v) + predictor) & 0xFF)
            }
        }
        pixels = out
    }

    static func inflate(_ compressed: [UInt8]) throws -> [UInt8] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("png-\(UUID().uuidString).z")
        defer { try? FileManager.default.removeItem(at: input) }
        try Data(compressed).write(to: input)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(open(sys.argv[1], 'rb').read()))", input.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ChartTests.ChartTestError("python3 zlib could not inflate the IDAT data") }
        return [UInt8](data)
    }
}
