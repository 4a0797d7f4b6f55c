import Alerts
import ArgumentParser
import Foundation
import Pipeline
import Store

/// `blackout alerts`: the webhook deliveries in the store, and sending them by hand.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the webhook deliveries (queued, retrying, failed, delivered); send them.",
        discussion: """
            `ingest`, `watch` and `live` with --webhook (or the configuration file's `webhooks`) queue a \
            delivery in the database, with the events, for each event that opens, deepens (severity partial \
            to complete, or fraction_lost up by 10 points or more since the last alert) or closes, and POST \
            them while they run. A delivery that fails (no connection, a timeout, a 5xx or 429 answer) is \
            tried again after 10 s, 20 s ... up to 1 h; one the receiver refuses (another 4xx) is marked \
            failed. This lists them, newest first: status, change, event, URL, attempts, last error.

            --send sends those due now (for the grace period, 5 s); --retry makes every undelivered one due \
            now, the failed ones included, and sends them.
            """
    )

    @OptionGroup var database: DatabaseOption

    @Flag(help: "One JSON array of deliveries.")
    var json = false

    @Option(help: ArgumentHelp("List at most this many.", valueName: "n"))
    var limit = 100

    @Flag(help: "Send the deliveries due now.")
    var send = false

    @Flag(help: "Make every undelivered delivery due now (failed ones included), and send them.")
    var retry = false

    @Flag(name: .shortAndLong, help: "No line per failed attempt.")
    var quiet = false

    @OptionGroup var timing: WebhookTiming

    func validate() throws {
        try requireFlag("--limit", limit, in: "1...1000000", limit >= 1 && limit <= 1_000_000)
    }

    func run() async throws {
        let store = try database.open()
        if retry || send {
            if retry {
                do { _ = try store.retryAlerts(now: UInt32(clamping: Int(Date().timeIntervalSince1970))) } catch { throw CLIError("\(error)") }
            }
            let dispatcher = try WebhookTiming.dispatcher(db: database.db, settings: timing.settings, quiet: quiet)
            WebhookTiming.report(await dispatcher.finish(), quiet: false)
        }
        let list: [AlertDelivery]
        do { list = try store.alertDeliveries(limit: limit) } catch { throw CLIError("\(error)") }
        print(json ? Self.json(list) : Self.text(list), terminator: "")
    }

    static func text(_ list: [AlertDelivery]) -> String {
        list.map { d in
            var line = "\(d.status.rawValue) \(d.change.rawValue) \(d.eventKey) \(d.url) attempts \(d.attempts)"
            if let t = d.delivered { line += " delivered \(time(t))" }
            else if d.gaveUp == nil { line += " next \(time(d.nextAttempt))" }
            if let e = d.lastError, d.delivered == nil { line += " last error: \(e)" }
            return line + "\n"
        }.joined()
    }

    static func json(_ list: [AlertDelivery]) -> String {
        func t(_ x: Double?) -> String { x.map { "\"\(time($0))\"" } ?? "null" }
        return "[" + list.map { d in
            "{\"id\":\(EventRendering.string(d.id)),\"url\":\(EventRendering.string(d.url)),"
                + "\"event_key\":\(EventRendering.string(d.eventKey)),\"change\":\"\(d.change.rawValue)\","
                + "\"status\":\"\(d.status.rawValue)\",\"attempts\":\(d.attempts),\"created\":\(t(d.created)),"
                + "\"next_attempt\":\(d.delivered == nil && d.gaveUp == nil ? t(d.nextAttempt) : "null"),"
                + "\"delivered\":\(t(d.delivered)),\"failed\":\(t(d.gaveUp)),"
                + "\"last_error\":\(d.lastError.map(EventRendering.string) ?? "null"),\"payload\":\(d.payload)}"
        }.joined(separator: ",\n") + "]\n"
    }

    /// ISO 8601 to the second (UTC).
    static func time(_ t: Double) -> String { EventRendering.iso(UInt32(clamping: Int(t.rounded(.down)))) }
}
