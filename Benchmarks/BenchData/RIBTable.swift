import Foundation
import MRT
import MRTArchive

/// `benchdata rib`: a RIB of N synthetic full-feed peers built from a real one.
///
/// Reads the source RIB twice with the project's reader: the first pass finds its fullest
/// peer (most IPv4 routes, then most routes), the second writes each RIB record again with
/// one entry per synthetic peer carrying the fullest peer's route, the synthetic peer's ASN
/// prepended to the AS path (and, with `--keep`, the source's own entries, peer indexes
/// unchanged: the synthetic peers follow the source's in the PEER_INDEX_TABLE). Records
/// the fullest peer has no route in are written only with `--keep`.
///
/// Synthetic peer i (from 0) has ASN 4,200,000,000 + i (RFC 6996 private 4-octet ASNs, which
/// no real path in the archives holds) and address and BGP ID 198.18.0.0 + i + 1 (RFC 2544
/// benchmarking range). Every entry of one record shares one encoded attribute block; only
/// the first ASN of each entry's AS_PATH is patched in the output.
func runRIB(_ args: [String]) throws {
    guard let peers = Int(try required("--peers", in: args)), (1...65_000).contains(peers) else {
        throw UsageError(description: "--peers must be 1 to 65000")
    }
    let source = try required("--source", in: args)
    let out = try required("--out", in: args)
    let keep = args.contains("--keep")
    let start = Date()

    // Pass 1: the fullest peer.
    var v4Counts: [Int] = []
    var counts: [Int] = []
    var table: PeerIndexTable?
    try forEachRecord(source) { header, message in
        switch message {
        case .peerIndexTable(let t):
            table = t
            v4Counts = Array(repeating: 0, count: t.peers.count)
            counts = v4Counts
        case .rib(let r):
            guard let prefix = r.prefix else { return }
            for e in r.entries where Int(e.peerIndex) < counts.count {
                counts[Int(e.peerIndex)] += 1
                if !prefix.isV6 { v4Counts[Int(e.peerIndex)] += 1 }
            }
        default:
            break
        }
    }
    guard let sourceTable = table,
          let fullest = counts.indices.max(by: { (v4Counts[$0], counts[$0]) < (v4Counts[$1], counts[$1]) })
    else { throw UsageError(description: "\(source) has no PEER_INDEX_TABLE or no RIB entry") }
    let full = sourceTable.peers[fullest]
    FileHandle.standardError.write(Data(
        "benchdata: fullest peer AS\(full.asn) \(full.address): \(v4Counts[fullest]) IPv4 routes, \(counts[fullest]) in all\n".utf8))

    // Pass 2: the synthetic RIB.
    let synthetic = (0..<peers).map { i -> Peer in
        let a = UInt32(198 << 24 | 18 << 16) + UInt32(i + 1)
        return Peer(bgpID: a, address: IPAddress(v4: a), asn: 4_200_000_000 + UInt32(i))
    }
    let first = keep ? sourceTable.peers.count : 0
    guard first + peers <= Int(UInt16.max) else { throw UsageError(description: "too many peers for one PEER_INDEX_TABLE") }
    let file = try OutputFile(path: out, compression: out.hasSuffix(".bz2") ? .bzip2 : out.hasSuffix(".gz") ? .gzip : .none)
    let writer = MRTWriter()
    var routes = 0
    var written = 0
    try forEachRecord(source) { header, message in
        switch message {
        case .peerIndexTable(let t):
            writer.writePeerIndexTable(timestamp: header.timestamp, PeerIndexTable(
                collectorBGPID: t.collectorBGPID, viewName: t.viewName, peers: (keep ? t.peers : []) + synthetic))
        case .rib(let r):
            guard let prefix = r.prefix, !r.isAddPath else { return }
            var entries = keep ? r.entries : []
            var patch: (template: PathAttributes, asnAt: Int)?
            if let e = r.entries.first(where: { Int($0.peerIndex) == fullest }), let t = prepended(e.attributes) {
                patch = t
                for i in 0..<peers {
                    entries.append(RIBEntry(peerIndex: UInt16(first + i), originatedTime: e.originatedTime, attributes: t.template))
                }
            }
            guard !entries.isEmpty else { return }
            let at = writer.sink.count
            writer.writeRIB(timestamp: header.timestamp, sequence: r.sequence, prefix: prefix, entries: entries)
            if let patch {
                // Header 12, sequence 4, prefix length and bytes, entry count 2; then entries of
                // peer index 2, originated time 4, attribute length 2 and the attributes.
                var p = at + 12 + 4 + 1 + (Int(prefix.length) + 7) / 8 + 2
                for e in entries.prefix(entries.count - peers) { p += 8 + e.attributes.raw.count }
                for i in 0..<peers {
                    writer.sink.patchBE(synthetic[i].asn, at: p + 8 + patch.asnAt)
                    p += 8 + patch.template.raw.count
                }
                routes += peers
            }
            written += 1
            if writer.sink.count > 1 << 22 { try file.write(writer.sink) }
        default:
            break
        }
    }
    try file.write(writer.sink)
    try file.close()
    FileHandle.standardError.write(Data(String(format: "benchdata: %@: %d peers, %d RIB records, %d synthetic routes in %.1f s\n",
                                               out, peers, written, routes, Date().timeIntervalSince(start)).utf8))
}

/// Every decoded record of `path`, with its header; damaged records are skipped.
private func forEachRecord(_ path: String, _ body: (MRTHeader, MRTMessage) throws -> Void) throws {
    let reader = MRTReader(source: try Input.open(path).source, name: path)
    var table: PeerIndexTable?
    while let raw = try reader.next() {
        guard let message = try? MRTRecord.decode(header: raw.header, body: raw.body, peerTable: table) else { continue }
        if case .peerIndexTable(let t) = message { table = t }
        try body(raw.header, message)
    }
}

/// `a` with a placeholder ASN prepended to its AS path (into its first AS_SEQUENCE, or as
/// a new one), encoded for TABLE_DUMP_V2, and the offset of that ASN in the encoded block.
private func prepended(_ a: PathAttributes) -> (template: PathAttributes, asnAt: Int)? {
    var b = PathAttributes.Builder(a)
    var path = b.asPath ?? ASPath()
    if let s = path.segments.first, s.kind == .sequence, s.count < 255 {
        path.segments[0].count += 1
    } else {
        path.segments.insert(.init(kind: .sequence, count: 1), at: 0)
    }
    path.asns.insert(0xFFFF_FFFF, at: 0)
    b.asPath = path
    let t = b.build(asnSize: 4, ribForm: true)
    // Find AS_PATH (type 2): flags, type, length (2 octets when extended), value.
    let raw = t.raw
    var p = 0
    while p + 3 <= raw.count {
        let extended = raw[p] & 0x10 != 0
        let header = extended ? 4 : 3
        guard p + header <= raw.count else { return nil }
        let length = extended ? Int(raw[p + 2]) << 8 | Int(raw[p + 3]) : Int(raw[p + 2])
        if raw[p + 1] == 2 {
            let asnAt = p + header + 2
            guard asnAt + 4 <= raw.count, raw[asnAt..<asnAt + 4].allSatisfy({ $0 == 0xFF }) else { return nil }
            return (t, asnAt)
        }
        p += header + length
    }
    return nil
}
