/// Building and encoding path attributes (RFC 4271 section 4.3), for the MRT writer and
/// for tests that construct exact scenarios.
extension PathAttributes {
    /// Attribute values to encode. `build` encodes them and decodes the result, so a built
    /// `PathAttributes` is exactly what a reader of the encoded bytes would see.
    public struct Builder: Sendable {
        public var origin: Origin?
        public var asPath: ASPath?
        public var nextHop: IPAddress?
        public var med: UInt32?
        public var localPref: UInt32?
        public var atomicAggregate = false
        public var aggregator: Aggregator?
        public var communities: [Community] = []
        public var extendedCommunities: [UInt64] = []
        public var largeCommunities: [LargeCommunity] = []
        public var originatorID: UInt32?
        public var clusterList: [UInt32] = []
        public var onlyToCustomer: UInt32?
        public var mpReach: MPReach?
        public var mpUnreach: MPUnreach?
        public var unknown: [RawAttribute] = []

        public init(origin: Origin? = .igp, asPath: ASPath? = nil, nextHop: IPAddress? = nil) {
            self.origin = origin
            self.asPath = asPath
            self.nextHop = nextHop
        }

        /// The values of decoded attributes, with AS_PATH already merged with AS4_PATH,
        /// ready to be encoded for a 4-octet session.
        public init(_ a: PathAttributes) {
            origin = a.origin
            asPath = a.path
            nextHop = a.nextHop
            med = a.med
            localPref = a.localPref
            atomicAggregate = a.atomicAggregate
            if let agg = a.effectiveAggregator {
                aggregator = Aggregator(asn: agg.asn, address: agg.address, fourOctet: true)
            }
            communities = a.communities
            extendedCommunities = a.extendedCommunities
            largeCommunities = a.largeCommunities
            originatorID = a.originatorID
            clusterList = a.clusterList
            onlyToCustomer = a.onlyToCustomer
            mpReach = a.mpReach
            mpUnreach = a.mpUnreach
            unknown = a.unknown.filter { ![2, 7, 17, 18].contains($0.type) }
        }

        /// Encodes the attributes in type order for a session with `asnSize`-octet ASNs.
        /// `ribForm` writes MP_REACH_NLRI in the abbreviated form of RFC 6396 section 4.3.4.
        public func encode(into s: ByteSink, asnSize: Int = 4, ribForm: Bool = false) {
            // One-octet lengths where they fit, unless the flags ask for two (RFC 4271 section 4.3).
            func attribute(_ flags: UInt8, _ type: UInt8, _ body: () -> Void) {
                let start = s.count
                s.append(flags | PathAttributes.flagExtendedLength)
                s.append(type)
                s.appendBE(UInt16(0))
                body()
                let length = s.count - start - 4
                if length <= 255, flags & PathAttributes.flagExtendedLength == 0 {
                    s.patchBE(UInt16(flags) << 8 | UInt16(type), at: start)
                    s.remove(at: start + 2)
                    s.patchBE(UInt16(type) << 8 | UInt16(length), at: start + 1)
                } else {
                    s.patchBE(UInt16(length), at: start + 2)
                }
            }
            let wellKnown: UInt8 = 0x40, optional: UInt8 = 0x80, transitive: UInt8 = 0x40
            if let origin { attribute(wellKnown, 1) { s.append(origin.rawValue) } }
            if let asPath {
                attribute(wellKnown, 2) {
                    var start = 0
                    for seg in asPath.segments {
                        // A segment holds at most 255 ASes: longer runs are split.
                        var done = 0
                        repeat {
                            let n = min(255, seg.count - done)
                            s.append(seg.kind.rawValue)
                            s.append(UInt8(n))
                            for asn in asPath.asns[(start + done)..<(start + done + n)] {
                                if asnSize == 4 { s.appendBE(asn) } else { s.appendBE(UInt16(asn > 0xFFFF ? ASPath.asTrans : asn)) }
                            }
                            done += n
                        } while done < seg.count
                        start += seg.count
                    }
                }
            }
            if let nextHop, !nextHop.isV6 { attribute(wellKnown, 3) { s.appendBE(nextHop.v4) } }
            if let med { attribute(optional, 4) { s.appendBE(med) } }
            if let localPref { attribute(wellKnown, 5) { s.appendBE(localPref) } }
            if atomicAggregate { attribute(wellKnown, 6) {} }
            if let aggregator {
                attribute(optional | transitive, 7) {
                    if asnSize == 4 { s.appendBE(aggregator.asn) } else { s.appendBE(UInt16(truncatingIfNeeded: aggregator.asn)) }
                    s.appendBE(aggregator.address)
                }
            }
            if !communities.isEmpty {
                attribute(optional | transitive, 8) { for c in communities { s.appendBE(c.rawValue) } }
            }
            if let originatorID { attribute(optional, 9) { s.appendBE(originatorID) } }
            if !clusterList.isEmpty { attribute(optional, 10) { for c in clusterList { s.appendBE(c) } } }
            if let mp = mpReach {
                attribute(optional, 14) {
                    if ribForm {
                        Self.encodeNextHop(mp, into: s)
                    } else {
                        s.appendBE(mp.afi)
                        s.append(mp.safi)
                        Self.encodeNextHop(mp, into: s)
                        s.append(0)  // reserved (RFC 4760 section 3)
                        for n in mp.nlri { encodeNLRI(n, into: s) }
                    }
                }
            }
            if let mp = mpUnreach {
                attribute(optional, 15) {
                    s.appendBE(mp.afi)
                    s.append(mp.safi)
                    for n in mp.nlri { encodeNLRI(n, into: s) }
                }
            }
            if !extendedCommunities.isEmpty {
                attribute(optional | transitive, 16) { for x in extendedCommunities { s.appendBE(x) } }
            }
            if !largeCommunities.isEmpty {
                attribute(optional | transitive, 32) {
                    for c in largeCommunities {
                        s.appendBE(c.global)
                        s.appendBE(c.local1)
                        s.appendBE(c.local2)
                    }
                }
            }
            if let onlyToCustomer { attribute(optional | transitive, 35) { s.appendBE(onlyToCustomer) } }
            for u in unknown {
                attribute(u.flags, u.type) { s.append(contentsOf: u.value) }
            }
        }

        static func encodeNextHop(_ mp: MPReach, into s: ByteSink) {
            let length = (mp.nextHop.map { $0.isV6 ? 16 : 4 } ?? 0) + (mp.linkLocalNextHop == nil ? 0 : 16)
            s.append(UInt8(length))
            if let nh = mp.nextHop { s.appendAddressBytes(nh) }
            if let ll = mp.linkLocalNextHop { s.appendAddressBytes(ll) }
        }

        /// Encodes and decodes the attributes: the result is what a reader would see.
        public func build(asnSize: Int = 4, ribForm: Bool = false) -> PathAttributes {
            let sink = ByteSink(capacity: 256)
            encode(into: sink, asnSize: asnSize, ribForm: ribForm)
            var c = ByteCursor(UnsafeRawBufferPointer(sink.bytes))
            let isV6 = mpReach.map { $0.afi == AFI.ipv6 }
            // Encoded just above, so it decodes.
            return (try? PathAttributes.decode(&c, context: .init(asnSize: asnSize, ribIsV6: ribForm ? isV6 : nil)))
                ?? PathAttributes(raw: [], asnSize: UInt8(asnSize))
        }
    }
}

/// A prefix in NLRI encoding (RFC 4271 section 4.3), with its path identifier if it has one.
func encodeNLRI(_ n: NLRI, into s: ByteSink) {
    if let id = n.pathID { s.appendBE(id) }
    s.appendPrefixBytes(n.prefix)
}

extension ByteSink {
    /// The 4 or 16 octets of an address.
    public func appendAddressBytes(_ a: IPAddress) {
        if a.isV6 {
            appendBE(a.high)
            appendBE(a.low)
        } else {
            appendBE(a.v4)
        }
    }

    /// A prefix as length octet and the significant octets of the address.
    public func appendPrefixBytes(_ p: Prefix) {
        append(p.length)
        let n = (Int(p.length) + 7) / 8
        for i in 0..<n {
            let byte: UInt8
            if p.address.isV6 {
                byte = i < 8 ? UInt8(truncatingIfNeeded: p.address.high >> UInt64(56 - 8 * i))
                    : UInt8(truncatingIfNeeded: p.address.low >> UInt64(56 - 8 * (i - 8)))
            } else {
                byte = UInt8(truncatingIfNeeded: p.address.v4 >> UInt32(24 - 8 * i))
            }
            append(byte)
        }
    }
}
