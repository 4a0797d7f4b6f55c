import Foundation
import Logging
import NIOCore
import NIOPosix
import WSClient

/// A client of RIPE's RIS Live WebSocket stream that keeps itself connected.
///
/// On every connection it sends the subscriptions (`RISLiveConfiguration.subscriptions`),
/// answers pings (WebSocket pings by the WebSocket library, `{"type":"ping"}` with
/// `{"type":"pong"}`), sends its own, and reads messages until the connection ends. A
/// connection that stays silent longer than `silenceTimeout`, or does not open within
/// `connectTimeout`, is abandoned. It then reconnects after a back-off that doubles while
/// connections bring nothing (bounded by `maximumBackoff`). Because RIS Live does not
/// replay what a client missed, the end of a subscribed connection is reported as a `gap`
/// for its collectors (after BGPalerter's RIS Live client, which pings, reconnects on missed
/// pongs and resubscribes on every open).
///
/// It prints nothing: everything is an `RISLiveEvent`, through `events()` or `run(_:)`.
public final class RISLiveClient: Sendable {
    public let configuration: RISLiveConfiguration
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup

    /// `logger` receives the WebSocket library's own messages; by default they are dropped.
    public init(configuration: RISLiveConfiguration,
                logger: Logger = Logger(label: "blackout.ris-live", factory: { _ in SwiftLogNoOpLogHandler() }),
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
    }

    /// The client's events, from the first connection on, until the consumer stops
    /// iterating (or its task is cancelled): then the client disconnects.
    public func events() -> AsyncStream<RISLiveEvent> {
        AsyncStream { continuation in
            let task = Task { [self] in
                await run { continuation.yield($0) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Connects, reads, reconnects, until the calling task is cancelled; `report` is called
    /// for each event, from one task at a time.
    public func run(_ report: @escaping @Sendable (RISLiveEvent) -> Void) async {
        var attempt = 0
        var failures = 0
        while !Task.isCancelled {
            attempt += 1
            let outcome = await connectOnce(attempt: attempt, report: report)
            if Task.isCancelled { break }
            failures = outcome.receivedMessages ? 0 : failures + 1
            let wait = backoff(afterFailures: failures)
            report(.disconnected(outcome.reason, retryIn: wait))
            if outcome.subscribed {
                let lost = Set(configuration.collectors).union(outcome.collectorsSeen).sorted()
                report(.gap(collectors: lost))
            }
            try? await Task.sleep(for: wait)
        }
    }

    /// The wait before the next connection: `initialBackoff` doubled for each consecutive
    /// connection that brought no message (none: `initialBackoff`), at most `maximumBackoff`.
    public func backoff(afterFailures failures: Int) -> Duration {
        var wait = configuration.initialBackoff
        for _ in 0..<max(0, failures - 1) {
            wait = wait * 2
            if wait >= configuration.maximumBackoff { return configuration.maximumBackoff }
        }
        return min(wait, configuration.maximumBackoff)
    }

    /// What one connection came to.
    struct Outcome {
        var reason: RISLiveDisconnect
        var subscribed: Bool
        var receivedMessages: Bool
        var collectorsSeen: Set<String>
    }

    /// One connection, from connecting to its end (or until abandoned by the watchdog or
    /// the caller's cancellation: the WebSocket library's upgrade cannot be cancelled, so
    /// an abandoned connection is left to finish on its own and reports nothing more).
    private func connectOnce(attempt: Int, report: @escaping @Sendable (RISLiveEvent) -> Void) async -> Outcome {
        let url = configuration.url
        let state = ConnectionState()
        let ending = FirstOutcome<RISLiveDisconnect>()
        let connection = Task { [configuration, logger, eventLoopGroup] in
            let ws = WebSocketClientConfiguration(maxFrameSize: min(configuration.maximumMessageBytes, 1 << 20),
                                                  autoPing: .enabled(timePeriod: configuration.pingInterval))
            do {
                let close = try await WebSocketClient.connect(url: url, configuration: ws, eventLoopGroup: eventLoopGroup,
                                                              logger: logger) { inbound, outbound, _ in
                    state.opened()
                    for subscription in configuration.subscriptions { try await outbound.write(.text(subscription)) }
                    guard state.subscribed() else { return }
                    report(.connected(attempt: attempt))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            while true {
                                try await Task.sleep(for: configuration.pingInterval)
                                try await outbound.write(.text(RISLiveConfiguration.ping))
                            }
                        }
                        for try await message in inbound.messages(maxSize: configuration.maximumMessageBytes) {
                            guard state.isCurrent else { break }
                            let text: String
                            switch message {
                            case .text(let s): text = s
                            case .binary(let b): text = String(buffer: b)
                            }
                            let parsed: Result<RISLiveMessage, RISLiveParseError>
                            do throws(RISLiveParseError) { parsed = .success(try RISLiveMessage.parse(text)) } catch { parsed = .failure(error) }
                            switch parsed {
                            case .success(.pong):
                                break  // proves the socket, not the stream: silence is still silence
                            case .success(.ping):
                                state.heard(collector: nil)
                                try await outbound.write(.text(RISLiveConfiguration.pong))
                            case .success(let m):
                                state.heard(collector: m.collector)
                                report(.message(m))
                            case .failure(let reason):
                                state.heard(collector: nil)
                                report(.malformed(line: String(text.prefix(300)), reason: reason))
                            }
                        }
                        group.cancelAll()
                    }
                }
                if state.wasOpened {
                    ending.resolve(.closed(url: url, code: close.map { "\($0.closeCode)" }, reason: close?.reason))
                } else {
                    ending.resolve(.connectFailed(url: url, reason: "the server closed the connection before the WebSocket upgrade"))
                }
            } catch {
                let reason = Self.describe(error)
                ending.resolve(state.wasOpened ? .failed(url: url, reason: reason) : .connectFailed(url: url, reason: reason))
            }
        }
        let watchdog = Task { [configuration] in
            let started = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                if !state.wasOpened {
                    let waited = ContinuousClock.now - started
                    if waited > configuration.connectTimeout {
                        ending.resolve(.connectTimedOut(url: url, seconds: Self.seconds(waited)))
                    }
                } else if let quiet = state.quietFor, quiet > configuration.silenceTimeout {
                    ending.resolve(.silent(url: url, seconds: Self.seconds(quiet)))
                }
            }
        }
        let reason = await withTaskCancellationHandler {
            await ending.value
        } onCancel: {
            ending.resolve(.closed(url: url, code: nil, reason: "the client stopped"))
        }
        state.abandon()
        connection.cancel()
        watchdog.cancel()
        return Outcome(reason: reason, subscribed: state.wasSubscribed, receivedMessages: state.receivedMessages,
                       collectorsSeen: state.collectorsSeen)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? IOError { return "\(e.description)" }
        return "\(error)"
    }
}

/// What the connection's task and the watchdog share.
final class ConnectionState: @unchecked Sendable {
    private let lock = NSLock()
    private var opened = false
    private var subscribedFlag = false
    private var current = true
    private var lastHeard = ContinuousClock.now
    private var messages = false
    private var seen: Set<String> = []

    func opened(at now: ContinuousClock.Instant = .now) {
        lock.withLock {
            opened = true
            lastHeard = now
        }
    }

    /// Marks the subscriptions sent; false when the connection was abandoned meanwhile.
    func subscribed() -> Bool {
        lock.withLock {
            if current { subscribedFlag = true }
            return current
        }
    }

    func heard(collector: String?) {
        lock.withLock {
            lastHeard = .now
            messages = true
            if let collector { seen.insert(collector) }
        }
    }

    /// The connection is no longer the client's: it reports nothing more.
    func abandon() { lock.withLock { current = false } }

    var isCurrent: Bool { lock.withLock { current } }
    var wasOpened: Bool { lock.withLock { opened } }
    var wasSubscribed: Bool { lock.withLock { subscribedFlag } }
    var receivedMessages: Bool { lock.withLock { messages } }
    var collectorsSeen: Set<String> { lock.withLock { seen } }
    /// How long nothing has been heard, once the connection is open.
    var quietFor: Duration? { lock.withLock { opened ? ContinuousClock.now - lastHeard : nil } }
}

/// A value set once, by whichever of several tasks comes first, and awaited.
final class FirstOutcome<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Value?
    private var waiters: [CheckedContinuation<Value, Never>] = []

    func resolve(_ value: Value) {
        let resumed: [CheckedContinuation<Value, Never>] = lock.withLock {
            guard result == nil else { return [] }
            result = value
            defer { waiters = [] }
            return waiters
        }
        for w in resumed { w.resume(returning: value) }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { c in
                let ready: Value? = lock.withLock {
                    if let result { return result }
                    waiters.append(c)
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }
        }
    }
}
