/// MRT record types (RFC 6396 section 4, IANA "MRT Types"), open so that any value is carried.
public struct MRTType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The deprecated MRT type 5 BGP records of 1999-2000 (RFC 6396 appendix B.2.1).
    public static let bgp = MRTType(rawValue: 5)
    /// TABLE_DUMP (RFC 6396 section 4.2).
    public static let tableDump = MRTType(rawValue: 12)
    /// TABLE_DUMP_V2 (RFC 6396 section 4.3).
    public static let tableDumpV2 = MRTType(rawValue: 13)
    /// BGP4MP (RFC 6396 section 4.4).
    public static let bgp4mp = MRTType(rawValue: 16)
    /// BGP4MP_ET: BGP4MP with a microsecond timestamp (RFC 6396 section 3).
    public static let bgp4mpET = MRTType(rawValue: 17)

    /// Whether the header carries the 4-octet microsecond field (the _ET types).
    @inlinable public var hasExtendedTimestamp: Bool {
        rawValue == 17 || rawValue == 33 || rawValue == 49
    }

    /// Types registered with IANA, current or deprecated. A header with any other type
    /// is taken as a sign of damaged framing.
    @inlinable public var isRegistered: Bool {
        switch rawValue {
        case 0...17, 32, 33, 48, 49: return true
        default: return false
        }
    }

    public var description: String {
        switch rawValue {
        case 5: return "BGP"
        case 12: return "TABLE_DUMP"
        case 13: return "TABLE_DUMP_V2"
        case 16: return "BGP4MP"
        case 17: return "BGP4MP_ET"
        default: return "type \(rawValue)"
        }
    }
}

/// The MRT common header (RFC 6396 section 2), with the extended header's
/// microseconds folded in (section 3).
public struct MRTHeader: Hashable, Sendable {
    public var timestamp: UInt32
    public var type: MRTType
    public var subtype: UInt16
    /// Length of the body, not counting the header, and for _ET types not counting the
    /// microsecond field either.
    public var length: UInt32
    public var microseconds: UInt32

    public init(timestamp: UInt32, type: MRTType, subtype: UInt16, length: UInt32, microseconds: UInt32 = 0) {
        self.timestamp = timestamp
        self.type = type
        self.subtype = subtype
        self.length = length
        self.microseconds = microseconds
    }

    /// 12 octets, 16 for the _ET types.
    @inlinable public var headerSize: Int { type.hasExtendedTimestamp ? 16 : 12 }
}

/// TABLE_DUMP_V2 subtypes (RFC 6396 section 4.3, RFC 6397, RFC 8050).
public enum TableDumpV2Subtype {
    public static let peerIndexTable: UInt16 = 1
    public static let ribIPv4Unicast: UInt16 = 2
    public static let ribIPv4Multicast: UInt16 = 3
    public static let ribIPv6Unicast: UInt16 = 4
    public static let ribIPv6Multicast: UInt16 = 5
    public static let ribGeneric: UInt16 = 6
    public static let geoPeerTable: UInt16 = 7
    public static let ribIPv4UnicastAddPath: UInt16 = 8
    public static let ribIPv4MulticastAddPath: UInt16 = 9
    public static let ribIPv6UnicastAddPath: UInt16 = 10
    public static let ribIPv6MulticastAddPath: UInt16 = 11
    public static let ribGenericAddPath: UInt16 = 12
}

/// BGP4MP and BGP4MP_ET subtypes (RFC 6396 section 4.4, RFC 8050).
public enum BGP4MPSubtype {
    public static let stateChange: UInt16 = 0
    public static let message: UInt16 = 1
    /// Obsolete Zebra table entry (RFC 6396 appendix B).
    public static let entry: UInt16 = 2
    public static let snapshot: UInt16 = 3
    public static let messageAS4: UInt16 = 4
    public static let stateChangeAS4: UInt16 = 5
    public static let messageLocal: UInt16 = 6
    public static let messageAS4Local: UInt16 = 7
    public static let messageAddPath: UInt16 = 8
    public static let messageAS4AddPath: UInt16 = 9
    public static let messageLocalAddPath: UInt16 = 10
    public static let messageAS4LocalAddPath: UInt16 = 11
}

/// Subtypes of the deprecated MRT type 5 (BGP) records.
public enum LegacyBGPSubtype {
    public static let null: UInt16 = 0
    public static let update: UInt16 = 1
    public static let prefUpdate: UInt16 = 2
    public static let stateChange: UInt16 = 3
    public static let sync: UInt16 = 4
    public static let open: UInt16 = 5
    public static let notify: UInt16 = 6
    public static let keepalive: UInt16 = 7
}
