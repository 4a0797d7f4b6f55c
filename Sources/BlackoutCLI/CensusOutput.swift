import Connectivity
import MRT
import Registry

/// JSON, CSV and text renderings of census reports.
enum CensusOutput {
    static func json(_ r: CountryReport, _ s: ByteSink) {
        s.append("{\"country\":\"\(r.country)\",\"prefixes\":\(r.prefixes),\"slash24s\":\(number(r.slash24s)),")
        s.append("\"ipv6_prefixes\":\(r.ipv6Prefixes),\"origin_asns\":[\(r.originASNs.map(String.init).joined(separator: ","))],")
        s.append("\"peers\":\(r.peers),\"providers\":[")
        s.append(r.providers.map { p in
            "{\"asn\":\(p.asn),\"name\":\(string(p.name)),\"country\":\(string(p.country?.description)),\"prefixes\":\(p.prefixes),"
                + "\"prefix_paths\":\(p.prefixPaths),\"address_share\":\(number(p.addressShare)),\"dependence\":\(number(p.dependence))}"
        }.joined(separator: ","))
        s.append("],\"frontier_asns\":[\(r.frontierASNs.map(String.init).joined(separator: ","))],\"risk\":\"\(r.risk.rawValue)\",")
        s.append("\"origins\":[")
        s.append(r.origins.map { o in
            "{\"asn\":\(o.asn),\"name\":\(string(o.name)),\"prefixes\":\(o.prefixes),\"providers\":[\(o.providers.map(String.init).joined(separator: ","))]}"
        }.joined(separator: ","))
        s.append("]}")
    }

    static let csvHeader = "rank,country,prefixes,slash24s,ipv6_prefixes,origin_asns,peers,providers,top_provider,top_provider_dependence,frontier_asns,risk\n"

    static func csv(_ r: CountryReport, rank: Int) -> String {
        let top = r.providers.first
        return "\(rank),\(r.country),\(r.prefixes),\(number(r.slash24s)),\(r.ipv6Prefixes),\(r.originASNs.count),\(r.peers),"
            + "\(r.providers.count),\(top.map { String($0.asn) } ?? ""),\(top.map { number($0.dependence) } ?? ""),"
            + "\(r.frontierASNs.count),\(r.risk.rawValue)\n"
    }

    static func tableRow(_ r: CountryReport, rank: Int) -> String {
        let providers = r.providers.prefix(3).map { "AS\($0.asn) \(percent(Double($0.prefixes) / Double(max(1, r.prefixes + r.ipv6Prefixes))))" }
            .joined(separator: ", ")
        return pad("\(rank)", 4) + pad(r.country.description, 4) + pad("\(r.prefixes)", 9, right: true)
            + pad(number(r.slash24s), 11, right: true) + pad("\(r.ipv6Prefixes)", 6, right: true)
            + pad("\(r.originASNs.count)", 8, right: true) + pad("\(r.frontierASNs.count)", 9, right: true)
            + "  " + pad(r.risk.rawValue, 12) + providers + "\n"
    }

    static let tableHeader = "#   CC   prefixes     /24s    v6 origins frontier  risk        top international providers (share of prefixes)\n"

    static func text(_ r: CountryReport) -> String {
        var out = """
            \(r.country): \(r.prefixes) IPv4 prefixes (\(number(r.slash24s)) /24 equivalents), \(r.ipv6Prefixes) IPv6 prefixes, \
            \(r.originASNs.count) origin ASes, seen by \(r.peers) full-feed peers
            risk: \(r.risk.rawValue) (\(r.frontierASNs.count) frontier AS\(r.frontierASNs.count == 1 ? "" : "es") with a direct international provider)

            international providers:
            """
        out += "\n"
        for p in r.providers {
            out += "  AS\(p.asn) \(p.name ?? "")" + (p.country.map { " [\($0)]" } ?? "")
                + ": \(p.prefixes) prefixes, \(p.prefixPaths) paths, \(percent(p.addressShare)) of address space, "
                + "dependence \(percent(p.dependence))\n"
        }
        if r.providers.isEmpty { out += "  (none observed)\n" }
        out += "frontier ASes: \(r.frontierASNs.map { "AS\($0)" }.joined(separator: " "))\n\norigin ASes:\n"
        for o in r.origins {
            out += "  AS\(o.asn) \(o.name ?? ""): \(o.prefixes) prefixes; providers \(o.providers.map { "AS\($0)" }.joined(separator: " "))\n"
        }
        return out
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded() { return String(Int(v)) }
        let scaled = (v * 10_000).rounded() / 10_000
        return "\(scaled)"
    }

    static func percent(_ v: Double) -> String {
        let p = (v * 1000).rounded() / 10
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }

    static func string(_ s: String?) -> String {
        guard let s else { return "null" }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += "\\u00" + String(u.value, radix: 16).leftPadded(2) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let n = max(0, width - s.count)
        return right ? String(repeating: " ", count: n) + s : s + String(repeating: " ", count: n)
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
