import Foundation
import MRT
import MRTArchive
import TestSupport
import Testing

/// `blackout dump` on uncompressed input decodes chunks of records on several threads
/// (`ParallelElementStream`). Whatever the chunk size and the number of threads, standard
/// output, standard error (diagnostics, in order), `--stats` and the exit status are those
/// of the sequential read (`--threads 1`), and the output is bgpdump's.
@Suite(.enabled(if: CLI.sharedDataAvailable, "../shared/data is not beside the checkout"), .serialized)
struct ParallelDumpTests {
    static let jinx = CLI.data("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let risSlice = CLI.data("mrt/slices/rib.20140523.0600.first-complete-records.mrt.gz")

    /// The full jinx RIB, decompressed: the parallel output is the sequential output and bgpdump's.
    @Test(.enabled(if: CLI.bgpdumpAvailable)) func rawRIBMatchesSequentialAndBGPDump() throws {
        try withTemporaryDirectory { dir in
            let rib = try Raw.decompress(Self.jinx, into: dir)
            let sequential = try CLI.run(["dump", "--threads", "1", rib])
            #expect(sequential.status == 0)
            #expect(sequential.stdout.utf8.count == 57_907_977)
            for args in [["--threads", "2"], ["--threads", "3", "--chunk-bytes", "20000"]] {
                let parallel = try CLI.run(["dump"] + args + [rib])
                #expect(parallel.status == 0)
                #expect(parallel.stderr.isEmpty)
                #expect(parallel.stdout == sequential.stdout, "\(args)")
            }
            #expect(sequential.stdout == (try CLI.bgpdump(rib)))
            try expectSameRun(["--count", "--stats"], [rib], chunks: [(2, 1 << 19), (3, 77_777)])
        }
    }

    /// Three RIBs in one file: a PEER_INDEX_TABLE again in the middle of it changes the peers
    /// of the records after it, and a chunk starts with the table in force, at every chunk size
    /// down to one record per chunk. A table that does not decode changes nothing.
    @Test func peerIndexTablesMidFileAndChunkBoundaries() throws {
        try withTemporaryDirectory { dir in
            let ris = try Raw.bytes(Self.risSlice)
            let jinx = try Raw.firstRecords(Self.jinx, count: 1500)
            let file = dir.appendingPathComponent("three-ribs.mrt").path
            try Data(ris + jinx + ris).write(to: URL(fileURLWithPath: file))
            let sequential = try CLI.run(["dump", "--threads", "1", file])
            #expect(sequential.status == 0)
            let peers = Set(sequential.stdout.split(separator: "\n").map { $0.split(separator: "|")[3] })
            #expect(peers.contains("196.223.14.55"))  // jinx's, after the second table
            try expectSameRun([], [file], chunks: [(2, 1), (3, 333), (2, 4096), (2, 100_000)])
            try expectSameRun(["--format", "json", "--peer-asn", "2497,6939"], [file], chunks: [(2, 5000)])

            // The second table broken: the jinx records are read with the first table's peers,
            // or are damaged where their peer index is beyond it.
            var broken = ris + jinx + ris
            let pit = Raw.recordOffsets(broken)[9073]
            #expect(broken[pit + 5] == 13 && broken[pit + 7] == 1)
            broken[pit + 12 + 4] = 0xFF  // view name length: past the end of the record
            broken[pit + 12 + 5] = 0xFF
            let damaged = dir.appendingPathComponent("broken-table.mrt").path
            try Data(broken).write(to: URL(fileURLWithPath: damaged))
            let r = try expectSameRun(["--stats"], [damaged], chunks: [(2, 1), (3, 50_000)])
            #expect(r.status == 3)
            #expect(r.stderr.contains("broken-table.mrt: record 9073 at offset \(pit): damaged record skipped"))
        }
    }

    /// Damage in the middle of a raw RIB: a broken header (framing resynchronises), 30 broken
    /// bodies (20 reported, then counted), a file that ends inside a record. Same diagnostics,
    /// same order, same counts.
    @Test func damagedRecordsReportAsSequentially() throws {
        try withTemporaryDirectory { dir in
            var bytes = try Raw.bytes(Self.risSlice)
            let offsets = Raw.recordOffsets(bytes)
            #expect(offsets.count == 9073)
            bytes[offsets[3000] + 4] = 0x7F  // type 0x7F0D: framing loses this record
            for i in 5000..<5030 { bytes[offsets[i] + 12 + 4] = 0xFF }  // prefix length 255
            bytes.removeLast(100)
            let file = dir.appendingPathComponent("damaged-rib.mrt").path
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            // One chunk for the whole file too: framing and decoding diagnostics interleave in it.
            let r = try expectSameRun(["--stats"], [file], chunks: [(2, 1), (2, 3000), (3, 1 << 19), (2, 1 << 26)])
            #expect(r.status == 3)
            let warnings = r.stderr.split(separator: "\n").filter { $0.hasPrefix("blackout: warning:") }
            #expect(warnings.count == 21)
            #expect(warnings.first?.contains("record 3000 at offset \(offsets[3000])") == true)
            #expect(warnings.contains { $0.contains("at offset \(offsets[5000]): damaged record skipped: prefix length 255") })
            #expect(warnings.last?.contains("further damage is counted but not shown") == true)
            #expect(r.stderr.contains("damaged records skipped: 30\n"))
            #expect(r.stderr.contains("truncated records: 1\n"))
            try expectSameRun(["--quiet", "--count"], [file], chunks: [(2, 10_000)])
        }
    }

    /// The 1999-2000 RIS archives: TABLE_DUMP lengths 4 bytes short (corrected and noted once),
    /// and damaged record boundaries found again twice.
    @Test func quirksAndResynchronisationOfOldArchives() throws {
        try withTemporaryDirectory { dir in
            for name in ["bview.20000111.0032.gz", "updates.20000325.0345.gz"] {
                let raw = try Raw.decompress(CLI.data("mrt/bgpkit-fixtures/ripe/rrc00/\(name.hasPrefix("bview") ? "2000.01" : "2000.03")/\(name)"), into: dir)
                try expectSameRun(["--stats"], [raw], chunks: [(2, 1), (3, 65_536)])
            }
        }
    }

    /// BGP4MP updates (plain and with microsecond timestamps), several files in one run, every format.
    @Test func updatesFormatsAndSeveralFiles() throws {
        try withTemporaryDirectory { dir in
            let part0 = CLI.data("mrt/routeviews/route-views2.updates.20130101.part0.mrt")
            let part1 = CLI.data("mrt/routeviews/route-views2.updates.20130101.part1.mrt")
            let et = try Raw.decompress(CLI.data("mrt/ripe-bgpdump/test_data/updates.et-header.2015.gz"), into: dir)
            for format in ["bgpdump", "json", "psv"] {
                try expectSameRun(["--format", format], [part0, part1], chunks: [(2, 7_000), (3, 1 << 19)])
            }
            let r = try expectSameRun(["--stats"], [et], chunks: [(2, 1 << 19)])
            #expect(r.stdout.split(separator: "\n").count == 577_744)
            #expect(r.stdout.hasPrefix("BGP4MP_ET|"))
            // A compressed file between two plain ones is read sequentially, in its place.
            let gz = CLI.data("mrt/ris/ris.rrc06.updates.1401488100.gz")
            try expectSameRun(["--format", "psv"], [part0, gz, part1], chunks: [(2, 50_000)])
        }
    }

    /// Filters, --count, and standard input.
    @Test func filtersCountAndStandardInput() throws {
        try withTemporaryDirectory { dir in
            let rib = try Raw.decompress(Self.risSlice, into: dir)
            for filter in [["--peer-asn", "3356"], ["--origin-asn", "15169", "--count"],
                           ["--prefix", "8.0.0.0/8", "--prefix-match", "more"], ["--type", "A,W", "--count"],
                           ["--ipv6", "--stats"], ["--peer-ip", "85.114.0.217", "--format", "psv"],
                           ["--from", "1400824800", "--to", "1400824900", "--count"]] {
                try expectSameRun(filter, [rib], chunks: [(2, 9_999)])
            }
            let sequential = try CLI.run(["dump", "--threads", "1", rib])
            let piped = try CLI.run(["dump", "--chunk-bytes", "30000", "-"], stdin: rib)
            #expect(piped.status == 0)
            #expect(piped.stdout == sequential.stdout)
            #expect(sequential.stdout.split(separator: "\n").count == 270_005)
        }
    }

    /// Output closed early (read in part, SIGPIPE ignored so that writes fail) stops the
    /// run: the workers are stopped and joined, nothing hangs.
    @Test func closedOutputStops() throws {
        try withTemporaryDirectory { dir in
            let rib = try Raw.decompress(Self.risSlice, into: dir)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "trap '' PIPE; exec '\(CLI.executable.path)' dump --chunk-bytes 4096 '\(rib)'"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            let head = out.fileHandleForReading.readData(ofLength: 1000)
            #expect(head.count == 1000)
            try out.fileHandleForReading.close()
            let deadline = Date().addingTimeInterval(60)
            while p.isRunning, Date() < deadline { usleep(20_000) }
            let stopped = !p.isRunning
            if !stopped { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            #expect(stopped, "blackout did not stop after its output closed")
            #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        }
    }

    /// Runs `dump` sequentially and with each (threads, chunk bytes), expects the same
    /// standard output, standard error (timings aside) and status, and returns the sequential run.
    @discardableResult
    func expectSameRun(_ options: [String], _ files: [String], chunks: [(Int, Int)],
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> CLI.Result {
        let sequential = try CLI.run(["dump", "--threads", "1"] + options + files)
        #expect(sequential.exited, sourceLocation: sourceLocation)
        for (threads, bytes) in chunks {
            let parallel = try CLI.run(["dump", "--threads", "\(threads)", "--chunk-bytes", "\(bytes)"] + options + files)
            let what = "\(options) with \(threads) threads, \(bytes)-byte chunks"
            #expect(parallel.status == sequential.status, "\(what)", sourceLocation: sourceLocation)
            #expect(parallel.stdout == sequential.stdout, "\(what)", sourceLocation: sourceLocation)
            #expect(Self.untimed(parallel.stderr) == Self.untimed(sequential.stderr), "\(what)", sourceLocation: sourceLocation)
        }
        return sequential
    }

    /// Standard error without the lines that measure time.
    static func untimed(_ stderr: String) -> [Substring] {
        stderr.split(separator: "\n").filter { !$0.hasSuffix("s elapsed") && !$0.hasPrefix("elements per second") }
    }

    func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-parallel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir)
    }
}

/// Uncompressed copies of the shared archives, for tests that break bytes.
enum Raw {
    static func bytes(_ path: String) throws -> [UInt8] {
        let source = try Input.open(path, prefetch: false).source
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }

    /// Writes the decompressed file into `dir` and returns its path.
    static func decompress(_ path: String, into dir: URL) throws -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent.split(separator: ".").dropLast().joined(separator: ".") + ".mrt"
        let out = dir.appendingPathComponent(name).path
        try Data(try bytes(path)).write(to: URL(fileURLWithPath: out))
        return out
    }

    /// Where each record starts, by the lengths in the headers.
    static func recordOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var at = 0
        while at + 12 <= bytes.count {
            offsets.append(at)
            let length = Int(bytes[at + 8]) << 24 | Int(bytes[at + 9]) << 16 | Int(bytes[at + 10]) << 8 | Int(bytes[at + 11])
            at += 12 + length
        }
        return offsets
    }

    static func firstRecords(_ path: String, count: Int) throws -> [UInt8] {
        let all = try bytes(path)
        return Array(all[0..<recordOffsets(all)[count]])
    }
}
