import Foundation
import PostgresNIO
import Store

/// One unit of work: one collector's archives over a time window (`start` ..< `end`), read
/// from the RIB dump at or before `start`, or an explicit list of files.
public struct WorkTask: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case queued, running, done, failed
    }
    public var id: Int64
    public var collector: String
    public var start: UInt32
    public var end: UInt32
    /// The files to read instead of the collector's archive for the window, if given.
    public var files: [String]
    public var state: State
    public var attempts: Int
    public var worker: String?
    public var error: String?
    public var elements: Int?
    public var damagedRecords: Int?
    public var missingFiles: Int?
}

/// What a task found, written when it is done.
public struct TaskOutcome: Sendable {
    public var files: [IngestedFile]
    public var missingFiles: Int
    public init(files: [IngestedFile], missingFiles: Int) {
        self.files = files
        self.missingFiles = missingFiles
    }
    public var elements: Int { files.reduce(0) { $0 + $1.elements } }
    public var damagedRecords: Int { files.reduce(0) { $0 + $1.damagedRecords } }
}

/// The queue's state, counted (`blackout queue status`).
public struct QueueStatus: Sendable {
    public var tasks: [WorkTask.State: Int] = [:]
    /// Tasks running whose lease has expired (their worker died): claimed again soon.
    public var expired = 0
    public var workers: [(name: String, host: String, task: Int64?, tasksDone: Int, elements: Int, secondsSinceSeen: Double)] = []
    /// Elements read by tasks finished in the last minute, per second.
    public var elementsPerSecond: Double = 0
    public var elementsDone = 0
    public var failures: [(id: Int64, collector: String, start: UInt32, error: String)] = []
}

/// The work queue, in the shared PostgreSQL store: tasks are claimed with
/// `SELECT … FOR UPDATE SKIP LOCKED`, so that workers never wait for each other, under a
/// lease that the worker renews while it works. A task whose lease expires (its worker died
/// or lost the server) is claimed again; one that has been claimed `maxAttempts` times is
/// `failed` with the reason. A task's results are written in the transaction that marks it
/// done, and only by the worker that holds its lease: a task done twice counts once.
public final class WorkQueue: @unchecked Sendable {
    public let store: PostgresStore
    /// The most claims of one task before it is `failed`.
    public var maxAttempts = 3

    public init(_ store: PostgresStore) { self.store = store }

    /// Adds tasks; those already queued (same collector, window and files) are not added
    /// twice. Returns how many were new.
    @discardableResult
    public func add(_ tasks: [(collector: String, start: UInt32, end: UInt32, files: [String])]) throws -> Int {
        guard !tasks.isEmpty else { return 0 }
        return try store.transaction { s in
            try s.changes("""
                INSERT INTO task (collector, start, "end", files)
                SELECT * FROM unnest(\(tasks.map(\.collector)), \(tasks.map { Int64($0.start) }), \(tasks.map { Int64($0.end) }),
                  \(tasks.map { StoredRows.join($0.files) }))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// Records the worker (and that it is alive).
    public func register(worker: String, host: String, pid: Int32) throws {
        try store.with { s in
            try s.query("""
                INSERT INTO worker (name, host, pid, started, seen) VALUES (\(worker), \(host), \(pid), now(), now())
                ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid, started = now(), seen = now()
                """)
        }
    }

    /// Claims the next task for `worker` under a lease of `lease` seconds: a queued one, or a
    /// running one whose lease expired. Tasks claimed too often are failed first.
    public func claim(worker: String, lease: Double) throws -> WorkTask? {
        try store.transaction { s in
            try s.query("""
                UPDATE task SET state = 'failed', finished = now(), worker = NULL,
                  error = 'claimed ' || attempts || ' times without finishing (its workers died or lost the server); last worker ' || COALESCE(worker, '?')
                WHERE state = 'running' AND lease_until < now() AND attempts >= \(Int32(maxAttempts))
                """)
            let rows = try s.query("""
                UPDATE task SET state = 'running', worker = \(worker), attempts = attempts + 1, started = now(),
                  lease_until = now() + make_interval(secs => \(lease))
                WHERE id = (SELECT id FROM task WHERE state = 'queued' OR (state = 'running' AND lease_until < now())
                            ORDER BY start, collector, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING *
                """)
            try s.query("UPDATE worker SET seen = now(), task = \(rows.first.map { try task($0).id }) WHERE name = \(worker)")
            return try rows.first.map(task)
        }
    }

    /// Extends the lease; false when the worker no longer holds it (another took the task).
    public func renew(_ task: Int64, worker: String, lease: Double) throws -> Bool {
        try store.with { s in
            try s.query("UPDATE worker SET seen = now() WHERE name = \(worker)")
            return try s.changes("""
                UPDATE task SET lease_until = now() + make_interval(secs => \(lease))
                WHERE id = \(task) AND worker = \(worker) AND state = 'running'
                """) == 1
        }
    }

    /// Marks the task done with its outcome, in one transaction with its results (the files
    /// it read, table `task_file`, one row per task and content). False, and
    /// nothing written, when the worker no longer holds the task's lease.
    public func complete(_ task: Int64, worker: String, outcome: TaskOutcome) throws -> Bool {
        try store.transaction { s in
            let done = try s.changes("""
                UPDATE task SET state = 'done', finished = now(), lease_until = NULL, error = NULL,
                  file_count = \(Int32(outcome.files.count)), elements = \(Int64(outcome.elements)),
                  damaged_records = \(Int64(outcome.damagedRecords)), missing_files = \(Int32(outcome.missingFiles))
                WHERE id = \(task) AND worker = \(worker) AND state = 'running'
                """)
            guard done == 1 else { return false }
            // Not the ingest's `file` table: a file scanned is not a file whose routes are in the results.
            let f = outcome.files
            if !f.isEmpty {
                try s.query("""
                    INSERT INTO task_file SELECT \(task), * FROM unnest(\(f.map(\.contentHash)), \(f.map(\.path)), \(f.map(\.collector)),
                      \(f.map { Int64($0.elements) }), \(f.map { Int64($0.damagedRecords) }))
                    ON CONFLICT DO NOTHING
                    """)
            }
            try s.query("""
                UPDATE worker SET seen = now(), task = NULL, tasks_done = tasks_done + 1, elements = elements + \(Int64(outcome.elements))
                WHERE name = \(worker)
                """)
            return true
        }
    }

    /// Gives the task back after an error: queued again, or `failed` with `error` once it has
    /// been tried `maxAttempts` times (never retried forever).
    public func giveUp(_ task: Int64, worker: String, error: String) throws {
        try store.with { s in
            try s.query("""
                UPDATE task SET state = CASE WHEN attempts >= \(Int32(maxAttempts)) THEN 'failed' ELSE 'queued' END,
                  finished = CASE WHEN attempts >= \(Int32(maxAttempts)) THEN now() END,
                  lease_until = NULL, worker = NULL, error = \(error)
                WHERE id = \(task) AND worker = \(worker) AND state = 'running'
                """)
            try s.query("UPDATE worker SET seen = now(), task = NULL WHERE name = \(worker)")
        }
    }

    /// Gives the task back untried (the worker is stopping): queued again, this claim not counted.
    public func release(_ task: Int64, worker: String) throws {
        try store.with { s in
            try s.query("""
                UPDATE task SET state = 'queued', worker = NULL, lease_until = NULL, attempts = GREATEST(attempts - 1, 0)
                WHERE id = \(task) AND worker = \(worker) AND state = 'running'
                """)
            try s.query("UPDATE worker SET seen = now(), task = NULL WHERE name = \(worker)")
        }
    }

    /// Tasks neither done nor failed.
    public func remaining() throws -> Int {
        try store.with { s in
            try s.execute("SELECT COUNT(*) AS n FROM task WHERE state IN ('queued', 'running')").first
                .map { try store.reader($0, "task").count("n") } ?? 0
        }
    }

    /// The files the finished tasks read, by task.
    public func scannedFiles() throws -> [(task: Int64, file: IngestedFile)] {
        try store.with { s in
            try s.execute("SELECT * FROM task_file ORDER BY task, path").map { row in
                let r = store.reader(row, "task_file")
                return (Int64(try r.int("task")), try StoredRows.file(r))
            }
        }
    }

    public func tasks() throws -> [WorkTask] {
        try store.with { s in try s.execute("SELECT * FROM task ORDER BY start, collector, id").map(task) }
    }

    public func status() throws -> QueueStatus {
        try store.with { s in
            var q = QueueStatus()
            for row in try s.execute("SELECT state, COUNT(*) AS n FROM task GROUP BY state") {
                let r = store.reader(row, "task")
                if let state = WorkTask.State(rawValue: try r.text("state")) { q.tasks[state] = try r.count("n") }
            }
            if let row = try s.execute("""
                SELECT (SELECT COUNT(*) FROM task WHERE state = 'running' AND lease_until < now()) AS expired,
                  (SELECT COALESCE(SUM(elements), 0)::bigint FROM task WHERE state = 'done') AS done,
                  (SELECT COALESCE(SUM(elements), 0)::bigint FROM task WHERE state = 'done' AND finished > now() - interval '60 seconds') AS recent
                """).first {
                let r = store.reader(row, "task")
                q.expired = try r.count("expired")
                q.elementsDone = try r.count("done")
                q.elementsPerSecond = Double(try r.count("recent")) / 60
            }
            for row in try s.execute("""
                SELECT name, host, task, tasks_done, elements, EXTRACT(EPOCH FROM now() - seen)::float8 AS ago FROM worker ORDER BY name
                """) {
                let r = store.reader(row, "worker")
                q.workers.append((try r.text("name"), try r.text("host"), try r.optionalInt("task").map { Int64($0) }, try r.count("tasks_done"),
                                  try r.count("elements"), try r.double("ago")))
            }
            for row in try s.execute("SELECT id, collector, start, error FROM task WHERE state = 'failed' ORDER BY id LIMIT 20") {
                let r = store.reader(row, "task")
                q.failures.append((Int64(try r.int("id")), try r.text("collector"), try r.time("start"), try r.optionalText("error") ?? ""))
            }
            return q
        }
    }

    func task(_ row: PostgresRow) throws -> WorkTask {
        let r = store.reader(row, "task")
        let id = Int64(try r.int("id"))
        guard let state = WorkTask.State(rawValue: try r.text("state")) else { throw r.error("state", "unknown state") }
        return WorkTask(id: id, collector: try r.text("collector"), start: try r.time("start"), end: try r.time("end"),
                        files: StoredRows.split(try r.text("files")), state: state, attempts: try r.count("attempts"),
                        worker: try r.optionalText("worker"), error: try r.optionalText("error"), elements: try r.optionalInt("elements"),
                        damagedRecords: try r.optionalInt("damaged_records"), missingFiles: try r.optionalInt("missing_files"))
    }
}
