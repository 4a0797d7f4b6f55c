/// The pauses between attempts at a delivery: `first` after the first failure, doubling
/// after each one, never more than `maximum` (no jitter: deliveries fail together when their
/// receiver is down, and are few).
public struct Backoff: Sendable, Equatable {
    /// Seconds.
    public var first: Double
    public var maximum: Double

    /// 10 s, 20 s, 40 s ... up to one hour.
    public init(first: Double = 10, maximum: Double = 3600) {
        self.first = first
        self.maximum = maximum
    }

    /// The pause after `attempts` failed attempts (1 or more).
    public func delay(afterAttempts attempts: Int) -> Double {
        var d = first
        for _ in 1..<max(attempts, 1) {
            d *= 2
            if d >= maximum { break }
        }
        return min(d, maximum)
    }
}

/// How webhook deliveries are sent.
public struct WebhookSettings: Sendable, Equatable {
    /// Seconds a receiver has to connect and answer one POST.
    public var timeout: Double = 10
    public var backoff = Backoff()
    /// Seconds a command keeps sending what is due after its work is done, before it exits;
    /// what is left is sent by the next run with webhooks.
    public var grace: Double = 5
    /// Deliveries sent at once.
    public var concurrency = 8
    /// Seconds between looks at the queue while a command runs (deliveries are queued by the
    /// store's saves, in another connection).
    public var poll: Double = 1

    public init() {}
}
