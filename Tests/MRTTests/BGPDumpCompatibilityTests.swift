import Foundation
import MRT
import MRTArchive
import MRTFormat
import Testing

/// `blackout dump` output against bgpdump: the golden files bgpdump's own test suite
/// keeps, and Debian's bgpdump run live on every other real archive.
@Suite(.enabled(if: SharedData.available, "../shared/data is not beside the checkout"))
struct BGPDumpCompatibilityTests {
    static let goldenFiles = [
        "bview.20020722.2337.gz", "bview.64k_stream_overflow.gz", "bview.ipv4_unicast_add_path.gz",
        "bview.ipv6_unicast_add_path.gz", "updates.20020722.2238.gz", "updates.20070211.0141.gz",
        "updates.20071015.1505.gz", "updates.20100722.2015.gz", "updates.20160811.1600.gz",
        "updates.et-header.2015.gz", "updates.long_withdrawal.gz", "updates.nlri_mask_trailing_bits.gz",
    ]

    /// Byte for byte bgpdump's golden output (`test_expect/`). The golden file of
    /// `nlri_mask_trailing_bits` comes from a bgpdump that clears host bits, as Blackout does.
    @Test(arguments: goldenFiles)
    func matchesGoldenOutput(file: String) throws {
        let ours = try decode(file: "mrt/ripe-bgpdump/test_data/\(file)")
        let expected = try readAll(SharedData.path("mrt/ripe-bgpdump/test_expect/\(file).bgp.gz"))
        #expect(ours.text.count == expected.count)
        let a = lines(ours.text), b = lines(expected)
        #expect(a.count == b.count)
        if let i = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) {
            Issue.record("line \(i + 1) differs:\n ours: \(a[i])\n want: \(b[i])")
        }
        #expect(ours.text == expected)
    }

    /// The golden text of a full RIS RIB, whose MRT file is not included, still checks the
    /// count of lines a TABLE_DUMP_V2 RIB gives, through the other RIBs above. Here: every
    /// line of it parses as a TABLE_DUMP2 line of 15 fields, the format the formatter writes.
    @Test func goldenFullRIBTextHasOurLineShape() throws {
        let expected = try readAll(SharedData.path("mrt/ripe-bgpdump/test_expect/bview.20100701.0759.gz.bgp.gz"))
        let all = lines(expected)
        #expect(all.count == 641_957)
        #expect(all.allSatisfy { $0.hasPrefix("TABLE_DUMP2|") && $0.split(separator: "|", omittingEmptySubsequences: false).count == 15 })
    }

    /// Files on which Debian's bgpdump 1.6.2 is known to print something wrong; each has
    /// its own test below that states exactly what differs.
    static let knownDifferences: Set<String> = [
        "mrt/ripe-bgpdump/test_data/updates.nlri_mask_trailing_bits.gz",
        "mrt/bgpkit-fixtures/ripe/rrc00/2000.01/bview.20000111.0032.gz",
        "mrt/bgpkit-fixtures/ripe/rrc00/2000.03/updates.20000325.0345.gz",
        "mrt/lab/bird_bgp", "mrt/lab/bird6_bgp",
    ]

    static var liveFiles: [String] { SharedData.mrtFiles.filter { !knownDifferences.contains($0) } }

    /// Identical to Debian's bgpdump -m, except that for deprecated MRT type 5 withdrawals
    /// bgpdump prints the peer's address in place of the withdrawn prefix (its
    /// `mrtd_table_line_withdraw` reads the wrong field); those lines must differ in
    /// exactly that field.
    @Test(.enabled(if: SharedData.bgpdumpAvailable, "bgpdump is not installed"), arguments: liveFiles)
    func matchesLiveBGPDump(file: String) throws {
        let ours = try decode(file: file)
        let theirs = try bgpdump(SharedData.path(file))
        if ours.text == theirs { return }
        let a = lines(ours.text), b = lines(theirs)
        try #require(a.count == b.count, "\(a.count) lines, bgpdump \(b.count)")
        var legacyWithdrawals = 0
        for (x, y) in zip(a, b) where x != y {
            let f = x.split(separator: "|", omittingEmptySubsequences: false)
            let g = y.split(separator: "|", omittingEmptySubsequences: false)
            let explained = f.count == 6 && g.count == 6 && f[0] == "BGP" && f[2] == "W"
                && f[0..<5] == g[0..<5] && g[5] == "\(f[3])/\(f[5].split(separator: "/")[1])"
            #expect(explained, "ours: \(x)\nbgpdump: \(y)")
            if explained { legacyWithdrawals += 1 }
        }
        #expect(legacyWithdrawals > 0)
    }

    @Test(.enabled(if: SharedData.bgpdumpAvailable, "bgpdump is not installed"))
    func debianPrintsHostBitsThatTheFixedBGPDumpClears() throws {
        let file = "mrt/ripe-bgpdump/test_data/updates.nlri_mask_trailing_bits.gz"
        let ours = lines(try decode(file: file).text)
        let theirs = lines(try bgpdump(SharedData.path(file)))
        #expect(ours == ["BGP4MP|1289168632|A|12.0.1.63|7018|11.8.0.0/13|7018 3549 12389 48275 51044|IGP|12.0.1.63|0|0|6923:3339|NAG||"])
        #expect(theirs == [Substring(ours[0].replacingOccurrences(of: "11.8.0.0/13", with: "11.13.0.0/13"))])
    }

    /// 1999-2000 RIS dumps batch TABLE_DUMP entries in records that declare a length 4 bytes
    /// short. bgpdump stops after one line; Blackout corrects each length and reads all
    /// 452,018 entries (the count bgpkit-parser's test of this file asserts).
    @Test(.enabled(if: SharedData.bgpdumpAvailable, "bgpdump is not installed"))
    func readsBatchedTableDumpWithShortLengths() throws {
        let file = "mrt/bgpkit-fixtures/ripe/rrc00/2000.01/bview.20000111.0032.gz"
        let ours = try decode(file: file)
        #expect(ours.reader.records == 2490)
        #expect(ours.reader.correctedLengths == 2490)
        #expect(ours.stream.elements == 452_018)
        #expect(ours.stream.damagedRecords == 0)
        #expect(ours.diagnostics.allSatisfy { !$0.isDamage })
        let theirs = lines(try bgpdump(SharedData.path(file)))
        #expect(theirs.count == 1)
        #expect(ours.lines.first == theirs.first)
    }

    /// Two damaged record boundaries: framing resynchronises at byte 198 after 10 bytes and
    /// at byte 4,568 after 14, as bgpkit-parser's recovery test finds; bgpdump loses the
    /// framing at the first and prints garbage after it.
    @Test func resynchronisesAfterDamagedBoundaries() throws {
        let ours = try decode(file: "mrt/bgpkit-fixtures/ripe/rrc00/2000.03/updates.20000325.0345.gz")
        #expect(ours.reader.records == 2580)
        #expect(ours.reader.skippedBytes == 24)
        let gaps = ours.diagnostics.compactMap { d -> (UInt64, Int)? in
            if case .skippedBytes(let n) = d.problem { return (d.offset, n) }
            return nil
        }
        #expect(gaps.map(\.0) == [188, 4554])
        #expect(gaps.map(\.1) == [10, 14])
        #expect(ours.stream.elementsByKind[0] + ours.stream.elementsByKind[1] == 5378)
        #expect(ours.stream.damagedRecords == 0)
    }

    /// BIRD wrote ADD-PATH NLRI into the plain MESSAGE subtypes; bgpdump reads path
    /// identifiers as prefixes (0.0.0.0/0 lines). Blackout notices that the NLRI only
    /// decode with path identifiers and reads the real prefixes.
    @Test(arguments: ["mrt/lab/bird_bgp", "mrt/lab/bird6_bgp"])
    func readsBIRDAddPathInPlainSubtypes(file: String) throws {
        let ours = try decode(file: file, keepElements: true)
        #expect(ours.stream.damagedRecords == 0)
        let announcements = ours.elements.filter { $0.kind == .announce }
        let prefixes = Set(announcements.map(\.prefix.description))
        #expect(announcements.count == 14)
        #expect(Set(announcements.map(\.pathID)) == [1, 2])
        if file.hasSuffix("bird_bgp") {
            #expect(prefixes == ["172.17.0.0/24", "172.17.1.0/24", "172.17.2.0/24", "192.168.16.0/24"])
        } else {
            #expect(prefixes == ["fd01:1::/64", "fd01:1:1::/64", "fd01:1:2::/64", "fd02:17::/64"])
        }
    }
}
