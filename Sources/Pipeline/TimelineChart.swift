import CZlib
import MRTArchive
import Outages

/// Draws a series' visible IPv4 prefixes over time into a PNG (RFC 2083): the series as a
/// blue line over a grid, outages shaded red and instability yellow, as Dyn's charts
/// showed them. Labels are not drawn; the PNG's tEXt chunk names the country and period.
public struct TimelineChart {
    let bins: [SeriesBin]
    let events: [Event]
    let width = 1000, height = 360, margin = 20
    private var pixels: [UInt8]

    public init(rows: [TimelineRow], events: [Event]) {
        self.bins = rows.map(\.ipv4)
        self.events = events
        pixels = [UInt8](repeating: 255, count: 1000 * 360 * 3)
    }

    private mutating func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (UInt8, UInt8, UInt8)) {
        for y in max(0, y0)..<min(height, y1) {
            for x in max(0, x0)..<min(width, x1) {
                let i = (y * width + x) * 3
                pixels[i] = c.0
                pixels[i + 1] = c.1
                pixels[i + 2] = c.2
            }
        }
    }

    private mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: (UInt8, UInt8, UInt8)) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in 0...steps {
            let x = x0 + (x1 - x0) * s / steps, y = y0 + (y1 - y0) * s / steps
            fill(x - 1, y - 1, x + 1, y + 1, c)
        }
    }

    public func write(to path: String) throws {
        var chart = self
        chart.draw()
        let out = try OutputFile(path: path, compression: .none)
        let bytes = chart.encode()
        try bytes.withUnsafeBytes { try out.write($0) }
        try out.close()
    }

    private mutating func draw() {
        guard let first = bins.first?.time, let last = bins.last?.time else { return }
        let span = Double(max(1, last - first))
        let top = Double(max(1, bins.map(\.visiblePrefixes).max() ?? 1)) * 1.1
        let plotW = width - 2 * margin, plotH = height - 2 * margin
        func x(_ t: UInt32) -> Int { margin + Int(Double(Int64(t) - Int64(first)) / span * Double(plotW)) }
        func y(_ v: Int) -> Int { margin + plotH - Int(Double(v) / top * Double(plotH)) }
        for e in events {
            let end = e.end ?? last
            guard end >= first, e.start <= last else { continue }
            let color: (UInt8, UInt8, UInt8) = e.kind == .outage ? (250, 200, 200) : (250, 240, 180)
            fill(x(max(e.start, first)), margin, max(x(min(end, last)), x(max(e.start, first)) + 2), margin + plotH, color)
        }
        for g in 0...4 { fill(margin, margin + plotH * g / 4, margin + plotW, margin + plotH * g / 4 + 1, (220, 220, 220)) }
        fill(margin, margin + plotH, margin + plotW, margin + plotH + 1, (120, 120, 120))
        fill(margin, margin, margin + 1, margin + plotH, (120, 120, 120))
        for (a, b) in zip(bins, bins.dropFirst()) {
            line(x(a.time), y(a.visiblePrefixes), x(b.time), y(a.visiblePrefixes), (30, 80, 200))
            line(x(b.time), y(a.visiblePrefixes), x(b.time), y(b.visiblePrefixes), (30, 80, 200))
        }
    }

    private func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let n = UInt32(data.count)
        out += [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        let body = Array(type.utf8) + data
        out += body
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        out += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        return out
    }

    private func encode() -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * 3 + 1))
        for row in 0..<height {
            raw.append(0)  // filter: none
            raw += pixels[(row * width * 3)..<((row + 1) * width * 3)]
        }
        var size = compressBound(uLong(raw.count))
        var packed = [UInt8](repeating: 0, count: Int(size))
        _ = packed.withUnsafeMutableBufferPointer { p in
            raw.withUnsafeBufferPointer { compress2(p.baseAddress, &size, $0.baseAddress, uLong($0.count), 6) }
        }
        packed.removeLast(packed.count - Int(size))
        func be(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", be(width) + be(height) + [8, 2, 0, 0, 0])
        let title = "Title\u{0}" + (bins.first.map { "visible prefixes from \(utcMinute($0.time)) UTC" } ?? "")
        png += chunk("tEXt", Array(title.utf8))
        png += chunk("IDAT", packed)
        png += chunk("IEND", [])
        return png
    }
}
