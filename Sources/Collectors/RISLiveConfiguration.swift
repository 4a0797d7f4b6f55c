/// Where and how `RISLiveClient` connects, and how it keeps the connection honest.
///
/// RIS Live gives no history: whatever is sent while the client is not connected is lost.
/// So the client pings, restarts a connection that has gone silent, reconnects with a
/// bounded exponential back-off, resubscribes on every connection, and says which
/// collectors lost messages (`RISLiveEvent.gap`).
public struct RISLiveConfiguration: Sendable {
    /// RIPE's public endpoint, with the client name RIPE asks clients to give.
    public static let defaultURL = "wss://ris-live.ripe.net/v1/ws/?client=blackout"

    public var url: String
    /// Collectors to subscribe to (`rrc21`); empty subscribes to every collector.
    public var collectors: [String]
    /// How often the client sends `{"type":"ping"}` (and a WebSocket ping, which closes the
    /// connection when no pong comes back before the next).
    public var pingInterval: Duration = .seconds(30)
    /// A connection over which nothing but pongs has come for this long is restarted: a
    /// subscribed collector speaks every few seconds, so silence means a stalled stream.
    public var silenceTimeout: Duration = .seconds(120)
    /// How long connecting and the WebSocket upgrade may take.
    public var connectTimeout: Duration = .seconds(30)
    /// The first wait before reconnecting; it doubles after each connection that brought no
    /// message, up to `maximumBackoff`, and starts again after one that did.
    public var initialBackoff: Duration = .seconds(1)
    public var maximumBackoff: Duration = .seconds(60)
    /// The largest message accepted (an UPDATE with thousands of prefixes is a few hundred KiB).
    public var maximumMessageBytes = 16 << 20

    public init(url: String = RISLiveConfiguration.defaultURL, collectors: [String] = []) {
        self.url = url
        self.collectors = collectors
    }

    /// The messages sent on every new connection: an `UPDATE` subscription and a
    /// `RIS_PEER_STATE` one (sessions going down and up) per collector, or one of each for
    /// every collector when none is named.
    public var subscriptions: [String] {
        let hosts: [String?] = collectors.isEmpty ? [nil] : collectors.map { $0 }
        return hosts.flatMap { host in
            ["UPDATE", "RIS_PEER_STATE"].map { type in
                let h = host.map { "\"host\":\"\(Self.jsonEscaped($0))\"," } ?? ""
                return "{\"type\":\"ris_subscribe\",\"data\":{\(h)\"type\":\"\(type)\"}}"
            }
        }
    }

    /// The application-level ping RIS Live answers with `{"type":"pong"}`.
    public static let ping = "{\"type\":\"ping\"}"
    /// The answer to a server's `{"type":"ping"}`.
    public static let pong = "{\"type\":\"pong\"}"

    static func jsonEscaped(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where c.value < 0x20: out += "\\u00" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16)
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
