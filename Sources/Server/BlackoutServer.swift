import Foundation
import Hummingbird
import Logging
import Pipeline
import Store

/// How `blackout serve` listens and what it allows.
public struct ServerOptions: Sendable {
    /// The address to bind: the loopback interface unless told otherwise.
    public var host = "127.0.0.1"
    /// 0: any free port (the one bound is passed to `onRunning`).
    public var port = 8080
    /// The bearer token state-changing routes need; nil: they answer 503.
    public var token: String?
    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }
}

/// Routes added by another part of the server (the dashboard): given the store, a list of
/// routes for the table (and so for the OpenAPI document).
public typealias ServerRoutes = @Sendable (_ store: any Store) -> [APIRoute]

/// `blackout serve`: the JSON API under /api/v1, /metrics, and the routes of `extensions`,
/// over a store read while other processes write it.
public enum BlackoutServer {
    /// Opens the store at `path` (a SQLite file or a PostgreSQL URL) for reading (see
    /// `StoreLocation.openForReading`): a
    /// missing database or one of a newer version is refused here, before anything listens.
    public static func openStore(_ path: String) throws -> any Store { try StoreLocation.openForReading(path) }

    /// The router: error and metrics middleware, the API's table, the extensions' routes.
    public static func router(store: any Store, openWriter: @escaping @Sendable () throws -> any Store, options: ServerOptions,
                              metrics: ServerMetrics = ServerMetrics(), extensions: [ServerRoutes] = []) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        let api = API(store: APIStore(store: store, openWriter: openWriter), token: options.token, metrics: metrics)
        var routes = APIRoutes(api: api).all
        for e in extensions { routes += e(store) }
        let table = routes
        let document = ByteBuffer(string: OpenAPIDocument.json(routes: table + [openAPIRoute(nil)]))
        routes.append(openAPIRoute(document))
        for r in routes {
            let handler = r.handler
            router.on(RouterPath(r.routerPath), method: r.method) { request, context in try await handler(request, context) }
        }
        return router
    }

    static func openAPIRoute(_ document: ByteBuffer?) -> APIRoute {
        APIRoute(.get, "/api/v1/openapi.json", operationID: "openapi", summary: "This document (OpenAPI 3.0)",
                 schema: nil, errors: []) { _, _ in JSONResponse.make(document ?? ByteBuffer()) }
    }

    /// Serves until SIGINT or SIGTERM. `onRunning` gets the port bound once it listens.
    public static func run(database path: String, options: ServerOptions, extensions: [ServerRoutes] = [],
                           logger: Logger = Logger(label: "blackout.serve"),
                           onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let store = try openStore(path)
        let router = router(store: store, openWriter: { try StoreLocation.open(path) }, options: options, extensions: extensions)
        let app = Application(router: router, configuration: .init(address: .hostname(options.host, port: options.port), serverName: "blackout"),
                              onServerRunning: { channel in onRunning(channel.localAddress?.port ?? options.port) }, logger: logger)
        try await app.runService()
    }
}
