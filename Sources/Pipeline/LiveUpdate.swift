import Collectors
import Outages

/// What a live session reports as it runs, for a command line or a server to show.
public enum LiveUpdate: Sendable {
    /// Why the peers of some collectors became a gap in the data.
    public enum GapCause: String, Sendable {
        /// The stream's connection ended: what was sent meanwhile is lost.
        case disconnection
        /// The session resumed a stored state: what was sent while it was stopped is lost.
        case restart
    }

    /// The stored state was restored (size, seconds; time of its latest element).
    case restored(bytes: Int, seconds: Double, time: UInt32)
    /// Files were replayed before the stream (RIB dumps, update files).
    case replayed(files: Int, elements: Int, skipped: Int)
    /// An event was reported (an outage lasting its duration, instability...).
    case opened(Event)
    /// An event ended.
    case closed(Event)
    case connected(attempt: Int)
    case disconnected(RISLiveDisconnect, retryIn: Duration)
    /// The sessions of `peers` peers of `collectors` were taken down at `time`: they count
    /// again once a RIB dump lists them.
    case gap(collectors: [String], peers: Int, time: UInt32, cause: GapCause)
    /// A newer RIB dump of `collector` (`file`, taken at `dumpTime`) was applied at `time` to
    /// its peers that did not count for want of a table: `peers` of them count again
    /// (`LiveSession+RIBRefresh`).
    case ribApplied(collector: String, file: String, dumpTime: UInt32, time: UInt32, peers: Int)
    /// One of the first malformed messages (`count` so far).
    case malformed(line: String, reason: RISLiveParseError, count: Int)
    /// RIS Live's `ris_error`.
    case serverError(String)
    /// A checkpoint was written: the state at `time`, `bytes` in `seconds`.
    case checkpoint(time: UInt32, bytes: Int, seconds: Double)
    /// Damaged records, skipped files, registry lines.
    case warning(String)
}

/// What a live session did.
public struct LiveReport: Sendable {
    /// Messages read from the stream (malformed ones included).
    public var messages = 0
    public var elements = 0
    public var malformed = 0
    /// Elements older than the bin in progress (applied to it).
    public var late = 0
    public var serverErrors = 0
    public var connections = 0
    public var disconnections = 0
    public var gaps = 0
    public var bins = 0
    public var eventsOpened = 0
    public var eventsClosed = 0
    public var checkpoints = 0
    /// Files replayed before the stream, and their elements.
    public var files = 0
    public var fileElements = 0
    public var damagedRecords = 0
    /// Time of the latest element applied.
    public var reached: UInt32 = 0
    public init() {}
}
