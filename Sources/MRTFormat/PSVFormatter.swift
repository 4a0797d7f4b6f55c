import MRT

/// bgpkit-parser's pipe-separated values, with its header line:
/// `type|timestamp|peer_ip|peer_asn|prefix|as_path|origin_asns|origin|next_hop|local_pref|med|communities|atomic|aggr_asn|aggr_ip|only_to_customer`.
/// Absent values are empty; lists are space-separated. `type` is A, W, R or S; for S
/// rows the route fields are empty.
public struct PSVFormatter: ElementFormatter {
    public init() {}

    public static let header: StaticString =
        "type|timestamp|peer_ip|peer_asn|prefix|as_path|origin_asns|origin|next_hop|local_pref|med|communities|atomic|aggr_asn|aggr_ip|only_to_customer\n"

    public func writeHeader(to sink: ByteSink) { sink.append(Self.header) }

    public func write(_ e: RouteElement, to s: ByteSink) {
        s.append(e.kind.letter)
        s.append(UInt8(ascii: "|"))
        s.appendTimestamp(e.timestamp, e.microseconds)
        s.append(UInt8(ascii: "|"))
        s.appendAddress(e.peerAddress)
        s.append(UInt8(ascii: "|"))
        s.appendDecimal(e.peerASN)
        s.append(UInt8(ascii: "|"))
        if e.kind == .state {
            s.append("|||||||||||\n")
            return
        }
        s.appendPrefix(e.prefix)
        s.append(UInt8(ascii: "|"))
        let a = e.attributes
        if e.kind == .withdraw {
            s.append("|||||||false|||\n")
            return
        }
        a.appendPath(to: s)
        s.append(UInt8(ascii: "|"))
        a.appendOriginASNs(to: s, separator: UInt8(ascii: " "))
        s.append(UInt8(ascii: "|"))
        if let o = a.origin {
            switch o.rawValue {
            case 0: s.append("IGP")
            case 1: s.append("EGP")
            case 2: s.append("INCOMPLETE")
            default: s.appendDecimal(UInt32(o.rawValue))
            }
        }
        s.append(UInt8(ascii: "|"))
        if let nh = e.nextHop { s.appendAddress(nh) }
        s.append(UInt8(ascii: "|"))
        if let lp = a.localPref { s.appendDecimal(lp) }
        s.append(UInt8(ascii: "|"))
        if let med = a.med { s.appendDecimal(med) }
        s.append(UInt8(ascii: "|"))
        var first = true
        a.forEachCommunity { c in
            if !first { s.append(UInt8(ascii: " ")) }
            first = false
            s.appendCommunity(c)
        }
        for c in a.largeCommunities {
            if !first { s.append(UInt8(ascii: " ")) }
            first = false
            s.appendLargeCommunity(c)
        }
        s.append(UInt8(ascii: "|"))
        s.append(a.atomicAggregate ? "true" : "false")
        s.append(UInt8(ascii: "|"))
        if let agg = a.effectiveAggregator {
            s.appendDecimal(agg.asn)
            s.append(UInt8(ascii: "|"))
            s.appendIPv4(agg.address)
        } else {
            s.append(UInt8(ascii: "|"))
        }
        s.append(UInt8(ascii: "|"))
        if let otc = a.onlyToCustomer { s.appendDecimal(otc) }
        s.append(UInt8(ascii: "\n"))
    }
}
