/// Writes MRT records (RFC 6396): TABLE_DUMP_V2 PEER_INDEX_TABLE and RIB_IPV4/IPV6_UNICAST,
/// BGP4MP(_ET) MESSAGE_AS4 and STATE_CHANGE_AS4.
///
/// Records accumulate in `sink`; the caller drains it to a file (see `MRTArchive.OutputFile`
/// for gzip and bzip2). Reading back what this writes gives the same elements, which is
/// how tests build exact scenarios (outages, flaps, damaged records) on real data.
public final class MRTWriter {
    public let sink: ByteSink

    public init(sink: ByteSink = ByteSink(capacity: 1 << 20)) {
        self.sink = sink
    }

    /// Starts a record and returns where its length field is, for `endRecord`.
    private func beginRecord(timestamp: UInt32, type: MRTType, subtype: UInt16, microseconds: UInt32?) -> Int {
        sink.appendBE(timestamp)
        sink.appendBE(type.rawValue)
        sink.appendBE(subtype)
        let lengthAt = sink.count
        sink.appendBE(UInt32(0))
        if let microseconds { sink.appendBE(microseconds) }
        return lengthAt
    }

    private func endRecord(_ lengthAt: Int) {
        sink.patchBE(UInt32(sink.count - lengthAt - 4), at: lengthAt)
    }

    /// PEER_INDEX_TABLE (RFC 6396 section 4.3.1). Peers are written with 4-octet ASNs.
    public func writePeerIndexTable(timestamp: UInt32, _ table: PeerIndexTable) {
        let at = beginRecord(timestamp: timestamp, type: .tableDumpV2, subtype: TableDumpV2Subtype.peerIndexTable,
                             microseconds: nil)
        sink.appendBE(table.collectorBGPID)
        sink.appendBE(UInt16(table.viewName.count))
        sink.append(contentsOf: table.viewName)
        sink.appendBE(UInt16(table.peers.count))
        for p in table.peers {
            sink.append(0x02 | (p.address.isV6 ? 0x01 : 0))
            sink.appendBE(p.bgpID)
            sink.appendAddressBytes(p.address)
            sink.appendBE(p.asn)
        }
        endRecord(at)
    }

    /// RIB_IPV4_UNICAST or RIB_IPV6_UNICAST (RFC 6396 section 4.3.2), by the prefix's family.
    /// Each entry's attributes are written as received when they came from a 4-octet
    /// context, and re-encoded otherwise (TABLE_DUMP_V2 always uses 4-octet ASNs).
    public func writeRIB(timestamp: UInt32, sequence: UInt32, prefix: Prefix, entries: [RIBEntry]) {
        let subtype = prefix.isV6 ? TableDumpV2Subtype.ribIPv6Unicast : TableDumpV2Subtype.ribIPv4Unicast
        let at = beginRecord(timestamp: timestamp, type: .tableDumpV2, subtype: subtype, microseconds: nil)
        sink.appendBE(sequence)
        sink.appendPrefixBytes(prefix)
        sink.appendBE(UInt16(entries.count))
        for e in entries {
            sink.appendBE(e.peerIndex)
            sink.appendBE(e.originatedTime)
            writeAttributes(e.attributes, ribForm: true)
        }
        endRecord(at)
    }

    private func writeAttributes(_ a: PathAttributes, ribForm: Bool) {
        let lengthAt = sink.count
        sink.appendBE(UInt16(0))
        if a.asnSize == 4 {
            sink.append(contentsOf: a.raw)
        } else {
            PathAttributes.Builder(a).encode(into: sink, asnSize: 4, ribForm: ribForm)
        }
        sink.patchBE(UInt16(sink.count - lengthAt - 2), at: lengthAt)
    }

    /// A BGP4MP MESSAGE_AS4 record holding one UPDATE (RFC 6396 section 4.4.3; RFC 4271
    /// section 4.3). IPv4 prefixes go in the UPDATE's own fields; IPv6 prefixes in
    /// MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760), whose next hop is `ipv6NextHop` (or
    /// the peer's address). With `microseconds`, the record is BGP4MP_ET.
    public func writeUpdate(timestamp: UInt32, microseconds: UInt32? = nil, peering: BGP4MPPeering,
                            withdrawn: [Prefix] = [], announced: [Prefix] = [],
                            attributes: PathAttributes.Builder = PathAttributes.Builder(),
                            ipv6NextHop: IPAddress? = nil) {
        let at = beginRecord(timestamp: timestamp, type: microseconds == nil ? .bgp4mp : .bgp4mpET,
                             subtype: BGP4MPSubtype.messageAS4, microseconds: microseconds)
        writePeering(peering)
        for _ in 0..<16 { sink.append(0xFF) }
        let messageAt = sink.count
        sink.appendBE(UInt16(0))
        sink.append(2)  // UPDATE
        let v4Withdrawn = withdrawn.filter { !$0.isV6 }
        let v6Withdrawn = withdrawn.filter { $0.isV6 }
        let v4Announced = announced.filter { !$0.isV6 }
        let v6Announced = announced.filter { $0.isV6 }
        let withdrawnAt = sink.count
        sink.appendBE(UInt16(0))
        for p in v4Withdrawn { sink.appendPrefixBytes(p) }
        sink.patchBE(UInt16(sink.count - withdrawnAt - 2), at: withdrawnAt)
        // A withdrawal-only UPDATE carries no attributes but MP_UNREACH_NLRI.
        var attrs = announced.isEmpty ? PathAttributes.Builder(origin: nil) : attributes
        if !v6Announced.isEmpty {
            attrs.mpReach = MPReach(afi: AFI.ipv6, safi: SAFI.unicast, nextHop: ipv6NextHop ?? peering.peerAddress,
                                    nlri: v6Announced.map { NLRI(prefix: $0) })
        }
        if !v6Withdrawn.isEmpty {
            attrs.mpUnreach = MPUnreach(afi: AFI.ipv6, safi: SAFI.unicast, nlri: v6Withdrawn.map { NLRI(prefix: $0) })
        }
        let attrsAt = sink.count
        sink.appendBE(UInt16(0))
        if !announced.isEmpty || !v6Withdrawn.isEmpty { attrs.encode(into: sink, asnSize: 4) }
        sink.patchBE(UInt16(sink.count - attrsAt - 2), at: attrsAt)
        for p in v4Announced { sink.appendPrefixBytes(p) }
        sink.patchBE(UInt16(sink.count - messageAt + 16), at: messageAt)
        endRecord(at)
    }

    /// BGP4MP STATE_CHANGE_AS4 (RFC 6396 section 4.4.4).
    public func writeStateChange(timestamp: UInt32, microseconds: UInt32? = nil, peering: BGP4MPPeering,
                                 old: BGPState, new: BGPState) {
        let at = beginRecord(timestamp: timestamp, type: microseconds == nil ? .bgp4mp : .bgp4mpET,
                             subtype: BGP4MPSubtype.stateChangeAS4, microseconds: microseconds)
        writePeering(peering)
        sink.appendBE(old.rawValue)
        sink.appendBE(new.rawValue)
        endRecord(at)
    }

    private func writePeering(_ p: BGP4MPPeering) {
        sink.appendBE(p.peerASN)
        sink.appendBE(p.localASN)
        sink.appendBE(p.interfaceIndex)
        sink.appendBE(p.peerAddress.isV6 ? AFI.ipv6 : AFI.ipv4)
        sink.appendAddressBytes(p.peerAddress)
        sink.appendAddressBytes(p.localAddress)
    }
}
