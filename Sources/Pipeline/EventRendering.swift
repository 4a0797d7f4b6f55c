import MRT
import Outages
import Registry

/// Events as JSON and text: the one rendering the command line and the HTTP API share.
/// JSON field names are a contract (README "blackout events").
public enum EventRendering {
    /// `2014-12-22T16:15:00Z`.
    public static func iso(_ t: UInt32) -> String {
        String(utcMinute(t).map { $0 == " " ? "T" : $0 }) + ":" + two(Int(t) % 60) + "Z"
    }

    static func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }

    /// A JSON string literal (RFC 8259 section 7): quotes, backslashes and control characters escaped.
    public static func string(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where c.value < 0x20: out += "\\u00" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16)
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// A number JSON can hold (non-finite values, which the detectors never produce, as null).
    public static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }

    static func numbers(_ xs: [UInt32]) -> String { "[" + xs.map(String.init).joined(separator: ",") + "]" }
    static func strings(_ xs: [String]) -> String { "[" + xs.map(string).joined(separator: ",") + "]" }

    /// One event as a JSON object.
    public static func json(_ e: Event) -> String {
        let end = e.end ?? e.lastSeen
        return "{\"country\":\(e.country.map { "\"\($0)\"" } ?? "null"),\"asn\":\(e.asn.map(String.init) ?? "null"),"
            + "\"family\":\"\(e.family.rawValue)\",\"kind\":\"\(e.kind.rawValue)\",\"severity\":\"\(e.severity.rawValue)\","
            + "\"start\":\"\(iso(e.start))\",\"end\":\(e.end.map { "\"\(iso($0))\"" } ?? "null"),"
            + "\"ongoing\":\(e.end == nil),\"duration_seconds\":\(Int(end) - Int(e.start)),"
            + "\"fraction_lost\":\(number(e.fractionLost)),\"baseline\":\(number(e.baseline)),"
            + "\"prefixes_lost\":\(strings(e.prefixesLost.map(\.description))),"
            + "\"origins_affected\":\(numbers(e.originsAffected)),\"origins_unaffected\":\(numbers(e.originsUnaffected)),"
            + "\"providers_lost\":\(numbers(e.providersLost)),\"peers\":\(strings(e.peers)),"
            + "\"collectors\":\(strings(e.collectors)),\"flaps\":\(e.flaps),\"dips\":\(e.dips),"
            + "\"summary\":\(string(e.summary))}"
    }

    /// Events as a JSON array, one object per line.
    public static func json(_ events: [Event]) -> String { "[" + events.map(json).joined(separator: ",\n") + "]" }

    /// One line per event: its summary.
    public static func text(_ events: [Event]) -> String { events.map { $0.summary + "\n" }.joined() }
}
