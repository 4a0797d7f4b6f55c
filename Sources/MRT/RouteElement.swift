/// One route fact: one prefix as one peer saw it at one time, or one peer's session
/// changing state. This is what every later stage (routing state, census, detectors)
/// consumes, and what `blackout dump` prints.
public struct RouteElement: Sendable {
    public enum Kind: UInt8, Sendable {
        /// Announcement from an UPDATE (A).
        case announce
        /// Withdrawal from an UPDATE (W).
        case withdraw
        /// An entry of a RIB dump (R).
        case rib
        /// A peer's BGP session changing state (S).
        case state

        /// The one-letter code used by `--type` and the text formats.
        public var letter: StaticString {
            switch self {
            case .announce: return "A"
            case .withdraw: return "W"
            case .rib: return "R"
            case .state: return "S"
            }
        }
    }

    /// Where in the record an element came from; text formats that mimic other tools
    /// (bgpdump) need it.
    public enum Origin: UInt8, Sendable {
        case nlri, mpReach, withdrawnRoutes, mpUnreach, rib, stateChange
    }

    public var timestamp: UInt32
    public var microseconds: UInt32
    public var kind: Kind
    public var peerAddress: IPAddress
    public var peerASN: UInt32
    /// The prefix; for state changes, a zero-length prefix of the peer's family.
    public var prefix: Prefix
    /// RFC 7911 / RFC 8050 path identifier.
    public var pathID: UInt32?
    /// Attributes, shared by every element of one UPDATE or RIB entry; empty for W and S.
    public var attributes: PathAttributes
    /// The next hop for this prefix: NEXT_HOP for IPv4 NLRI, MP_REACH_NLRI's for the rest.
    public var nextHop: IPAddress?
    /// For RIB entries, the time the route was learned.
    public var originatedTime: UInt32
    public var oldState: BGPState
    public var newState: BGPState
    /// The MRT record type and subtype the element came from.
    public var recordType: MRTType
    public var recordSubtype: UInt16
    public var origin: Origin
    public var isLocal: Bool
    public var isAddPath: Bool

    public init(timestamp: UInt32, microseconds: UInt32 = 0, kind: Kind, peerAddress: IPAddress, peerASN: UInt32,
                prefix: Prefix, pathID: UInt32? = nil, attributes: PathAttributes = .empty, nextHop: IPAddress? = nil,
                originatedTime: UInt32 = 0, oldState: BGPState = BGPState(rawValue: 0),
                newState: BGPState = BGPState(rawValue: 0), recordType: MRTType, recordSubtype: UInt16 = 0, origin: Origin,
                isLocal: Bool = false, isAddPath: Bool = false) {
        self.timestamp = timestamp
        self.microseconds = microseconds
        self.kind = kind
        self.peerAddress = peerAddress
        self.peerASN = peerASN
        self.prefix = prefix
        self.pathID = pathID
        self.attributes = attributes
        self.nextHop = nextHop
        self.originatedTime = originatedTime
        self.oldState = oldState
        self.newState = newState
        self.recordType = recordType
        self.recordSubtype = recordSubtype
        self.origin = origin
        self.isLocal = isLocal
        self.isAddPath = isAddPath
    }

    /// The AS path to use (AS4_PATH merged where needed), nil for W and S.
    @inlinable public var asPath: ASPath? { attributes.path }
    /// Origin AS(es) of the path.
    public var originASNs: [UInt32] { attributes.originASNs }
    /// Whether the prefix is reachable after this element (A or R).
    @inlinable public var isReachability: Bool { kind == .announce || kind == .rib }
}
