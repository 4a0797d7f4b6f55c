import MRT

/// One message of RIPE's RIS Live stream (https://ris-live.ripe.net/manual/), as far as the
/// routing state is concerned.
///
/// A `ris_message` of type `UPDATE` becomes one route element per announced and withdrawn
/// prefix; one of type `RIS_PEER_STATE` becomes the state-change element an MRT archive's
/// BGP4MP STATE_CHANGE gives, so that the monitor treats a session going down in the live
/// stream exactly as it does in a replay (the peer's routes are gone; it counts again once a
/// RIB dump lists it). Other BGP messages (OPEN, KEEPALIVE, NOTIFICATION) change no route.
public enum RISLiveMessage: Sendable {
    /// An UPDATE or a peer state change seen by `collector` (`rrc21`, never `rrc21.ripe.net`):
    /// its elements in message order (announcements first, then withdrawals, as RIS Live
    /// lists them; an UPDATE with neither, such as an End-of-RIB marker, has none).
    case routes(collector: String, elements: [RouteElement])
    /// A BGP message that changes no route (`OPEN`, `KEEPALIVE`, `NOTIFICATION`, ...).
    case bgp(collector: String, type: String)
    /// `ris_error`: the server's complaint (a bad subscription, a client too slow).
    case serverError(String)
    /// The answer to the client's `{"type":"ping"}`.
    case pong
    /// The server asks for a `{"type":"pong"}`.
    case ping
    /// Any other server message (`ris_subscribe_ok`, `ris_rrc_list`): nothing to apply.
    case other(type: String)

    /// The collector the message is from, if it is from one.
    public var collector: String? {
        switch self {
        case .routes(let c, _), .bgp(let c, _): c
        default: nil
        }
    }
}

/// Why a RIS Live message could not be read. The message is skipped, counted and reported;
/// the stream goes on.
public enum RISLiveParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not valid JSON (a truncated line, binary data).
    case notJSON
    /// Valid JSON, but not an object with a string `type`.
    case notAMessage
    /// A field the message type requires is absent (`data.peer`).
    case missingField(String)
    /// A field holds a value of the wrong kind or out of range (`data.path[3]`, `"x"`).
    case invalidField(String, value: String)
    /// `RIS_PEER_STATE` with a `state` other than `connected` or `down`.
    case unknownPeerState(String)

    public var description: String {
        switch self {
        case .notJSON: "not JSON"
        case .notAMessage: "not a RIS Live message (an object with a string \"type\")"
        case .missingField(let f): "missing field \(f)"
        case .invalidField(let f, let v): "invalid \(f): \(v)"
        case .unknownPeerState(let s): "unknown RIS_PEER_STATE state \"\(s)\""
        }
    }
}
