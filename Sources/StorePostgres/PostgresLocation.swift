import Foundation
import Store

/// Where a PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=MODE&sslrootcert=FILE]`,
/// the connection URI of libpq (https://www.postgresql.org/docs/15/libpq-connect.html#LIBPQ-CONNSTRING),
/// of which Blackout reads the user, password, host, port, database and the two TLS
/// parameters. The password may come from `PGPASSWORD` instead, so that it stays out of
/// process listings; characters of the user and password may be percent-encoded.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// TLS, as libpq's `sslmode` spells it.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Never.
        case disable
        /// If the server offers it (libpq's default).
        case prefer
        /// Always, without checking the server's certificate (libpq's meaning of `require`).
        case require
        /// Always, with the certificate checked against `sslrootcert` (or the system's roots).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate must name the host.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// The CA certificates (PEM) that `verify-ca` and `verify-full` trust.
    public var rootCertificate: String?

    /// Whether `location` (a `--db` value) names a PostgreSQL store rather than a SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Parses a connection URI; `environment` supplies `PGPASSWORD` when the URI has no password.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func fail(_ why: String) -> StoreError {
            StoreError(path: Self.redacted(text), "not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB): \(why)")
        }
        guard let scheme = text.range(of: "://"), Self.isPostgres(text) else { throw fail("it must start with postgres://") }
        var rest = Substring(text[scheme.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw fail("no database (…/DB)") }
        let authority = rest[..<slash]
        guard let db = String(rest[rest.index(after: slash)...]).removingPercentEncoding, !db.isEmpty, !db.contains("/") else {
            throw fail("no database (…/DB)")
        }
        guard let at = authority.lastIndex(of: "@") else { throw fail("no user (USER@HOST)") }
        let credentials = authority[..<at], hostPort = authority[authority.index(after: at)...]
        let userPart = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let user = userPart.first.flatMap({ String($0).removingPercentEncoding }), !user.isEmpty else { throw fail("no user (USER@HOST)") }
        var password: String?
        if userPart.count == 2 {
            guard let p = String(userPart[1]).removingPercentEncoding else { throw fail("the password's percent-encoding is broken") }
            password = p
        }
        // HOST, HOST:PORT, [IPv6], [IPv6]:PORT
        var host = String(hostPort), portText: String?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected text after the host") }
                portText = String(after.dropFirst())
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = String(hostPort[hostPort.index(after: colon)...])
        }
        guard !host.isEmpty else { throw fail("no host") }
        var port = 5432
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw fail("port \(portText) is not in 1...65535") }
            port = p
        }
        var tls = TLSMode.prefer, root: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0]), value = kv.count == 2 ? (String(kv[1]).removingPercentEncoding ?? "") : ""
            switch key {
            case "sslmode":
                guard let m = TLSMode(rawValue: value) else {
                    throw fail("sslmode=\(value): one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = m
            case "sslrootcert": root = value
            case "application_name", "connect_timeout": break  // accepted, not used
            default: throw fail("unknown parameter \(key) (Blackout reads sslmode and sslrootcert)")
            }
        }
        self.host = host
        self.port = port
        self.user = user
        self.password = password ?? environment["PGPASSWORD"]
        self.database = db
        self.tls = tls
        self.rootCertificate = root
    }

    /// The URL without its password: for messages and logs.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(h):\(port)/\(database)"
    }

    /// `text` with any password replaced, for an error about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") else { return text }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
