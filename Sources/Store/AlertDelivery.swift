import Outages

/// What a webhook is told happened to an event.
public enum AlertChange: String, Sendable, CaseIterable {
    /// First stored (an event first stored already closed is `opened`, then `closed`).
    case opened
    /// Worse than when the receivers were last told: see `AlertRule.deepens`.
    case deepened
    /// Its end is known.
    case closed
}

/// The part of an event that decides which changes are alerted.
public struct AlertBasis: Sendable, Equatable {
    public var severity: Event.Severity
    public var fractionLost: Double
    public var closed: Bool
    public init(severity: Event.Severity, fractionLost: Double, closed: Bool) {
        self.severity = severity
        self.fractionLost = fractionLost
        self.closed = closed
    }
    public init(_ e: Event) { self.init(severity: e.severity, fractionLost: e.fractionLost, closed: e.end != nil) }
}

/// The one rule that turns a new version of an event into webhook deliveries, by comparing
/// it with the version the store holds (same `Event.key`) inside the save's transaction.
///
/// - No stored version: `opened` (and `closed` too when it is already over).
/// - A stored version still open and the new one ended: `closed`.
/// - Both open: `deepened` when the new version is worse than the one the receivers were
///   last told about (the last `opened` or `deepened` alert, else the stored version):
///   severity `partial` became `complete`, or `fraction_lost` grew by `deepening` (10
///   percentage points) or more. Measuring from the last alert, not from the last save,
///   catches a loss that creeps up a little at every save.
/// - A stored version already closed: nothing (the same event saved again).
public enum AlertRule {
    /// How much `fraction_lost` must grow, in points of [0, 1], to be told again: 10 points.
    public static let deepening = 0.10

    /// The changes to alert, in order.
    /// - Parameters:
    ///   - stored: the stored version of the event, if any.
    ///   - alerted: the event as last alerted (`opened` or `deepened`), if it was.
    public static func changes(stored: AlertBasis?, alerted: AlertBasis?, new: Event) -> [AlertChange] {
        guard let stored else { return new.end == nil ? [.opened] : [.opened, .closed] }
        if stored.closed { return [] }
        if new.end != nil { return [.closed] }
        return deepens(from: alerted ?? stored, to: AlertBasis(new)) ? [.deepened] : []
    }

    /// Whether `new` is worse than `old` by the rule above.
    public static func deepens(from old: AlertBasis, to new: AlertBasis) -> Bool {
        if old.severity == .partial && new.severity == .complete { return true }
        // A tolerance for fractions computed as ratios (0.3 + 0.1 is not 0.4 in binary).
        return new.fractionLost - old.fractionLost >= deepening - 1e-9
    }

    /// The delivery's identity, the same for every retry and every run that finds the same
    /// change (the `id` field and the `Idempotency-Key` header): the event's key, the change,
    /// and for `deepened` the state it deepened to, such as
    /// `outage-KP-ipv4-1401494400-deepened-complete-100`.
    public static func deliveryID(_ e: Event, _ change: AlertChange) -> String {
        var id = e.key.split(separator: " ").joined(separator: "-") + "-" + change.rawValue
        if change == .deepened { id += "-\(e.severity.rawValue)-\(Int((e.fractionLost * 100).rounded()))" }
        return id
    }
}

/// Which webhooks a store queues deliveries for when it saves events (set on the store by
/// the commands that detect events: ingest, watch, live).
public struct WebhookPlan: Sendable {
    /// Each change is queued once per URL.
    public var urls: [String]
    /// The event's JSON object (`EventRendering.json`): the payload before `change` and `id` are added.
    public var render: @Sendable (Event) -> String
    /// Which events are alerted (`watch` alerts the countries and ASes it watches).
    public var accepts: @Sendable (Event) -> Bool
    public init(urls: [String], render: @escaping @Sendable (Event) -> String,
                accepts: @escaping @Sendable (Event) -> Bool = { _ in true }) {
        self.urls = urls
        self.render = render
        self.accepts = accepts
    }

    /// The document POSTed: the event's object with `"change"` and `"id"` added at its end.
    public func payload(_ e: Event, _ change: AlertChange, id: String) -> String {
        var object = render(e)
        if object.last == "}" { object.removeLast() }
        let separator = object == "{" ? "" : ","
        return object + separator + "\"change\":\"\(change.rawValue)\",\"id\":\"\(id)\"}"
    }
}

/// One webhook delivery as the store keeps it.
public struct AlertDelivery: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Not tried yet.
        case queued
        /// Tried and failed; tried again at `nextAttempt`.
        case retrying
        /// Given up (the receiver refused it: a 4xx other than 429); `retryAlerts` revives it.
        case failed
        case delivered
    }

    /// The row's number.
    public var row: Int64
    /// The idempotency key (`AlertRule.deliveryID`).
    public var id: String
    public var url: String
    public var eventKey: String
    public var change: AlertChange
    /// The JSON document to POST.
    public var payload: String
    /// Unix times, in seconds.
    public var created: Double
    public var attempts: Int
    public var nextAttempt: Double
    public var delivered: Double?
    public var gaveUp: Double?
    public var lastError: String?

    public init(row: Int64, id: String, url: String, eventKey: String, change: AlertChange, payload: String, created: Double,
                attempts: Int, nextAttempt: Double, delivered: Double?, gaveUp: Double?, lastError: String?) {
        self.row = row
        self.id = id
        self.url = url
        self.eventKey = eventKey
        self.change = change
        self.payload = payload
        self.created = created
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.delivered = delivered
        self.gaveUp = gaveUp
        self.lastError = lastError
    }

    public var status: Status {
        if delivered != nil { return .delivered }
        if gaveUp != nil { return .failed }
        return attempts > 0 ? .retrying : .queued
    }
}
