import Collectors
import Foundation
import MRT
import MRTArchive
import Outages
import Store
import StorePostgres

/// How a worker works (`blackout worker`).
public struct WorkerOptions: Sendable {
    /// The worker's name in the queue: unique per process (host and pid by default).
    public var name: String
    /// Seconds a claimed task stays the worker's without a renewal; renewed every third of it.
    public var lease: Double = 60
    /// Where the archives come from (a local mirror, or downloads with a cache).
    public var archives = ArchiveSource()
    /// Stop when no task is queued or running, instead of waiting for more.
    public var exitWhenIdle = false
    /// Seconds between looks at an empty queue.
    public var idlePause: Double = 2
    public init(name: String = WorkerOptions.defaultName) { self.name = name }

    public static var defaultName: String { "\(ProcessInfo.processInfo.hostName)-\(getpid())" }
}

/// What a worker did.
public struct WorkerSummary: Sendable {
    public var tasks = 0
    public var failedAttempts = 0
    public var elements = 0
    /// Tasks it finished that another worker had finished first (their lease had passed to it): not counted again.
    public var lostLeases = 0
    /// Tasks given back to the queue because the worker was stopped.
    public var released = 0
}

/// `blackout worker`: claims tasks from the queue in PostgreSQL, one at a time, and runs
/// each while renewing its lease. The loop survives the server going away: a failed call
/// is retried with back-off (up to 30 s between tries), and a task whose result could not be
/// written comes back to the queue when its lease expires.
///
/// A task's work today is the scan of its archives: each file read, its elements and damaged
/// records counted, recorded by content hash with the task (`WorkQueue.scannedFiles`). The
/// per-collector counts the merge needs are not written yet (see the README, "Many machines").
public final class BackfillWorker: @unchecked Sendable {
    public let queue: WorkQueue
    public let options: WorkerOptions
    /// Lines for the log: claims, completions, failures, reconnections.
    public var onEvent: @Sendable (String) -> Void = { _ in }

    public init(queue: WorkQueue, options: WorkerOptions) {
        self.queue = queue
        self.options = options
    }

    public func run() async throws -> WorkerSummary {
        var summary = WorkerSummary()
        var pause = 0.5
        try await retrying(&pause) { try queue.register(worker: options.name, host: ProcessInfo.processInfo.hostName, pid: getpid()) }
        while !Task.isCancelled {
            guard let task = try await retrying(&pause, { try queue.claim(worker: options.name, lease: options.lease) }) else {
                // With --exit-when-idle, tasks other workers still run keep this one looking
                // (one may fail and come back), often, so that it stops soon after the last.
                if options.exitWhenIdle {
                    if try await retrying(&pause, { try queue.remaining() }) == 0 { break }
                    try await Task.sleep(for: .seconds(min(options.idlePause, 0.25)))
                } else {
                    try await Task.sleep(for: .seconds(options.idlePause))
                }
                continue
            }
            onEvent("task \(task.id): \(task.collector) \(utcMinute(task.start)) to \(utcMinute(task.end)) (attempt \(task.attempts))")
            let result = await runHoldingLease(task)
            if Task.isCancelled {
                // Stopping (SIGINT, SIGTERM): the task goes back to the queue for another worker.
                try await retrying(&pause) { try queue.release(task.id, worker: options.name) }
                summary.released += 1
                onEvent("task \(task.id): given back (stopping)")
                break
            }
            switch result {
            case .success(let outcome):
                let recorded = try await retrying(&pause) { try queue.complete(task.id, worker: options.name, outcome: outcome) }
                if recorded {
                    summary.tasks += 1
                    summary.elements += outcome.elements
                    onEvent("task \(task.id): done, \(outcome.files.count) files, \(outcome.elements) elements, "
                            + "\(outcome.damagedRecords) damaged records, \(outcome.missingFiles) missing files")
                } else {
                    summary.lostLeases += 1
                    onEvent("task \(task.id): its lease passed to another worker; this result is not recorded")
                }
            case .failure(let error):
                summary.failedAttempts += 1
                onEvent("task \(task.id): \(error)")
                try await retrying(&pause) { try queue.giveUp(task.id, worker: options.name, error: "\(error)") }
            }
        }
        return summary
    }

    /// Runs `task` while the lease is renewed; stops renewing when it is done.
    private func runHoldingLease(_ task: WorkTask) async -> Result<TaskOutcome, any Error> {
        let work = Task.detached { [options] () async -> Result<TaskOutcome, any Error> in
            do { return .success(try await Self.scan(task, archives: options.archives)) } catch { return .failure(error) }
        }
        let renewal = Task { [queue, options, onEvent] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(options.lease / 3))
                if Task.isCancelled { break }
                do {
                    if try !queue.renew(task.id, worker: options.name, lease: options.lease) {
                        onEvent("task \(task.id): lease lost")
                        break
                    }
                } catch {
                    onEvent("task \(task.id): cannot renew the lease: \(error)")
                }
            }
        }
        // Stopping cancels the scan too (it stops between files).
        let result = await withTaskCancellationHandler { await work.value } onCancel: { work.cancel() }
        renewal.cancel()
        return result
    }

    /// Reads the task's archives: each file's elements and damaged records, and its content hash.
    static func scan(_ task: WorkTask, archives: ArchiveSource) async throws -> TaskOutcome {
        var paths = task.files
        var missing = 0
        if paths.isEmpty {
            let collector = try CollectorCatalog.require(task.collector)
            let fetcher = ArchiveFetcher(source: archives)
            let report: FetchReport
            do {
                report = try await fetcher.fetch(collectors: [collector], from: task.start, to: task.end, selection: .all, onEvent: { _ in })
            } catch {
                await fetcher.shutdown()
                throw error
            }
            await fetcher.shutdown()
            paths = report.files.map(\.path)
            missing = report.missing.count + report.failed.count
            guard !paths.isEmpty else {
                throw WorkerError("no archive of \(task.collector) from \(utcMinute(task.start)) to \(utcMinute(task.end)) "
                                  + "could be read (\(missing) missing or failed)")
            }
        }
        var files: [IngestedFile] = []
        for path in paths {
            try Task.checkCancellation()
            // On the worker's thread only: a machine's cores are used by running a worker per core.
            let (source, _) = try Input.open(path, prefetch: false)
            let stream = ElementStream(reader: MRTReader(source: source, name: path))
            var elements = 0
            try stream.forEach { _ in elements += 1 }
            files.append(IngestedFile(contentHash: try contentHash(ofFile: path), path: path, collector: task.collector,
                                      elements: elements,
                                      damagedRecords: stream.stats.damagedRecords + stream.reader.stats.truncatedRecords
                                          + stream.reader.stats.sourceFailures))
        }
        Failpoint.pause("hold-task")
        try Task.checkCancellation()
        return TaskOutcome(files: files, missingFiles: missing)
    }

    /// Runs `body`, retrying with back-off (0.5 s doubling to 30 s) while the store cannot be
    /// reached; other errors are thrown.
    private func retrying<T>(_ pause: inout Double, _ body: () throws -> T) async throws -> T {
        while true {
            do {
                let value = try body()
                pause = 0.5
                return value
            } catch let e as StoreError where e.connectionLost || e.busy {
                onEvent("the store: \(e.message); trying again in \(pause) s")
                try await Task.sleep(for: .seconds(pause))
                pause = min(pause * 2, 30)
            }
        }
    }
}

public struct WorkerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ d: String) { description = d }
}
