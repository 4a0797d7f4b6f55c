/// Decoding of MRT record bodies (RFC 6396). Framing is separate (`MRTFramer`), so a
/// body that fails to decode never disturbs the reading of the records after it.
extension MRTRecord {
    /// Decodes a record body.
    ///
    /// - Parameters:
    ///   - header: the record's header.
    ///   - body: the body bytes (after the microsecond field for _ET types).
    ///   - peerTable: the PEER_INDEX_TABLE in force, for TABLE_DUMP_V2 RIB records.
    public static func decode(header: MRTHeader, body: UnsafeRawBufferPointer,
                              peerTable: PeerIndexTable?) throws(MRTDecodeError) -> MRTMessage {
        var c = ByteCursor(body)
        switch header.type {
        case .tableDumpV2:
            return try decodeTableDumpV2(subtype: header.subtype, &c, peerTable: peerTable)
        case .bgp4mp, .bgp4mpET:
            return try decodeBGP4MP(subtype: header.subtype, &c)
        case .tableDump:
            return try decodeTableDump(subtype: header.subtype, &c)
        case .bgp:
            return try decodeLegacyBGP(subtype: header.subtype, &c)
        default:
            return .unsupported
        }
    }

    // MARK: TABLE_DUMP_V2

    static func decodeTableDumpV2(subtype: UInt16, _ c: inout ByteCursor,
                                  peerTable: PeerIndexTable?) throws(MRTDecodeError) -> MRTMessage {
        typealias S = TableDumpV2Subtype
        switch subtype {
        case S.peerIndexTable:
            return .peerIndexTable(try decodePeerIndexTable(&c))
        case S.ribIPv4Unicast, S.ribIPv4Multicast, S.ribIPv6Unicast, S.ribIPv6Multicast,
             S.ribIPv4UnicastAddPath, S.ribIPv4MulticastAddPath, S.ribIPv6UnicastAddPath, S.ribIPv6MulticastAddPath:
            let v6 = subtype == S.ribIPv6Unicast || subtype == S.ribIPv6Multicast
                || subtype == S.ribIPv6UnicastAddPath || subtype == S.ribIPv6MulticastAddPath
            let multicast = subtype == S.ribIPv4Multicast || subtype == S.ribIPv6Multicast
                || subtype == S.ribIPv4MulticastAddPath || subtype == S.ribIPv6MulticastAddPath
            let sequence = try c.u32("sequence number")
            let prefix = try decodePrefix(&c, v6: v6)
            let entries = try decodeRIBEntries(&c, addPath: subtype >= S.ribIPv4UnicastAddPath,
                                               ribIsV6: v6, peerTable: peerTable)
            return .rib(RIBRecord(subtype: subtype, sequence: sequence, afi: v6 ? AFI.ipv6 : AFI.ipv4,
                                  safi: multicast ? SAFI.multicast : SAFI.unicast, prefix: prefix, entries: entries))
        case S.ribGeneric, S.ribGenericAddPath:
            let sequence = try c.u32("sequence number")
            let afi = try c.u16("AFI")
            let safi = try c.u8("SAFI")
            guard afi == AFI.ipv4 || afi == AFI.ipv6, safi >= 1, safi <= 3 else {
                // Another family's NLRI: its encoding is family-specific; keep it as counted.
                return .unsupported
            }
            let prefix = try decodePrefix(&c, v6: afi == AFI.ipv6)
            let entries = try decodeRIBEntries(&c, addPath: subtype == S.ribGenericAddPath,
                                               ribIsV6: afi == AFI.ipv6, peerTable: peerTable)
            return .rib(RIBRecord(subtype: subtype, sequence: sequence, afi: afi, safi: safi,
                                  prefix: prefix, entries: entries))
        default:
            return .unsupported  // GEO_PEER_TABLE and unassigned subtypes
        }
    }

    static func decodePeerIndexTable(_ c: inout ByteCursor) throws(MRTDecodeError) -> PeerIndexTable {
        let collector = try c.u32("collector BGP ID")
        let nameLength = Int(try c.u16("view name length"))
        let name = try c.bytes(nameLength, "view name")
        let count = Int(try c.u16("peer count"))
        var peers: [Peer] = []
        peers.reserveCapacity(min(count, c.remaining / 7))
        for _ in 0..<count {
            let type = try c.u8("peer type")
            let bgpID = try c.u32("peer BGP ID")
            let address = try c.address(v6: type & 0x01 != 0)
            let asn = try c.asn(size: type & 0x02 != 0 ? 4 : 2)
            peers.append(Peer(bgpID: bgpID, address: address, asn: asn))
        }
        return PeerIndexTable(collectorBGPID: collector, viewName: name, peers: peers)
    }

    static func decodePrefix(_ c: inout ByteCursor, v6: Bool) throws(MRTDecodeError) -> Prefix {
        let bits = Int(try c.u8("prefix length"))
        let maxBits = v6 ? 128 : 32
        guard bits <= maxBits else {
            throw MRTDecodeError(.invalidPrefixLength(bits, max: maxBits), at: c.position &- 1)
        }
        return Prefix(address: try c.prefixAddress(bits: bits, v6: v6), length: UInt8(bits))
    }

    static func decodeRIBEntries(_ c: inout ByteCursor, addPath: Bool, ribIsV6: Bool,
                                 peerTable: PeerIndexTable?) throws(MRTDecodeError) -> [RIBEntry] {
        guard let table = peerTable else { throw MRTDecodeError(.missingPeerIndexTable, at: c.position) }
        var entries: [RIBEntry] = []
        try forEachRIBEntry(&c, addPath: addPath, ribIsV6: ribIsV6, peerCount: table.peers.count) {
            entries.append(RIBEntry(peerIndex: $0, originatedTime: $1, pathID: $2, attributes: $3))
        }
        return entries
    }

    /// The entries of a RIB record (RFC 6396 section 4.3.4, RFC 8050 section 4.1), each
    /// handed to `body` as (peer index, originated time, path identifier, attributes).
    /// Peer indexes are checked against `peerCount`.
    @inline(__always)
    static func forEachRIBEntry(_ c: inout ByteCursor, addPath: Bool, ribIsV6: Bool, peerCount: Int,
                                cache: AttributeCache? = nil,
                                _ body: (UInt16, UInt32, UInt32?, PathAttributes) -> Void) throws(MRTDecodeError) {
        let count = Int(try c.u16("entry count"))
        let context = PathAttributes.DecodeContext(asnSize: 4, addPath: addPath, ribIsV6: ribIsV6)
        for _ in 0..<count {
            let indexOffset = c.position
            let peerIndex = try c.u16("peer index")
            guard Int(peerIndex) < peerCount else {
                throw MRTDecodeError(.peerIndexOutOfRange(index: Int(peerIndex), peerCount: peerCount), at: indexOffset)
            }
            let originated = try c.u32("originated time")
            let pathID: UInt32? = addPath ? try c.u32("path identifier") : nil
            let attrLength = Int(try c.u16("attribute length"))
            var attrs = try c.child(attrLength, "attributes")
            let attributes: PathAttributes
            if let cache {
                attributes = try cache.attributes(&attrs, context: context)
            } else {
                attributes = try PathAttributes.decode(&attrs, context: context)
            }
            body(peerIndex, originated, pathID, attributes)
        }
    }

    // MARK: TABLE_DUMP (v1)

    static func decodeTableDump(subtype: UInt16, _ c: inout ByteCursor) throws(MRTDecodeError) -> MRTMessage {
        // Subtypes 1 and 2 are AFI_IPv4 and AFI_IPv6 (RFC 6396 section 4.2); 3 and 4 are the
        // 4-octet-ASN variants some tools write.
        guard subtype >= 1, subtype <= 4 else { return .unsupported }
        let v6 = subtype == 2 || subtype == 4
        let asnSize = subtype >= 3 ? 4 : 2
        let view = try c.u16("view number")
        var sequence = try c.u16("sequence number")
        var entries: [TableDumpEntry] = []
        // The 1999-2000 RIS dumps batch entries: view and sequence once, then entries.
        repeat {
            let addrOffset = c.position
            let address = try c.address(v6: v6)
            let bits = Int(try c.u8("prefix length"))
            guard bits <= (v6 ? 128 : 32) else {
                throw MRTDecodeError(.invalidPrefixLength(bits, max: v6 ? 128 : 32), at: addrOffset + (v6 ? 16 : 4))
            }
            let status = try c.u8("status")
            let originated = try c.u32("originated time")
            let peerAddress = try c.address(v6: v6)
            let peerASN = try c.asn(size: asnSize)
            let attrLength = Int(try c.u16("attribute length"))
            var attrs = try c.child(attrLength, "attributes")
            let attributes = try PathAttributes.decode(
                &attrs, context: .init(asnSize: asnSize, ribIsV6: v6))
            entries.append(TableDumpEntry(
                view: view, sequence: sequence, prefix: Prefix(address: address, length: UInt8(bits)),
                status: status, originatedTime: originated, peerAddress: peerAddress, peerASN: peerASN,
                attributes: attributes))
            sequence &+= 1
        } while !c.isAtEnd
        return .tableDump(entries)
    }

    // MARK: BGP4MP

    static func decodeBGP4MP(subtype: UInt16, _ c: inout ByteCursor) throws(MRTDecodeError) -> MRTMessage {
        typealias S = BGP4MPSubtype
        switch subtype {
        case S.stateChange, S.stateChangeAS4:
            let asnSize = subtype == S.stateChangeAS4 ? 4 : 2
            let peerASN = try c.asn(size: asnSize)
            let localASN = try c.asn(size: asnSize)
            if c.remaining == 4 {
                // Zebra wrote state changes without interface, family and addresses.
                let old = try c.u16("old state")
                let new = try c.u16("new state")
                let peering = BGP4MPPeering(peerASN: peerASN, localASN: localASN, afi: AFI.ipv4,
                                            peerAddress: .zeroV4, localAddress: .zeroV4)
                return .bgp4mpStateChange(BGP4MPStateChange(
                    peering: peering, oldState: BGPState(rawValue: old), newState: BGPState(rawValue: new),
                    asnSize: UInt8(asnSize)))
            }
            let ifIndex = try c.u16("interface index")
            let afi = try c.u16("AFI")
            guard afi == AFI.ipv4 || afi == AFI.ipv6 else {
                throw MRTDecodeError(.unsupportedAddressFamily(afi), at: c.position - 2)
            }
            let peerAddress = try c.address(v6: afi == AFI.ipv6)
            let localAddress = try c.address(v6: afi == AFI.ipv6)
            let old = try c.u16("old state")
            let new = try c.u16("new state")
            let peering = BGP4MPPeering(peerASN: peerASN, localASN: localASN, interfaceIndex: ifIndex, afi: afi,
                                        peerAddress: peerAddress, localAddress: localAddress)
            return .bgp4mpStateChange(BGP4MPStateChange(
                peering: peering, oldState: BGPState(rawValue: old), newState: BGPState(rawValue: new),
                asnSize: UInt8(asnSize)))
        case S.message, S.messageAS4, S.messageLocal, S.messageAS4Local,
             S.messageAddPath, S.messageAS4AddPath, S.messageLocalAddPath, S.messageAS4LocalAddPath:
            let asnSize: Int
            switch subtype {
            case S.messageAS4, S.messageAS4Local, S.messageAS4AddPath, S.messageAS4LocalAddPath: asnSize = 4
            default: asnSize = 2
            }
            let isLocal: Bool
            switch subtype {
            case S.messageLocal, S.messageAS4Local, S.messageLocalAddPath, S.messageAS4LocalAddPath: isLocal = true
            default: isLocal = false
            }
            let addPath = subtype >= S.messageAddPath
            let (peering, message) = try decodeBGP4MPMessageBody(&c, asnSize: asnSize, addPath: addPath)
            return .bgp4mpMessage(BGP4MPMessage(peering: peering, message: message, asnSize: UInt8(asnSize),
                                                isLocal: isLocal, isAddPath: addPath))
        case S.entry:
            return .bgp4mpEntry(try decodeBGP4MPEntry(&c))
        default:
            return .unsupported  // SNAPSHOT and unassigned subtypes
        }
    }

    /// The peering fields and BGP message of a BGP4MP MESSAGE record (RFC 6396 section 4.4.2).
    static func decodeBGP4MPMessageBody(_ c: inout ByteCursor, asnSize: Int,
                                        addPath: Bool) throws(MRTDecodeError) -> (BGP4MPPeering, BGPMessage) {
        let peerASN = try c.asn(size: asnSize)
        let localASN = try c.asn(size: asnSize)
        let ifIndex = try c.u16("interface index")
        let afi = try c.u16("AFI")
        let peering: BGP4MPPeering
        var markerBytesRead = 0
        if afi == 0xFFFF, ifIndex == 0xFFFF {
            // Zebra dumped OPEN messages without interface, family and addresses: the
            // two fields just read are the first four octets of the BGP marker.
            peering = BGP4MPPeering(peerASN: peerASN, localASN: localASN, afi: AFI.ipv4,
                                    peerAddress: .zeroV4, localAddress: .zeroV4)
            markerBytesRead = 4
        } else {
            guard afi == AFI.ipv4 || afi == AFI.ipv6 else {
                throw MRTDecodeError(.unsupportedAddressFamily(afi), at: c.position - 2)
            }
            peering = BGP4MPPeering(peerASN: peerASN, localASN: localASN, interfaceIndex: ifIndex, afi: afi,
                                    peerAddress: try c.address(v6: afi == AFI.ipv6),
                                    localAddress: try c.address(v6: afi == AFI.ipv6))
        }
        let message = try decodeBGPMessage(&c, asnSize: asnSize, addPath: addPath, markerBytesAlreadyRead: markerBytesRead)
        return (peering, message)
    }

    /// A BGP message with its RFC 4271 section 4.1 header.
    static func decodeBGPMessage(_ c: inout ByteCursor, asnSize: Int, addPath: Bool,
                                 markerBytesAlreadyRead: Int = 0) throws(MRTDecodeError) -> BGPMessage {
        let markerStart = c.position
        let markerLength = 16 - markerBytesAlreadyRead
        try c.need(markerLength + 3, "BGP message header")
        for i in 0..<markerLength where c.base[markerStart + i] != 0xFF {
            throw MRTDecodeError(.badMarker, at: markerStart + i)
        }
        c.position += markerLength
        let length = Int(try c.u16("BGP message length"))
        let type = try c.u8("BGP message type")
        guard length >= 19, length <= 65535 else { throw MRTDecodeError(.badMessageLength(length), at: c.position - 3) }
        // A collector may have cut a message short; decode what is there.
        var body = try c.child(min(length - 19, c.remaining), "BGP message")
        return try decodeBGPMessageBody(type: type, &body, asnSize: asnSize, addPath: addPath)
    }

    static func decodeBGPMessageBody(type: UInt8, _ c: inout ByteCursor, asnSize: Int,
                                     addPath: Bool) throws(MRTDecodeError) -> BGPMessage {
        switch type {
        case 1:
            let version = try c.u8("OPEN version")
            let myAS = try c.u16("OPEN my AS")
            let hold = try c.u16("OPEN hold time")
            let id = try c.u32("OPEN BGP identifier")
            let optLength = c.isAtEnd ? 0 : Int(try c.u8("OPEN parameters length"))
            let params = try c.bytes(min(optLength, c.remaining), "OPEN parameters")
            return .open(BGPOpen(version: version, myAS: myAS, holdTime: hold, bgpIdentifier: id,
                                 optionalParameters: params))
        case 2:
            return .update(try decodeUpdate(&c, asnSize: asnSize, addPath: addPath))
        case 3:
            let code = try c.u8("NOTIFICATION code")
            let subcode = c.isAtEnd ? 0 : try c.u8("NOTIFICATION subcode")
            return .notification(code: code, subcode: subcode, data: try c.bytes(c.remaining, "data"))
        case 4:
            return .keepalive
        default:
            return .other(type: type, body: try c.bytes(c.remaining, "message"))
        }
    }

    /// UPDATE (RFC 4271 section 4.3).
    ///
    /// Some speakers (BIRD among them) wrote ADD-PATH NLRI into the plain MESSAGE
    /// subtypes. When an UPDATE does not decode as plain NLRI but decodes cleanly with
    /// RFC 7911 path identifiers, that reading is taken and `pathIDsInferred` is set.
    static func decodeUpdate(_ c: inout ByteCursor, asnSize: Int, addPath: Bool) throws(MRTDecodeError) -> BGPUpdate {
        let start = c.position
        let plain: Result<BGPUpdate, MRTDecodeError>
        do {
            plain = .success(try decodeUpdateOnce(&c, asnSize: asnSize, addPath: addPath))
        } catch {
            plain = .failure(error)
        }
        if addPath { return try plain.get() }
        if case .success(let u) = plain, u.attributes.malformedCount == 0, !u.nlriTruncated { return u }
        let end = c.position
        c.position = start
        if var u = try? decodeUpdateOnce(&c, asnSize: asnSize, addPath: true),
           u.attributes.malformedCount == 0, !u.nlriTruncated {
            u.pathIDsInferred = true
            return u
        }
        c.position = end
        return try plain.get()
    }

    static func decodeUpdateOnce(_ c: inout ByteCursor, asnSize: Int, addPath: Bool) throws(MRTDecodeError) -> BGPUpdate {
        let withdrawnLength = Int(try c.u16("withdrawn routes length"))
        var w = try c.child(withdrawnLength, "withdrawn routes")
        let withdrawn = try decodeNLRI(&w, v6: false, addPath: addPath)
        let attrLength = Int(try c.u16("path attribute length"))
        var a = try c.child(attrLength, "path attributes")
        let attributes = attrLength == 0
            ? PathAttributes(raw: [], asnSize: UInt8(asnSize))
            : try PathAttributes.decode(&a, context: .init(asnSize: asnSize, addPath: addPath))
        var truncated = false
        let announced = try decodeNLRI(&c, v6: false, addPath: addPath, truncatedTail: &truncated, tolerant: true)
        var update = BGPUpdate(withdrawn: withdrawn, attributes: attributes, announced: announced)
        update.nlriTruncated = truncated
        return update
    }

    static func decodeBGP4MPEntry(_ c: inout ByteCursor) throws(MRTDecodeError) -> BGP4MPEntry {
        let peerASN = UInt32(try c.u16("peer AS"))
        let localASN = UInt32(try c.u16("local AS"))
        let ifIndex = try c.u16("interface index")
        let afi = try c.u16("AFI")
        guard afi == AFI.ipv4 || afi == AFI.ipv6 else {
            throw MRTDecodeError(.unsupportedAddressFamily(afi), at: c.position - 2)
        }
        let peering = BGP4MPPeering(peerASN: peerASN, localASN: localASN, interfaceIndex: ifIndex, afi: afi,
                                    peerAddress: try c.address(v6: afi == AFI.ipv6),
                                    localAddress: try c.address(v6: afi == AFI.ipv6))
        let view = try c.u16("view")
        let status = try c.u16("status")
        let originated = try c.u32("time last change")
        let routeAFI = try c.u16("AFI")
        guard routeAFI == AFI.ipv4 || routeAFI == AFI.ipv6 else {
            throw MRTDecodeError(.unsupportedAddressFamily(routeAFI), at: c.position - 2)
        }
        let safi = try c.u8("SAFI")
        let nhLength = Int(try c.u8("next hop length"))
        var nhField = try c.child(nhLength, "next hop")
        let (nextHop, _) = try PathAttributes.decodeNextHop(&nhField, length: nhLength)
        let prefix = try decodePrefix(&c, v6: routeAFI == AFI.ipv6)
        let attrLength = Int(try c.u16("attribute length"))
        var a = try c.child(attrLength, "attributes")
        let attributes = try PathAttributes.decode(&a, context: .init(asnSize: 2, ribIsV6: routeAFI == AFI.ipv6))
        return BGP4MPEntry(peering: peering, view: view, status: status, originatedTime: originated,
                           afi: routeAFI, safi: safi, nextHop: nextHop, prefix: prefix, attributes: attributes)
    }

    // MARK: MRT type 5 (BGP), deprecated

    static func decodeLegacyBGP(subtype: UInt16, _ c: inout ByteCursor) throws(MRTDecodeError) -> MRTMessage {
        typealias S = LegacyBGPSubtype
        switch subtype {
        case S.update, S.open, S.notify, S.keepalive:
            let peerASN = UInt32(try c.u16("peer AS"))
            let peerAddress = try c.ipv4()
            let localASN = UInt32(try c.u16("local AS"))
            let localAddress = try c.ipv4()
            let message: BGPMessage
            switch subtype {
            case S.update: message = .update(try decodeUpdateOnce(&c, asnSize: 2, addPath: false))
            case S.open: message = try decodeBGPMessageBody(type: 1, &c, asnSize: 2, addPath: false)
            case S.notify: message = try decodeBGPMessageBody(type: 3, &c, asnSize: 2, addPath: false)
            default: message = .keepalive
            }
            return .legacyMessage(LegacyBGPMessage(peerASN: peerASN, peerAddress: peerAddress, localASN: localASN,
                                                   localAddress: localAddress, message: message))
        case S.stateChange:
            let peerASN = UInt32(try c.u16("peer AS"))
            let peerAddress = try c.ipv4()
            let old = try c.u16("old state")
            let new = try c.u16("new state")
            return .legacyStateChange(LegacyStateChange(peerASN: peerASN, peerAddress: peerAddress,
                                                        oldState: BGPState(rawValue: old),
                                                        newState: BGPState(rawValue: new)))
        default:
            return .unsupported
        }
    }
}
