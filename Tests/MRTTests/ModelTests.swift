import Foundation
import MRT
import MRTFormat
import Testing

@Suite struct ModelTests {
    @Test(arguments: [
        ("2001:7f8:30:0:2:1:0:8447", "2001:7f8:30:0:2:1:0:8447", "2001:7f8:30::2:1:0:8447"),
        ("2001:db8::1", "2001:db8::1", "2001:db8::1"),
        ("::", "::", "::"),
        ("::1", "::1", "::1"),
        ("fe80::", "fe80::", "fe80::"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::192.168.1.2", "::192.168.1.2", "::192.168.1.2"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3", "1:0:0:2::3"),
        ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4", "1::2:0:0:3:4"),
    ])
    func ipv6Text(input: String, rfc5952: String, bgpdump: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.description == rfc5952)
        let sink = ByteSink()
        sink.appendAddressBGPDumpStyle(a)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == bgpdump)
        #expect(IPAddress(a.description) == a)
    }

    @Test func ipParsingRejectsJunk() {
        for bad in ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "::1::2", "12345::", "g::1", "1.2.3.-1"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
        #expect(Prefix("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(Prefix("10.0.0.0/33") == nil)
        #expect(Prefix("2001:db8::/129") == nil)
        #expect(Prefix("192.0.2.1")?.length == 32)
    }

    @Test func prefixContainment() throws {
        let p8 = try #require(Prefix("10.0.0.0/8")), p24 = try #require(Prefix("10.1.2.0/24"))
        #expect(p8.contains(p24) && !p24.contains(p8) && p8.contains(p8))
        #expect(!p8.contains(try #require(Prefix("11.0.0.0/24"))))
        #expect(!p8.contains(try #require(Prefix("::/0"))))
    }

    @Test(arguments: [0, 9, 10, 99, 100, 255, 1000, 65535, 4_294_967_295] as [UInt32])
    func decimalText(value: UInt32) {
        let sink = ByteSink()
        sink.appendDecimal(value)
        sink.append(UInt8(ascii: " "))
        sink.appendDecimal(UInt64(value) * 1_000_003)
        if value <= 255 {
            sink.append(UInt8(ascii: " "))
            sink.appendOctet(UInt8(value))
        }
        let expected = "\(value) \(UInt64(value) * 1_000_003)" + (value <= 255 ? " \(value)" : "")
        #expect(String(decoding: sink.bytes, as: UTF8.self) == expected)
    }

    /// RFC 6793 section 4.2.3: AS_PATH 2-octet "1 2 23456 23456 5" with AS4_PATH
    /// "196608 196609 5" becomes "1 2 196608 196609 5".
    @Test func as4PathMerge() {
        let path = ASPath(sequence: [1, 2, 23456, 23456, 5])
        let as4 = ASPath(sequence: [196_608, 196_609, 5])
        #expect(path.merged(with: as4).asns == [1, 2, 196_608, 196_609, 5])
        #expect(path.merged(with: as4).segments == [ASPath.Segment(kind: .sequence, count: 5)])
        // An AS4_PATH longer than AS_PATH is ignored.
        #expect(ASPath(sequence: [1, 2]).merged(with: as4).asns == [1, 2])
        // A set counts as one.
        let withSet = ASPath(asns: [1, 23456, 7, 8], segments: [.init(kind: .sequence, count: 2), .init(kind: .set, count: 2)])
        let merged = withSet.merged(with: ASPath(asns: [200_000, 7, 8], segments: [.init(kind: .sequence, count: 1), .init(kind: .set, count: 2)]))
        #expect(merged.description == "1 200000 {7,8}")
        #expect(merged.originASNs == [7, 8])
    }

    @Test func asPathText() {
        let p = ASPath(asns: [65001, 65002, 1, 2, 3, 4, 5], segments: [
            .init(kind: .confedSequence, count: 2), .init(kind: .sequence, count: 2),
            .init(kind: .set, count: 2), .init(kind: .confedSet, count: 1),
        ])
        #expect(p.description == "(65001 65002) 1 2 {3,4} [5]")
        #expect(p.routeLength == 3)
    }

    /// AS_PATH and AS4_PATH through the wire: a 2-octet session's attributes merge.
    @Test func attributesOfTwoOctetSession() throws {
        var b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [3333, 23456, 23456]))
        b.unknown = [RawAttribute(flags: 0xC0, type: 17, value: [2, 2, 0, 3, 0, 0, 0, 3, 0, 1])]
        let a = b.build(asnSize: 2)
        #expect(a.asPath?.asns == [3333, 23456, 23456])
        #expect(a.as4Path?.asns == [196_608, 196_609])
        #expect(a.path?.asns == [3333, 196_608, 196_609])
        #expect(a.originASNs == [196_609])
        let sink = ByteSink()
        a.appendPath(to: sink)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == "3333 196608 196609")
    }

    /// RFC 7606: a value that does not fit its type is kept raw and counted; the rest of
    /// the attributes still decode.
    @Test func malformedAttributeIsKeptRaw() {
        var b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [1, 2]))
        b.unknown = [RawAttribute(flags: 0x80, type: 4, value: [1, 2, 3])]  // MED of 3 octets
        b.localPref = 200
        let a = b.build()
        #expect(a.med == nil)
        #expect(a.malformedCount == 1)
        #expect(a.unknown == [RawAttribute(flags: 0x80, type: 4, value: [1, 2, 3])])
        #expect(a.localPref == 200)
        #expect(a.path?.asns == [1, 2])
    }

    @Test func filters() throws {
        let a = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [4837, 131279])).build()
        let e = RouteElement(timestamp: 1_419_265_000, kind: .announce, peerAddress: IPAddress("192.0.2.1")!,
                             peerASN: 4837, prefix: Prefix("175.45.176.0/24")!, attributes: a,
                             recordType: .bgp4mp, origin: .nlri)
        var f = ElementFilter()
        #expect(f.matches(e))
        f.originASNs = [131279]
        #expect(f.matches(e))
        f.prefixes = [Prefix("175.45.176.0/22")!]
        #expect(!f.matches(e))
        f.prefixMatch = .more
        #expect(f.matches(e))
        f.prefixMatch = .less
        #expect(!f.matches(e))
        f.prefixMatch = .any
        #expect(f.matches(e))
        f.kinds = [.withdraw]
        #expect(!f.matches(e))
        f.kinds = [.withdraw, .announce]
        f.ipv6Only = true
        #expect(!f.matches(e))
        f.ipv6Only = false
        f.from = 1_419_265_001
        #expect(!f.matches(e))
        f.from = nil
        f.to = 1_419_265_000
        #expect(f.matches(e))
        f.peerAddresses = [IPAddress("192.0.2.2")!]
        #expect(!f.matches(e))
    }

    @Test func jsonAndPSVShapes() throws {
        var b = PathAttributes.Builder(origin: .incomplete, asPath: ASPath(sequence: [1, 2]), nextHop: IPAddress("192.0.2.9"))
        b.communities = [.noExport, Community(rawValue: 65000 << 16 | 1)]
        b.atomicAggregate = true
        b.aggregator = Aggregator(asn: 2, address: 0x0A00_0001, fourOctet: true)
        let e = RouteElement(timestamp: 1_445_565_678, microseconds: 509_480, kind: .announce,
                             peerAddress: IPAddress("2001:db8::1")!, peerASN: 3856, prefix: Prefix("10.0.0.0/8")!,
                             attributes: b.build(), nextHop: IPAddress("192.0.2.9"), recordType: .bgp4mpET, origin: .nlri)
        let sink = ByteSink()
        JSONFormatter().write(e, to: sink)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sink.bytes)) as? [String: Any])
        #expect(object["timestamp"] as? Double == 1_445_565_678.50948)
        #expect(object["type"] as? String == "A")
        #expect(object["peer_ip"] as? String == "2001:db8::1")
        #expect(object["peer_asn"] as? Int == 3856)
        #expect(object["prefix"] as? String == "10.0.0.0/8")
        #expect(object["as_path"] as? String == "1 2")
        #expect(object["origin_asns"] as? [Int] == [2])
        #expect(object["next_hop"] as? String == "192.0.2.9")
        #expect(object["origin"] as? String == "INCOMPLETE")
        #expect(object["local_pref"] is NSNull)
        #expect(object["communities"] as? [String] == ["no-export", "65000:1"])
        #expect(object["atomic"] as? Bool == true)
        #expect(object["aggr_asn"] as? Int == 2)
        #expect(object["aggr_ip"] as? String == "10.0.0.1")
        sink.removeAll()
        let psv = PSVFormatter()
        psv.writeHeader(to: sink)
        psv.write(e, to: sink)
        #expect(String(decoding: sink.bytes, as: UTF8.self) == """
            type|timestamp|peer_ip|peer_asn|prefix|as_path|origin_asns|origin|next_hop|local_pref|med|communities|atomic|aggr_asn|aggr_ip|only_to_customer
            A|1445565678.50948|2001:db8::1|3856|10.0.0.0/8|1 2|2|INCOMPLETE|192.0.2.9|||no-export 65000:1|true|2|10.0.0.1|

            """)
    }

    /// Framing: garbage between records is skipped and reported with its offset, and the
    /// records after it are read.
    @Test func resynchronisesAfterInsertedGarbage() throws {
        let w = MRTWriter()
        let peering = BGP4MPPeering(peerASN: 1, localASN: 2, afi: AFI.ipv4, peerAddress: IPAddress("192.0.2.1")!,
                                    localAddress: IPAddress("192.0.2.2")!)
        var offsets: [Int] = []
        for i in 0..<6 {
            offsets.append(w.sink.count)
            w.writeUpdate(timestamp: 1_000_000 + UInt32(i), peering: peering, announced: [Prefix("10.\(i).0.0/16")!],
                          attributes: .init(origin: .igp, asPath: ASPath(sequence: [1, UInt32(100 + i)]), nextHop: IPAddress("192.0.2.1")))
        }
        var bytes = w.sink.array
        let garbage: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x99, 0x12]
        bytes.insert(contentsOf: garbage, at: offsets[3])
        let read = try decode(bytes: bytes, keepElements: true)
        #expect(read.elements.map(\.prefix.description) == (0..<6).map { "10.\($0).0.0/16" })
        #expect(read.reader.skippedBytes == UInt64(garbage.count))
        let gap = try #require(read.diagnostics.first)
        #expect(gap.offset == UInt64(offsets[3]))
        #expect(gap.recordIndex == 3)
    }
}
