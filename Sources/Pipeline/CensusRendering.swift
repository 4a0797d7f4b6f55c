import Connectivity
import MRT
import Registry

/// The renderings of census reports: one place for each format, so that the command line
/// and a server print the same bytes.
///
/// - JSON: `json(_:into:)` for one country's object, `json(_:into:)` of an array for the
///   ranking (`blackout country --json`, `blackout countries --json`).
/// - CSV: `csv(_:into:)`, a header line and one row per country, ranked from 1.
/// - Text: `table(_:census:into:)` for the ranking, `text(_:into:)` for one country.
///
/// A country code is printed only when it is two letters A-Z (`code(_:)`): no country
/// (raw value 0) or any other raw value renders as `null` in JSON, an empty field in CSV
/// and `--` in text, never as its raw bytes.
public enum CensusRendering {
    // MARK: JSON

    /// One country's report as a JSON object (no line end). Written straight into the sink
    /// (numbers as digits, names escaped byte by byte): every save renders every country.
    public static func json(_ r: CountryReport, into s: ByteSink) {
        s.append("{\"country\":")
        s.append(jsonCountry(r.country))
        s.append(",\"prefixes\":")
        s.appendDecimal(UInt64(r.prefixes))
        s.append(",\"slash24s\":")
        s.append(number(r.slash24s))
        s.append(",\"ipv6_prefixes\":")
        s.appendDecimal(UInt64(r.ipv6Prefixes))
        s.append(",\"origin_asns\":[")
        list(r.originASNs, into: s)
        s.append("],\"peers\":")
        s.appendDecimal(UInt64(r.peers))
        s.append(",\"providers\":[")
        for (i, p) in r.providers.enumerated() {
            if i > 0 { s.append(",") }
            s.append("{\"asn\":")
            s.appendDecimal(p.asn)
            s.append(",\"name\":")
            jsonString(p.name, into: s)
            s.append(",\"country\":")
            s.append(jsonCountry(p.country))
            s.append(",\"prefixes\":")
            s.appendDecimal(UInt64(p.prefixes))
            s.append(",\"prefix_paths\":")
            s.appendDecimal(UInt64(p.prefixPaths))
            s.append(",\"address_share\":")
            s.append(number(p.addressShare))
            s.append(",\"dependence\":")
            s.append(number(p.dependence))
            s.append("}")
        }
        s.append("],\"frontier_asns\":[")
        list(r.frontierASNs, into: s)
        s.append("],\"risk\":\"")
        s.append(r.risk.rawValue)
        s.append("\",\"origins\":[")
        for (i, o) in r.origins.enumerated() {
            if i > 0 { s.append(",") }
            s.append("{\"asn\":")
            s.appendDecimal(o.asn)
            s.append(",\"name\":")
            jsonString(o.name, into: s)
            s.append(",\"prefixes\":")
            s.appendDecimal(UInt64(o.prefixes))
            s.append(",\"providers\":[")
            list(o.providers, into: s)
            s.append("]}")
        }
        s.append("]}")
    }

    /// Countries' reports as a JSON array, one object a line, and a line end.
    public static func json(_ reports: some Sequence<CountryReport>, into s: ByteSink) {
        s.append("[")
        for (i, r) in reports.enumerated() {
            if i > 0 { s.append(",\n") }
            json(r, into: s)
        }
        s.append("]\n")
    }

    // MARK: CSV

    public static let csvHeader =
        "rank,country,prefixes,slash24s,ipv6_prefixes,origin_asns,peers,providers,top_provider,top_provider_dependence,frontier_asns,risk\n"

    /// One CSV row (with its line end) of the country ranked `rank`.
    public static func csvRow(_ r: CountryReport, rank: Int) -> String {
        let top = r.providers.first
        return "\(rank),\(code(r.country) ?? ""),\(r.prefixes),\(number(r.slash24s)),\(r.ipv6Prefixes),"
            + "\(r.originASNs.count),\(r.peers),\(r.providers.count),\(top.map { String($0.asn) } ?? ""),"
            + "\(top.map { number($0.dependence) } ?? ""),\(r.frontierASNs.count),\(r.risk.rawValue)\n"
    }

    /// The header line and one row per report, ranked from 1 in the order given.
    public static func csv(_ reports: some Sequence<CountryReport>, into s: ByteSink) {
        s.append(csvHeader)
        for (i, r) in reports.enumerated() { s.append(csvRow(r, rank: i + 1)) }
    }

    // MARK: Text

    public static let tableHeader =
        "#   CC   prefixes     /24s    v6 origins frontier  risk        top international providers (share of prefixes)\n"

    /// One table row (with its line end) of the country ranked `rank`.
    public static func tableRow(_ r: CountryReport, rank: Int) -> String {
        let providers = r.providers.prefix(3)
            .map { "AS\($0.asn) \(percent(Double($0.prefixes) / Double(max(1, r.prefixes + r.ipv6Prefixes))))" }
            .joined(separator: ", ")
        return pad("\(rank)", 4) + pad(textCountry(r.country), 4) + pad("\(r.prefixes)", 9, right: true)
            + pad(number(r.slash24s), 11, right: true) + pad("\(r.ipv6Prefixes)", 6, right: true)
            + pad("\(r.originASNs.count)", 8, right: true) + pad("\(r.frontierASNs.count)", 9, right: true)
            + "  " + pad(r.risk.rawValue, 12) + providers + "\n"
    }

    /// The ranking as a table: header, one row per report (ranked from 1 in the order
    /// given, e.g. the first N of `census.countries`) and a summary line of the census.
    public static func table(_ reports: some Sequence<CountryReport>, census: Census, into s: ByteSink) {
        s.append(tableHeader)
        for (i, r) in reports.enumerated() { s.append(tableRow(r, rank: i + 1)) }
        s.append("\(census.countries.count) countries; \(census.visiblePrefixes) of \(census.prefixes) prefixes visible; "
                 + "\(census.fullFeedPeers) of \(census.peers) peers full-feed\n")
    }

    /// One country's report as text, with its last line end.
    public static func text(_ r: CountryReport) -> String {
        let frontiers = r.frontierASNs.count
        var out = """
            \(textCountry(r.country)): \(r.prefixes) IPv4 prefixes (\(number(r.slash24s)) /24 equivalents), \
            \(r.ipv6Prefixes) IPv6 prefixes, \(r.originASNs.count) origin ASes, seen by \(r.peers) full-feed peers
            risk: \(r.risk.rawValue) (\(frontiers) frontier AS\(frontiers == 1 ? "" : "es") with a direct international provider)

            international providers:
            """
        out += "\n"
        for p in r.providers {
            out += "  AS\(p.asn)\(p.name.map { " \($0)" } ?? "")" + (code(p.country).map { " [\($0)]" } ?? "")
                + ": \(p.prefixes) prefixes, \(p.prefixPaths) paths, \(percent(p.addressShare)) of address space, "
                + "dependence \(percent(p.dependence))\n"
        }
        if r.providers.isEmpty { out += "  (none observed)\n" }
        out += "frontier ASes: \(r.frontierASNs.map { "AS\($0)" }.joined(separator: " "))\n\norigin ASes:\n"
        for o in r.origins {
            out += "  AS\(o.asn)\(o.name.map { " \($0)" } ?? ""): \(o.prefixes) prefixes; providers \(o.providers.map { "AS\($0)" }.joined(separator: " "))\n"
        }
        return out
    }

    /// One country's report as text, into `s`.
    public static func text(_ r: CountryReport, into s: ByteSink) { s.append(text(r)) }

    // MARK: Pieces

    /// The two letters of a country code; nil for no country (nil or raw value 0) and for
    /// any raw value that is not two letters A-Z, so that no raw bytes are ever printed.
    public static func code(_ cc: CountryCode?) -> String? {
        guard let cc else { return nil }
        let a = UInt8(truncatingIfNeeded: cc.rawValue >> 8), b = UInt8(truncatingIfNeeded: cc.rawValue)
        guard (65...90).contains(a), (65...90).contains(b) else { return nil }
        return cc.description
    }

    /// A country code as a JSON value: a string, or `null` for no country.
    static func jsonCountry(_ cc: CountryCode?) -> String {
        code(cc).map { "\"\($0)\"" } ?? "null"
    }

    /// A country code in text: its letters, or `--` for no country.
    static func textCountry(_ cc: CountryCode?) -> String { code(cc) ?? "--" }

    /// A whole number without a fraction; otherwise rounded to 4 decimals.
    static func number(_ v: Double) -> String {
        if v == v.rounded() { return String(Int(v)) }
        let scaled = (v * 10_000).rounded() / 10_000
        return "\(scaled)"
    }

    /// A share as a percentage with at most one decimal.
    static func percent(_ v: Double) -> String {
        let p = (v * 1000).rounded() / 10
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }

    /// ASNs separated by commas, into `s`.
    static func list(_ asns: [UInt32], into s: ByteSink) {
        for (i, a) in asns.enumerated() {
            if i > 0 { s.append(",") }
            s.appendDecimal(a)
        }
    }

    /// A JSON string, or `null` for nil, into `sink`: the bytes `EventRendering.string` gives
    /// (quote, backslash, line feed and tab escaped as such, other controls as `\u00XX`, the
    /// rest as UTF-8), without building a string.
    static func jsonString(_ s: String?, into sink: ByteSink) {
        guard var s else { return sink.append("null") }
        sink.append("\"")
        s.withUTF8 { bytes in
            var start = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                if i > start { sink.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<i]))) }
                start = i + 1
                switch b {
                case 0x22: sink.append("\\\"")
                case 0x5C: sink.append("\\\\")
                case 0x0A: sink.append("\\n")
                case 0x09: sink.append("\\t")
                default: sink.append("\\u00" + (b < 16 ? "0" : "") + String(b, radix: 16))
                }
            }
            if bytes.count > start { sink.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start...]))) }
        }
        sink.append("\"")
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = max(0, width - s.count)
        return right ? String(repeating: " ", count: n) + s : s + String(repeating: " ", count: n)
    }
}
