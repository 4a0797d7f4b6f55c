import Foundation
import Hummingbird
import Outages
import Pipeline
import Registry
import Store

/// The API's handlers: each reads the store through `APIStore` and answers JSON, or throws
/// an `APIError`.
struct API: Sendable {
    let store: APIStore
    /// The bearer token state-changing routes need; nil: they answer 503.
    let token: String?
    let metrics: ServerMetrics

    /// The name of a country: ISO 3166-1's English short name, if it assigns the code.
    static func name(_ cc: CountryCode) -> String? { CountryNames.names[cc.description] }

    /// An event as `blackout events --json` prints it, with its row's id first.
    static func json(_ e: StoredEvent) -> String { "{\"id\":\(e.id)," + EventRendering.json(e.event).dropFirst() }

    static func json(_ events: [StoredEvent]) -> String { "[" + events.map(json).joined(separator: ",") + "]" }

    func health() throws -> Response {
        let totals = try store.store.totals()
        return JSONResponse.make("{\"status\":\"ok\",\"latest_data\":\(JSONResponse.time(totals.latestData)),"
                                 + "\"countries\":\(totals.censusCountries),\"events_open\":\(totals.openEvents),"
                                 + "\"files\":\(totals.files),\"elements\":\(totals.elements)}")
    }

    func countries() throws -> Response {
        JSONResponse.make(try store.cached("countries") {
            let censuses = try store.store.censuses()
            let open = try store.store.openEventCounts()
            let rows = censuses.map { c in
                "{\"country\":\"\(c.country)\",\"name\":\(JSONResponse.optional(Self.name(c.country))),\"prefixes\":\(c.prefixes),"
                    + "\"slash24s\":\(EventRendering.number(c.slash24s)),\"ipv6_prefixes\":\(c.ipv6Prefixes),"
                    + "\"risk\":\(EventRendering.string(c.risk)),\"open_events\":\(open[c.country] ?? 0),\"origins\":\(c.origins),"
                    + "\"providers\":\(c.providers),\"time\":\(JSONResponse.time(c.time))}"
            }
            return "{\"countries\":[" + rows.joined(separator: ",\n") + "],\"time\":\(JSONResponse.time(censuses.map(\.time).max()))}"
        })
    }

    /// The stored census object, with the name, the census time, the open events and the
    /// recent events added; without a census (bins only), the name and events alone.
    func country(_ text: String) throws -> Response {
        let cc = try QueryParameters.country(text, parameter: "country code", store: store)
        return JSONResponse.make(try store.cached("country \(cc)") {
            let census = try store.store.census(cc)
            let hasSeries = try store.store.hasSeries(.country(cc))
            guard census != nil || hasSeries else {
                throw APIError.notFound("no data for \(cc) (\(Self.name(cc) ?? "no ISO 3166-1 name")) in the store")
            }
            let events = try store.store.events(EventQuery(country: cc), after: nil, limit: 50)
            let open = try store.store.openEventCounts()[cc] ?? 0
            var added = "\"name\":\(JSONResponse.optional(Self.name(cc))),\"open_events\":\(open),\"events\":\(Self.json(events))"
            guard let census else { return "{\"country\":\"\(cc)\"," + added + "}" }
            added += ",\"census_time\":\(JSONResponse.time(census.time))"
            let object = census.json.trimmingCharacters(in: .whitespacesAndNewlines)
            guard object.hasPrefix("{"), object.hasSuffix("}") else {
                throw StoreError(path: "census", "the stored census of \(cc) is not a JSON object")
            }
            return object.dropLast() + (object == "{}" ? "" : ",") + added + "}"
        })
    }

    func asn(_ text: String) throws -> Response {
        let asn = try QueryParameters.asn(text, parameter: "AS number")
        return JSONResponse.make(try store.cached("asn \(asn)") {
            let entries = (try store.originIndex()[asn] ?? []).sorted { ($0.prefixes, $1.country) > ($1.prefixes, $0.country) }
            let hasSeries = try store.store.hasSeries(.asn(asn))
            guard !entries.isEmpty || hasSeries else { throw APIError.notFound("no data for AS\(asn) (not an origin in the stored data)") }
            let events = try store.store.events(EventQuery(asn: asn), after: nil, limit: 50)
            var prefixes = entries.reduce(0) { $0 + $1.prefixes }
            if entries.isEmpty, let t = try store.store.latestBinTime(SeriesID(.asn(asn), .ipv4)) {
                // Not in the census: its latest stored row.
                prefixes = try store.store.bins(SeriesID(.asn(asn), .ipv4), from: t, to: nil).last?.visiblePrefixes ?? 0
            }
            let main = entries.first
            let providers = Array(Set(entries.flatMap(\.providers))).sorted()
            let countries = entries.map { e in
                "{\"country\":\"\(e.country)\",\"prefixes\":\(e.prefixes),\"providers\":[\(e.providers.map(String.init).joined(separator: ","))]}"
            }
            return "{\"asn\":\(asn),\"name\":\(JSONResponse.optional(main?.name)),"
                + "\"country\":\(main.map { "\"\($0.country)\"" } ?? "null"),\"prefixes\":\(prefixes),"
                + "\"providers\":[\(providers.map(String.init).joined(separator: ","))],\"countries\":[\(countries.joined(separator: ","))],"
                + "\"events\":\(Self.json(events))}"
        })
    }

    func events(_ q: QueryParameters) throws -> Response {
        let (from, to) = try q.period()
        let query = EventQuery(country: try q.country("country", store: store), asn: try q.asn("asn"), kind: try q.kind(),
                               family: try q.family(), from: from, to: to)
        let limit = try q.integer("limit", in: 1...1000) ?? 100
        let cursor = try q.string("cursor").map(EventPageCursor.decode)
        // One more than a page: whether there is a next page at all.
        var page = try store.store.events(query, after: cursor, limit: limit + 1)
        var next: String?
        if page.count > limit {
            page.removeLast()
            next = page.last.map { EventPageCursor.encode($0.cursor) }
        }
        return JSONResponse.make("{\"events\":\(Self.json(page)),\"next\":\(JSONResponse.optional(next))}")
    }

    func metricsText() throws -> Response {
        let text = try metrics.render(store: store.store)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The cursor of `GET /api/v1/events`: opaque to clients (base64url of the last event's
/// start and id), checked when it comes back.
enum EventPageCursor {
    static func encode(_ c: EventCursor) -> String {
        Data("\(c.start).\(c.id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) throws -> EventCursor {
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.count % 4) % 4)
        guard text.count <= 64, let data = Data(base64Encoded: b64), let s = String(data: data, encoding: .utf8) else {
            throw APIError.badRequest("cursor '\(text.prefix(80))' is not one this server gave (use the next of the previous page)")
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = UInt32(parts[0]), let id = Int64(parts[1]) else {
            throw APIError.badRequest("cursor '\(text.prefix(80))' is not one this server gave (use the next of the previous page)")
        }
        return EventCursor(start: start, id: id)
    }
}
