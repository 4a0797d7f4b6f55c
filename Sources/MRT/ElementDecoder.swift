/// Turns decoded MRT records into route elements.
///
/// Holds the one piece of state that crosses records: the PEER_INDEX_TABLE that
/// TABLE_DUMP_V2 RIB records refer to (RFC 6396 section 4.3).
public struct ElementDecoder {
    public private(set) var peerTable: PeerIndexTable?
    /// Identical attribute blocks decode once (see `AttributeCache`).
    let cache = AttributeCache()
    /// How often the attribute cache found a block it had decoded (hits, misses).
    public var attributeCacheStats: (hits: Int, misses: Int) { (cache.hits, cache.misses) }

    public init() {}

    /// What decoding a record body found, besides its elements.
    public enum Outcome: Sendable, Equatable {
        case decoded
        /// A record kind that carries no routes Blackout reads (counted, skipped).
        case unsupported
        /// Decoded, but the NLRI ended inside a prefix that was dropped.
        case partial
    }

    /// Decodes one record body and appends its elements to `out`.
    ///
    /// RIB records and BGP4MP messages, which make up nearly all of every archive, are
    /// turned into elements straight from the bytes; other kinds go through `MRTRecord`.
    @inlinable
    public mutating func decode(header h: MRTHeader, body: UnsafeRawBufferPointer,
                                into out: inout [RouteElement]) throws(MRTDecodeError) -> Outcome {
        typealias T = TableDumpV2Subtype
        if h.type == .tableDumpV2, (T.ribIPv4Unicast...T.ribIPv6Multicast).contains(h.subtype)
            || (T.ribIPv4UnicastAddPath...T.ribIPv6MulticastAddPath).contains(h.subtype) {
            try appendRIB(header: h, body: body, into: &out)
            return .decoded
        }
        if h.type == .bgp4mp || h.type == .bgp4mpET {
            typealias S = BGP4MPSubtype
            switch h.subtype {
            case S.message, S.messageAS4, S.messageLocal, S.messageAS4Local,
                 S.messageAddPath, S.messageAS4AddPath, S.messageLocalAddPath, S.messageAS4LocalAddPath:
                return try appendBGP4MPMessage(header: h, body: body, into: &out)
            default:
                break
            }
        }
        let message = try MRTRecord.decode(header: h, body: body, peerTable: peerTable)
        if case .unsupported = message { return .unsupported }
        appendElements(of: MRTRecord(header: h, message: message), into: &out)
        if case .legacyMessage(let m) = message, case .update(let u) = m.message, u.nlriTruncated { return .partial }
        return .decoded
    }

    @usableFromInline
    mutating func appendRIB(header h: MRTHeader, body: UnsafeRawBufferPointer,
                            into out: inout [RouteElement]) throws(MRTDecodeError) {
        typealias T = TableDumpV2Subtype
        let s = h.subtype
        let v6 = s == T.ribIPv6Unicast || s == T.ribIPv6Multicast || s == T.ribIPv6UnicastAddPath
            || s == T.ribIPv6MulticastAddPath
        let addPath = s >= T.ribIPv4UnicastAddPath
        var c = ByteCursor(body)
        guard let table = peerTable else { throw MRTDecodeError(.missingPeerIndexTable, at: 0) }
        _ = try c.u32("sequence number")
        let prefix = try MRTRecord.decodePrefix(&c, v6: v6)
        try table.peers.withUnsafeBufferPointer { peers throws(MRTDecodeError) in
            try MRTRecord.forEachRIBEntry(&c, addPath: addPath, ribIsV6: v6, peerCount: peers.count, cache: cache) {
                index, originated, pathID, attributes in
                let peer = peers[Int(index)]
                out.append(RouteElement(
                    timestamp: h.timestamp, microseconds: h.microseconds, kind: .rib,
                    peerAddress: peer.address, peerASN: peer.asn, prefix: prefix, pathID: pathID,
                    attributes: attributes, nextHop: Self.ribNextHop(attributes, v6: v6),
                    originatedTime: originated, recordType: h.type, recordSubtype: s, origin: .rib,
                    isAddPath: addPath))
            }
        }
    }

    @usableFromInline
    mutating func appendBGP4MPMessage(header h: MRTHeader, body: UnsafeRawBufferPointer,
                                      into out: inout [RouteElement]) throws(MRTDecodeError) -> Outcome {
        typealias S = BGP4MPSubtype
        let s = h.subtype
        let asnSize = s == S.messageAS4 || s == S.messageAS4Local || s == S.messageAS4AddPath
            || s == S.messageAS4LocalAddPath ? 4 : 2
        let isLocal = s == S.messageLocal || s == S.messageAS4Local || s == S.messageLocalAddPath
            || s == S.messageAS4LocalAddPath
        let addPath = s >= S.messageAddPath
        var c = ByteCursor(body)
        let (peering, message) = try MRTRecord.decodeBGP4MPMessageBody(&c, asnSize: asnSize, addPath: addPath)
        guard case .update(let u) = message else { return .decoded }
        appendUpdate(u, header: h, peerAddress: peering.peerAddress, peerASN: peering.peerASN,
                     isLocal: isLocal, isAddPath: addPath, into: &out)
        return u.nlriTruncated ? .partial : .decoded
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
