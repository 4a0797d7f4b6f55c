import Foundation
import MRT
import MRTArchive
import MRTFormat
import Testing

/// The MRT writer: what it writes reads back as the same elements, and a real RIB
/// rewritten by it prints identically in bgpdump.
@Suite struct WriterTests {
    static let peers = [
        Peer(bgpID: 0x0A00_0001, address: IPAddress("192.0.2.1")!, asn: 64500),
        Peer(bgpID: 0x0A00_0002, address: IPAddress("2001:db8::2")!, asn: 4_200_000_000),
    ]

    static func peering(_ i: Int) -> BGP4MPPeering {
        let p = peers[i]
        return BGP4MPPeering(peerASN: p.asn, localASN: 6447, afi: p.address.isV6 ? AFI.ipv6 : AFI.ipv4,
                             peerAddress: p.address,
                             localAddress: p.address.isV6 ? IPAddress("2001:db8::ffff")! : IPAddress("192.0.2.254")!)
    }

    /// A scenario built from scratch: a RIB, then updates, state changes and withdrawals,
    /// for IPv4 and IPv6, read back element by element.
    @Test(arguments: [Compression.none, .gzip, .bzip2])
    func roundTripScenario(compression: Compression) throws {
        let w = MRTWriter()
        w.writePeerIndexTable(timestamp: 1_000, PeerIndexTable(collectorBGPID: 1, viewName: Array("test".utf8), peers: Self.peers))
        var b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [64500, 4837, 131279]),
                                       nextHop: IPAddress("192.0.2.1"))
        b.communities = [Community(rawValue: 4837 << 16 | 100), .noExport]
        b.largeCommunities = [LargeCommunity(global: 4_200_000_000, local1: 1, local2: 2)]
        b.med = 7
        let kp = Prefix("175.45.176.0/24")!
        w.writeRIB(timestamp: 1_000, sequence: 0, prefix: kp,
                   entries: [RIBEntry(peerIndex: 0, originatedTime: 900, attributes: b.build(ribForm: true))])
        var b6 = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [4_200_000_000, 131279]))
        b6.mpReach = MPReach(afi: AFI.ipv6, safi: SAFI.unicast, nextHop: IPAddress("2001:db8::2"), abbreviated: true)
        let v6 = Prefix("2001:db8:1::/48")!
        w.writeRIB(timestamp: 1_000, sequence: 1, prefix: v6,
                   entries: [RIBEntry(peerIndex: 1, originatedTime: 950, attributes: b6.build(ribForm: true))])
        w.writeStateChange(timestamp: 1_100, peering: Self.peering(0), old: .established, new: .idle)
        w.writeUpdate(timestamp: 1_200, microseconds: 250_000, peering: Self.peering(0), withdrawn: [kp])
        w.writeUpdate(timestamp: 1_300, peering: Self.peering(1), announced: [v6, kp], attributes: b)
        w.writeUpdate(timestamp: 1_400, peering: Self.peering(1), withdrawn: [v6])

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-writer-\(compression).mrt").path
        let out = try OutputFile(path: path, compression: compression)
        try out.write(w.sink)
        try out.close()
        defer { try? FileManager.default.removeItem(atPath: path) }

        let (source, detected) = try Input.open(path)
        #expect(detected == compression)
        let read = try decode(source: source, name: path, format: .bgpdump, keepElements: true)
        #expect(read.diagnostics.isEmpty)
        let summary = read.elements.map { e -> String in
            "\(e.kind.letter)|\(e.timestamp).\(e.microseconds)|\(e.peerAddress)|\(e.peerASN)|\(e.prefix)|\(e.attributes.path?.description ?? "")|\(e.nextHop?.description ?? "")"
        }
        #expect(summary == [
            "R|1000.0|192.0.2.1|64500|175.45.176.0/24|64500 4837 131279|192.0.2.1",
            "R|1000.0|2001:db8::2|4200000000|2001:db8:1::/48|4200000000 131279|2001:db8::2",
            "S|1100.0|192.0.2.1|64500|0.0.0.0/0||",
            "W|1200.250000|192.0.2.1|64500|175.45.176.0/24||",
            "A|1300.0|2001:db8::2|4200000000|175.45.176.0/24|64500 4837 131279|192.0.2.1",
            "A|1300.0|2001:db8::2|4200000000|2001:db8:1::/48|64500 4837 131279|2001:db8::2",
            "W|1400.0|2001:db8::2|4200000000|2001:db8:1::/48||",
        ])
        let first = read.elements[0].attributes
        #expect(first.communities == [Community(rawValue: 4837 << 16 | 100), .noExport])
        #expect(first.largeCommunities == [LargeCommunity(global: 4_200_000_000, local1: 1, local2: 2)])
        #expect(first.med == 7)
        #expect(read.lines[3] == "BGP4MP_ET|1200.250000|W|192.0.2.1|64500|175.45.176.0/24")
        #expect(read.lines[0] == "TABLE_DUMP2|1000|B|192.0.2.1|64500|175.45.176.0/24|64500 4837 131279|IGP|192.0.2.1|0|7|4837:100 no-export|NAG||")
    }

    /// A real RIB decoded and written again (peer table and every RIB record) prints
    /// byte for byte the same in Debian's bgpdump as the original.
    @Test(.enabled(if: SharedData.available && SharedData.bgpdumpAvailable, "needs ../shared/data and bgpdump"))
    func rewrittenRealRIBPrintsIdentically() throws {
        let original = SharedData.path("mrt/slices/rib.20140523.0600.first-complete-records.mrt.gz")
        let reader = MRTReader(source: try Input.open(original).source, name: original)
        let w = MRTWriter()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-rewrite.mrt.bz2").path
        let out = try OutputFile(path: path, compression: .bzip2)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var table: PeerIndexTable?
        var ribs = 0
        while let raw = try reader.next() {
            let message = try MRTRecord.decode(header: raw.header, body: raw.body, peerTable: table)
            switch message {
            case .peerIndexTable(let t):
                table = t
                w.writePeerIndexTable(timestamp: raw.header.timestamp, t)
            case .rib(let rib):
                w.writeRIB(timestamp: raw.header.timestamp, sequence: rib.sequence, prefix: rib.prefix!, entries: rib.entries)
                ribs += 1
            default:
                Issue.record("unexpected record \(raw.header)")
            }
            if w.sink.count > 1 << 20 { try out.write(w.sink) }
        }
        try out.write(w.sink)
        try out.close()
        #expect(ribs > 0)
        let a = try bgpdump(original)
        let b = try bgpdump(path)
        #expect(lines(a).count == 270_005)
        #expect(a == b)
    }

    /// Concatenated gzip members and bzip2 streams (as pigz, pbzip2 and `cat a.gz b.gz`
    /// make) read as one stream.
    @Test(.enabled(if: SharedData.available, "../shared/data is not beside the checkout"),
          arguments: [Compression.gzip, .bzip2])
    func concatenatedCompressedStreams(compression: Compression) throws {
        let original = try readAll(SharedData.path("mrt/lab/quagga_bgp"))
        let dir = FileManager.default.temporaryDirectory
        var joined = Data()
        for i in 0..<2 {
            let part = dir.appendingPathComponent("blackout-part\(i)").path
            let out = try OutputFile(path: part, compression: compression)
            try original.withUnsafeBytes { try out.write($0) }
            try out.close()
            joined.append(try Data(contentsOf: URL(fileURLWithPath: part)))
            try? FileManager.default.removeItem(atPath: part)
        }
        let path = dir.appendingPathComponent("blackout-joined").path
        try joined.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try readAll(path) == original + original)
    }

    /// Identical attribute blocks in consecutive records decode once and are shared.
    @Test func identicalAttributeBlocksAreShared() throws {
        let w = MRTWriter()
        w.writePeerIndexTable(timestamp: 1, PeerIndexTable(collectorBGPID: 1, peers: Self.peers))
        let a = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [64500, 131279]), nextHop: IPAddress("192.0.2.1")).build()
        let b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [64500, 4837]), nextHop: IPAddress("192.0.2.1")).build()
        for (i, attrs) in [a, a, b, a].enumerated() {
            w.writeRIB(timestamp: 1, sequence: UInt32(i), prefix: Prefix("10.\(i).0.0/16")!,
                       entries: [RIBEntry(peerIndex: 0, originatedTime: 0, attributes: attrs)])
        }
        let read = try decode(bytes: w.sink.array, keepElements: true)
        let e = read.elements
        #expect(e.count == 4)
        #expect(e[0].attributes === e[1].attributes)
        #expect(e[0].attributes === e[3].attributes)
        #expect(e[0].attributes !== e[2].attributes)
        #expect(e[2].attributes.path?.asns == [64500, 4837])
        #expect(e[3].attributes.path?.asns == [64500, 131279])
    }
}
