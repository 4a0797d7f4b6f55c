import Hummingbird

/// The API's routes, the one table the router and the OpenAPI document are built from.
struct APIRoutes {
    let api: API

    static let country = APIParameter("cc", in: .path, "ISO 3166-1 alpha-2 country code, such as KP (either case)",
                                      schema: #"{"type":"string","pattern":"^[A-Za-z]{2}$"}"#)
    static let asn = APIParameter("asn", in: .path, "AS number, 1...4294967295, such as 131279 (or AS131279)",
                                  schema: #"{"type":"string","pattern":"^(AS|as)?[0-9]{1,10}$"}"#)
    static let from = APIParameter("from", in: .query, "Start time: ISO 8601 (2014-12-22T16:15:00Z) or Unix seconds")
    static let to = APIParameter("to", in: .query, "End time (excluded): ISO 8601 or Unix seconds; after from")
    static let bin = APIParameter("bin", in: .query, "Bin width: 5m (stored), 1h or 1d (merged: lowest visibility, summed counts)",
                                  schema: #"{"type":"string","enum":["5m","1h","1d","300","3600","86400"]}"#)
    static let timelineSummary = "Visible prefixes, /24s, IPv6 prefixes and churn per bin, with the events; default range: the last 24 hours of stored data, at most 8928 bins (31 days of 5 minutes)"

    var all: [APIRoute] {
        let api = api
        return [
            APIRoute(.get, "/api/v1/health", operationID: "health", summary: "Status and the store's latest data time",
                     schema: "Health", errors: [503]) { _, _ in try api.health() },
            APIRoute(.get, "/api/v1/countries", operationID: "countries",
                     summary: "Every country of the stored census with its figures and open events",
                     schema: "CountryList", errors: [503]) { _, _ in try api.countries() },
            APIRoute(.get, "/api/v1/countries/{cc}", operationID: "country",
                     summary: "A country's census (as blackout country --json prints it), its name and its recent events (up to 50, newest first)",
                     parameters: [Self.country], schema: "Country", errors: [400, 404, 503]) { _, context in
                try api.country(try context.parameters.require("cc"))
            },
            APIRoute(.get, "/api/v1/countries/{cc}/timeline", operationID: "countryTimeline", summary: "A country's timeline. " + Self.timelineSummary,
                     parameters: [Self.country, Self.from, Self.to, Self.bin], schema: "CountryTimeline", errors: [400, 404, 503]) { request, context in
                try api.countryTimeline(try context.parameters.require("cc"), QueryParameters(request))
            },
            APIRoute(.get, "/api/v1/asns/{asn}", operationID: "asn",
                     summary: "An origin AS: its name, country, prefixes and providers from the census, and its events",
                     parameters: [Self.asn], schema: "ASN", errors: [400, 404, 503]) { _, context in
                try api.asn(try context.parameters.require("asn"))
            },
            APIRoute(.get, "/api/v1/asns/{asn}/timeline", operationID: "asnTimeline", summary: "An origin AS's timeline. " + Self.timelineSummary,
                     parameters: [Self.asn, Self.from, Self.to, Self.bin], schema: "ASNTimeline", errors: [400, 404, 503]) { request, context in
                try api.asnTimeline(try context.parameters.require("asn"), QueryParameters(request))
            },
            APIRoute(.get, "/api/v1/events", operationID: "events",
                     summary: "Events, newest first, a page at a time (follow next as cursor); from and to select those overlapping the range",
                     parameters: [APIParameter("country", in: .query, "Only this country's events (its origin ASes' included)"),
                                  APIParameter("asn", in: .query, "Only this origin AS's events"),
                                  APIParameter("kind", in: .query, "outage or instability", schema: #"{"type":"string","enum":["outage","instability"]}"#),
                                  APIParameter("family", in: .query, "ipv4 or ipv6", schema: #"{"type":"string","enum":["ipv4","ipv6"]}"#),
                                  Self.from, Self.to,
                                  APIParameter("limit", in: .query, "Events per page, 1...1000 (default 100)",
                                               schema: #"{"type":"integer","minimum":1,"maximum":1000}"#),
                                  APIParameter("cursor", in: .query, "The next of the previous page")],
                     schema: "EventPage", errors: [400, 503]) { request, _ in
                try api.events(QueryParameters(request))
            },
            APIRoute(.post, "/api/v1/alerts/retry", operationID: "retryAlerts",
                     summary: "Makes every undelivered webhook alert due now; needs the bearer token of the configuration",
                     schema: "RetryResult", errors: [401, 403, 503], authenticated: true) { request, _ in
                try api.retryAlerts(request)
            },
            APIRoute(.get, "/metrics", operationID: "metrics",
                     summary: "Prometheus text: requests and latencies per route, and what the store holds",
                     schema: nil, contentType: "text/plain", errors: [503]) { _, _ in try api.metricsText() },
        ]
    }
}
