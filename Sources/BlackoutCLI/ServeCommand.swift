import ArgumentParser
import Foundation
import Pipeline
import Server

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store over HTTP: the JSON API under /api/v1, /metrics and the dashboard.",
        discussion: """
            Reads the database while ingests (ingest, watch, live) write it in other processes: each request \
            sees the last committed ingest. The API is described at /api/v1/openapi.json; errors are \
            {"error": "..."} with 400 (a malformed parameter, an unknown country code, a reversed or too large \
            range), 404 (no such route, nothing stored about it), 401/403 (bearer token), 503 (store busy). \
            It binds to 127.0.0.1 unless --host says otherwise. POST /api/v1/alerts/retry needs the bearer \
            token: --token, else $BLACKOUT_API_TOKEN, else api_token in the configuration file.

            Example: blackout serve --db blackout.sqlite --port 8080, then open http://127.0.0.1:8080/
            """
    )

    @OptionGroup var database: DatabaseOption

    @Option(help: "The address to listen on (0.0.0.0: every interface).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed when listening).")
    var port = 8080

    @Option(help: ArgumentHelp("The configuration file (default $XDG_CONFIG_HOME/blackout/config.json).", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("The bearer token of state-changing routes (overrides $BLACKOUT_API_TOKEN and the configuration).",
                               valueName: "token"))
    var token: String?

    func validate() throws {
        try requireFlag("--port", port, in: "0...65535", (0...65535).contains(port))
        if let token, !Self.isToken(token) {
            throw ValidationError("--token: expected letters, digits and -._~+/ (RFC 6750 token68), at least 16 characters.")
        }
    }

    /// A token clients can send as `Authorization: Bearer <token>` (RFC 6750 section 2.1), long enough to guess at.
    static func isToken(_ t: String) -> Bool {
        t.count >= 16 && t.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._~+/".contains($0)) }
    }

    func run() async throws {
        let configuration: BlackoutConfiguration
        do { configuration = try BlackoutConfiguration.load(path: config) } catch { throw CLIError("\(error)") }
        let env = ProcessInfo.processInfo.environment["BLACKOUT_API_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let token = token ?? env ?? configuration.apiToken
        if let token, !Self.isToken(token) {
            throw CLIError("the API token (\(self.token != nil ? "--token" : env != nil ? "BLACKOUT_API_TOKEN" : "api_token in the configuration")) "
                           + "must be letters, digits and -._~+/, at least 16 characters")
        }
        let dashboard: DashboardAssets
        do { dashboard = try .bundled() } catch { throw CLIError("the dashboard's files: \(error)") }
        let host = host
        do {
            try await BlackoutServer.run(database: database.db, options: ServerOptions(host: host, port: port, token: token),
                                         extensions: [DashboardRoutes.routes(dashboard)]) { bound in
                StandardStreams.printError("blackout: serving \(database.shown) at http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/ "
                                           + "(API under /api/v1, described at /api/v1/openapi.json)"
                                           + (token == nil ? "; no API token: POST /api/v1/alerts/retry answers 503" : ""))
            }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError("\(error)")
        }
    }
}
