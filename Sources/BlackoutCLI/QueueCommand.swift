import ArgumentParser
import Collectors
import Foundation
import Outages
import Pipeline
import StorePostgres

/// `blackout queue add|status`: the work queue in a PostgreSQL store.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Queue archive windows for `blackout worker`s on several machines, and watch their progress (PostgreSQL).",
        subcommands: [QueueAddCommand.self, QueueStatusCommand.self]
    )
}

/// `--db URL` for the queue's commands: a PostgreSQL store only.
struct QueueDatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("The shared store: postgres://USER[:PASSWORD]@HOST[:PORT]/DB (the password may be in PGPASSWORD).",
                               valueName: "url"))
    var db: String

    func validate() throws {
        guard StoreLocation.isPostgres(db) else {
            throw ValidationError("--db must be a PostgreSQL URL (postgres://…): the work queue lives in PostgreSQL; got '\(StoreLocation.display(db))'.")
        }
    }

    func open(reconnectFor: Double = 5) throws -> WorkQueue {
        do { return WorkQueue(try PostgresStore(db, reconnectFor: reconnectFor)) } catch { throw CLIError("\(error)") }
    }
}

struct QueueAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add tasks: each collector's window cut at its RIB dumps, or the files given.",
        discussion: """
            With --from and --to, each collector's window is cut into tasks at its RIB dumps (RouteViews every \
            2 hours, RIS every 8 hours): each task reads the RIB dump at its start and the update files to its \
            end, so that a year of one collector is thousands of independent tasks. With files, one task reads \
            them (one --collector). Tasks already queued are not added twice.

            Example: blackout queue add --db postgres://blackout@db/blackout --collector route-views2 --collector rrc00 \\
                       --from 2014-01-01 --to 2015-01-01
            """
    )

    @OptionGroup var database: QueueDatabaseOption

    @Option(name: .customLong("collector"), help: ArgumentHelp("A collector (repeat for several): route-views2, rrc00, ….", valueName: "name"))
    var collectors: [String] = []

    @Option(help: ArgumentHelp("Start (ISO 8601 UTC or Unix seconds).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("End, exclusive.", valueName: "time"))
    var to: String?

    @Argument(help: "MRT files to read as one task, instead of a window.")
    var files: [String] = []

    func validate() throws {
        if collectors.isEmpty { throw ValidationError("Give at least one --collector.") }
        if files.isEmpty {
            guard let from, let to else { throw ValidationError("Give --from and --to, or files.") }
            guard let f = TimeArgument.parse(from) else { throw ValidationError("--from: not a time: '\(from)'.") }
            guard let t = TimeArgument.parse(to) else { throw ValidationError("--to: not a time: '\(to)'.") }
            if t <= f { throw ValidationError("--to (\(to)) must be after --from (\(from)).") }
        } else {
            if from != nil || to != nil { throw ValidationError("Give files or --from/--to, not both.") }
            if collectors.count != 1 { throw ValidationError("Files are read as one collector's: give one --collector.") }
            for f in files where !FileManager.default.isReadableFile(atPath: f) { throw ValidationError("\(f): no such readable file.") }
        }
    }

    func run() throws {
        var tasks: [(collector: String, start: UInt32, end: UInt32, files: [String])] = []
        if files.isEmpty, let f = from.flatMap(TimeArgument.parse), let t = to.flatMap(TimeArgument.parse) {
            for name in collectors {
                let collector: Collector
                do { collector = try CollectorCatalog.require(name, from: f, to: t) } catch { throw CLIError("\(error)") }
                tasks += BackfillPlan.windows(collector: collector, from: f, to: t).map { (name, $0.start, $0.end, []) }
            }
        } else {
            let paths = files.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            tasks.append((collectors[0], 0, 0, paths))
        }
        let queue = try database.open()
        let added: Int
        do { added = try queue.add(tasks) } catch { throw CLIError("\(error)") }
        print("\(added) task\(added == 1 ? "" : "s") added (\(tasks.count - added) already queued)")
    }
}

struct QueueStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Tasks by state, the workers, and the elements read per second over the last minute.")

    @OptionGroup var database: QueueDatabaseOption

    @Flag(help: "One JSON object.")
    var json = false

    func run() throws {
        let queue = try database.open()
        let s: QueueStatus
        do { s = try queue.status() } catch { throw CLIError("\(error)") }
        print(json ? QueueRendering.json(s) : QueueRendering.text(s), terminator: "")
    }
}
