/// Decoding of the path attribute block (RFC 4271 section 4.3), with the error
/// handling of RFC 7606: an attribute whose value does not fit its type is kept raw and
/// counted, and decoding goes on with the next one. Only a block whose framing is broken
/// (an attribute running past the block) fails as a whole.
extension PathAttributes {
    /// The context an attribute block is decoded in.
    public struct DecodeContext: Sendable {
        /// 2 or 4 octets per ASN in AS_PATH and AGGREGATOR.
        public var asnSize: Int
        /// Whether NLRI inside MP_REACH/MP_UNREACH carry RFC 7911 path identifiers.
        public var addPath: Bool
        /// In RIB entries, the family of the RIB's prefix, which an abbreviated
        /// MP_REACH_NLRI (RFC 6396 section 4.3.4) leaves implicit.
        public var ribIsV6: Bool?

        public init(asnSize: Int, addPath: Bool = false, ribIsV6: Bool? = nil) {
            self.asnSize = asnSize
            self.addPath = addPath
            self.ribIsV6 = ribIsV6
        }
    }

    static let flagExtendedLength: UInt8 = 0x10

    /// Decodes an attribute block; `c` is bounded to the block and ends at its end.
    static func decode(_ c: inout ByteCursor, context: DecodeContext) throws(MRTDecodeError) -> PathAttributes {
        let blockStart = c.position
        let raw = Array(UnsafeRawBufferPointer(rebasing: c.base[c.position..<c.end]))
        let a = PathAttributes(raw: raw, asnSize: UInt8(context.asnSize))
        while !c.isAtEnd {
            let flags = try c.u8("attribute flags")
            let type = try c.u8("attribute type")
            let length = flags & flagExtendedLength != 0
                ? Int(try c.u16("attribute length")) : Int(try c.u8("attribute length"))
            var v = try c.child(length, "attribute value")
            let span = Span(start: Int32(v.position - blockStart), count: Int32(length))
            let bit: UInt64 = type < 64 ? 1 << UInt64(type) : 0
            let alreadySeen = a.presentTypes & bit != 0
            a.presentTypes |= bit
            if alreadySeen {
                // RFC 7606 section 3 (g): all but the first occurrence are discarded.
                a.malformedCount &+= 1
                a.rawOnly.append((flags, type, span))
                continue
            }
            do {
                try decodeOne(type: type, flags: flags, length: length, span: span, &v, into: a, context: context)
            } catch {
                // The value did not fit its type: keep it raw (RFC 7606 section 7).
                a.rawOnly.append((flags, type, span))
                a.malformedCount &+= 1
            }
        }
        return a
    }

    static func decodeOne(type: UInt8, flags: UInt8, length: Int, span: Span, _ v: inout ByteCursor,
                          into a: PathAttributes, context: DecodeContext) throws(MRTDecodeError) {
        func expect(_ ok: Bool) throws(MRTDecodeError) {
            if !ok { throw MRTDecodeError(.badAttributeLength(type: type, length: length), at: v.position) }
        }
        switch type {
        case 1:  // ORIGIN
            try expect(length == 1)
            a.origin = Origin(rawValue: try v.u8())
        case 2:  // AS_PATH
            try validateASPath(&v, asnSize: context.asnSize)
            a.asPathSpan = span
        case 3:  // NEXT_HOP
            try expect(length == 4)
            a.nextHop = try v.ipv4()
        case 4:  // MULTI_EXIT_DISC
            try expect(length == 4)
            a.med = try v.u32()
        case 5:  // LOCAL_PREF
            try expect(length == 4)
            a.localPref = try v.u32()
        case 6:  // ATOMIC_AGGREGATE
            try expect(length == 0)
            a.atomicAggregate = true
        case 7:  // AGGREGATOR: 6 octets on 2-octet sessions, 8 on 4-octet ones
            try expect(length == 6 || length == 8)
            let four = length == 8
            a.aggregator = Aggregator(asn: try v.asn(size: four ? 4 : 2), address: try v.u32(), fourOctet: four)
        case 8:  // COMMUNITIES
            try expect(length % 4 == 0)
            a.communitiesSpan = span
        case 9:  // ORIGINATOR_ID
            try expect(length == 4)
            a.originatorID = try v.u32()
        case 10:  // CLUSTER_LIST
            try expect(length % 4 == 0)
            a.clusterSpan = span
        case 14:  // MP_REACH_NLRI
            a.mpReach = try decodeMPReach(&v, context: context)
        case 15:  // MP_UNREACH_NLRI
            a.mpUnreach = try decodeMPUnreach(&v, context: context)
        case 16:  // EXTENDED COMMUNITIES
            try expect(length % 8 == 0)
            a.extendedSpan = span
        case 17:  // AS4_PATH: always 4-octet ASNs
            try validateASPath(&v, asnSize: 4)
            a.as4PathSpan = span
        case 18:  // AS4_AGGREGATOR
            try expect(length == 8)
            a.as4Aggregator = Aggregator(asn: try v.u32(), address: try v.u32(), fourOctet: true)
        case 32:  // LARGE_COMMUNITY
            try expect(length % 12 == 0)
            a.largeSpan = span
        case 35:  // ONLY_TO_CUSTOMER
            try expect(length == 4)
            a.onlyToCustomer = try v.u32()
        default:
            a.rawOnly.append((flags, type, span))
        }
    }

    /// Checks AS_PATH / AS4_PATH segments (RFC 4271 section 4.3, RFC 5065 section 3)
    /// without building them.
    static func validateASPath(_ v: inout ByteCursor, asnSize: Int) throws(MRTDecodeError) {
        while !v.isAtEnd {
            let kind = try v.u8("AS_PATH segment type")
            guard kind >= 1, kind <= 4 else {
                throw MRTDecodeError(.badASPathSegmentType(kind), at: v.position &- 1)
            }
            let count = Int(try v.u8("AS_PATH segment length"))
            try v.skip(count &* asnSize, "AS_PATH segment")
        }
    }

    /// AS_PATH / AS4_PATH segments (RFC 4271 section 4.3, RFC 5065 section 3).
    static func decodeASPath(_ v: inout ByteCursor, asnSize: Int) throws(MRTDecodeError) -> ASPath {
        var path = ASPath()
        path.asns.reserveCapacity(v.remaining / asnSize)
        while !v.isAtEnd {
            let kind = try v.u8("AS_PATH segment type")
            guard kind >= 1, kind <= 4 else {
                throw MRTDecodeError(.badASPathSegmentType(kind), at: v.position &- 1)
            }
            let count = Int(try v.u8("AS_PATH segment length"))
            try v.need(count &* asnSize, "AS_PATH segment")
            var i = 0
            while i < count {
                path.asns.append(try v.asn(size: asnSize))
                i &+= 1
            }
            path.segments.append(ASPath.Segment(kind: ASPath.SegmentKind(rawValue: kind), count: count))
        }
        return path
    }

    /// MP_REACH_NLRI in either form: the full RFC 4760 one (AFI, SAFI, next hop, reserved
    /// octet, NLRI) or the abbreviated RFC 6396 section 4.3.4 one (next hop length and next
    /// hop only). Like bgpdump, a first octet other than zero means the abbreviated form,
    /// since no AFI in use has a high octet.
    static func decodeMPReach(_ v: inout ByteCursor, context: DecodeContext) throws(MRTDecodeError) -> MPReach {
        try v.need(1, "MP_REACH_NLRI")
        if v.base[v.position] != 0 {
            let nhLength = Int(try v.u8("next hop length"))
            let (nh, ll) = try decodeNextHop(&v, length: nhLength)
            let afi = context.ribIsV6.map { $0 ? AFI.ipv6 : AFI.ipv4 } ?? (nh?.isV6 == true ? AFI.ipv6 : AFI.ipv4)
            return MPReach(afi: afi, safi: SAFI.unicast, nextHop: nh, linkLocalNextHop: ll, abbreviated: true)
        }
        let afi = try v.u16("AFI")
        let safi = try v.u8("SAFI")
        let nhLength = Int(try v.u8("next hop length"))
        var nhField = try v.child(nhLength, "next hop")
        let (nh, ll) = try decodeNextHop(&nhField, length: nhLength)
        // RFC 4760 section 3: one reserved octet (formerly the SNPA count); old
        // implementations may list SNPAs there, which are skipped.
        var snpaCount = try v.u8("reserved octet")
        while snpaCount > 0 {
            let len = Int(try v.u8("SNPA length"))
            try v.skip((len &+ 1) / 2, "SNPA")
            snpaCount &-= 1
        }
        var nlri: [NLRI] = []
        if (afi == AFI.ipv4 || afi == AFI.ipv6), safi >= 1, safi <= 3 {
            nlri = try decodeNLRI(&v, v6: afi == AFI.ipv6, addPath: context.addPath)
        } else {
            v.position = v.end  // other families are kept only as counted, not decoded
        }
        return MPReach(afi: afi, safi: safi, nextHop: nh, linkLocalNextHop: ll, nlri: nlri)
    }

    /// A next hop field: 4 (IPv4), 16 or 32 (IPv6 global, then link-local; RFC 2545),
    /// 12 or 24 or 48 (route distinguisher then address; RFC 4364, RFC 4659), or 0.
    static func decodeNextHop(_ v: inout ByteCursor, length: Int) throws(MRTDecodeError) -> (IPAddress?, IPAddress?) {
        switch length {
        case 0: return (nil, nil)
        case 4: return (try v.ipv4(), nil)
        case 16: return (try v.ipv6(), nil)
        case 32: return (try v.ipv6(), try v.ipv6())
        case 12:
            try v.skip(8, "route distinguisher")
            return (try v.ipv4(), nil)
        case 24:
            try v.skip(8, "route distinguisher")
            return (try v.ipv6(), nil)
        case 48:
            try v.skip(8, "route distinguisher")
            let g = try v.ipv6()
            try v.skip(8, "route distinguisher")
            return (g, try v.ipv6())
        default:
            throw MRTDecodeError(.badNextHopLength(length), at: v.position)
        }
    }

    static func decodeMPUnreach(_ v: inout ByteCursor, context: DecodeContext) throws(MRTDecodeError) -> MPUnreach {
        let afi = try v.u16("AFI")
        let safi = try v.u8("SAFI")
        var nlri: [NLRI] = []
        if (afi == AFI.ipv4 || afi == AFI.ipv6), safi >= 1, safi <= 3 {
            nlri = try decodeNLRI(&v, v6: afi == AFI.ipv6, addPath: context.addPath)
        } else {
            v.position = v.end
        }
        return MPUnreach(afi: afi, safi: safi, nlri: nlri)
    }
}

/// A list of prefixes in NLRI encoding (RFC 4271 section 4.3; RFC 7911 section 3 with
/// path identifiers), reading until the cursor's end.
func decodeNLRI(_ v: inout ByteCursor, v6: Bool, addPath: Bool) throws(MRTDecodeError) -> [NLRI] {
    var truncated = false
    return try decodeNLRI(&v, v6: v6, addPath: addPath, truncatedTail: &truncated, tolerant: false)
}

/// As above; when `tolerant`, a last prefix cut short by the end of the field is dropped
/// (and `truncatedTail` set) instead of failing the whole list, as bgpdump does.
func decodeNLRI(_ v: inout ByteCursor, v6: Bool, addPath: Bool, truncatedTail: inout Bool,
                tolerant: Bool) throws(MRTDecodeError) -> [NLRI] {
    var out: [NLRI] = []
    if v.isAtEnd { return out }
    out.reserveCapacity(v6 ? v.remaining / 6 : v.remaining / 4)
    let maxBits = v6 ? 128 : 32
    while !v.isAtEnd {
        let pathID: UInt32? = addPath ? try v.u32("path identifier") : nil
        let bits = Int(try v.u8("prefix length"))
        guard bits <= maxBits else {
            throw MRTDecodeError(.invalidPrefixLength(bits, max: maxBits), at: v.position &- 1)
        }
        if tolerant, (bits + 7) / 8 > v.remaining {
            v.position = v.end
            truncatedTail = true
            break
        }
        let addr = try v.prefixAddress(bits: bits, v6: v6)
        out.append(NLRI(prefix: Prefix(address: addr, length: UInt8(bits)), pathID: pathID))
    }
    return out
}
