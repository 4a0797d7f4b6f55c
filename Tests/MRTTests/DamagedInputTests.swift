import Foundation
import MRT
import MRTArchive
import MRTFormat
import Testing
import TestSupport

/// Damaged archives: every damaged record is counted and skipped, with its file, index
/// and offset; nothing traps, nothing hangs, and no damage passes silently.
@Suite(.enabled(if: SharedData.available, "../shared/data is not beside the checkout"))
struct DamagedInputTests {
    /// A bzip2 stream cut at 1 MiB: every record before the cut is read (the same 270,005
    /// lines bgpdump prints for the complete slice), then the input failure is reported.
    @Test func truncatedBzip2() throws {
        let ours = try decode(file: "mrt/slices/rib.20140523.0600_firstMB.bz2")
        #expect(ours.stream.elements == 270_005)
        #expect(ours.reader.sourceFailures == 1)
        let failure = try #require(ours.diagnostics.last)
        guard case .sourceFailed(let why) = failure.problem else {
            Issue.record("last diagnostic is \(failure)")
            return
        }
        #expect(why.contains("bzip2 stream ends unexpectedly"))
        #expect(failure.file.hasSuffix("rib.20140523.0600_firstMB.bz2"))
        let complete = try decode(file: "mrt/slices/rib.20140523.0600.first-complete-records.mrt.gz")
        #expect(ours.text == complete.text)
    }

    /// RIB records with no PEER_INDEX_TABLE before them cannot be attributed to peers: each
    /// is reported as damaged, naming its record index and offset.
    @Test func ribWithoutPeerTable() throws {
        let ours = try decode(file: "mrt/slices/bview.20140112.1600_3samples.bz2")
        #expect(ours.stream.elements == 0)
        #expect(ours.stream.damagedRecords == 3)
        let damaged = ours.diagnostics.filter { if case .damagedRecord = $0.problem { return true } else { return false } }
        #expect(damaged.map(\.recordIndex) == [0, 1, 2])
        #expect(damaged.map(\.offset) == [0, 55, 118])
        #expect(damaged.allSatisfy { $0.description.contains("without a preceding PEER_INDEX_TABLE") })
    }

    /// In strict mode the first damage stops reading with an error naming where it is.
    @Test func strictStopsAtFirstDamage() throws {
        #expect(throws: MRTReadError.self) {
            _ = try decode(file: "mrt/slices/bview.20140112.1600_3samples.bz2", strict: true)
        }
        do {
            _ = try decode(file: "mrt/slices/bview.20140112.1600_3samples.bz2", strict: true)
        } catch let e as MRTReadError {
            #expect(e.diagnostic.recordIndex == 0)
            #expect(e.description.contains("3samples.bz2: record 0 at offset 0"))
        }
    }

    /// Cutting a real file at every byte: the records wholly before the cut decode exactly
    /// as in the full file, the cut record is reported as truncated, and nothing traps.
    @Test(arguments: ["mrt/lab/quagga_bgp", "mrt/lab/bird6-mrtdump_rib", "mrt/lab/openbgpd_rib_table"])
    func everyTruncationPoint(file: String) throws {
        let bytes = try readAll(SharedData.path(file))
        let full = try decode(bytes: bytes)
        // Record boundaries, from the headers.
        var ends: [Int] = []
        var p = 0
        while p + 12 <= bytes.count {
            let len = Int(bytes[p + 8]) << 24 | Int(bytes[p + 9]) << 16 | Int(bytes[p + 10]) << 8 | Int(bytes[p + 11])
            p += 12 + len
            ends.append(p)
        }
        #expect(p == bytes.count)
        let fullLines = full.lines
        var linesAfterRecord: [Int] = []
        // Lines produced by the first k records.
        for k in 0..<ends.count {
            let prefix = try decode(bytes: Array(bytes[0..<ends[k]]))
            linesAfterRecord.append(prefix.lines.count)
        }
        for cut in 0..<bytes.count {
            let part = try decode(bytes: Array(bytes[0..<cut]))
            let complete = ends.filter { $0 <= cut }.count
            let expectedLines = complete == 0 ? 0 : linesAfterRecord[complete - 1]
            #expect(Array(part.lines) == Array(fullLines[0..<expectedLines]), "cut at \(cut)")
            if !ends.contains(cut), cut > 0 {
                #expect(part.reader.truncatedRecords == 1, "cut at \(cut) not reported")
            }
        }
    }

    /// Thousands of single-bit and single-byte corruptions of real files: decoding always
    /// finishes without a trap, every JSON line it prints still parses, and every bgpdump
    /// line still has its field count.
    @Test(arguments: [
        ("mrt/lab/quagga_bgp", 1500), ("mrt/lab/openbgpd_bgp", 1500), ("mrt/lab/bird6-mrtdump_rib", 1000),
        ("mrt/ripe-bgpdump/test_data/bview.64k_stream_overflow.gz", 300),
        ("mrt/ripe-bgpdump/test_data/updates.20020722.2238.gz", 300),
    ])
    func randomCorruption(file: String, rounds: Int) throws {
        let original = try readAll(SharedData.path(file))
        var rng = SplitMix64(seed: 0x5EED_0000 &+ UInt64(file.utf8.count))
        var noticed = 0
        for round in 0..<rounds {
            var bytes = original
            let flips = 1 + Int(rng.next() % 4)
            for _ in 0..<flips {
                let i = Int(rng.next() % UInt64(bytes.count))
                if round % 2 == 0 {
                    bytes[i] ^= UInt8(1) << UInt8(rng.next() % 8)
                } else {
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            let text = try decode(bytes: bytes)
            if text.diagnostics.contains(where: \.isDamage) { noticed += 1 }
            for line in text.lines {
                let fields = line.split(separator: "|", omittingEmptySubsequences: false).count
                #expect([6, 7, 14, 15, 16].contains(fields), "\(line)")
            }
            let json = try decode(bytes: bytes, format: .json)
            for line in json.lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)")
            }
            _ = try decode(bytes: bytes, format: .psv)
        }
        #expect(noticed > 0)
    }

    /// Garbage, empty input and a lone partial header.
    @Test func garbageAndEmptyInput() throws {
        let empty = try decode(bytes: [])
        #expect(empty.reader.records == 0 && empty.diagnostics.isEmpty)
        let short = try decode(bytes: [0, 0, 0, 1, 0, 13])
        #expect(short.reader.truncatedRecords == 1)
        var rng = SplitMix64(seed: 42)
        let noise = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let junk = try decode(bytes: noise)
        #expect(junk.stream.elements == 0 || junk.reader.skippedBytes > 0)
        #expect(junk.diagnostics.contains { $0.isDamage })
    }
}
