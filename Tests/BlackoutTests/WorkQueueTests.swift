import Foundation
import Pipeline
import Store
import StorePostgres
import Testing
import TestSupport

/// `blackout queue` and `blackout worker` on PostgreSQL: tasks cut at RIB dumps, several
/// workers sharing the queue, a worker killed in a task, a server restarted under the
/// workers, damaged and missing files.
@Suite(.serialized, .enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct WorkQueueTests {
    /// route-views2 and rrc00 over the KP scenario's first day: 12 windows of 2 hours and 3 of 8.
    static let from = "2014-12-21T00:00Z", to = "2014-12-22T00:00Z"

    static func add(_ db: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["queue", "add", "--db", db, "--collector", "route-views2", "--collector", "rrc00", "--from", from, "--to", to] + extra)
    }

    static func worker(_ db: String, _ archives: String, name: String, extra: [String] = [], environment: [String: String] = [:],
                       log: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["worker", "--db", db, "--registry", TestData.path("registry"), "--archive-dir", archives, "--name", name,
                       "--exit-when-idle"] + extra
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        if let log {
            FileManager.default.createFile(atPath: log, contents: nil)
            p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        } else {
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        return p
    }

    /// Waits (up to 120 s) until a process held at a failpoint has created `ready`, or has ended.
    static func waitForFailpoint(_ ready: String, _ p: Process) {
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: ready) && p.isRunning && Date() < deadline { usleep(20_000) }
    }

    static func wait(_ p: Process, seconds: Double = 300) {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
    }

    /// Elements of every archive file of the two collectors in the window, as `dump --count` reads them.
    static func expectedElements(_ archives: String, _ tasks: [WorkTask]) throws -> Int {
        var total = 0
        for t in tasks {
            let files = try ArchiveFilesForTask.paths(archives: archives, task: t)
            let r = try CLI.run(["dump", "--count"] + files)
            total += Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        return total
    }

    @Test func tasksAreCutAtRIBDumpsAndAddedOnce() throws {
        let (db, drop) = try TestPostgres.database("cut")
        defer { drop() }
        let first = try Self.add(db)
        #expect(first.status == 0 && first.stdout == "15 tasks added (0 already queued)\n", "\(first.stdout) \(first.stderr)")
        let again = try Self.add(db)
        #expect(again.stdout == "0 tasks added (15 already queued)\n")
        let tasks = try WorkQueue(PostgresStore(db)).tasks()
        let day: UInt32 = 1_419_120_000
        #expect(tasks.filter { $0.collector == "route-views2" }.map { [$0.start, $0.end] } == (0..<12).map { [day + $0 * 7200, day + ($0 + 1) * 7200] })
        #expect(tasks.filter { $0.collector == "rrc00" }.map { [$0.start, $0.end] } == (0..<3).map { [day + $0 * 28_800, day + ($0 + 1) * 28_800] })
        // A window that does not start at a dump begins at its start (read from the dump before it).
        let odd = try CLI.run(["queue", "add", "--db", db, "--collector", "rrc00", "--from", "2014-12-22T05:00Z", "--to", "2014-12-22T09:00Z"])
        #expect(odd.stdout == "2 tasks added (0 already queued)\n")
        // Bad input.
        let (from, to) = (Self.from, Self.to)
        for (args, message) in [(["--collector", "rrc00", "--from", to, "--to", from], "must be after"),
                                (["--collector", "nowhere", "--from", from, "--to", to], "nowhere"),
                                (["--from", from, "--to", to], "--collector")] {
            let r = try CLI.run(["queue", "add", "--db", db] + args)
            #expect(r.status != 0 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let sqlite = try CLI.run(["queue", "status", "--db", "/tmp/x.sqlite"])
        #expect(sqlite.status != 0 && sqlite.stderr.contains("must be a PostgreSQL URL"), "\(sqlite.stderr)")
    }

    /// Two workers at once: every task done once, every file recorded once, the elements
    /// those of `dump --count` over each task's files.
    @Test func twoWorkersShareTheQueue() throws {
        let archives = try KP2014Archives.shared.get()
        let (db, drop) = try TestPostgres.database("two")
        defer { drop() }
        #expect(try Self.add(db).status == 0)
        let a = try Self.worker(db, archives, name: "a"), b = try Self.worker(db, archives, name: "b")
        Self.wait(a)
        Self.wait(b)
        #expect(a.terminationStatus == 0 && b.terminationStatus == 0)
        let store = try PostgresStore(db)
        let tasks = try WorkQueue(store).tasks()
        #expect(tasks.count == 15 && tasks.allSatisfy { $0.state == .done && $0.attempts == 1 && $0.damagedRecords == 0 && $0.missingFiles == 0 })
        #expect(Set(tasks.compactMap(\.worker)).count <= 2)
        let status = try CLI.run(["queue", "status", "--db", db, "--json"])
        #expect(status.stdout.contains("\"tasks\":{\"queued\":0,\"running\":0,\"done\":15,\"failed\":0}"), "\(status.stdout)")
        #expect(status.stdout.contains("\"name\":\"a\"") && status.stdout.contains("\"name\":\"b\""))
        let elements = tasks.reduce(0) { $0 + ($1.elements ?? 0) }
        #expect(elements == (try Self.expectedElements(archives, tasks)))
        // Each file once, though the 8-hour rrc00 windows and the 2-hour route-views2 ones read 3 and 12 RIB dumps.
        let files = try WorkQueue(store).scannedFiles()
        #expect(files.count == Set(files.map(\.file.path)).count && files.count == 12 * 9 + 3 * 97)
        #expect(files.reduce(0) { $0 + $1.file.elements } == elements)
        // Scanned is not ingested: the ingest's files are untouched.
        #expect(try store.files().isEmpty)
    }

    /// kill -9 a worker inside a task: the task comes back when its lease expires, another
    /// worker finishes it, and its files are recorded once.
    @Test func aKilledWorkersTaskIsFinishedByAnother() throws {
        let archives = try KP2014Archives.shared.get()
        let (db, drop) = try TestPostgres.database("kill")
        defer { drop() }
        #expect(try CLI.run(["queue", "add", "--db", db, "--collector", "rrc00", "--from", Self.from, "--to", "2014-12-21T08:00Z"]).status == 0)
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("ready-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let doomed = try Self.worker(db, archives, name: "doomed", extra: ["--lease", "2"],
                                     environment: ["BLACKOUT_FAILPOINT": "hold-task", "BLACKOUT_FAILPOINT_READY": ready])
        Self.waitForFailpoint(ready, doomed)
        #expect(FileManager.default.fileExists(atPath: ready), "the worker never reached the middle of its task")
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        let queue = try WorkQueue(PostgresStore(db))
        #expect(try queue.tasks().map(\.state) == [.running])
        let heir = try Self.worker(db, archives, name: "heir", extra: ["--lease", "2"])
        Self.wait(heir)
        let tasks = try queue.tasks()
        #expect(tasks.map(\.state) == [.done] && tasks.first?.attempts == 2 && tasks.first?.worker == "heir")
        #expect(try queue.scannedFiles().map(\.task) == Array(repeating: tasks[0].id, count: 97))
        #expect(tasks.first?.elements == (try Self.expectedElements(archives, tasks)))
    }

    /// SIGTERM in the middle of a task: the worker gives the task back (its claim not counted)
    /// and exits; the next worker does it as a first attempt.
    @Test func aStoppedWorkerGivesItsTaskBack() throws {
        let archives = try KP2014Archives.shared.get()
        let (db, drop) = try TestPostgres.database("stop")
        defer { drop() }
        #expect(try CLI.run(["queue", "add", "--db", db, "--collector", "rrc00", "--from", Self.from, "--to", "2014-12-21T08:00Z"]).status == 0)
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("ready-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let w = try Self.worker(db, archives, name: "stopped",
                                environment: ["BLACKOUT_FAILPOINT": "hold-task", "BLACKOUT_FAILPOINT_READY": ready, "BLACKOUT_FAILPOINT_SECONDS": "2"])
        Self.waitForFailpoint(ready, w)
        kill(w.processIdentifier, SIGTERM)
        Self.wait(w, seconds: 30)
        #expect(w.terminationStatus == 0)
        let queue = try WorkQueue(PostgresStore(db))
        var tasks = try queue.tasks()
        #expect(tasks.map(\.state) == [.queued] && tasks.first?.attempts == 0 && tasks.first?.worker == nil, "\(tasks)")
        #expect(try queue.scannedFiles().isEmpty)
        let next = try Self.worker(db, archives, name: "next")
        Self.wait(next)
        tasks = try queue.tasks()
        #expect(tasks.map(\.state) == [.done] && tasks.first?.attempts == 1 && tasks.first?.worker == "next")
    }

    /// The lease, through the library: a task whose lease expired goes to the next worker that
    /// asks; the first worker's result then is refused (nothing written), the second's is
    /// recorded, and a third completion changes nothing.
    @Test func onlyTheLeaseHolderRecordsAResult() throws {
        let (db, drop) = try TestPostgres.database("lease")
        defer { drop() }
        let queue = try WorkQueue(PostgresStore(db))
        #expect(try queue.add([("rrc00", 100, 200, []), ("rrc00", 200, 300, [])]) == 2)
        #expect(try queue.add([("rrc00", 100, 200, [])]) == 0)
        let first = try #require(try queue.claim(worker: "a", lease: 0.5))
        let second = try #require(try queue.claim(worker: "b", lease: 60))
        #expect(first.id != second.id && first.start == 100)
        #expect(try queue.claim(worker: "c", lease: 60) == nil)  // both leased
        Thread.sleep(forTimeInterval: 1)
        #expect(try !queue.renew(first.id, worker: "c", lease: 60))
        let again = try #require(try queue.claim(worker: "c", lease: 60))  // a's lease expired
        #expect(again.id == first.id && again.attempts == 2)
        #expect(try !queue.renew(first.id, worker: "a", lease: 60))
        let file = IngestedFile(contentHash: "h", path: "/x", collector: "rrc00", elements: 7, damagedRecords: 0)
        let outcome = TaskOutcome(files: [file], missingFiles: 0)
        #expect(try !queue.complete(first.id, worker: "a", outcome: outcome))
        #expect(try queue.complete(first.id, worker: "c", outcome: outcome))
        #expect(try !queue.complete(first.id, worker: "c", outcome: outcome))
        #expect(try queue.scannedFiles().map(\.task) == [first.id])
        // Given back after an error: queued again until the third attempt, then failed with the reason.
        try queue.giveUp(second.id, worker: "b", error: "boom 1")
        for n in 2...3 {
            let t = try #require(try queue.claim(worker: "b", lease: 60))
            #expect(t.id == second.id && t.attempts == n)
            try queue.giveUp(t.id, worker: "b", error: "boom \(n)")
        }
        let tasks = try queue.tasks()
        #expect(tasks.map(\.state) == [.done, .failed] && tasks[1].error == "boom 3" && tasks[0].elements == 7)
        #expect(try queue.claim(worker: "b", lease: 60) == nil && queue.remaining() == 0)
    }

    /// `--registry` is read before anything else: a wrong directory stops the worker at once
    /// with a message naming it, before it reaches the server (none listens here).
    @Test func aWorkerWithAWrongRegistryStopsAtOnce() throws {
        let port = try TestPostgres.freePort()
        let r = try CLI.run(["worker", "--db", "postgres://nobody@127.0.0.1:\(port)/none", "--registry", "/nonexistent/registry",
                             "--exit-when-idle"])
        #expect(r.status == 1 && r.stderr.contains("--registry: /nonexistent/registry: cannot read the registry directory"), "\(r.stderr)")
        #expect(!r.stderr.contains("PostgreSQL"), "\(r.stderr)")
        let empty = try CLI.run(["worker", "--db", "postgres://nobody@127.0.0.1:\(port)/none", "--registry", ""])
        #expect(empty.status == 64 && empty.stderr.contains("--registry must name a directory"), "\(empty.stderr)")
    }

    /// A damaged file: the task is done with its damage recorded. A missing file: tried three
    /// times, then failed with the reason; never retried forever.
    @Test func damagedAndMissingFiles() throws {
        let (db, drop) = try TestPostgres.database("damage")
        defer { drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let damaged = TestData.path("mrt/slices/rib.20140523.0600_firstMB.bz2")
        let gone = dir.appendingPathComponent("gone.mrt").path
        FileManager.default.createFile(atPath: gone, contents: Data())
        #expect(try CLI.run(["queue", "add", "--db", db, "--collector", "route-views2", damaged]).status == 0)
        #expect(try CLI.run(["queue", "add", "--db", db, "--collector", "route-views2", gone]).status == 0)
        try FileManager.default.removeItem(atPath: gone)
        let w = try Self.worker(db, dir.path, name: "w")
        Self.wait(w)
        #expect(w.terminationStatus == 0)
        let tasks = try WorkQueue(PostgresStore(db)).tasks()
        let d = try #require(tasks.first { $0.files == [damaged] })
        #expect(d.state == .done && d.elements == 270_005 && (d.damagedRecords ?? 0) >= 1)
        let m = try #require(tasks.first { $0.files.first?.hasSuffix("gone.mrt") == true })
        #expect(m.state == .failed && m.attempts == 3 && (m.error ?? "").contains("gone.mrt"), "\(m)")
        let status = try CLI.run(["queue", "status", "--db", db])
        #expect(status.stdout.contains("1 done, 1 failed") && status.stdout.contains("gone.mrt"), "\(status.stdout)")
    }

    /// The server stopped while a worker runs, and started again: the worker waits, reconnects
    /// and finishes the queue.
    @Test func workersGoOnAfterAServerRestart() throws {
        let archives = try KP2014Archives.shared.get()
        let server = try TestPostgres.Server(port: try TestPostgres.freePort())
        defer { server.remove() }
        try server.start()
        try TestPostgres.psql(server.url(database: "postgres"), "CREATE DATABASE restart")
        let db = server.url(database: "restart")
        #expect(try Self.add(db).status == 0)
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("ready-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        // The worker holds its first task for a while (the failpoint waits 120 s; the lease
        // is renewed meanwhile); the server goes down under it and comes back.
        let log = ready + ".log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let w = try Self.worker(db, archives, name: "w", extra: ["--lease", "3", "--reconnect", "2"],
                                environment: ["BLACKOUT_FAILPOINT": "hold-task", "BLACKOUT_FAILPOINT_READY": ready, "BLACKOUT_FAILPOINT_SECONDS": "6"],
                                log: log)
        Self.waitForFailpoint(ready, w)
        server.stop(immediately: true)
        Thread.sleep(forTimeInterval: 4)
        try server.start()
        Self.wait(w)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(w.terminationStatus == 0, "\(output)")
        // It noticed, and went on.
        #expect(output.contains("cannot reach PostgreSQL"), "\(output)")
        let tasks = try WorkQueue(PostgresStore(db)).tasks()
        #expect(tasks.count == 15 && tasks.allSatisfy { $0.state == .done }, "\(tasks.map { "\($0.id) \($0.state) \($0.error ?? "")" })")
        #expect(try WorkQueue(PostgresStore(db)).scannedFiles().count == 12 * 9 + 3 * 97)
    }
}

/// The files a window task reads from an archive directory, found as the worker finds them.
enum ArchiveFilesForTask {
    static func paths(archives: String, task: WorkTask) throws -> [String] {
        if !task.files.isEmpty { return task.files }
        let r = try CLI.run(["fetch", "--collector", task.collector, "--from", String(task.start), "--to", String(task.end),
                             "--archive-dir", archives])
        return r.stdout.split(separator: "\n").map(String.init)
    }
}
