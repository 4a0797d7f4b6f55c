import Foundation
import Hummingbird
import Metrics
import Prometheus
import Store

/// `/metrics`: what the server did (requests and latencies per route, through swift-metrics
/// into a Prometheus registry of this server's own) and what the store holds, read from it
/// at each scrape (https://prometheus.io/docs/instrumenting/exposition_formats/).
public final class ServerMetrics: @unchecked Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let series = NSLock()
    private var byRoute: [String: (Metrics.Counter, Metrics.Timer)] = [:]

    static let requests = "blackout_http_requests_total"
    static let duration = "blackout_http_request_duration_seconds"

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Self.duration] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        self.factory = factory
    }

    /// Counts a request and records its latency, by route template (`/api/v1/countries/{cc}`,
    /// so that the series stay few), method and status.
    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, nanoseconds: UInt64) {
        let key = "\(route) \(method) \(status.code)"
        let (counter, timer) = series.withLock {
            if let m = byRoute[key] { return m }
            let dimensions = [("route", route), ("method", method.rawValue), ("status", String(status.code))]
            let m = (Metrics.Counter(label: Self.requests, dimensions: dimensions, factory: factory),
                     Metrics.Timer(label: Self.duration, dimensions: dimensions, factory: factory))
            byRoute[key] = m
            return m
        }
        counter.increment()
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// The Prometheus text, with the store's figures read now.
    func render(store: any Store) throws -> String {
        let t = try store.totals()
        let gauges: [(String, String, Double)] = [
            ("blackout_store_files", "MRT files ingested", Double(t.files)),
            ("blackout_store_elements", "Route elements ingested (of the files stored)", Double(t.elements)),
            ("blackout_store_events", "Events stored", Double(t.events)),
            ("blackout_store_open_events", "Events ongoing", Double(t.openEvents)),
            ("blackout_store_census_countries", "Countries in the stored census", Double(t.censusCountries)),
            ("blackout_store_census_time_seconds", "Unix time of the stored census's routing state (0: none)", Double(t.censusTime ?? 0)),
            ("blackout_store_latest_data_seconds", "Unix time of the latest element the stored state has seen (0: none)",
             Double(t.latestData ?? 0)),
            ("blackout_store_state_bytes", "Bytes of the stored routing state (as checkpointed)", Double(t.stateBytes)),
            ("blackout_store_routes", "Routes held in the stored routing state, every peer's table", Double(t.routes ?? 0)),
        ]
        for (name, help, value) in gauges { registry.makeGauge(name: name, help: help).set(value) }
        let alerts = try store.alertCounts()
        for (state, n) in [("pending", alerts.pending), ("delivered", alerts.delivered), ("failing", alerts.failing)] {
            registry.makeGauge(name: "blackout_alerts", labels: [("state", state)], help: "Webhook alerts by state").set(Double(n))
        }
        return registry.emitToString()
    }
}

/// Records every request in `ServerMetrics` once its response is ready (errors included, with
/// the status they are answered with): the time the server spent, not the client's network.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let metrics = metrics
        do {
            let response = try await next(request, context)
            metrics.record(route: Self.route(context), method: request.method, status: response.status,
                           nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.record(route: Self.route(context), method: request.method, status: status,
                           nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
            throw error
        }
    }

    /// The matched route's template (Hummingbird writes it as OpenAPI does: `{cc}`); every
    /// unmatched path is one series.
    static func route(_ context: Context) -> String {
        guard let path = context.endpointPath, path != "NotFound" else { return "unmatched" }
        return path
    }
}
