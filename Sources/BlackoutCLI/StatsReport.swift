import MRT

/// The `--stats` report.
enum StatsReport {
    static func render(stream: ElementStream.Stats, reader: MRTReader.Stats, kept: Int, filtered: Bool,
                       compressedBytes: UInt64, elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var lines: [String] = []
        lines.append("records: \(reader.records)")
        for (key, n) in stream.recordsByType.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(recordName(type: UInt16(key >> 16), subtype: UInt16(key & 0xFFFF))): \(n)")
        }
        lines.append("elements: \(stream.elements) (A \(stream.elementsByKind[0]), W \(stream.elementsByKind[1]), "
                     + "R \(stream.elementsByKind[2]), S \(stream.elementsByKind[3]))")
        if filtered { lines.append("elements kept by filters: \(kept)") }
        lines.append("damaged records skipped: \(stream.damagedRecords)")
        lines.append("records decoded in part: \(stream.partialRecords)")
        lines.append("bytes skipped resynchronising: \(reader.skippedBytes)")
        lines.append("truncated records: \(reader.truncatedRecords)")
        lines.append("record lengths corrected: \(reader.correctedLengths)")
        lines.append("records not decoded (other kinds): \(stream.unsupportedRecords)")
        if reader.sourceFailures > 0 { lines.append("input failures: \(reader.sourceFailures)") }
        lines.append("bytes read: \(reader.bytesRead) uncompressed, \(compressedBytes) on disk")
        lines.append(String(format3: seconds, suffix: "s elapsed"))
        if seconds > 0 {
            lines.append("elements per second: \(Int(Double(stream.elements) / seconds))")
        }
        return lines.joined(separator: "\n")
    }

    static func recordName(type: UInt16, subtype: UInt16) -> String {
        let t = MRTType(rawValue: type)
        let names: [UInt16: [UInt16: String]] = [
            13: [1: "PEER_INDEX_TABLE", 2: "RIB_IPV4_UNICAST", 3: "RIB_IPV4_MULTICAST", 4: "RIB_IPV6_UNICAST",
                 5: "RIB_IPV6_MULTICAST", 6: "RIB_GENERIC", 7: "GEO_PEER_TABLE", 8: "RIB_IPV4_UNICAST_ADDPATH",
                 9: "RIB_IPV4_MULTICAST_ADDPATH", 10: "RIB_IPV6_UNICAST_ADDPATH", 11: "RIB_IPV6_MULTICAST_ADDPATH",
                 12: "RIB_GENERIC_ADDPATH"],
            16: [0: "STATE_CHANGE", 1: "MESSAGE", 2: "ENTRY", 3: "SNAPSHOT", 4: "MESSAGE_AS4", 5: "STATE_CHANGE_AS4",
                 6: "MESSAGE_LOCAL", 7: "MESSAGE_AS4_LOCAL", 8: "MESSAGE_ADDPATH", 9: "MESSAGE_AS4_ADDPATH",
                 10: "MESSAGE_LOCAL_ADDPATH", 11: "MESSAGE_AS4_LOCAL_ADDPATH"],
            12: [1: "AFI_IPv4", 2: "AFI_IPv6", 3: "AFI_IPv4_32BIT_AS", 4: "AFI_IPv6_32BIT_AS"],
            5: [0: "NULL", 1: "UPDATE", 2: "PREF_UPDATE", 3: "STATE_CHANGE", 4: "SYNC", 5: "OPEN", 6: "NOTIFY",
                7: "KEEPALIVE"],
        ]
        let sub = names[type == 17 ? 16 : type]?[subtype] ?? "subtype \(subtype)"
        return "\(t)/\(sub)"
    }
}

extension String {
    init(format3 value: Double, suffix: String) {
        let ms = Int((value * 1000).rounded())
        let frac = String(ms % 1000)
        self = "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)\(suffix)"
    }
}
