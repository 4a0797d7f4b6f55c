/// Turns decoded MRT records into route elements.
///
/// Holds the one piece of state that crosses records: the PEER_INDEX_TABLE that
/// TABLE_DUMP_V2 RIB records refer to (RFC 6396 section 4.3).
public struct ElementDecoder: Sendable {
    public private(set) var peerTable: PeerIndexTable?

    public init() {}

    /// Decodes one record body and appends its elements to `out`.
    @inlinable
    public mutating func decode(header: MRTHeader, body: UnsafeRawBufferPointer,
                                into out: inout [RouteElement]) throws(MRTDecodeError) {
        let message = try MRTRecord.decode(header: header, body: body, peerTable: peerTable)
        appendElements(of: MRTRecord(header: header, message: message), into: &out)
    }

    /// Appends the elements of an already decoded record to `out`.
    public mutating func appendElements(of record: MRTRecord, into out: inout [RouteElement]) {
        let h = record.header
        switch record.message {
        case .peerIndexTable(let table):
            peerTable = table

        case .rib(let rib):
            guard let prefix = rib.prefix, let table = peerTable else { return }
            let addPath = rib.isAddPath
            for e in rib.entries {
                // Index checked against the table at decode time.
                let peer = table.peers[Int(e.peerIndex)]
                out.append(RouteElement(
                    timestamp: h.timestamp, microseconds: h.microseconds, kind: .rib,
                    peerAddress: peer.address, peerASN: peer.asn, prefix: prefix, pathID: e.pathID,
                    attributes: e.attributes, nextHop: Self.ribNextHop(e.attributes, v6: prefix.isV6),
                    originatedTime: e.originatedTime, recordType: h.type, recordSubtype: h.subtype, origin: .rib, isAddPath: addPath))
            }

        case .tableDump(let entries):
            for e in entries {
                out.append(RouteElement(
                    timestamp: h.timestamp, kind: .rib, peerAddress: e.peerAddress, peerASN: e.peerASN,
                    prefix: e.prefix, attributes: e.attributes,
                    nextHop: Self.ribNextHop(e.attributes, v6: e.prefix.isV6),
                    originatedTime: e.originatedTime, recordType: h.type, recordSubtype: h.subtype, origin: .rib))
            }

        case .bgp4mpEntry(let e):
            out.append(RouteElement(
                timestamp: h.timestamp, microseconds: h.microseconds, kind: .rib,
                peerAddress: e.peering.peerAddress, peerASN: e.peering.peerASN, prefix: e.prefix,
                attributes: e.attributes, nextHop: e.nextHop ?? Self.ribNextHop(e.attributes, v6: e.prefix.isV6),
                originatedTime: e.originatedTime, recordType: h.type, recordSubtype: h.subtype, origin: .rib))

        case .bgp4mpMessage(let m):
            guard case .update(let u) = m.message else { return }
            appendUpdate(u, header: h, peerAddress: m.peering.peerAddress, peerASN: m.peering.peerASN,
                         isLocal: m.isLocal, isAddPath: m.isAddPath, into: &out)

        case .legacyMessage(let m):
            guard case .update(let u) = m.message else { return }
            appendUpdate(u, header: h, peerAddress: m.peerAddress, peerASN: m.peerASN,
                         isLocal: false, isAddPath: false, into: &out)

        case .bgp4mpStateChange(let s):
            let zero = s.peering.peerAddress.isV6 ? IPAddress.zeroV6 : IPAddress.zeroV4
            out.append(RouteElement(
                timestamp: h.timestamp, microseconds: h.microseconds, kind: .state,
                peerAddress: s.peering.peerAddress, peerASN: s.peering.peerASN,
                prefix: Prefix(address: zero, length: 0), oldState: s.oldState, newState: s.newState,
                recordType: h.type, recordSubtype: h.subtype, origin: .stateChange))

        case .legacyStateChange(let s):
            out.append(RouteElement(
                timestamp: h.timestamp, kind: .state, peerAddress: s.peerAddress, peerASN: s.peerASN,
                prefix: Prefix(address: .zeroV4, length: 0), oldState: s.oldState, newState: s.newState,
                recordType: h.type, recordSubtype: h.subtype, origin: .stateChange))

        case .unsupported:
            return
        }
    }

    /// Elements of one UPDATE, in bgpdump's order: withdrawn routes, MP_UNREACH_NLRI,
    /// then NLRI and MP_REACH_NLRI.
    @inlinable
    mutating func appendUpdate(_ u: BGPUpdate, header h: MRTHeader, peerAddress: IPAddress, peerASN: UInt32,
                               isLocal: Bool, isAddPath: Bool, into out: inout [RouteElement]) {
        let a = u.attributes
        for n in u.withdrawn {
            out.append(RouteElement(
                timestamp: h.timestamp, microseconds: h.microseconds, kind: .withdraw,
                peerAddress: peerAddress, peerASN: peerASN, prefix: n.prefix, pathID: n.pathID,
                recordType: h.type, recordSubtype: h.subtype, origin: .withdrawnRoutes, isLocal: isLocal, isAddPath: isAddPath))
        }
        if let mp = a.mpUnreach {
            for n in mp.nlri {
                out.append(RouteElement(
                    timestamp: h.timestamp, microseconds: h.microseconds, kind: .withdraw,
                    peerAddress: peerAddress, peerASN: peerASN, prefix: n.prefix, pathID: n.pathID,
                    recordType: h.type, recordSubtype: h.subtype, origin: .mpUnreach, isLocal: isLocal, isAddPath: isAddPath))
            }
        }
        for n in u.announced {
            out.append(RouteElement(
                timestamp: h.timestamp, microseconds: h.microseconds, kind: .announce,
                peerAddress: peerAddress, peerASN: peerASN, prefix: n.prefix, pathID: n.pathID,
                attributes: a, nextHop: a.nextHop, recordType: h.type, recordSubtype: h.subtype, origin: .nlri,
                isLocal: isLocal, isAddPath: isAddPath))
        }
        if let mp = a.mpReach {
            for n in mp.nlri {
                out.append(RouteElement(
                    timestamp: h.timestamp, microseconds: h.microseconds, kind: .announce,
                    peerAddress: peerAddress, peerASN: peerASN, prefix: n.prefix, pathID: n.pathID,
                    attributes: a, nextHop: mp.nextHop, recordType: h.type, recordSubtype: h.subtype, origin: .mpReach,
                    isLocal: isLocal, isAddPath: isAddPath))
            }
        }
    }

    /// In a RIB entry the next hop of an IPv6 prefix is in MP_REACH_NLRI (RFC 6396
    /// section 4.3.4); an IPv4 prefix uses NEXT_HOP, or MP_REACH_NLRI's when only that is given.
    @inlinable
    static func ribNextHop(_ a: PathAttributes, v6: Bool) -> IPAddress? {
        if v6 { return a.mpReach?.nextHop ?? a.nextHop }
        return a.nextHop ?? a.mpReach?.nextHop
    }
}
