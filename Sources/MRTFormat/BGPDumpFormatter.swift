import MRT

/// `bgpdump -m` output (Debian's bgpdump 1.6.2), byte for byte, including its habits:
///
/// - RIB lines say `TABLE_DUMP`, `TABLE_DUMP2` or `TABLE_DUMP2_AP` and `B`; updates say
///   `BGP4MP`, `BGP4MP_ET` (time with `.%06d` microseconds), with `_LOCAL` and `_AP`
///   for those subtypes; state changes say `STATE` and only `BGP4MP` or `BGP4MP_ET`.
/// - A missing NEXT_HOP prints as 255.255.255.255, a missing ORIGIN as INCOMPLETE, a
///   missing LOCAL_PREF or MED as 0; MP_REACH_NLRI IPv4 routes print LOCAL_PREF and MED
///   as signed numbers.
/// - The aggregator is read with the record's ASN size whatever the attribute's length.
/// - Records bgpdump does not decode (RIB_GENERIC, TABLE_DUMP_V2 multicast subtypes,
///   BGP4MP_ENTRY) print nothing.
/// - Deprecated MRT type 5 announcements omit the `|` before the communities.
public struct BGPDumpFormatter: ElementFormatter {
    public init() {}

    public func write(_ e: RouteElement, to s: ByteSink) {
        switch e.recordType {
        case .tableDump:
            writeLinePrefix("TABLE_DUMP", e, s, withMicros: false)
            s.append("B|")
            writeRIBBody(e, s)
        case .tableDumpV2:
            switch e.recordSubtype {
            case TableDumpV2Subtype.ribIPv4Unicast, TableDumpV2Subtype.ribIPv6Unicast:
                writeLinePrefix("TABLE_DUMP2", e, s, withMicros: false)
            case TableDumpV2Subtype.ribIPv4UnicastAddPath, TableDumpV2Subtype.ribIPv6UnicastAddPath:
                writeLinePrefix("TABLE_DUMP2_AP", e, s, withMicros: false)
            default:
                return
            }
            s.append("B|")
            writeRIBBody(e, s)
        case .bgp4mp, .bgp4mpET:
            writeBGP4MP(e, s)
        case .bgp:
            writeLegacy(e, s)
        default:
            return
        }
    }

    @inline(__always)
    private func writeLinePrefix(_ format: StaticString, _ e: RouteElement, _ s: ByteSink, withMicros: Bool) {
        s.append(format)
        s.append(UInt8(ascii: "|"))
        s.appendDecimal(e.timestamp)
        if withMicros {
            s.append(UInt8(ascii: "."))
            s.appendDecimal(e.microseconds, width: 6)
        }
        s.append(UInt8(ascii: "|"))
    }

    @inline(__always)
    private func appendPrefix(_ p: Prefix, _ s: ByteSink) {
        s.appendAddressBGPDumpStyle(p.address)
        s.append(UInt8(ascii: "/"))
        s.appendDecimal(UInt32(p.length))
    }

    @inline(__always)
    private func writePeer(_ e: RouteElement, _ s: ByteSink) {
        s.appendAddressBGPDumpStyle(e.peerAddress)
        s.append(UInt8(ascii: "|"))
        s.appendDecimal(e.peerASN)
        s.append(UInt8(ascii: "|"))
    }

    /// `STATE|peer|peeras|old|new`
    private func writeState(_ e: RouteElement, _ s: ByteSink) {
        s.append("STATE|")
        writePeer(e, s)
        s.appendDecimal(UInt32(e.oldState.rawValue))
        s.append(UInt8(ascii: "|"))
        s.appendDecimal(UInt32(e.newState.rawValue))
        s.append(UInt8(ascii: "\n"))
    }

    /// `peer|peeras|prefix|[path id|]aspath|origin|nexthop|lp|med|communities|AG|aggregator|`
    private func writeRIBBody(_ e: RouteElement, _ s: ByteSink) {
        let a = e.attributes
        writePeer(e, s)
        appendPrefix(e.prefix, s)
        s.append(UInt8(ascii: "|"))
        if e.isAddPath {
            s.appendDecimal(e.pathID ?? 0)
            s.append(UInt8(ascii: "|"))
        }
        writePathAndOrigin(a, s)
        // bgpdump prints MP_REACH_NLRI's next hop when it was read as IPv6 unicast
        // (the abbreviated RIB form always is), else NEXT_HOP.
        if let mp = a.mpReach, mp.abbreviated || (mp.afi == AFI.ipv6 && mp.safi == SAFI.unicast) {
            s.appendAddressBGPDumpStyle(mp.nextHop ?? .zeroV6)
        } else {
            s.appendIPv4(a.nextHop?.v4 ?? 0xFFFF_FFFF)
        }
        s.append(UInt8(ascii: "|"))
        writePrefMED(a, s, signed: false)
        writeCommunitiesAggregator(a, s)
    }

    private func writePathAndOrigin(_ a: PathAttributes, _ s: ByteSink) {
        if a.has(.asPath) { a.appendPath(to: s) }
        s.append(UInt8(ascii: "|"))
        switch a.origin?.rawValue {
        case 0: s.append("IGP")
        case 1: s.append("EGP")
        default: s.append("INCOMPLETE")
        }
        s.append(UInt8(ascii: "|"))
    }

    private func writePrefMED(_ a: PathAttributes, _ s: ByteSink, signed: Bool) {
        let lp = a.localPref ?? 0
        let med = a.med ?? 0
        if signed {
            s.appendDecimal(signed: Int64(Int32(bitPattern: lp)))
            s.append(UInt8(ascii: "|"))
            s.appendDecimal(signed: Int64(Int32(bitPattern: med)))
        } else {
            s.appendDecimal(lp)
            s.append(UInt8(ascii: "|"))
            s.appendDecimal(med)
        }
        s.append(UInt8(ascii: "|"))
    }

    /// `communities|AG|aggregator|` and the newline.
    private func writeCommunitiesAggregator(_ a: PathAttributes, _ s: ByteSink) {
        writeCommunities(a, s)
        s.append(UInt8(ascii: "|"))
        s.append(a.has(.atomicAggregate) ? "AG" : "NAG")
        s.append(UInt8(ascii: "|"))
        writeAggregator(a, s)
        s.append("|\n")
    }

    private func writeCommunities(_ a: PathAttributes, _ s: ByteSink) {
        var first = true
        a.forEachCommunity { c in
            if !first { s.append(UInt8(ascii: " ")) }
            first = false
            s.appendCommunity(c)
        }
    }

    /// bgpdump reads AGGREGATOR with the record's ASN size, whatever the attribute's
    /// length, and on 2-octet sessions replaces an AS_TRANS aggregator with AS4_AGGREGATOR.
    private func writeAggregator(_ a: PathAttributes, _ s: ByteSink) {
        guard var agg = a.aggregator else { return }
        if a.asnSize == 2, agg.fourOctet {
            agg = Aggregator(asn: agg.asn >> 16, address: (agg.asn & 0xFFFF) << 16 | agg.address >> 16,
                             fourOctet: false)
        } else if a.asnSize == 4, !agg.fourOctet {
            agg = Aggregator(asn: agg.asn << 16 | agg.address >> 16, address: (agg.address & 0xFFFF) << 16,
                             fourOctet: true)
        }
        if a.asnSize == 2, agg.asn == ASPath.asTrans, let a4 = a.as4Aggregator { agg = a4 }
        if agg.address == 0xFFFF_FFFF { return }
        s.appendDecimal(agg.asn)
        s.append(UInt8(ascii: " "))
        s.appendIPv4(agg.address)
    }

    private func writeBGP4MP(_ e: RouteElement, _ s: ByteSink) {
        let et = e.recordType == .bgp4mpET
        if e.kind == .state {
            writeLinePrefix(et ? "BGP4MP_ET" : "BGP4MP", e, s, withMicros: et)
            writeState(e, s)
            return
        }
        guard e.kind == .announce || e.kind == .withdraw else { return }  // BGP4MP_ENTRY: not printed
        let format: StaticString
        switch (et, e.isLocal, e.isAddPath) {
        case (false, false, false): format = "BGP4MP"
        case (false, false, true): format = "BGP4MP_AP"
        case (false, true, false): format = "BGP4MP_LOCAL"
        case (false, true, true): format = "BGP4MP_LOCAL_AP"
        case (true, false, false): format = "BGP4MP_ET"
        case (true, false, true): format = "BGP4MP_ET_AP"
        case (true, true, false): format = "BGP4MP_ET_LOCAL"
        case (true, true, true): format = "BGP4MP_ET_LOCAL_AP"
        }
        writeLinePrefix(format, e, s, withMicros: et)
        if e.kind == .withdraw {
            s.append("W|")
            writePeer(e, s)
            appendPrefix(e.prefix, s)
            if e.isAddPath {
                s.append(UInt8(ascii: "|"))
                s.appendDecimal(e.pathID ?? 0)
            }
            s.append(UInt8(ascii: "\n"))
            return
        }
        let a = e.attributes
        s.append("A|")
        writePeer(e, s)
        appendPrefix(e.prefix, s)
        s.append(UInt8(ascii: "|"))
        if e.isAddPath {
            s.appendDecimal(e.pathID ?? 0)
            s.append(UInt8(ascii: "|"))
        }
        writePathAndOrigin(a, s)
        if e.origin == .mpReach {
            if e.prefix.isV6 {
                s.appendAddressBGPDumpStyle(a.mpReach?.nextHop ?? .zeroV6)
                s.append(UInt8(ascii: "|"))
                writePrefMED(a, s, signed: false)
            } else {
                s.appendIPv4(a.mpReach?.nextHop?.v4 ?? 0)
                s.append(UInt8(ascii: "|"))
                writePrefMED(a, s, signed: true)
            }
        } else {
            s.appendIPv4(a.nextHop?.v4 ?? 0xFFFF_FFFF)
            s.append(UInt8(ascii: "|"))
            writePrefMED(a, s, signed: false)
        }
        writeCommunitiesAggregator(a, s)
    }

    private func writeLegacy(_ e: RouteElement, _ s: ByteSink) {
        writeLinePrefix("BGP", e, s, withMicros: false)
        switch e.kind {
        case .state:
            writeState(e, s)
        case .withdraw:
            s.append("W|")
            writePeer(e, s)
            appendPrefix(e.prefix, s)
            s.append(UInt8(ascii: "\n"))
        case .announce:
            let a = e.attributes
            s.append("A|")
            writePeer(e, s)
            appendPrefix(e.prefix, s)
            s.append(UInt8(ascii: "|"))
            writePathAndOrigin(a, s)
            s.appendIPv4(a.nextHop?.v4 ?? 0xFFFF_FFFF)
            s.append(UInt8(ascii: "|"))
            s.appendDecimal(a.localPref ?? 0)
            s.append(UInt8(ascii: "|"))
            s.appendDecimal(a.med ?? 0)
            // bgpdump prints no separator before the communities here.
            writeCommunities(a, s)
            s.append(UInt8(ascii: "|"))
            s.append(a.has(.atomicAggregate) ? "AG" : "NAG")
            s.append(UInt8(ascii: "|"))
            writeAggregator(a, s)
            s.append("|\n")
        case .rib:
            return
        }
    }
}
