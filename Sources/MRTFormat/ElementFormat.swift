import MRT

/// A text rendering of route elements, written straight into a byte buffer.
public protocol ElementFormatter {
    /// Text written once before the first element (a header line), if any.
    func writeHeader(to sink: ByteSink)
    /// Appends the element's line(s); may append nothing for elements the format omits.
    func write(_ element: RouteElement, to sink: ByteSink)
}

extension ElementFormatter {
    public func writeHeader(to sink: ByteSink) {}
}

/// The output formats of `blackout dump`.
public enum OutputFormat: String, CaseIterable, Sendable {
    /// Byte for byte what `bgpdump -m` prints.
    case bgpdump
    /// One JSON object per element, with bgpkit-parser's field names.
    case json
    /// bgpkit-parser's pipe-separated format, with its header line.
    case psv

    public func makeFormatter() -> any ElementFormatter {
        switch self {
        case .bgpdump: return BGPDumpFormatter()
        case .json: return JSONFormatter()
        case .psv: return PSVFormatter()
        }
    }
}

extension ByteSink {
    /// A Unix timestamp with microseconds as bgpkit-parser prints its f64: no fraction
    /// when there are no microseconds, otherwise up to six digits without trailing zeros.
    @inlinable
    func appendTimestamp(_ seconds: UInt32, _ micros: UInt32) {
        appendDecimal(seconds)
        if micros == 0 { return }
        append(UInt8(ascii: "."))
        var digits = 6
        var m = micros
        while m % 10 == 0 { m /= 10; digits -= 1 }
        appendDecimal(m, width: digits)
    }

    /// Communities as bgpdump names them: `no-export`, `no-advertise`, `local-AS`, else `asn:value`.
    @inlinable
    func appendCommunity(_ c: Community) {
        switch c.rawValue {
        case 0xFFFF_FF01: append("no-export")
        case 0xFFFF_FF02: append("no-advertise")
        case 0xFFFF_FF03: append("local-AS")
        default:
            appendDecimal(UInt32(c.asn))
            append(UInt8(ascii: ":"))
            appendDecimal(UInt32(c.value))
        }
    }

    @inlinable
    func appendLargeCommunity(_ c: LargeCommunity) {
        appendDecimal(c.global)
        append(UInt8(ascii: ":"))
        appendDecimal(c.local1)
        append(UInt8(ascii: ":"))
        appendDecimal(c.local2)
    }
}
