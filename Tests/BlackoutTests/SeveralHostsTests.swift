import Foundation
import Pipeline
import StorePostgres
import Testing
import TestSupport

/// PostgreSQL and two workers as three hosts: network namespaces made by the test (`ip netns`),
/// joined by veth pairs on 10.77.1.0/24 and 10.77.2.0/24, nothing leaving the machine. The
/// workers reach the server only over those links, each with its own home and download
/// cache: they share nothing but the database and the archives they read.
@Suite(.serialized, .enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct SeveralHostsTests {
    /// Namespaces and links, removed by `remove()`.
    final class Network {
        let tag = String(UInt32.random(in: 0...0xffff), radix: 16)
        var db: String { "bo-db-\(tag)" }
        func worker(_ i: Int) -> String { "bo-w\(i)-\(tag)" }
        var made: [String] = []

        func ip(_ args: [String]) throws {
            let r = try TestPostgres.run("/usr/sbin/ip", args)
            guard r.status == 0 else { throw TestPostgres.Failure("ip \(args.joined(separator: " ")): \(r.stderr) (the test needs root and iproute2)") }
        }

        func build(workers: Int) throws {
            for ns in [db] + (1...workers).map(worker) {
                try ip(["netns", "add", ns])
                made.append(ns)
                try ip(["-n", ns, "link", "set", "lo", "up"])
            }
            for i in 1...workers {
                let a = "bo\(tag)d\(i)", b = "bo\(tag)w\(i)"  // interface names: at most 15 bytes
                try ip(["link", "add", a, "netns", db, "type", "veth", "peer", "name", b, "netns", worker(i)])
                try ip(["-n", db, "addr", "add", "10.77.\(i).1/24", "dev", a])
                try ip(["-n", worker(i), "addr", "add", "10.77.\(i).2/24", "dev", b])
                try ip(["-n", db, "link", "set", a, "up"])
                try ip(["-n", worker(i), "link", "set", b, "up"])
            }
        }

        func remove() { for ns in made { _ = try? TestPostgres.run("/usr/sbin/ip", ["netns", "del", ns]) } }
    }

    @Test func aServerAndTwoWorkersOnThreeHosts() throws {
        let network = Network()
        defer { network.remove() }
        try network.build(workers: 2)
        let port = 5432
        let server = try TestPostgres.Server(host: "10.77.1.1", port: port, prefix: ["/usr/sbin/ip", "netns", "exec", network.db],
                                             listen: "10.77.1.1,10.77.2.1", clients: ["10.77.0.0/16"])
        defer { server.remove() }
        try server.start()
        let archives = try KP2014Archives.shared.get()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-hosts-\(network.tag)")
        defer { try? FileManager.default.removeItem(at: scratch) }

        // Each host: its own address of the server, home, cache and log.
        func url(_ i: Int, _ database: String) -> String { "postgres://blackout:blackout@10.77.\(i).1:\(port)/\(database)?sslmode=disable" }
        func run(on i: Int, _ args: [String], environment extra: [String: String] = [:]) throws -> Process {
            let home = scratch.appendingPathComponent("host\(i)")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            p.arguments = ["netns", "exec", network.worker(i), CLI.executable.path] + args
            var env = ProcessInfo.processInfo.environment.merging(extra) { $1 }
            env["HOME"] = home.path
            env["XDG_CACHE_HOME"] = home.appendingPathComponent("cache").path
            env["XDG_DATA_HOME"] = home.appendingPathComponent("data").path
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            let log = home.appendingPathComponent("log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            p.standardError = try FileHandle(forWritingTo: log)
            try p.run()
            return p
        }

        // The server is not on this host's network: only the namespaces' links reach it.
        #expect(throws: (any Error).self) { _ = try PostgresStore("postgres://blackout:blackout@10.77.1.1:\(port)/postgres?sslmode=disable", reconnectFor: 0) }

        let create = try run(on: 1, ["queue", "status", "--db", url(1, "postgres")])
        WorkQueueTests.wait(create)
        #expect(create.terminationStatus == 0)
        let add = try run(on: 1, ["queue", "add", "--db", url(1, "postgres"), "--collector", "route-views2", "--collector", "rrc00",
                                  "--from", WorkQueueTests.from, "--to", WorkQueueTests.to])
        WorkQueueTests.wait(add)
        #expect(add.terminationStatus == 0)
        // Both workers hold their first task for 2 s, so that each surely works.
        var workers: [Process] = []
        for i in 1...2 {
            let ready = scratch.appendingPathComponent("ready\(i)").path
            workers.append(try run(on: i, ["worker", "--db", url(i, "postgres"), "--archive-dir", archives, "--name", "host\(i)", "--exit-when-idle"],
                                   environment: ["BLACKOUT_FAILPOINT": "hold-task", "BLACKOUT_FAILPOINT_READY": ready, "BLACKOUT_FAILPOINT_SECONDS": "2"]))
        }
        for w in workers { WorkQueueTests.wait(w) }
        for (i, w) in workers.enumerated() {
            let log = (try? String(contentsOf: scratch.appendingPathComponent("host\(i + 1)/log"), encoding: .utf8)) ?? ""
            #expect(w.terminationStatus == 0, "host\(i + 1): \(log)")
        }
        let status = try run(on: 2, ["queue", "status", "--db", url(2, "postgres"), "--json"])
        WorkQueueTests.wait(status)
        #expect(status.terminationStatus == 0)
        // The result, read inside the server's namespace.
        let json = try ipExecPsql(network.db, "postgres://blackout:blackout@10.77.2.1:\(port)/postgres?sslmode=disable",
                                  "SELECT state || ' ' || COUNT(*) FROM task GROUP BY state")
        #expect(json == "done 15", "\(json)")
        let byWorker = try ipExecPsql(network.db, "postgres://blackout:blackout@10.77.2.1:\(port)/postgres?sslmode=disable",
                                      "SELECT name || ' ' || host || ' ' || (tasks_done > 0) FROM worker ORDER BY name")
        #expect(byWorker.split(separator: "\n").count == 2 && byWorker.contains("host1") && byWorker.contains("host2")
                && !byWorker.contains("false"), "\(byWorker)")
        let files = try ipExecPsql(network.db, "postgres://blackout:blackout@10.77.2.1:\(port)/postgres?sslmode=disable",
                                   "SELECT COUNT(*) || ' ' || COUNT(DISTINCT path) FROM task_file")
        #expect(files == "399 399", "\(files)")
    }

    /// `psql` run inside namespace `ns`.
    func ipExecPsql(_ ns: String, _ url: String, _ sql: String) throws -> String {
        let r = try TestPostgres.run("/usr/sbin/ip", ["netns", "exec", ns, "/usr/bin/psql", "-X", "-q", "-t", "-A", "-d", url, "-c", sql])
        guard r.status == 0 else { throw TestPostgres.Failure("psql in \(ns): \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
