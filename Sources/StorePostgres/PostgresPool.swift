import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Store

/// A few connections to one PostgreSQL database, lent to one caller at a time, for a store
/// whose interface is synchronous (`Store`): a call blocks its thread while the query runs
/// on SwiftNIO's event loops, so it must not be made on an event loop, and from Swift
/// concurrency only where a blocked thread is acceptable (the server's readers run on
/// threads of their own).
///
/// A connection that fails is closed and not lent again; the next caller gets a new one.
/// Connecting is retried with back-off (0.1 s doubling to 5 s) for `reconnectFor` seconds,
/// so that a PostgreSQL restart is waited out; after that the caller gets a `StoreError`
/// that says the server is unreachable.
final class PostgresPool: @unchecked Sendable {
    let location: PostgresLocation
    /// At most this many connections open at once; more callers wait.
    let capacity: Int
    /// How long to keep trying to connect before giving up.
    var reconnectFor: Double
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    // Guarded by `lock`.
    private let lock = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextID = 0
    private var closed = false

    init(_ location: PostgresLocation, capacity: Int = 4, reconnectFor: Double = 10) throws {
        self.location = location
        self.capacity = max(1, capacity)
        self.reconnectFor = reconnectFor
        var logger = Logger(label: "blackout.postgres")
        logger.logLevel = .critical
        self.logger = logger
        var c = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                 password: location.password, database: location.database,
                                                 tls: try Self.tls(location))
        c.options.connectTimeout = .seconds(5)
        // The server name for SNI and for verify-full's check is the host, which postgres-nio
        // takes by itself; an IP address is checked against the certificate's addresses (it
        // cannot be an SNI name: naming it here failed every verify-full URL with an address).
        configuration = c
    }

    /// libpq's `sslmode` as postgres-nio's TLS setting.
    private static func tls(_ l: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        if let root = l.rootCertificate, l.tls == .verifyCA || l.tls == .verifyFull, !FileManager.default.isReadableFile(atPath: root) {
            throw StoreError(path: l.description, "sslrootcert=\(root): cannot read the file (the CA certificates, PEM, that sslmode=\(l.tls.rawValue) trusts)")
        }
        do {
            switch l.tls {
            case .disable:
                return .disable
            case .prefer, .require:
                var t = TLSConfiguration.makeClientConfiguration()
                t.certificateVerification = .none
                let context = try NIOSSLContext(configuration: t)
                return l.tls == .prefer ? .prefer(context) : .require(context)
            case .verifyCA, .verifyFull:
                var t = TLSConfiguration.makeClientConfiguration()
                t.certificateVerification = l.tls == .verifyFull ? .fullVerification : .noHostnameVerification
                if let root = l.rootCertificate { t.trustRoots = .file(root) }
                return .require(try NIOSSLContext(configuration: t))
            }
        } catch {
            throw StoreError(path: l.description, "cannot set up TLS (sslmode=\(l.tls.rawValue)): \(error)")
        }
    }

    /// Lends a connection to `body`; one that failed is closed instead of being lent again.
    /// With `retrying`, a body that fails because the connection failed (the server
    /// restarted) runs again on a new connection, for as long as connecting is retried: only
    /// for bodies that can run twice (reads; writes that consume nothing of the caller's).
    func with<T>(retrying: Bool = true, _ body: (PostgresSession) throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(reconnectFor)
        while true {
            let connection = try acquire()
            do {
                let value = try body(PostgresSession(connection: connection, logger: logger, location: location))
                release(connection, broken: false)
                return value
            } catch {
                let lost = connection.isClosed || Self.isConnectionFailure(error) || Self.isConnectionFailure(storeError: error)
                release(connection, broken: lost)
                guard retrying, lost, Date() < deadline else { throw error }
            }
        }
    }

    /// `body` inside BEGIN … COMMIT; ROLLBACK if it throws (see `with` for `retrying`).
    func transaction<T>(retrying: Bool = true, _ body: (PostgresSession) throws -> T) throws -> T {
        try with(retrying: retrying) { s in
            try s.execute("BEGIN")
            do {
                let value = try body(s)
                try s.execute("COMMIT")
                return value
            } catch {
                if !s.connection.isClosed { _ = try? s.execute("ROLLBACK") }
                throw error
            }
        }
    }

    private func acquire() throws -> PostgresConnection {
        lock.lock()
        while true {
            if closed {
                lock.unlock()
                throw StoreError(path: location.description, "the store is closed")
            }
            if let c = idle.popLast() {
                lock.unlock()
                if c.isClosed {  // the server went away while it was idle
                    lock.lock()
                    open -= 1
                    continue
                }
                return c
            }
            if open < capacity {
                open += 1
                nextID += 1
                let id = nextID
                lock.unlock()
                do {
                    return try connect(id: id)
                } catch {
                    lock.lock()
                    open -= 1
                    lock.signal()
                    lock.unlock()
                    throw error
                }
            }
            lock.wait()
        }
    }

    private func release(_ c: PostgresConnection, broken: Bool) {
        lock.lock()
        if broken || closed {
            open -= 1
            Self.discard(c)
        } else {
            idle.append(c)
        }
        lock.signal()
        lock.unlock()
    }

    /// Connects, retrying with back-off while the server cannot be reached.
    private func connect(id: Int) throws -> PostgresConnection {
        let deadline = Date().addingTimeInterval(reconnectFor)
        var pause = 0.1
        while true {
            do {
                return try PostgresConnection.connect(on: group.any(), configuration: configuration, id: id, logger: logger).wait()
            } catch {
                // A refused password or an unknown database will not get better by waiting.
                guard Self.isConnectionFailure(error), Date().addingTimeInterval(pause) < deadline else {
                    throw PostgresErrors.storeError(location, error, connecting: true)
                }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 5)
            }
        }
    }

    /// Whether `error` says the connection failed (rather than the server refusing a query).
    static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError else { return error is IOError || error is ChannelError }
        switch e.code {
        case .connectionError: return !isTLSFailure(e)  // a certificate refused stays refused: not retried
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
        case .server:
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
            return ["57P01", "57P02", "57P03"].contains(e.serverInfo?[.sqlState] ?? "")
        default: return false
        }
    }

    /// Whether the TLS handshake failed (a certificate not trusted, or naming another host).
    static func isTLSFailure(_ e: PSQLError) -> Bool { e.underlying is NIOSSLError || e.underlying is NIOSSLExtraError }

    /// Whether a `StoreError` made by `PostgresErrors` says the connection failed.
    static func isConnectionFailure(storeError error: any Error) -> Bool {
        (error as? StoreError)?.connectionLost ?? false
    }

    func close() {
        lock.lock()
        closed = true
        let connections = idle
        idle = []
        open -= connections.count
        lock.broadcast()
        lock.unlock()
        for c in connections { let closing: EventLoopFuture<Void> = c.close(); try? closing.wait() }
    }

    deinit { for c in idle { Self.discard(c) } }

    /// Closes `c`, keeping it alive until it is closed (postgres-nio checks that a connection
    /// is closed before it goes away).
    private static func discard(_ c: PostgresConnection) {
        let closing: EventLoopFuture<Void> = c.close()
        closing.whenComplete { _ in withExtendedLifetime(c) {} }
    }
}

/// One lent connection: runs queries and waits for their rows.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    let location: PostgresLocation

    /// Runs `query` and returns its rows; a failure is a `StoreError` naming the store.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        do {
            return try connection.query(query, logger: logger).wait().rows
        } catch {
            throw PostgresErrors.storeError(location, error, connecting: false)
        }
    }

    /// Runs SQL without parameters: one or more statements separated by `;` (none may hold a
    /// `;` in a literal), one at a time (the extended protocol takes one per query). The rows
    /// of the last.
    @discardableResult
    func execute(_ sql: String) throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
            rows = try query(PostgresQuery(unsafeSQL: String(statement)))
        }
        return rows
    }

    /// Rows changed by an UPDATE or DELETE.
    func changes(_ query: PostgresQuery) throws -> Int {
        do {
            let r = try connection.query(query, logger: logger).wait()
            return r.metadata.rows ?? 0
        } catch {
            throw PostgresErrors.storeError(location, error, connecting: false)
        }
    }
}

/// postgres-nio's errors as `StoreError`s that say what happened (its own descriptions are
/// generic on purpose, to keep queries out of logs).
enum PostgresErrors {
    static func storeError(_ l: PostgresLocation, _ error: any Error, connecting: Bool) -> StoreError {
        if let e = error as? StoreError { return e }
        var message: String
        var busy = false
        if let e = error as? PSQLError {
            switch e.code {
            case .server:
                let state = e.serverInfo?[.sqlState] ?? "?"
                message = (e.serverInfo?[.message] ?? "server error") + " (SQLSTATE \(state))"
                if let d = e.serverInfo?[.detail] { message += ": \(d)" }
                // 40001 serialization_failure, 40P01 deadlock, 55P03 lock_not_available: try again.
                busy = ["40001", "40P01", "55P03"].contains(state)
                if PostgresPool.isConnectionFailure(e) { message = "the server shut down: " + message }
            case .connectionError where PostgresPool.isTLSFailure(e):
                message = "the TLS handshake with \(l.host):\(l.port) failed (\(e.underlying.map { "\($0)" } ?? "?"))"
                if l.tls == .verifyCA || l.tls == .verifyFull {
                    message += "; sslmode=\(l.tls.rawValue) trusts "
                        + (l.rootCertificate.map { "the CA certificates in sslrootcert=\($0)" } ?? "the system's CA certificates (sslrootcert=FILE names others)")
                        + (l.tls == .verifyFull ? ", and the certificate must name \(l.host)" : "")
                }
            case .connectionError:
                message = "cannot reach PostgreSQL at \(l.host):\(l.port)" + (e.underlying.map { " (\($0))" } ?? "")
                    + "; is the server running, and is the address right?"
            case .serverClosedConnection, .uncleanShutdown:
                message = "the server closed the connection" + (e.underlying.map { " (\($0))" } ?? "")
            case .sslUnsupported:
                message = "the server does not offer TLS, and sslmode=\(l.tls.rawValue) requires it"
            case .authMechanismRequiresPassword:
                message = "the server asks for a password: put it in the URL (USER:PASSWORD@) or in PGPASSWORD"
            case .unsupportedAuthMechanism:
                message = "the server asks for an authentication method postgres-nio does not speak (use scram-sha-256 or md5)"
            case .failedToAddSSLHandler:
                message = "TLS failed" + (e.underlying.map { ": \($0)" } ?? "")
            default:
                message = "\(e.code)" + (e.underlying.map { ": \($0)" } ?? "")
            }
        } else {
            message = "\(error)"
        }
        if connecting, !message.hasPrefix("cannot reach") { message = "cannot connect: " + message }
        var s = StoreError(path: l.description, message)
        s.busy = busy
        s.connectionLost = PostgresPool.isConnectionFailure(error)
        return s
    }
}
