/// One decoded MRT record: its header and what its body says.
public struct MRTRecord: Sendable {
    public var header: MRTHeader
    public var message: MRTMessage

    public init(header: MRTHeader, message: MRTMessage) {
        self.header = header
        self.message = message
    }
}

/// The body of an MRT record, by kind.
public enum MRTMessage: Sendable {
    /// TABLE_DUMP_V2 PEER_INDEX_TABLE (RFC 6396 section 4.3.1).
    case peerIndexTable(PeerIndexTable)
    /// TABLE_DUMP_V2 RIB_* and RIB_GENERIC records, with or without ADD-PATH
    /// (RFC 6396 sections 4.3.2-4.3.3, RFC 8050 section 4).
    case rib(RIBRecord)
    /// TABLE_DUMP entries (RFC 6396 section 4.2). One per record, except in the
    /// 1999-2000 RIS dumps that batch many per record.
    case tableDump([TableDumpEntry])
    /// BGP4MP(_ET) MESSAGE and its AS4, LOCAL and ADD-PATH variants (RFC 6396 section 4.4.2-4.4.6, RFC 8050).
    case bgp4mpMessage(BGP4MPMessage)
    /// BGP4MP(_ET) STATE_CHANGE and STATE_CHANGE_AS4 (RFC 6396 sections 4.4.1 and 4.4.4).
    case bgp4mpStateChange(BGP4MPStateChange)
    /// The obsolete BGP4MP_ENTRY table record written by Zebra and OpenBGPD.
    case bgp4mpEntry(BGP4MPEntry)
    /// A deprecated MRT type 5 BGP message record (UPDATE, OPEN, NOTIFY, KEEPALIVE).
    case legacyMessage(LegacyBGPMessage)
    /// A deprecated MRT type 5 BGP STATE_CHANGE record.
    case legacyStateChange(LegacyStateChange)
    /// A record Blackout frames but does not decode (other protocols, GEO_PEER_TABLE,
    /// snapshots, unknown subtypes): skipped by its length and counted.
    case unsupported
}

/// A BGP peer as the PEER_INDEX_TABLE lists it.
public struct Peer: Hashable, Sendable {
    public var bgpID: UInt32
    public var address: IPAddress
    public var asn: UInt32
    public init(bgpID: UInt32, address: IPAddress, asn: UInt32) {
        self.bgpID = bgpID
        self.address = address
        self.asn = asn
    }
}

/// PEER_INDEX_TABLE (RFC 6396 section 4.3.1).
public struct PeerIndexTable: Sendable {
    public var collectorBGPID: UInt32
    public var viewName: [UInt8]
    public var peers: [Peer]
    public init(collectorBGPID: UInt32, viewName: [UInt8] = [], peers: [Peer]) {
        self.collectorBGPID = collectorBGPID
        self.viewName = viewName
        self.peers = peers
    }
}

/// One peer's route in a TABLE_DUMP_V2 RIB record (RFC 6396 section 4.3.4).
public struct RIBEntry: Sendable {
    public var peerIndex: UInt16
    public var originatedTime: UInt32
    /// RFC 8050 path identifier, in the ADD-PATH subtypes.
    public var pathID: UInt32?
    public var attributes: PathAttributes
    public init(peerIndex: UInt16, originatedTime: UInt32, pathID: UInt32? = nil, attributes: PathAttributes) {
        self.peerIndex = peerIndex
        self.originatedTime = originatedTime
        self.pathID = pathID
        self.attributes = attributes
    }
}

/// A TABLE_DUMP_V2 RIB record: one prefix and every peer's route to it.
public struct RIBRecord: Sendable {
    public var subtype: UInt16
    public var sequence: UInt32
    public var afi: UInt16
    public var safi: UInt8
    /// The prefix; nil in a RIB_GENERIC record of a family other than IPv4/IPv6 unicast/multicast.
    public var prefix: Prefix?
    public var entries: [RIBEntry]
    public init(subtype: UInt16, sequence: UInt32, afi: UInt16, safi: UInt8, prefix: Prefix?, entries: [RIBEntry]) {
        self.subtype = subtype
        self.sequence = sequence
        self.afi = afi
        self.safi = safi
        self.prefix = prefix
        self.entries = entries
    }

    public var isAddPath: Bool { subtype >= TableDumpV2Subtype.ribIPv4UnicastAddPath }
}

/// A TABLE_DUMP (version 1) entry (RFC 6396 section 4.2).
public struct TableDumpEntry: Sendable {
    public var view: UInt16
    public var sequence: UInt16
    public var prefix: Prefix
    public var status: UInt8
    public var originatedTime: UInt32
    public var peerAddress: IPAddress
    public var peerASN: UInt32
    public var attributes: PathAttributes
    public init(view: UInt16, sequence: UInt16, prefix: Prefix, status: UInt8, originatedTime: UInt32,
                peerAddress: IPAddress, peerASN: UInt32, attributes: PathAttributes) {
        self.view = view
        self.sequence = sequence
        self.prefix = prefix
        self.status = status
        self.originatedTime = originatedTime
        self.peerAddress = peerAddress
        self.peerASN = peerASN
        self.attributes = attributes
    }
}

/// The session a BGP4MP record belongs to. `peer*` are the remote side in every
/// subtype: in the LOCAL subtypes too the first fields name the peer (RFC 6396 section 4.4.6).
public struct BGP4MPPeering: Hashable, Sendable {
    public var peerASN: UInt32
    public var localASN: UInt32
    public var interfaceIndex: UInt16
    public var afi: UInt16
    public var peerAddress: IPAddress
    public var localAddress: IPAddress
    public init(peerASN: UInt32, localASN: UInt32, interfaceIndex: UInt16 = 0, afi: UInt16,
                peerAddress: IPAddress, localAddress: IPAddress) {
        self.peerASN = peerASN
        self.localASN = localASN
        self.interfaceIndex = interfaceIndex
        self.afi = afi
        self.peerAddress = peerAddress
        self.localAddress = localAddress
    }
}

public struct BGP4MPMessage: Sendable {
    public var peering: BGP4MPPeering
    public var message: BGPMessage
    /// 2 or 4: the ASN size of the subtype.
    public var asnSize: UInt8
    /// A message the collector sent rather than received (the LOCAL subtypes).
    public var isLocal: Bool
    /// RFC 8050 ADD-PATH subtypes: NLRI carry path identifiers.
    public var isAddPath: Bool
    public init(peering: BGP4MPPeering, message: BGPMessage, asnSize: UInt8, isLocal: Bool = false, isAddPath: Bool = false) {
        self.peering = peering
        self.message = message
        self.asnSize = asnSize
        self.isLocal = isLocal
        self.isAddPath = isAddPath
    }
}

/// BGP FSM states (RFC 4271 section 8.2.2); 7 and 8 are Quagga's Clearing and Deleted.
public struct BGPState: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public static let idle = BGPState(rawValue: 1)
    public static let connect = BGPState(rawValue: 2)
    public static let active = BGPState(rawValue: 3)
    public static let openSent = BGPState(rawValue: 4)
    public static let openConfirm = BGPState(rawValue: 5)
    public static let established = BGPState(rawValue: 6)
}

public struct BGP4MPStateChange: Sendable {
    public var peering: BGP4MPPeering
    public var oldState: BGPState
    public var newState: BGPState
    public var asnSize: UInt8
    public init(peering: BGP4MPPeering, oldState: BGPState, newState: BGPState, asnSize: UInt8) {
        self.peering = peering
        self.oldState = oldState
        self.newState = newState
        self.asnSize = asnSize
    }
}

/// The obsolete BGP4MP_ENTRY record: one route of a Zebra or OpenBGPD table dump.
public struct BGP4MPEntry: Sendable {
    public var peering: BGP4MPPeering
    public var view: UInt16
    public var status: UInt16
    public var originatedTime: UInt32
    public var afi: UInt16
    public var safi: UInt8
    public var nextHop: IPAddress?
    public var prefix: Prefix
    public var attributes: PathAttributes
}

/// A deprecated MRT type 5 BGP record carrying a BGP message without its header.
public struct LegacyBGPMessage: Sendable {
    public var peerASN: UInt32
    public var peerAddress: IPAddress
    public var localASN: UInt32
    public var localAddress: IPAddress
    public var message: BGPMessage
}

public struct LegacyStateChange: Sendable {
    public var peerASN: UInt32
    public var peerAddress: IPAddress
    public var oldState: BGPState
    public var newState: BGPState
}

/// A BGP message (RFC 4271 section 4).
public enum BGPMessage: Sendable {
    case open(BGPOpen)
    case update(BGPUpdate)
    case notification(code: UInt8, subcode: UInt8, data: [UInt8])
    case keepalive
    /// ROUTE-REFRESH (RFC 2918) and any other type, kept raw.
    case other(type: UInt8, body: [UInt8])
}

/// OPEN (RFC 4271 section 4.2).
public struct BGPOpen: Sendable {
    public var version: UInt8
    public var myAS: UInt16
    public var holdTime: UInt16
    public var bgpIdentifier: UInt32
    public var optionalParameters: [UInt8]
}

/// UPDATE (RFC 4271 section 4.3). Prefixes of other families are in
/// `attributes.mpReach` and `attributes.mpUnreach` (RFC 4760).
public struct BGPUpdate: Sendable {
    public var withdrawn: [NLRI]
    public var attributes: PathAttributes
    public var announced: [NLRI]
    /// The record's subtype did not announce ADD-PATH, but the NLRI only decode with
    /// path identifiers (a known BIRD habit), so they were read with them.
    public var pathIDsInferred = false
    /// The NLRI field ended inside its last prefix, which was dropped (RFC 7606 section 5.3
    /// would treat it as withdrawn; bgpdump drops it too).
    public var nlriTruncated = false
    public init(withdrawn: [NLRI], attributes: PathAttributes, announced: [NLRI]) {
        self.withdrawn = withdrawn
        self.attributes = attributes
        self.announced = announced
    }
}
