import Connectivity
import MRT
import Outages
import Registry

/// `watch`'s output: per country its census, its events and a one-line summary, as text or as
/// one JSON object `{"census": [...], "events": [...]}` with the census and events commands'
/// field names (the renderings are theirs: `CensusRendering`, `EventRendering`).
public enum WatchRendering {
    /// "KP: 4 IPv4 prefixes, 1 origin AS, providers AS4837 (100%); risk severe. 1 outage (complete, 2014-12-22 16:15 UTC,
    /// 9h30m), 1 instability."
    public static func summary(_ cc: CountryCode, census: CountryReport?, events: [Event]) -> String {
        var parts: [String] = []
        if let r = census {
            let providers = r.providers.prefix(3).map { "AS\($0.asn)\($0.name.map { " \($0.split(separator: " ").first ?? "")" } ?? "") (\(percent($0.dependence)))" }
            parts.append("\(r.prefixes) IPv4 prefixes, \(r.originASNs.count) origin AS\(r.originASNs.count == 1 ? "" : "es"), "
                + (providers.isEmpty ? "no international provider seen" : "international providers \(providers.joined(separator: ", "))")
                + "; risk \(r.risk.rawValue)")
        }
        let outages = events.filter { $0.kind == .outage && $0.asn == nil }
        let unstable = events.filter { $0.kind == .instability && $0.asn == nil }
        if outages.isEmpty && unstable.isEmpty {
            parts.append("no outage or instability")
        } else {
            var e: [String] = []
            if !outages.isEmpty {
                e.append("\(outages.count) outage\(outages.count == 1 ? "" : "s") ("
                    + outages.map { "\($0.severity.rawValue) from \(utcMinute($0.start)) UTC, \($0.end.map { "ended \(utcMinute($0)) UTC" } ?? "ongoing")" }
                        .joined(separator: "; ") + ")")
            }
            if !unstable.isEmpty {
                e.append("\(unstable.count) instability event\(unstable.count == 1 ? "" : "s") (first from \(utcMinute(unstable[0].start)) UTC)")
            }
            parts.append(e.joined(separator: ", "))
        }
        return "\(cc): " + parts.joined(separator: ". ") + "."
    }

    /// The report as text: per country its census, its events and its summary.
    public static func text(_ report: WatchReport) -> String {
        var out = ""
        for c in report.countries {
            out += "== \(c.country) ==\n"
            if let census = c.census { out += CensusRendering.text(census) + "\n" }
            out += c.events.isEmpty ? "events: none\n" : "events:\n" + c.events.map { "  \($0.summary)\n" }.joined()
            out += "\nsummary: \(c.summary)\n\n"
        }
        if !report.asnEvents.isEmpty {
            out += "== origin ASes ==\n" + report.asnEvents.map { "  \($0.summary)\n" }.joined() + "\n"
        }
        return out
    }

    /// The report as one JSON object: `census` (one object per country, the census command's
    /// fields, plus `summary`), `events` (the events command's objects: the countries' and
    /// the ASes' asked for, each once).
    public static func json(_ report: WatchReport) -> String {
        let census = report.countries.map { c -> String in
            let body: String
            if let r = c.census {
                let sink = ByteSink(capacity: 4096)
                CensusRendering.json(r, into: sink)
                body = String(decoding: sink.bytes, as: UTF8.self)
            } else {
                body = "{\"country\":\"\(c.country)\"}"
            }
            // The summary joins the census command's fields.
            return String(body.dropLast()) + ",\"summary\":\(EventRendering.string(c.summary))}"
        }
        var seen: Set<String> = []
        let events = (report.countries.flatMap(\.events) + report.asnEvents).filter { seen.insert($0.key).inserted }
        return "{\"census\":[" + census.joined(separator: ",\n") + "],\n\"events\":" + EventRendering.json(events) + "}"
    }

    static func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
}
