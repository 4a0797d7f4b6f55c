import ArgumentParser
import Foundation
import Pipeline
import Registry
import StorePostgres

/// `blackout worker`: works through the queue in PostgreSQL.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim tasks from the queue in PostgreSQL and run them, on as many machines as you like.",
        discussion: """
            Tasks are claimed with SELECT … FOR UPDATE SKIP LOCKED under a lease the worker renews while it works \
            (--lease seconds); a task whose worker died is claimed again when its lease expires, and a task \
            tried three times without success is marked failed with the reason. A task's result is written with \
            its completion, by the worker that holds its lease: a task done twice counts once. When the server \
            goes away the worker waits and reconnects with back-off. Workers share nothing but the database and \
            the archives (a shared mirror with --archive-dir, or each its own download cache). SIGINT or SIGTERM \
            gives the task in hand back to the queue (its claim not counted) and stops the worker.

            Each task reads its collector's archives for its window and records every file's elements and \
            damaged records by content hash. (The per-collector counts that the merge into bins and events needs \
            are the next step; see README "Many machines".)

            --registry names the directory of RIR statistics files the results are to be computed with (as \
            `ingest --registry`); it is read at start, so that a worker with a wrong directory stops at once \
            instead of after claiming work. Today's scan does not map prefixes yet.

            Example: blackout worker --db postgres://blackout@db/blackout --registry /data/registry \
                     --archive-dir /mirror --exit-when-idle
            """
    )

    @OptionGroup var database: QueueDatabaseOption

    @OptionGroup var archives: ArchiveSourceOptions

    @Option(help: ArgumentHelp("Directory of RIR statistics files (see `blackout registry update`); checked at start.", valueName: "dir"))
    var registry: String?

    @Flag(help: "Stop when no task is queued or running.")
    var exitWhenIdle = false

    @Option(help: ArgumentHelp("The worker's name in `queue status` (default: host-pid).", valueName: "name"))
    var name: String = WorkerOptions.defaultName

    @Option(help: ArgumentHelp("Seconds a claimed task stays this worker's without a renewal.", valueName: "seconds"))
    var lease = 60.0

    @Option(help: ArgumentHelp("Seconds to keep trying to reach the server before a call fails (the worker then tries again).", valueName: "seconds"))
    var reconnect = 30.0

    @Flag(name: .shortAndLong, help: "No log lines.")
    var quiet = false

    func validate() throws {
        try requireFlag("--lease", lease, in: "[1, 86400] seconds", lease >= 1 && lease <= 86_400)
        try requireFlag("--reconnect", reconnect, in: "[0, 3600] seconds", reconnect >= 0 && reconnect <= 3600)
        if name.isEmpty { throw ValidationError("--name must not be empty.") }
        if registry?.isEmpty == true { throw ValidationError("--registry must name a directory.") }
    }

    func run() async throws {
        if let registry {
            do { _ = try RegistryDatabase.load(directory: registry) } catch { throw CLIError("--registry: \(error)") }
        }
        let queue = try database.open(reconnectFor: reconnect)
        var options = WorkerOptions(name: name)
        options.lease = lease
        options.archives = archives.source
        options.exitWhenIdle = exitWhenIdle
        let worker = BackfillWorker(queue: queue, options: options)
        let quiet = quiet, name = name
        worker.onEvent = { line in if !quiet { StandardStreams.printError("blackout worker \(name): \(line)") } }
        let task = Task.detached { try await worker.run() }
        // SIGINT or SIGTERM: the task in hand goes back to the queue, then the worker exits.
        let signals = SignalWatch([SIGINT, SIGTERM]) { task.cancel() }
        defer { signals.stop() }
        let summary: WorkerSummary
        do { summary = try await task.value } catch is CancellationError { return }
        if !quiet {
            StandardStreams.printError("blackout worker \(name): \(summary.tasks) tasks done, \(summary.elements) elements, "
                                       + "\(summary.failedAttempts) failed attempts, \(summary.lostLeases) results dropped (lease lost)"
                                       + (summary.released > 0 ? ", \(summary.released) given back (stopped)" : ""))
        }
    }
}
