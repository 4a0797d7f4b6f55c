/// The path attributes of a route (RFC 4271 section 5 and the RFCs cited per field).
///
/// Decoded once per UPDATE or RIB entry and shared, by reference, by every element
/// derived from it. The attribute block is kept verbatim in `raw`: scalar attributes are
/// decoded (and validated) up front, while lists (AS_PATH, communities) are validated
/// up front and materialised only when asked for, so that reading a RIB costs one
/// allocation per route. Attributes Blackout does not interpret stay in `raw` and are
/// listed by `unknown`, so nothing on the wire is lost.
public final class PathAttributes: @unchecked Sendable {
    // Immutable once decoding has returned it; the `internal(set)` fields are written
    // only by the decoder, before the object is shared.

    /// The attribute block exactly as received.
    public let raw: [UInt8]
    /// 2 or 4: the ASN size of the session the attributes came from.
    public let asnSize: UInt8
    /// ORIGIN (RFC 4271 section 5.1.1).
    public internal(set) var origin: Origin?
    /// NEXT_HOP (RFC 4271 section 5.1.3).
    public internal(set) var nextHop: IPAddress?
    /// MULTI_EXIT_DISC (RFC 4271 section 5.1.4).
    public internal(set) var med: UInt32?
    /// LOCAL_PREF (RFC 4271 section 5.1.5).
    public internal(set) var localPref: UInt32?
    /// ATOMIC_AGGREGATE (RFC 4271 section 5.1.6).
    public internal(set) var atomicAggregate = false
    /// AGGREGATOR as received (RFC 4271 section 5.1.7).
    public internal(set) var aggregator: Aggregator?
    /// AS4_AGGREGATOR (RFC 6793).
    public internal(set) var as4Aggregator: Aggregator?
    /// ORIGINATOR_ID (RFC 4456).
    public internal(set) var originatorID: UInt32?
    /// ONLY_TO_CUSTOMER (RFC 9234 section 5).
    public internal(set) var onlyToCustomer: UInt32?
    /// MP_REACH_NLRI (RFC 4760 section 3; RFC 6396 section 4.3.4 in RIB entries).
    public internal(set) var mpReach: MPReach?
    /// MP_UNREACH_NLRI (RFC 4760 section 4).
    public internal(set) var mpUnreach: MPUnreach?
    /// Attributes whose value did not fit their type, or repeated ones (RFC 7606 sections 3 and 7).
    public internal(set) var malformedCount = 0
    /// The type codes present, in any form: bit `t` for type `t` < 64.
    public internal(set) var presentTypes: UInt64 = 0

    // Where the list attributes' values lie in `raw` (validated when decoded).
    @usableFromInline var asPathSpan = Span.none
    @usableFromInline var as4PathSpan = Span.none
    @usableFromInline var communitiesSpan = Span.none
    @usableFromInline var extendedSpan = Span.none
    @usableFromInline var largeSpan = Span.none
    @usableFromInline var clusterSpan = Span.none
    /// Spans of attributes kept only raw: unknown types and malformed values.
    @usableFromInline var rawOnly: [(flags: UInt8, type: UInt8, span: Span)] = []

    @usableFromInline
    struct Span: Sendable {
        @usableFromInline var start: Int32
        @usableFromInline var count: Int32
        @usableFromInline init(start: Int32, count: Int32) {
            self.start = start
            self.count = count
        }
        @usableFromInline static let none = Span(start: -1, count: 0)
        @usableFromInline var isPresent: Bool { start >= 0 }
    }

    init(raw: [UInt8], asnSize: UInt8) {
        self.raw = raw
        self.asnSize = asnSize
    }

    /// Whether an attribute of type `code` was present (decoded or not).
    @inlinable
    public func has(_ code: AttributeType) -> Bool {
        code.rawValue < 64 && presentTypes & (1 << UInt64(code.rawValue)) != 0
    }

    /// AS_PATH exactly as received, with ASNs of the session's size (RFC 4271 section 5.1.2).
    public var asPath: ASPath? { asPathSpan.isPresent ? parsePath(asPathSpan, asnSize: Int(asnSize)) : nil }

    /// AS4_PATH (RFC 6793), present on 2-octet sessions only.
    public var as4Path: ASPath? { as4PathSpan.isPresent ? parsePath(as4PathSpan, asnSize: 4) : nil }

    /// Whether `path` differs from `asPath`: a 2-octet session with AS4_PATH to merge.
    @inlinable
    public var needsAS4Merge: Bool {
        guard asnSize == 2, as4PathSpan.isPresent, asPathSpan.isPresent else { return false }
        if let a = aggregator, as4Aggregator != nil, a.asn != ASPath.asTrans { return false }
        return true
    }

    /// The path to use: AS_PATH, or AS_PATH merged with AS4_PATH per RFC 6793 section 4.2.3.
    /// As bgpdump does, an AGGREGATOR other than AS_TRANS together with AS4_AGGREGATOR means
    /// AS4_PATH is ignored.
    public var path: ASPath? {
        guard let p = asPath else { return nil }
        if needsAS4Merge, let as4 = as4Path { return p.merged(with: as4) }
        return p
    }

    /// The origin AS(es) of `path`.
    public var originASNs: [UInt32] {
        if !needsAS4Merge, asPathSpan.isPresent { return lastSegmentASNs(asPathSpan, asnSize: Int(asnSize)) }
        return path?.originASNs ?? []
    }

    /// COMMUNITIES (RFC 1997).
    public var communities: [Community] {
        readWords(communitiesSpan, width: 4).map { Community(rawValue: UInt32(truncatingIfNeeded: $0)) }
    }

    /// Number of standard communities, without materialising them.
    public var communityCount: Int { communitiesSpan.isPresent ? Int(communitiesSpan.count) / 4 : 0 }

    /// EXTENDED COMMUNITIES (RFC 4360), each as its 8 octets in network order.
    public var extendedCommunities: [UInt64] { readWords(extendedSpan, width: 8) }

    /// LARGE_COMMUNITY (RFC 8092).
    public var largeCommunities: [LargeCommunity] {
        let w = readWords(largeSpan, width: 4)
        return stride(from: 0, to: w.count - 2, by: 3).map {
            LargeCommunity(global: UInt32(w[$0]), local1: UInt32(w[$0 + 1]), local2: UInt32(w[$0 + 2]))
        }
    }

    /// CLUSTER_LIST (RFC 4456).
    public var clusterList: [UInt32] { readWords(clusterSpan, width: 4).map { UInt32($0) } }

    /// Every attribute Blackout does not decode, and every malformed one, verbatim.
    public var unknown: [RawAttribute] {
        rawOnly.map { RawAttribute(flags: $0.flags, type: $0.type, value: Array(raw[Int($0.span.start)..<Int($0.span.start + $0.span.count)])) }
    }

    /// The aggregator to report: AS4_AGGREGATOR replaces an AGGREGATOR of AS_TRANS (RFC 6793).
    public var effectiveAggregator: Aggregator? {
        if let a = aggregator, a.asn == ASPath.asTrans, let a4 = as4Aggregator { return a4 }
        return aggregator
    }

    /// Attributes with every field empty (a withdrawal has none).
    public static let empty = PathAttributes(raw: [], asnSize: 4)

    // MARK: Reading the validated spans

    func parsePath(_ span: Span, asnSize: Int) -> ASPath {
        raw.withUnsafeBytes { buf in
            var c = ByteCursor(base: buf, position: Int(span.start), end: Int(span.start + span.count))
            // Validated when decoded, so this cannot fail.
            return (try? PathAttributes.decodeASPath(&c, asnSize: asnSize)) ?? ASPath()
        }
    }

    func lastSegmentASNs(_ span: Span, asnSize: Int) -> [UInt32] {
        raw.withUnsafeBytes { buf in
            var p = Int(span.start)
            let end = p + Int(span.count)
            var last: (kind: UInt8, start: Int, count: Int)?
            while p + 2 <= end {
                let n = Int(buf[p + 1])
                last = (buf[p], p + 2, n)
                p += 2 + n * asnSize
            }
            guard let seg = last, seg.count > 0 else { return [] }
            func asn(_ i: Int) -> UInt32 {
                let o = seg.start + i * asnSize
                return asnSize == 4
                    ? UInt32(buf[o]) << 24 | UInt32(buf[o + 1]) << 16 | UInt32(buf[o + 2]) << 8 | UInt32(buf[o + 3])
                    : UInt32(buf[o]) << 8 | UInt32(buf[o + 1])
            }
            if seg.kind == 1 || seg.kind == 4 { return (0..<seg.count).map(asn) }
            return [asn(seg.count - 1)]
        }
    }

    func readWords(_ span: Span, width: Int) -> [UInt64] {
        guard span.isPresent else { return [] }
        return raw.withUnsafeBytes { buf in
            var out: [UInt64] = []
            out.reserveCapacity(Int(span.count) / width)
            var p = Int(span.start)
            let end = p + Int(span.count)
            while p + width <= end {
                var v: UInt64 = 0
                for i in 0..<width { v = v << 8 | UInt64(buf[p + i]) }
                out.append(v)
                p += width
            }
            return out
        }
    }

    /// Calls `body` with each standard community, without allocating.
    @inlinable
    public func forEachCommunity(_ body: (Community) -> Void) {
        guard communitiesSpan.isPresent else { return }
        raw.withUnsafeBytes { buf in
            var p = Int(communitiesSpan.start)
            let end = p + Int(communitiesSpan.count)
            while p + 4 <= end {
                body(Community(rawValue: UInt32(bigEndian: buf.loadUnaligned(fromByteOffset: p, as: UInt32.self))))
                p += 4
            }
        }
    }

    /// Writes `path` in bgpdump's text form without materialising it when no AS4 merge is needed.
    @inlinable
    public func appendPath(to sink: ByteSink) {
        guard asPathSpan.isPresent else { return }
        if needsAS4Merge {
            if let p = path { sink.appendASPath(p) }
            return
        }
        raw.withUnsafeBytes { buf in
            sink.appendASPathWire(UnsafeRawBufferPointer(rebasing: buf[Int(asPathSpan.start)..<Int(asPathSpan.start + asPathSpan.count)]),
                                  asnSize: Int(asnSize))
        }
    }

    /// The ASNs of `path`, flattened in order, into `buffer` (reused, so a caller walking many
    /// paths allocates nothing); returns whether the path ends in an AS_SET (or AS_CONFED_SET), or nil when
    /// there is no AS_PATH.
    public func flattenedPath(into buffer: inout [UInt32]) -> Bool? {
        buffer.removeAll(keepingCapacity: true)
        guard asPathSpan.isPresent else { return nil }
        if needsAS4Merge {
            guard let p = path else { return nil }
            buffer.append(contentsOf: p.asns)
            return p.segments.last?.kind.isSet ?? false
        }
        let size = Int(asnSize)
        return raw.withUnsafeBytes { buf in
            var p = Int(asPathSpan.start)
            let end = p + Int(asPathSpan.count)
            var lastKind: UInt8 = 2
            while p + 2 <= end {
                lastKind = buf[p]
                let n = Int(buf[p + 1])
                p += 2
                for _ in 0..<n where p + size <= end {
                    buffer.append(size == 4
                        ? UInt32(bigEndian: buf.loadUnaligned(fromByteOffset: p, as: UInt32.self))
                        : UInt32(UInt16(bigEndian: buf.loadUnaligned(fromByteOffset: p, as: UInt16.self))))
                    p += size
                }
            }
            return lastKind == 1 || lastKind == 4
        }
    }

    /// Writes the origin AS(es) separated by `separator`, without allocating when possible.
    public func appendOriginASNs(to sink: ByteSink, separator: UInt8) {
        var first = true
        for asn in originASNs {
            if !first { sink.append(separator) }
            first = false
            sink.appendDecimal(asn)
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
