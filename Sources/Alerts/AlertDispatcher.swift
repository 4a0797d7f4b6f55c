import Foundation
import NIOCore
import Store

/// Sends the store's due webhook deliveries in the background while a command works, and
/// what is due for a short grace period when it is done.
///
/// It never blocks the ingest: it has its own connection to the store, used on a queue of
/// its own (`StoreAccess`), and its own HTTP client with timeouts. A failed attempt (no
/// connection, a timeout, a 5xx or a 429) is tried again after a pause that doubles
/// (`Backoff`); another answer (a 4xx) is logged and marked failed. The attempt count and
/// the last error are kept with the delivery, so that the next run of any command with
/// webhooks (or `blackout alerts --send`) goes on where this one stopped. An outcome that
/// cannot be written at once (the database busy with an ingest's transaction) is kept and
/// written at the next look; if the process ends first, the delivery is sent again by a
/// later run with the same `Idempotency-Key`, which lets the receiver drop the duplicate.
public final class AlertDispatcher: @unchecked Sendable {
    /// What this dispatcher did.
    public struct Summary: Sendable, Equatable {
        public var delivered = 0
        /// Failed attempts that will be tried again.
        public var retried = 0
        /// Deliveries the receivers refused (given up).
        public var refused = 0
        /// Deliveries still to send when it stopped.
        public var queued = 0
        public var isEmpty: Bool { delivered == 0 && retried == 0 && refused == 0 && queued == 0 }
    }

    public let settings: WebhookSettings
    private let access: StoreAccess
    private let sender: WebhookSender
    private let log: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    // Guarded by `lock`.
    private var loop: Task<Void, Never>?
    private var stopping = false
    /// Deliveries being sent, and those sent whose outcome is not written yet: not sent again meanwhile.
    private var inFlight: Set<Int64> = []
    private var unrecorded: [Int64: Outcome] = [:]
    private var summary = Summary()

    private enum Outcome: Sendable {
        case delivered(at: Double)
        case failed(at: Double, error: String, retryAt: Double?)
    }

    /// - Parameters:
    ///   - store: a connection of the dispatcher's own (not the one the command saves with).
    ///   - log: one line per failed attempt and per refusal.
    ///   - clock: Unix time in seconds.
    public init(store: any Store, settings: WebhookSettings = WebhookSettings(), log: @escaping @Sendable (String) -> Void,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.settings = settings
        self.access = StoreAccess(store)
        self.sender = WebhookSender(timeout: settings.timeout)
        self.log = log
        self.clock = clock
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Starts sending in the background: every `settings.poll` seconds, what is due.
    public func start() {
        let task = Task.detached { [self] in
            while !Task.isCancelled, !locked({ stopping }) {
                if await pass(deadline: nil) == 0 {
                    try? await Task.sleep(nanoseconds: UInt64(settings.poll * 1e9))
                }
            }
        }
        locked { loop = task }
    }

    /// Stops the background sending, sends what is due (and what falls due) for the grace
    /// period, writes every outcome, and closes the HTTP client. Call once. Requests still
    /// unanswered at the end of the grace period are cut short, and due again at once.
    public func finish() async -> Summary {
        let task = locked {
            stopping = true
            return loop
        }
        // Sends what is due besides what the background sending has in hand, and waits for that.
        await drain(until: clock() + settings.grace)
        task?.cancel()
        await task?.value
        await record()
        let queued = (try? await access.run { try $0.undeliveredAlerts() }) ?? 0
        await sender.shutdown()
        return locked {
            summary.queued = queued
            return summary
        }
    }

    /// Sends until nothing is due before `deadline`; requests still unanswered at the
    /// deadline are cut short (and due again at once for the next run).
    private func drain(until deadline: Double) async {
        while clock() < deadline {
            if await pass(deadline: deadline) > 0 { continue }
            let next: Double?
            do { next = try await access.run { try $0.nextAlertTime() } } catch { break }
            guard let next, next < deadline else { break }
            // Due now but waiting for its outcome to be written: look again shortly.
            let pause = max(next - clock(), 0.05)
            try? await Task.sleep(nanoseconds: UInt64(min(pause, deadline - clock()).clamped(0, 3600) * 1e9))
        }
    }

    /// One look at the queue: writes the outcomes kept, then sends a batch of what is due.
    /// Returns how many were sent.
    private func pass(deadline: Double?) async -> Int {
        await record()
        let waiting = locked { inFlight.union(unrecorded.keys) }
        let now = clock(), limit = settings.concurrency + waiting.count
        let due: [AlertDelivery]
        do {
            due = try await access.run { try $0.dueAlerts(now: now, limit: limit) }
        } catch {
            return 0  // busy with a save: the next look finds them
        }
        let batch = locked { () -> [AlertDelivery] in
            let batch = Array(due.filter { !waiting.contains($0.row) && !inFlight.contains($0.row) }.prefix(settings.concurrency))
            inFlight.formUnion(batch.map(\.row))
            return batch
        }
        guard !batch.isEmpty else { return 0 }
        await withTaskGroup(of: Void.self) { group in
            for d in batch { group.addTask { await self.deliver(d, deadline: deadline) } }
        }
        await record()
        return batch.count
    }

    /// One attempt at `d`, its outcome kept for `record()`.
    private func deliver(_ d: AlertDelivery, deadline grace: Double?) async {
        let start = clock()
        let end = min(start + settings.timeout, grace ?? .greatestFiniteMagnitude)
        let outcome = await sender.send(d, deadline: .now() + .nanoseconds(Int64(max(end - start, 0) * 1e9)))
        let now = clock()
        let what = "webhook \(d.url): \(d.change.rawValue) \(d.eventKey)"
        let result: Outcome
        switch outcome {
        case .delivered:
            result = .delivered(at: now)
            locked { summary.delivered += 1 }
        case .retry(let reason):
            // Stopped at the end of the grace period: by its deadline, or by cancelling the background sending.
            if reason == WebhookSender.cancelled || (grace.map { now >= $0 - 0.01 && end == $0 } ?? false) {
                result = .failed(at: now, error: "cut short at exit: no answer within the grace period", retryAt: now)
                log("\(what): no answer within the grace period; sent again by the next run with webhooks")
            } else {
                let pause = settings.backoff.delay(afterAttempts: d.attempts + 1)
                result = .failed(at: now, error: reason, retryAt: now + pause)
                log("\(what): \(reason) (attempt \(d.attempts + 1)); trying again in \(WebhookSender.seconds(pause)) s")
            }
            locked { summary.retried += 1 }
        case .refused(let reason):
            result = .failed(at: now, error: reason, retryAt: nil)
            log("\(what): refused: \(reason); marked failed, not tried again (`blackout alerts --retry` tries again)")
            locked { summary.refused += 1 }
        }
        locked {
            unrecorded[d.row] = result
            inFlight.remove(d.row)
        }
    }

    /// Writes the outcomes kept; those the store cannot take now stay for the next look.
    private func record() async {
        let outcomes = locked { unrecorded }
        guard !outcomes.isEmpty else { return }
        let written = (try? await access.run { store -> [Int64] in
            var done: [Int64] = []
            for (row, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                do {
                    switch outcome {
                    case .delivered(let at): try store.markAlertDelivered(row: row, at: at)
                    case .failed(let at, let error, let retryAt): try store.markAlertFailed(row: row, at: at, error: error, retryAt: retryAt)
                    }
                    done.append(row)
                } catch {
                    break
                }
            }
            return done
        }) ?? []
        locked { for row in written { unrecorded[row] = nil } }
    }
}

extension Double {
    fileprivate func clamped(_ low: Double, _ high: Double) -> Double { Swift.min(Swift.max(self, low), high) }
}
