import Alerts
import ArgumentParser
import Outages
import Pipeline
import Store

/// `--webhook URL` and `--config PATH`, shared by the commands that detect events (ingest,
/// watch, live): each event's opening, deepening and closing is queued in the store with the
/// event and POSTed by a dispatcher while the command runs (README "Alerts").
struct WebhookArguments: ParsableArguments {
    @Option(name: .customLong("webhook"), help: ArgumentHelp(
        "POST each event as JSON to this URL when it opens, deepens and closes (repeat for several; "
            + "added to the configuration file's `webhooks`).", valueName: "url"))
    var urls: [String] = []

    @Option(help: ArgumentHelp("The configuration file (JSON: webhooks, api_token); default "
                               + "$XDG_CONFIG_HOME/blackout/config.json, else ~/.config/blackout/config.json.", valueName: "path"))
    var config: String?

    @OptionGroup var timing: WebhookTiming

    func validate() throws {
        for url in urls { if let p = WebhookURL.problem(url) { throw ValidationError("--webhook: \(p).") } }
    }

    /// The webhooks: --webhook's, then the configuration file's, each once.
    func resolvedURLs() throws -> [String] {
        let configuration: BlackoutConfiguration
        do { configuration = try BlackoutConfiguration.load(path: config) } catch { throw CLIError("\(error)") }
        for url in configuration.webhooks {
            if let p = WebhookURL.problem(url) { throw CLIError("\(config ?? BlackoutConfiguration.defaultPath): webhooks: \(p)") }
        }
        var seen: Set<String> = []
        return (urls + configuration.webhooks).filter { seen.insert($0).inserted }
    }

    /// The webhooks and how to send them; reads the configuration file.
    func alerting(quiet: Bool) throws -> Alerting {
        Alerting(urls: try resolvedURLs(), settings: timing.settings, quiet: quiet)
    }

    /// `alerting(quiet:).run(...)`.
    func run<T>(store: any Store, db: String, quiet: Bool, accepts: @escaping @Sendable (Event) -> Bool = { _ in true },
                _ body: () async throws -> T) async throws -> T {
        try await alerting(quiet: quiet).run(store: store, db: db, accepts: accepts, body)
    }
}

/// The webhooks of a command that detects events, resolved.
struct Alerting: Sendable {
    var urls: [String]
    var settings: WebhookSettings
    var quiet: Bool

    /// Runs `body` with alerts: when webhooks are configured, `store` queues deliveries for
    /// the events `accepts` lets through, and a dispatcher (with a connection of its own to
    /// `db`) sends them, and those earlier runs left, while `body` runs and for the grace
    /// period after it, whether it succeeds or fails (or is cancelled).
    func run<T>(store: any Store, db: String, accepts: @escaping @Sendable (Event) -> Bool = { _ in true },
                _ body: () async throws -> T) async throws -> T {
        guard !urls.isEmpty else { return try await body() }
        store.webhooks = WebhookPlan(urls: urls, render: EventRendering.json, accepts: accepts)
        let dispatcher = try WebhookTiming.dispatcher(db: db, settings: settings, quiet: quiet)
        dispatcher.start()
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        // Not cancelled with the command's task (`live` is stopped by cancelling it).
        let summary = await Task.detached { await dispatcher.finish() }.value
        WebhookTiming.report(summary, quiet: quiet)
        return try result.get()
    }
}

/// How deliveries are sent: hidden flags, for tests (short pauses) and for the curious.
struct WebhookTiming: ParsableArguments {
    /// The pause before the first retry; it doubles up to 360 times this (10 s to 1 h).
    @Option(name: .customLong("webhook-backoff"), help: .hidden)
    var backoff = 10.0

    /// Seconds a receiver has to answer.
    @Option(name: .customLong("webhook-timeout"), help: .hidden)
    var timeout = 10.0

    /// Seconds spent sending what is due once the work is done.
    @Option(name: .customLong("webhook-grace"), help: .hidden)
    var grace = 5.0

    func validate() throws {
        try requireFlag("--webhook-backoff", backoff, in: "[0.01, 3600] seconds", backoff >= 0.01 && backoff <= 3600)
        try requireFlag("--webhook-timeout", timeout, in: "[0.01, 600] seconds", timeout >= 0.01 && timeout <= 600)
        try requireFlag("--webhook-grace", grace, in: "[0, 3600] seconds", grace >= 0 && grace <= 3600)
    }

    var settings: WebhookSettings {
        var s = WebhookSettings()
        s.backoff = Backoff(first: backoff, maximum: backoff * 360)
        s.timeout = timeout
        s.grace = grace
        return s
    }

    /// A dispatcher over a connection of its own to `db`, logging to standard error.
    static func dispatcher(db: String, settings: WebhookSettings, quiet: Bool) throws -> AlertDispatcher {
        let store: any Store
        do { store = try StoreLocation.open(db) } catch { throw CLIError("\(error)") }
        return AlertDispatcher(store: store, settings: settings) { line in
            // A refusal is always reported: it is never tried again on its own.
            if !quiet || line.contains("refused") { StandardStreams.printError("blackout: " + line) }
        }
    }

    static func report(_ s: AlertDispatcher.Summary, quiet: Bool) {
        guard !s.isEmpty, !quiet || s.queued > 0 || s.refused > 0 else { return }
        var line = "blackout: webhooks: \(s.delivered) delivered, \(s.retried) failed attempt\(s.retried == 1 ? "" : "s"), "
            + "\(s.refused) refused; \(s.queued) still queued"
        if s.queued > 0 { line += " (sent by the next run with webhooks, or `blackout alerts --send`)" }
        StandardStreams.printError(line)
    }
}
