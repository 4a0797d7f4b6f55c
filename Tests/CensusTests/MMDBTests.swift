import Foundation
import MRT
import Registry
import Testing
import TestSupport

/// MaxMind DB files written by MaxMind's own Perl writer from DB-IP Lite ranges, read by
/// Blackout's reader and checked against the same ranges as CSV and against libmaxminddb
/// (through Debian's python3-maxminddb, hence /usr/bin/python3 rather than whatever is on PATH).
enum MMDBFixture {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tools/csv-to-mmdb.pl").path
    }

    static var available: Bool {
        TestData.available && run(["perl", "-MMaxMind::DB::Writer::Tree", "-e", "1"]).status == 0
            && run(["/usr/bin/python3", "-c", "import maxminddb"]).status == 0
    }

    /// Runs a program; `input` goes to its standard input from a file (no pipe to fill both ways).
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        if let input {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-input-\(UUID().uuidString)").path
            guard (try? input.write(toFile: path, atomically: true, encoding: .utf8)) != nil,
                  let handle = FileHandle(forReadingAtPath: path) else { return (-1, "") }
            p.standardInput = handle
        }
        do { try p.run() } catch { return (-1, "") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Every `step`-th line of DB-IP Lite's IPv4 and IPv6 files, and all of KP's and SY's.
    static func sample(step: Int) throws -> String {
        var lines: [String] = []
        for file in ["dbip-country-lite-ipv4.csv.gz", "dbip-country-lite-ipv6.csv.gz"] {
            let text = run(["zcat", TestData.path("registry/dbip-lite/" + file)]).output
            for (i, line) in text.split(separator: "\n").enumerated()
            where i % step == 0 || line.hasSuffix(",KP") || line.hasSuffix(",SY") {
                lines.append(String(line))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CSV and the MMDB written from it by MaxMind's writer, in a new directory.
    static func make(step: Int, recordSize: Int) throws -> (csv: String, mmdb: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-mmdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let csv = dir.appendingPathComponent("ranges.csv").path
        let mmdb = dir.appendingPathComponent("ranges.mmdb").path
        try sample(step: step).write(toFile: csv, atomically: true, encoding: .utf8)
        let r = run(["perl", script, csv, mmdb, String(recordSize)])
        guard r.status == 0 else { throw RegistryError(path: mmdb, "the Perl writer failed") }
        return (csv, mmdb)
    }
}

@Suite(.enabled(if: MMDBFixture.available, "needs ../shared/data, libmaxmind-db-writer-perl and python3-maxminddb"))
struct MMDBTests {
    /// The same ranges as CSV and as MMDB give the same IPv4 table, interval for interval,
    /// for each record size; IPv6 agrees on every range the CSV gives down to /64.
    @Test(arguments: [(20, 28), (200, 24), (200, 32)])
    func sameTablesAsTheCSV(step: Int, recordSize: Int) throws {
        let (csv, mmdb) = try MMDBFixture.make(step: step, recordSize: recordSize)
        let file = try MMDBFile(path: mmdb)
        #expect(file.recordSize == recordSize && file.ipVersion == 6 && file.databaseType == "Blackout-Test-Country")
        let fromMMDB = try file.countryRanges()
        let fromCSV = try GeoRanges.load(csv)
        #expect(fromCSV.warnings.isEmpty)
        func table(_ r: [(UInt64, UInt64, UInt16)]) -> RangeTable { RangeTable(ranges: r.map { ($0.0, $0.1, $0.2) }) }
        let (m4, c4) = (table(fromMMDB.v4), table(fromCSV.v4))
        #expect(m4.count > 1000)
        #expect(m4.firsts == c4.firsts && m4.lasts == c4.lasts && m4.values == c4.values)
        let m6 = table(fromMMDB.v6)
        var checked = 0
        for line in try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n") where line.contains(":") {
            let f = line.split(separator: ",")
            guard let a = IPAddress(String(f[0])), let b = IPAddress(String(f[1])), let cc = CountryCode(String(f[2])),
                  a.low == 0, b.low == .max else { continue }  // ranges that end inside a /64 are keyed coarser
            #expect(m6.lookup(a.high) == cc.rawValue && m6.lookup(b.high) == cc.rawValue, "\(line)")
            checked += 1
        }
        #expect(checked > 100)
    }

    /// Blackout's reader and libmaxminddb give the same country for sampled addresses
    /// (for IPv6, for the first address of the address's /64: Blackout's key).
    @Test func agreesWithLibmaxminddb() throws {
        let (csv, mmdb) = try MMDBFixture.make(step: 50, recordSize: 28)
        let ranges = try MMDBFile(path: mmdb).countryRanges()
        let v4 = RangeTable(ranges: ranges.v4.map { ($0.0, $0.1, $0.2) })
        let v6 = RangeTable(ranges: ranges.v6.map { ($0.0, $0.1, $0.2) })
        // Each range's first and last address and the address after it, and the KP blocks.
        var addresses: [String] = []
        for line in try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n") {
            let f = line.split(separator: ",")
            addresses += [String(f[0]), String(f[1])]
        }
        addresses += ["175.45.176.1", "175.45.179.255", "210.52.109.7", "8.8.8.8", "2001:db8::1", "::ffff:175.45.176.1"]
        let program = """
            import ipaddress, sys, maxminddb
            r = maxminddb.open_database(sys.argv[1])
            for line in sys.stdin:
                a = ipaddress.ip_address(line.strip())
                if a.version == 6 and a.ipv4_mapped is None:
                    a = ipaddress.ip_network(f"{a}/64", strict=False).network_address  # keys are /64s
                rec = r.get(a)
                print((rec or {}).get('country', {}).get('iso_code', '-'))
            """
        let result = MMDBFixture.run(["/usr/bin/python3", "-c", program, mmdb], input: addresses.joined(separator: "\n") + "\n")
        #expect(result.status == 0)
        let expected = result.output.split(separator: "\n").map(String.init)
        #expect(expected.count == addresses.count)
        var compared = 0
        for (address, reference) in zip(addresses, expected) {
            guard let a = IPAddress(address) else { Issue.record("unparsable \(address)"); continue }
            // ::ffff:a.b.c.d is IPv4 to libmaxminddb (an alias); Blackout keys it as IPv4.
            let ours: UInt16?
            if address.hasPrefix("::ffff:"), let v4a = IPAddress(String(address.dropFirst(7))) {
                ours = v4.lookup(RangeTable.key(v4a))
            } else {
                ours = a.isV6 ? v6.lookup(RangeTable.key(a)) : v4.lookup(RangeTable.key(a))
            }
            let code = ours.map { CountryCode(rawValue: $0).description } ?? "-"
            #expect(code == reference, "\(address)")
            compared += 1
        }
        #expect(compared > 3000)
    }

    /// `--geo FILE.mmdb` through the registry loader: KP's blocks map to KP.
    @Test func registryLoadsAnMMDB() throws {
        let (_, mmdb) = try MMDBFixture.make(step: 400, recordSize: 28)
        let db = try RegistryDatabase.load(directory: TestData.path("registry"), near: 1_401_487_200,
                                           geo: .file(mmdb), useCache: false)
        #expect(db.country(of: Prefix("175.45.176.0/24")!)?.description == "KP")
        #expect(db.sources.contains(mmdb))
    }

    /// Truncated or foreign files are errors naming the file, never a crash.
    @Test func damagedFilesAreClearErrors() throws {
        let (csv, mmdb) = try MMDBFixture.make(step: 400, recordSize: 28)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: mmdb)))
        let dir = URL(fileURLWithPath: mmdb).deletingLastPathComponent()
        for (name, cut) in [("half", bytes.count / 2), ("no-metadata", bytes.count - 200), ("tiny", 10)] {
            let path = dir.appendingPathComponent("\(name).mmdb").path
            try Data(bytes[0..<cut]).write(to: URL(fileURLWithPath: path))
            #expect(throws: RegistryError.self) {
                do { _ = try MMDBFile(path: path).countryRanges() } catch let e as RegistryError {
                    #expect(e.path == path && !e.message.isEmpty)
                    throw e
                }
            }
        }
        // Metadata kept, tree cut: the tree claims more nodes than the file has.
        var shortTree = Array(bytes[0..<100])
        shortTree += bytes[(bytes.count - 400)...]
        let path = dir.appendingPathComponent("short-tree.mmdb").path
        try Data(shortTree).write(to: URL(fileURLWithPath: path))
        #expect(throws: RegistryError.self) { _ = try MMDBFile(path: path).countryRanges() }
        #expect(throws: RegistryError.self) { _ = try MMDBFile(path: csv) }
    }
}
