import Registry

/// The bytes of an SVG document as it is written: appends of text, numbers, coordinates and
/// times without intermediate strings, so that a day of bins (900 points with their
/// tooltips) is written in about a millisecond. The date of a day is computed once.
struct SVGText {
    private(set) var bytes: [UInt8] = []
    private var day: UInt32 = .max
    private var date: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    static func += (out: inout SVGText, text: String) { out.bytes.append(contentsOf: text.utf8) }

    mutating func append(contentsOf other: SVGText) { bytes.append(contentsOf: other.bytes) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A whole number.
    mutating func int(_ v: Int) {
        if v < 0 {
            bytes.append(UInt8(ascii: "-"))
            int(-v)
            return
        }
        if v >= 10 { int(v / 10) }
        bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
    }

    /// A coordinate with at most one decimal (`12`, `12.5`).
    mutating func fixed(_ v: Double) {
        let tenths = Int((v * 10).rounded())
        if tenths < 0 { bytes.append(UInt8(ascii: "-")) }
        int(abs(tenths) / 10)
        if tenths % 10 != 0 {
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0") + UInt8(abs(tenths) % 10))
        }
    }

    /// A data value: whole numbers as such, others in Swift's shortest form.
    mutating func value(_ v: Double) {
        if v == v.rounded() && abs(v) < 1e15 { int(Int(v)) } else { self += "\(v)" }
    }

    /// `2014-12-22T16:15:00Z` (RFC 3339), as `EventRendering.iso` writes it.
    mutating func iso(_ t: UInt32) {
        dateOf(t)
        bytes.append(UInt8(ascii: "T"))
        clock(t, seconds: true)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// `2014-12-22 16:15`, as `utcMinute` writes it.
    mutating func minute(_ t: UInt32) {
        dateOf(t)
        bytes.append(UInt8(ascii: " "))
        clock(t, seconds: false)
    }

    private mutating func dateOf(_ t: UInt32) {
        if t / 86_400 != day {
            day = t / 86_400
            date = Array(ChartTicks.date(t).utf8)
        }
        bytes.append(contentsOf: date)
    }

    private mutating func clock(_ t: UInt32, seconds: Bool) {
        let s = Int(t % 86_400)
        two(s / 3600)
        bytes.append(UInt8(ascii: ":"))
        two(s / 60 % 60)
        if seconds {
            bytes.append(UInt8(ascii: ":"))
            two(s % 60)
        }
    }

    private mutating func two(_ v: Int) {
        bytes.append(UInt8(ascii: "0") + UInt8(v / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
    }

    /// Text or an attribute value with XML's five special characters escaped.
    mutating func escaped(_ s: String) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "\""): append("&quot;")
            case UInt8(ascii: "'"): append("&apos;")
            default: bytes.append(b)
            }
        }
    }
}
