/// The response schemas of the OpenAPI document (JSON Schema as OpenAPI 3.0 writes it).
/// Field names are the API's contract: the issue's, and those `blackout events --json` and
/// `blackout country --json` print.
enum OpenAPISchemas {
    static let time = #"{"type":"string","format":"date-time"}"#
    static let nullableTime = #"{"type":"string","format":"date-time","nullable":true}"#
    static let count = #"{"type":"integer","minimum":0}"#
    static let asn = #"{"type":"integer","minimum":1,"maximum":4294967295}"#
    static let asns = #"{"type":"array","items":\#(asn)}"#
    static let strings = #"{"type":"array","items":{"type":"string"}}"#
    static let country = #"{"type":"string","pattern":"^[A-Z]{2}$"}"#
    static let nullableCountry = #"{"type":"string","pattern":"^[A-Z]{2}$","nullable":true}"#
    static let number = #"{"type":"number"}"#
    static let nullableString = #"{"type":"string","nullable":true}"#

    static func object(_ properties: [(String, String)], required: [String]? = nil) -> String {
        let names = required ?? properties.map(\.0)
        return #"{"type":"object","required":[\#(names.map { "\"\($0)\"" }.joined(separator: ","))],"properties":{"#
            + properties.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}}"
    }

    static func array(_ schema: String) -> String { "{\"type\":\"array\",\"items\":\(OpenAPIDocument.ref(schema))}" }

    static let schemas: [(String, String)] = [
        ("Error", object([("error", #"{"type":"string"}"#)])),
        ("Health", object([("status", #"{"type":"string","enum":["ok"]}"#), ("latest_data", nullableTime), ("countries", count),
                           ("events_open", count), ("files", count), ("elements", count)])),
        ("CountrySummary", object([("country", country), ("name", nullableString), ("prefixes", count), ("slash24s", number),
                                   ("ipv6_prefixes", count), ("risk", #"{"type":"string"}"#), ("open_events", count),
                                   ("origins", count), ("providers", count), ("time", time)])),
        ("CountryList", object([("countries", array("CountrySummary")), ("time", nullableTime)])),
        ("Provider", object([("asn", asn), ("name", nullableString), ("country", nullableCountry), ("prefixes", count),
                             ("prefix_paths", count), ("address_share", number), ("dependence", number)])),
        ("Origin", object([("asn", asn), ("name", nullableString), ("prefixes", count), ("providers", asns)])),
        ("Country", object([("country", country), ("name", nullableString), ("prefixes", count), ("slash24s", number),
                            ("ipv6_prefixes", count), ("origin_asns", asns), ("peers", count), ("providers", array("Provider")),
                            ("frontier_asns", asns), ("risk", #"{"type":"string"}"#), ("origins", array("Origin")),
                            ("census_time", time), ("open_events", count), ("events", array("Event"))],
                           required: ["country", "name", "open_events", "events"])),
        ("Event", object([("id", #"{"type":"integer"}"#), ("country", nullableCountry),
                          ("asn", #"{"type":"integer","minimum":1,"maximum":4294967295,"nullable":true}"#),
                          ("family", #"{"type":"string","enum":["ipv4","ipv6"]}"#),
                          ("kind", #"{"type":"string","enum":["outage","instability"]}"#), ("severity", #"{"type":"string"}"#),
                          ("start", time), ("end", nullableTime), ("ongoing", #"{"type":"boolean"}"#), ("duration_seconds", count),
                          ("fraction_lost", number), ("baseline", number), ("prefixes_lost", strings),
                          ("origins_affected", asns), ("origins_unaffected", asns), ("providers_lost", asns), ("peers", strings),
                          ("collectors", strings), ("flaps", count), ("dips", count), ("summary", #"{"type":"string"}"#)])),
        ("EventPage", object([("events", array("Event")), ("next", nullableString)])),
        ("Point", object([("time", time), ("visible", count), ("slash24s", number), ("visible6", count), ("slash48s", number),
                          ("announcements", count), ("withdrawals", count), ("path_changes", count), ("flaps", count),
                          ("unstable_prefixes", count), ("announcements6", count), ("withdrawals6", count),
                          ("path_changes6", count), ("flaps6", count), ("full_feed_peers", count), ("peers", count),
                          ("collectors", count)])),
        ("CountryTimeline", object([("country", country), ("bin", #"{"type":"integer","enum":[300,3600,86400]}"#), ("from", time),
                                    ("to", time), ("points", array("Point")), ("events", array("Event"))])),
        ("ASNTimeline", object([("asn", asn), ("bin", #"{"type":"integer","enum":[300,3600,86400]}"#), ("from", time), ("to", time),
                                ("points", array("Point")), ("events", array("Event"))])),
        ("ASNCountry", object([("country", country), ("prefixes", count), ("providers", asns)])),
        ("ASN", object([("asn", asn), ("name", nullableString), ("country", nullableCountry), ("prefixes", count), ("providers", asns),
                        ("countries", array("ASNCountry")), ("events", array("Event"))])),
        ("RetryResult", object([("retried", count)])),
    ]

    static var all: String { schemas.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") }
}
