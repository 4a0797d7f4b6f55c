/// What `RISLiveClient` reports, in the order it happens. The client prints nothing: a
/// command line, a server or a test decides what to show.
public enum RISLiveEvent: Sendable {
    /// Connection number `attempt` (1 for the first) is open and subscribed.
    case connected(attempt: Int)
    /// A message read from the stream.
    case message(RISLiveMessage)
    /// A message that could not be read: skipped (the stream goes on). `line` is the
    /// message's text, cut to 300 characters.
    case malformed(line: String, reason: RISLiveParseError)
    /// The connection ended (or could not be made); the next attempt is in `retryIn`.
    case disconnected(RISLiveDisconnect, retryIn: Duration)
    /// Messages of these collectors may have been lost: a subscribed connection ended, and
    /// RIS Live does not send what was missed. Their peers' tables cannot be trusted until
    /// the collectors' next RIB dumps.
    case gap(collectors: [String])
}

/// Why a connection ended.
public enum RISLiveDisconnect: Error, Sendable, Equatable, CustomStringConvertible {
    /// Connecting, or the WebSocket upgrade, failed.
    case connectFailed(url: String, reason: String)
    /// Connecting and the upgrade took longer than `connectTimeout`.
    case connectTimedOut(url: String, seconds: Double)
    /// The server closed the WebSocket (with its close code and reason, if it sent any).
    case closed(url: String, code: String?, reason: String?)
    /// The connection failed while open (reset, protocol error, ping timeout).
    case failed(url: String, reason: String)
    /// Nothing but pongs came for `seconds`: the client restarted the connection.
    case silent(url: String, seconds: Double)

    public var description: String {
        switch self {
        case .connectFailed(let url, let reason): "\(url): cannot connect: \(reason)"
        case .connectTimedOut(let url, let s): "\(url): no WebSocket connection after \(Self.seconds(s)) s"
        case .closed(let url, let code, let reason):
            "\(url): closed by the server" + (code.map { " (\($0)" + (reason.map { ": \($0)" } ?? "") + ")" } ?? "")
        case .failed(let url, let reason): "\(url): connection failed: \(reason)"
        case .silent(let url, let s): "\(url): silent for \(Self.seconds(s)) s; restarting the connection"
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String((s * 10).rounded() / 10)
    }
}
