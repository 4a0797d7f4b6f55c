import Hummingbird
import Outages
import Pipeline
import Registry
import Store

/// The dashboard, served by `blackout serve` beside the API: its pages (`/`,
/// `/countries/{cc}`, `/asns/{asn}`), its files (`/assets/{name}`) and the charts its pages
/// insert (`/api/v1/countries/{cc}/chart.svg`, `/api/v1/asns/{asn}/chart.svg`), drawn by the
/// one chart renderer (`TimelineChart`, as `blackout timeline --svg` draws them).
///
/// Added to the server as an extension of its route table:
/// `BlackoutServer.router(..., extensions: [DashboardRoutes.routes(assets)])`, or
/// `DashboardRoutes.routes(try .bundled())` for the package's own files.
public enum DashboardRoutes {
    /// The routes, over `assets` (read once, served from memory).
    public static func routes(_ assets: DashboardAssets) -> ServerRoutes {
        { store in
            let api = API(store: APIStore(store: store, openWriter: { throw APIError(.serviceUnavailable, "the dashboard changes nothing") }),
                          token: nil, metrics: ServerMetrics())
            return pages(assets, api: api) + charts(api: api)
        }
    }

    /// The pages and their files.
    static func pages(_ assets: DashboardAssets, api: API) -> [APIRoute] {
        let name = APIParameter("name", in: .path, "A file of the dashboard, such as dashboard.css")
        @Sendable func page(_ file: String, _ request: Request) throws -> Response {
            guard let r = assets.response(file, for: request, caching: .revalidate) else {
                throw APIError(.internalServerError, "the dashboard's \(file) is missing from the server's resources")
            }
            return r
        }
        return [
            APIRoute(.get, "/", operationID: "dashboard", summary: "The dashboard: every country with routed networks, open events first",
                     schema: nil, contentType: "text/html", errors: []) { request, _ in try page("index.html", request) },
            APIRoute(.get, "/countries/{cc}", operationID: "dashboardCountry",
                     summary: "The dashboard's page of a country: its chart over time, events with evidence, providers, origins",
                     parameters: [APIRoutes.country], schema: nil, contentType: "text/html", errors: [404]) { request, context in
                let text = try context.parameters.require("cc")
                // The page exists when the API has the country (the API's rule: a census or bins).
                do { _ = try api.country(text) } catch let e as APIError where e.status == .badRequest || e.status == .notFound {
                    return assets.notFoundPage("No country \(text) in this store: \(e.message).")
                }
                if text != text.uppercased() { return redirect("/countries/\(text.uppercased())") }
                return try page("country.html", request)
            },
            APIRoute(.get, "/asns/{asn}", operationID: "dashboardASN",
                     summary: "The dashboard's page of an origin AS: its chart over time, events, providers",
                     parameters: [APIRoutes.asn], schema: nil, contentType: "text/html", errors: [404]) { request, context in
                let text = try context.parameters.require("asn")
                do { _ = try api.asn(text) } catch let e as APIError where e.status == .badRequest || e.status == .notFound {
                    return assets.notFoundPage("No AS \(text) in this store: \(e.message).")
                }
                let asn = try QueryParameters.asn(text, parameter: "AS number")
                if text != String(asn) { return redirect("/asns/\(asn)") }
                return try page("asn.html", request)
            },
            APIRoute(.get, "/assets/{name}", operationID: "dashboardAsset", summary: "The dashboard's stylesheet, scripts and icons",
                     parameters: [name], schema: nil, contentType: "text/css", errors: [404]) { request, context in
                // Looked up by exact name among the files read at start: never a path on disk.
                let file = try context.parameters.require("name")
                guard !file.hasSuffix(".html"), let r = assets.response(file, for: request, caching: .shortLived) else {
                    throw APIError.notFound("no such file of the dashboard: \(file.prefix(100))")
                }
                return r
            },
        ]
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .movedPermanently, headers: [.location: location, .cacheControl: "no-cache"])
    }

    /// The charts: SVG drawn by the one renderer.
    static func charts(api: API) -> [APIRoute] {
        let parameters = [APIRoutes.from, APIRoutes.to, APIRoutes.bin,
                          APIParameter("width", in: .query, "Width in pixels, 320...2400 (default 960)",
                                       schema: #"{"type":"integer","minimum":320,"maximum":2400}"#),
                          APIParameter("height", in: .query, "Height in pixels, 240...1600 (default 420)",
                                       schema: #"{"type":"integer","minimum":240,"maximum":1600}"#)]
        return [
            APIRoute(.get, "/api/v1/countries/{cc}/chart.svg", operationID: "countryChart",
                     summary: "A country's chart (SVG): visible IPv4 prefixes, /24s and IPv6 prefixes over the timeline's range and bins, its events shaded",
                     parameters: [APIRoutes.country] + parameters, schema: nil, contentType: "image/svg+xml", errors: [400, 404, 503]) { request, context in
                let text = try context.parameters.require("cc")
                let cc = try QueryParameters.country(text, parameter: "country code", store: api.store)
                return try DashboardChart.response(.country(cc), title: DashboardChart.title(name: API.name(cc)).map { "\($0) (\(cc))" } ?? "\(cc)",
                                                   short: "\(cc)", QueryParameters(request), store: api.store)
            },
            APIRoute(.get, "/api/v1/asns/{asn}/chart.svg", operationID: "asnChart",
                     summary: "An origin AS's chart (SVG): visible IPv4 prefixes, /24s and IPv6 prefixes over the timeline's range and bins, its events shaded",
                     parameters: [APIRoutes.asn] + parameters, schema: nil, contentType: "image/svg+xml", errors: [400, 404, 503]) { request, context in
                let asn = try QueryParameters.asn(try context.parameters.require("asn"), parameter: "AS number")
                let name = DashboardChart.title(name: try api.store.originIndex()[asn]?.first?.name)
                return try DashboardChart.response(.asn(asn), title: name.map { "AS\(asn) \($0)" } ?? "AS\(asn)", short: "AS\(asn)",
                                                   QueryParameters(request), store: api.store)
            },
        ]
    }
}
