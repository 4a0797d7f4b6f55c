import Foundation

/// PostgreSQL for the tests, from Debian's `postgresql-15` (`.ci/run` installs it).
///
/// The tests use the server `BLACKOUT_TEST_POSTGRES` names (a URL whose user may create
/// databases; `.ci/run` starts a cluster and sets it). Without it they start a server of
/// their own (`TestPostgres.Server`) in a temporary directory, once per test process, so
/// that `swift test` needs no set-up beyond the package. Each test gets a database of its
/// own (`database()`), dropped when it is done.
public enum TestPostgres {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ d: String) { description = d }
    }

    /// The binaries of PostgreSQL 15.
    public static let bin = "/usr/lib/postgresql/15/bin"

    /// The URL of the server every test shares, its user allowed to create databases.
    public static func serverURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["BLACKOUT_TEST_POSTGRES"], !url.isEmpty { return url }
        return try Shared.server.get().url(database: "postgres")
    }

    private enum Shared {
        static let server: Result<Server, Error> = Result {
            let s = try Server(port: freePort())
            try s.start()
            atexit { Shared.stopAtExit() }
            return s
        }
        static func stopAtExit() { if case .success(let s) = server { s.stop(immediately: true) } }
    }

    /// A new, empty database on the shared server; `drop` removes it.
    public static func database(_ label: String = "test") throws -> (url: String, drop: @Sendable () -> Void) {
        let admin = try serverURL()
        let name = "blackout_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
        try psql(admin, "CREATE DATABASE \(name)")
        let url = replacingDatabase(admin, with: name)
        return (url, { _ = try? psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }

    /// `url` with its database replaced by `name`.
    public static func replacingDatabase(_ url: String, with name: String) -> String {
        var base = url
        var query = ""
        if let q = base.firstIndex(of: "?") {
            query = String(base[q...])
            base = String(base[..<q])
        }
        guard let slash = base.lastIndex(of: "/") else { return url }
        return String(base[...slash]) + name + query
    }

    /// Runs SQL with `psql` against `url`; its output, or a failure with psql's message.
    @discardableResult
    public static func psql(_ url: String, _ sql: String) throws -> String {
        let r = try run("/usr/bin/psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        guard r.status == 0 else { throw Failure("psql \(sql): exit \(r.status): \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A free TCP port on the loopback interface (bound, then released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw Failure("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Runs a program to its end (posix_spawn and waitpid). Its output goes through files, not
    /// pipes: a server it starts (pg_ctl start) inherits them and would hold a pipe open.
    public static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out").path, err = dir.appendingPathComponent("err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw Failure("cannot run \(path): errno \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// A PostgreSQL server of the test's own: a cluster in a temporary directory, listening
    /// on `host`:`port` with password authentication (user `blackout`, password `blackout`),
    /// that a test can stop and start again (a restart under the workers' feet).
    ///
    /// PostgreSQL refuses to run as root: as root, the server runs as Debian's `postgres` user.
    public final class Server: @unchecked Sendable {
        public let host: String
        public let port: Int
        public let directory: URL
        /// Run the server's commands under this prefix (`ip netns exec NAME` to put it in a namespace).
        public let prefix: [String]

        /// Addresses the server listens on (`listen_addresses`), by default `host`.
        public let listen: String
        /// Whether it takes TLS connections only (`tls` given to `init`).
        public let tlsOnly: Bool

        /// - Parameters:
        ///   - clients: networks (CIDR) allowed to connect with the password, beside the loopback.
        ///   - tls: a certificate and its key (PEM files): the server then takes TLS
        ///     connections only, and refuses the others.
        public init(host: String = "127.0.0.1", port: Int, prefix: [String] = [], listen: String? = nil, clients: [String] = [],
                    tls: (certificate: String, key: String)? = nil) throws {
            guard FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
                throw Failure("\(bin)/initdb is missing: install Debian's postgresql-15 (apt-get install -y postgresql-15; .ci/run does)")
            }
            self.host = host
            self.port = port
            self.prefix = prefix
            self.listen = listen ?? host
            tlsOnly = tls != nil
            directory = URL(fileURLWithPath: "/tmp/blackout-pg-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let password = directory.appendingPathComponent("pw")
            try "blackout\n".write(to: password, atomically: true, encoding: .utf8)
            try chownToPostgres(directory.path)
            try chownToPostgres(password.path)
            try asServerUser(bin + "/initdb", ["-D", data, "-U", "blackout", "--pwfile", password.path, "--auth=scram-sha-256",
                                               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], what: "initdb")
            if let tls {
                // The server's own copies, the key readable by it alone (PostgreSQL insists).
                for (from, name) in [(tls.certificate, "server.crt"), (tls.key, "server.key")] {
                    let to = URL(fileURLWithPath: data).appendingPathComponent(name).path
                    try FileManager.default.copyItem(atPath: from, toPath: to)
                    try chownToPostgres(to)
                    chmod(to, 0o600)
                }
                let rules = "hostssl all all 127.0.0.0/8 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n"
                    + "hostnossl all all all reject\n"
                try rules.write(toFile: URL(fileURLWithPath: data).appendingPathComponent("pg_hba.conf").path, atomically: false,
                                encoding: .utf8)
            }
            if !clients.isEmpty {
                let hba = URL(fileURLWithPath: data).appendingPathComponent("pg_hba.conf")
                let lines = clients.map { "host all all \($0) scram-sha-256\n" }.joined()
                let handle = try FileHandle(forWritingTo: hba)
                handle.seekToEndOfFile()
                handle.write(Data(lines.utf8))
                try handle.close()
            }
        }

        var data: String { directory.appendingPathComponent("data").path }

        public func url(database: String) -> String { "postgres://blackout:blackout@\(host):\(port)/\(database)?sslmode=disable" }

        public func start() throws {
            try asServerUser(bin + "/pg_ctl", ["-D", data, "-w", "-t", "60", "-l", directory.appendingPathComponent("log").path,
                                               "-o", "-h \(listen) -p \(port) -k \(directory.path) -c fsync=off -c max_connections=200"
                                                   + (tlsOnly ? " -c ssl=on" : ""),
                                               "start"], what: "pg_ctl start")
        }

        /// Stops the server: `immediately` is PostgreSQL's immediate shutdown (as a crash).
        public func stop(immediately: Bool = false) {
            _ = try? asServerUser(bin + "/pg_ctl", ["-D", data, "-w", "-m", immediately ? "immediate" : "fast", "stop"], what: "pg_ctl stop")
        }

        public func remove() {
            stop(immediately: true)
            try? FileManager.default.removeItem(at: directory)
        }

        private func asServerUser(_ program: String, _ arguments: [String], what: String) throws {
            let command: [String]
            if getuid() == 0 { command = prefix + ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments } else { command = prefix + [program] + arguments }
            let r = try TestPostgres.run(command[0], Array(command.dropFirst()))
            guard r.status == 0 else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
                throw Failure("\(what): exit \(r.status): \(r.stderr) \(r.stdout) \(log.suffix(1500))")
            }
        }

        private func chownToPostgres(_ path: String) throws {
            guard getuid() == 0 else { return }
            let r = try TestPostgres.run("/bin/chown", ["postgres:postgres", path])
            guard r.status == 0 else { throw Failure("chown postgres \(path): \(r.stderr)") }
        }
    }
}
