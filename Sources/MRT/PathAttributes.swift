/// The path attributes of a route (RFC 4271 section 5 and the RFCs cited per field).
///
/// Decoded once per UPDATE or RIB entry and shared, by reference, by every element
/// derived from it. Attributes Blackout does not interpret are kept verbatim in
/// `unknown`, so nothing on the wire is lost.
public final class PathAttributes: Sendable {
    /// ORIGIN (RFC 4271 section 5.1.1).
    public let origin: Origin?
    /// AS_PATH exactly as received, with ASNs of the session's size (RFC 4271 section 5.1.2).
    public let asPath: ASPath?
    /// AS4_PATH (RFC 6793), present on 2-octet sessions only.
    public let as4Path: ASPath?
    /// The path to use: AS_PATH, or AS_PATH merged with AS4_PATH per RFC 6793 section 4.2.3.
    public let path: ASPath?
    /// NEXT_HOP (RFC 4271 section 5.1.3).
    public let nextHop: IPAddress?
    /// MULTI_EXIT_DISC (RFC 4271 section 5.1.4).
    public let med: UInt32?
    /// LOCAL_PREF (RFC 4271 section 5.1.5).
    public let localPref: UInt32?
    /// ATOMIC_AGGREGATE (RFC 4271 section 5.1.6).
    public let atomicAggregate: Bool
    /// AGGREGATOR as received (RFC 4271 section 5.1.7).
    public let aggregator: Aggregator?
    /// AS4_AGGREGATOR (RFC 6793).
    public let as4Aggregator: Aggregator?
    /// COMMUNITIES (RFC 1997).
    public let communities: [Community]
    /// EXTENDED COMMUNITIES (RFC 4360), each as its 8 octets in network order.
    public let extendedCommunities: [UInt64]
    /// LARGE_COMMUNITY (RFC 8092).
    public let largeCommunities: [LargeCommunity]
    /// ORIGINATOR_ID (RFC 4456).
    public let originatorID: UInt32?
    /// CLUSTER_LIST (RFC 4456).
    public let clusterList: [UInt32]
    /// ONLY_TO_CUSTOMER (RFC 9234 section 5).
    public let onlyToCustomer: UInt32?
    /// MP_REACH_NLRI (RFC 4760 section 3; RFC 6396 section 4.3.4 in RIB entries).
    public let mpReach: MPReach?
    /// MP_UNREACH_NLRI (RFC 4760 section 4).
    public let mpUnreach: MPUnreach?
    /// Every attribute Blackout does not decode, verbatim.
    public let unknown: [RawAttribute]
    /// Attributes whose value did not fit their type; kept in `unknown` (RFC 7606 section 7).
    public let malformedCount: Int
    /// The type codes present, in any form: bit `t` for type `t` < 64.
    public let presentTypes: UInt64
    /// 2 or 4: the ASN size of the session the attributes came from.
    public let asnSize: UInt8

    init(_ b: Builder) {
        origin = b.origin
        asPath = b.asPath
        as4Path = b.as4Path
        aggregator = b.aggregator
        as4Aggregator = b.as4Aggregator
        path = b.effectivePath
        nextHop = b.nextHop
        med = b.med
        localPref = b.localPref
        atomicAggregate = b.atomicAggregate
        communities = b.communities
        extendedCommunities = b.extendedCommunities
        largeCommunities = b.largeCommunities
        originatorID = b.originatorID
        clusterList = b.clusterList
        onlyToCustomer = b.onlyToCustomer
        mpReach = b.mpReach
        mpUnreach = b.mpUnreach
        unknown = b.unknown
        malformedCount = b.malformedCount
        presentTypes = b.presentTypes
        asnSize = b.asnSize
    }

    /// Whether an attribute of type `code` was present (decoded or not).
    @inlinable
    public func has(_ code: AttributeType) -> Bool {
        code.rawValue < 64 && presentTypes & (1 << UInt64(code.rawValue)) != 0
    }

    /// The aggregator to report: AS4_AGGREGATOR replaces an AGGREGATOR of AS_TRANS (RFC 6793).
    public var effectiveAggregator: Aggregator? {
        if let a = aggregator, a.asn == ASPath.asTrans, let a4 = as4Aggregator { return a4 }
        return aggregator
    }

    /// The origin AS(es) of `path`.
    public var originASNs: [UInt32] { path?.originASNs ?? [] }

    /// Attributes with every field empty (a withdrawal has none).
    public static let empty = PathAttributes(Builder(asnSize: 4))

    /// A builder for attributes, for encoders and tests.
    public struct Builder: Sendable {
        public var origin: Origin?
        public var asPath: ASPath?
        public var as4Path: ASPath?
        public var nextHop: IPAddress?
        public var med: UInt32?
        public var localPref: UInt32?
        public var atomicAggregate = false
        public var aggregator: Aggregator?
        public var as4Aggregator: Aggregator?
        public var communities: [Community] = []
        public var extendedCommunities: [UInt64] = []
        public var largeCommunities: [LargeCommunity] = []
        public var originatorID: UInt32?
        public var clusterList: [UInt32] = []
        public var onlyToCustomer: UInt32?
        public var mpReach: MPReach?
        public var mpUnreach: MPUnreach?
        public var unknown: [RawAttribute] = []
        public var malformedCount = 0
        public var presentTypes: UInt64 = 0
        public var asnSize: UInt8

        public init(asnSize: UInt8 = 4) { self.asnSize = asnSize }

        /// RFC 6793 section 4.2.3, as bgpdump applies it: on a 2-octet session, an
        /// AGGREGATOR other than AS_TRANS together with AS4_AGGREGATOR means AS4_PATH
        /// is ignored; otherwise AS4_PATH is merged into AS_PATH.
        var effectivePath: ASPath? {
            guard asnSize == 2, let as4 = as4Path, let p = asPath else { return asPath }
            if let a = aggregator, as4Aggregator != nil, a.asn != ASPath.asTrans { return p }
            return p.merged(with: as4)
        }

        public func build() -> PathAttributes { PathAttributes(self) }

        mutating func markPresent(_ type: UInt8) {
            if type < 64 { presentTypes |= 1 << UInt64(type) }
        }
    }
}

extension ASPath {
    /// AS_TRANS, the 2-octet stand-in for a 4-octet ASN (RFC 6793 section 9).
    public static let asTrans: UInt32 = 23456
}

/// Path attribute type codes (IANA "BGP Path Attributes"), open so that any code is carried.
public struct AttributeType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let origin = AttributeType(rawValue: 1)
    public static let asPath = AttributeType(rawValue: 2)
    public static let nextHop = AttributeType(rawValue: 3)
    public static let med = AttributeType(rawValue: 4)
    public static let localPref = AttributeType(rawValue: 5)
    public static let atomicAggregate = AttributeType(rawValue: 6)
    public static let aggregator = AttributeType(rawValue: 7)
    public static let communities = AttributeType(rawValue: 8)
    public static let originatorID = AttributeType(rawValue: 9)
    public static let clusterList = AttributeType(rawValue: 10)
    public static let mpReach = AttributeType(rawValue: 14)
    public static let mpUnreach = AttributeType(rawValue: 15)
    public static let extendedCommunities = AttributeType(rawValue: 16)
    public static let as4Path = AttributeType(rawValue: 17)
    public static let as4Aggregator = AttributeType(rawValue: 18)
    public static let largeCommunities = AttributeType(rawValue: 32)
    public static let onlyToCustomer = AttributeType(rawValue: 35)
}

/// ORIGIN values (RFC 4271 section 4.3).
public struct Origin: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let igp = Origin(rawValue: 0)
    public static let egp = Origin(rawValue: 1)
    public static let incomplete = Origin(rawValue: 2)
    public var description: String {
        switch rawValue {
        case 0: return "IGP"
        case 1: return "EGP"
        case 2: return "INCOMPLETE"
        default: return "\(rawValue)"
        }
    }
}

/// AGGREGATOR or AS4_AGGREGATOR (RFC 4271 section 5.1.7, RFC 6793).
public struct Aggregator: Hashable, Sendable {
    public var asn: UInt32
    public var address: UInt32
    /// Whether the attribute carried a 4-octet ASN (8 octets long rather than 6).
    public var fourOctet: Bool
    public init(asn: UInt32, address: UInt32, fourOctet: Bool) {
        self.asn = asn
        self.address = address
        self.fourOctet = fourOctet
    }
}

/// A standard community (RFC 1997): two 16-bit halves, conventionally ASN:value.
public struct Community: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let noExport = Community(rawValue: 0xFFFF_FF01)
    public static let noAdvertise = Community(rawValue: 0xFFFF_FF02)
    public static let noExportSubconfed = Community(rawValue: 0xFFFF_FF03)
    public var asn: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    public var value: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
    public var description: String { "\(asn):\(value)" }
}

/// A large community (RFC 8092): global administrator and two local data parts.
public struct LargeCommunity: Hashable, Sendable, CustomStringConvertible {
    public var global: UInt32
    public var local1: UInt32
    public var local2: UInt32
    public init(global: UInt32, local1: UInt32, local2: UInt32) {
        self.global = global
        self.local1 = local1
        self.local2 = local2
    }
    public var description: String { "\(global):\(local1):\(local2)" }
}

/// Address family and subsequent address family identifiers (RFC 4760).
public enum AFI {
    public static let ipv4: UInt16 = 1
    public static let ipv6: UInt16 = 2
}

public enum SAFI {
    public static let unicast: UInt8 = 1
    public static let multicast: UInt8 = 2
    /// Deprecated "unicast and multicast" (RFC 4760 first edition); still seen in old archives.
    public static let unicastMulticast: UInt8 = 3
}

/// MP_REACH_NLRI (RFC 4760 section 3).
public struct MPReach: Hashable, Sendable {
    public var afi: UInt16
    public var safi: UInt8
    /// The global next hop (RFC 2545 section 3 for IPv6).
    public var nextHop: IPAddress?
    /// The link-local IPv6 next hop, when the next hop field is 32 octets (RFC 2545).
    public var linkLocalNextHop: IPAddress?
    /// Announced prefixes (IPv4/IPv6 unicast and multicast only).
    public var nlri: [NLRI]
    /// True for the abbreviated form RFC 6396 section 4.3.4 puts in RIB entries.
    public var abbreviated: Bool
    public init(afi: UInt16, safi: UInt8, nextHop: IPAddress?, linkLocalNextHop: IPAddress? = nil,
                nlri: [NLRI] = [], abbreviated: Bool = false) {
        self.afi = afi
        self.safi = safi
        self.nextHop = nextHop
        self.linkLocalNextHop = linkLocalNextHop
        self.nlri = nlri
        self.abbreviated = abbreviated
    }
}

/// MP_UNREACH_NLRI (RFC 4760 section 4).
public struct MPUnreach: Hashable, Sendable {
    public var afi: UInt16
    public var safi: UInt8
    public var nlri: [NLRI]
    public init(afi: UInt16, safi: UInt8, nlri: [NLRI]) {
        self.afi = afi
        self.safi = safi
        self.nlri = nlri
    }
}

/// An attribute kept as it was on the wire.
public struct RawAttribute: Hashable, Sendable {
    public var flags: UInt8
    public var type: UInt8
    public var value: [UInt8]
    public init(flags: UInt8, type: UInt8, value: [UInt8]) {
        self.flags = flags
        self.type = type
        self.value = value
    }
}
