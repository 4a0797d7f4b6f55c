import MRT

/// One JSON object per line, with bgpkit-parser's field names.
///
/// `type` is `A` (announcement), `W` (withdrawal), `R` (RIB entry) or `S` (state change).
/// `timestamp` is a number with microseconds as a fraction. Absent attributes are `null`.
/// `communities` holds standard communities as `"asn:value"` (bgpdump's names for the
/// well-known ones) and large communities as `"global:local1:local2"`; extended
/// communities are in `extended_communities` as 16 hex digits. State changes carry
/// `old_state` and `new_state` instead of route fields.
public struct JSONFormatter: ElementFormatter {
    public init() {}

    public func write(_ e: RouteElement, to s: ByteSink) {
        s.append("{\"timestamp\":")
        s.appendTimestamp(e.timestamp, e.microseconds)
        s.append(",\"type\":\"")
        s.append(e.kind.letter)
        s.append("\",\"peer_ip\":\"")
        s.appendAddress(e.peerAddress)
        s.append("\",\"peer_asn\":")
        s.appendDecimal(e.peerASN)
        if e.kind == .state {
            s.append(",\"old_state\":")
            s.appendDecimal(UInt32(e.oldState.rawValue))
            s.append(",\"new_state\":")
            s.appendDecimal(UInt32(e.newState.rawValue))
            s.append("}\n")
            return
        }
        s.append(",\"prefix\":\"")
        s.appendPrefix(e.prefix)
        s.append("\"")
        if let id = e.pathID {
            s.append(",\"path_id\":")
            s.appendDecimal(id)
        }
        if e.kind == .withdraw {
            s.append("}\n")
            return
        }
        let a = e.attributes
        s.append(",\"as_path\":")
        if a.has(.asPath) {
            s.append(UInt8(ascii: "\""))
            a.appendPath(to: s)
            s.append(UInt8(ascii: "\""))
        } else {
            s.append("null")
        }
        s.append(",\"origin_asns\":")
        if a.has(.asPath) {
            s.append(UInt8(ascii: "["))
            a.appendOriginASNs(to: s, separator: UInt8(ascii: ","))
            s.append(UInt8(ascii: "]"))
        } else {
            s.append("null")
        }
        s.append(",\"next_hop\":")
        if let nh = e.nextHop {
            s.append(UInt8(ascii: "\""))
            s.appendAddress(nh)
            s.append(UInt8(ascii: "\""))
        } else {
            s.append("null")
        }
        s.append(",\"origin\":")
        if let o = a.origin {
            switch o.rawValue {
            case 0: s.append("\"IGP\"")
            case 1: s.append("\"EGP\"")
            case 2: s.append("\"INCOMPLETE\"")
            default: s.appendDecimal(UInt32(o.rawValue))
            }
        } else {
            s.append("null")
        }
        s.append(",\"local_pref\":")
        appendOptional(a.localPref, s)
        s.append(",\"med\":")
        appendOptional(a.med, s)
        s.append(",\"communities\":")
        if a.communityCount == 0 && !a.has(.largeCommunities) {
            s.append("null")
        } else {
            s.append(UInt8(ascii: "["))
            var first = true
            a.forEachCommunity { c in
                if !first { s.append(UInt8(ascii: ",")) }
                first = false
                s.append(UInt8(ascii: "\""))
                s.appendCommunity(c)
                s.append(UInt8(ascii: "\""))
            }
            for c in a.largeCommunities {
                if !first { s.append(UInt8(ascii: ",")) }
                first = false
                s.append(UInt8(ascii: "\""))
                s.appendLargeCommunity(c)
                s.append(UInt8(ascii: "\""))
            }
            s.append(UInt8(ascii: "]"))
        }
        if a.has(.extendedCommunities), !a.extendedCommunities.isEmpty {
            s.append(",\"extended_communities\":[")
            var first = true
            for x in a.extendedCommunities {
                if !first { s.append(UInt8(ascii: ",")) }
                first = false
                s.append(UInt8(ascii: "\""))
                var shift: UInt64 = 56
                while true {
                    s.appendHexByte(UInt8(truncatingIfNeeded: x >> shift))
                    if shift == 0 { break }
                    shift -= 8
                }
                s.append(UInt8(ascii: "\""))
            }
            s.append(UInt8(ascii: "]"))
        }
        s.append(",\"atomic\":")
        s.append(a.atomicAggregate ? "true" : "false")
        let agg = a.effectiveAggregator
        s.append(",\"aggr_asn\":")
        appendOptional(agg?.asn, s)
        s.append(",\"aggr_ip\":")
        if let agg {
            s.append(UInt8(ascii: "\""))
            s.appendIPv4(agg.address)
            s.append(UInt8(ascii: "\""))
        } else {
            s.append("null")
        }
        s.append(",\"only_to_customer\":")
        appendOptional(a.onlyToCustomer, s)
        s.append("}\n")
    }

    private func appendOptional(_ v: UInt32?, _ s: ByteSink) {
        if let v { s.appendDecimal(v) } else { s.append("null") }
    }
}
