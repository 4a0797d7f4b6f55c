import Foundation
import Testing
import TestSupport

/// Bad input on the command line gets a usage error naming the flag (exit 64) or a clear
/// error (exit 1), never a trap: every run here must end by `exit`, not by a signal.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct BadInputTests {
    static let registry = TestData.path("registry")
    static let rib = TestData.path("mrt/lab/quagga_rib")
    /// A slice of a 2014 route-views2 RIB: 35 peers, countries to rank, a few seconds to read.
    static let slice = TestData.path("mrt/slices/rib.20140523.0600.first-complete-records.mrt.gz")
    static let updates = TestData.path("mrt/ris/ris.rrc06.updates.1401488100.gz")

    /// Runs the built `blackout` with `environment` added to this process's.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Result {
        try CLI.run(arguments, environment: environment)
    }

    static func tempDir() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-bad-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// `command` with `flag` set to each value: exit 64 with a message naming the flag.
    /// Values are given as `--flag=value`, so that `-1` reaches the option, and negative ones
    /// also as `--flag value` (which the parser refuses as a missing value).
    static func expectRefused(_ command: [String], _ flag: String, _ values: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        for value in values {
            var forms = [command + ["\(flag)=\(value)"]]
            if value.hasPrefix("-") { forms.append(command + [flag, value]) }
            for args in forms {
                let r = try run(args)
                #expect(r.exited, "\(args): killed by signal \(r.status)", sourceLocation: sourceLocation)
                #expect(r.status == 64, "\(args): exit \(r.status)\n\(r.stderr)", sourceLocation: sourceLocation)
                #expect(r.stderr.contains(flag), "\(args): the message does not name \(flag):\n\(r.stderr)", sourceLocation: sourceLocation)
            }
        }
    }

    /// `command` with `flag value` gets past validation (whatever happens next, it is not 64).
    static func expectAccepted(_ command: [String], _ flag: String, _ values: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        for value in values {
            let r = try run(command + ["\(flag)=\(value)"])
            #expect(r.exited && r.status != 64, "\(command) \(flag)=\(value): exit \(r.status)\n\(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    static let nonFinite = ["inf", "-inf", "nan", "1e30", "-1e30"]
    static let badCounts = ["0", "-1", "inf", "nan", "1e30", "99999999999999999999", "1.5"]
    static let badASNs = ["-1", "inf", "nan", "1e30", "4294967296", "AS123"]
    static let badTimes = ["-1", "inf", "nan", "1e30", "4294967296", "2014-13-01", "yesterday"]

    @Test func censusFlags() throws {
        for command in ["countries", "country KP"] {
            let base = command.split(separator: " ").map(String.init) + ["--rib", Self.rib, "--registry", Self.registry]
            try Self.expectRefused(base, "--visibility", ["-1", "1", "1.5", "-0.1"] + Self.nonFinite)
            try Self.expectRefused(base, "--full-feed", ["0", "-1", "1.01"] + Self.nonFinite)
            try Self.expectRefused(base, "--peer-asn", ["0"] + Self.badASNs)
        }
        let countries = ["countries", "--rib", Self.rib, "--registry", Self.registry, "-q"]
        try Self.expectRefused(countries, "--top", Self.badCounts)
        // The edges of the ranges are accepted.
        try Self.expectAccepted(countries, "--visibility", ["0", "0.999"])
        try Self.expectAccepted(countries, "--full-feed", ["1", "0.001"])
        try Self.expectAccepted(countries, "--top", ["1", "9223372036854775807"])
        try Self.expectAccepted(countries, "--peer-asn", ["1", "4294967295"])
    }

    @Test func dumpFlags() throws {
        let base = ["dump", "--count", Self.updates]
        try Self.expectRefused(base, "--peer-asn", Self.badASNs)
        try Self.expectRefused(base, "--origin-asn", Self.badASNs)
        try Self.expectRefused(base, "--from", Self.badTimes)
        try Self.expectRefused(base, "--to", Self.badTimes)
        // AS 0 stays searchable in dump (bogus routes, RFC 7607), and times cover 1970...2106.
        try Self.expectAccepted(base, "--origin-asn", ["0", "4294967295"])
        try Self.expectAccepted(base, "--from", ["0", "4294967295"])
    }

    @Test func timelineAndEventsFlags() throws {
        let db = try Self.tempDir() + "/empty.sqlite"
        let timeline = ["timeline", "--db", db, "--country", "KP"]
        try Self.expectRefused(timeline, "--bin", ["0", "-1", "inf", "nan", "1e30", "50000d", "4294967296", "4294967295m",
                                                   "30", "30s", "59", "90", "61s", "1.5h", "86401", "25h", "2d", "0m", "5x", ""])
        try Self.expectRefused(timeline, "--asn", ["0"] + Self.badASNs)
        try Self.expectRefused(timeline, "--from", Self.badTimes)
        try Self.expectRefused(timeline, "--to", Self.badTimes)
        // Accepted widths reach the database (empty here: exit 1, not 64).
        try Self.expectAccepted(timeline, "--bin", ["60", "1m", "5m", "120s", "1h", "86400", "1d", "1440m"])
        let events = ["events", "--db", db]
        try Self.expectRefused(events, "--asn", ["0"] + Self.badASNs)
        try Self.expectRefused(events, "--from", Self.badTimes)
        try Self.expectRefused(events, "--to", Self.badTimes)
    }

    @Test func ingestFlags() throws {
        let db = try Self.tempDir() + "/ingest.sqlite"
        // A file that does not exist: validation passes or fails before it is opened.
        let base = ["ingest", "--db", db, "--registry", Self.registry, "/nonexistent/updates.gz"]
        try Self.expectRefused(base, "--bin", ["0", "-1", "inf", "nan", "1e30", "50000d", "4294967296", "59", "30s", "86401", "2d", "25h"])
        try Self.expectRefused(base, "--baseline-hours", ["0", "-1", "721", "1e6"] + Self.nonFinite)
        try Self.expectRefused(base, "--instability-factor", ["1", "0", "-1", "0.5", "1000.5"] + Self.nonFinite)
        try Self.expectRefused(base, "--instability-minimum", ["-1", "-0.001", "1000001"] + Self.nonFinite)
        try Self.expectRefused(base, "--instability-bins", ["1001"] + Self.badCounts)
        try Self.expectRefused(base, "--outage-threshold", ["0", "1", "-1", "1.5"] + Self.nonFinite)
        try Self.expectRefused(base, "--visibility", ["-1", "1"] + Self.nonFinite)
        try Self.expectRefused(base, "--full-feed", ["0", "-1", "1.5"] + Self.nonFinite)
        try Self.expectRefused(base, "--retained", ["0", "-1", "1.5"] + Self.nonFinite)
        try Self.expectRefused(base, "--asn-outage-threshold", ["0", "1", "-1"] + Self.nonFinite)
        try Self.expectRefused(base, "--asn-minimum-prefixes", ["1000001"] + Self.badCounts)
        for flag in ["--outage-duration", "--asn-outage-duration", "--silence"] {
            try Self.expectRefused(base, flag, ["-1", "inf", "nan", "1e30", "50000d", "8d", "604801", "1.5h", "x"])
        }
        // A silence shorter than a bin would silence every collector at every bin.
        try Self.expectRefused(base, "--silence", ["0", "299", "4m"])
        // The edges: past validation, the missing file is the error (exit 1).
        for (flag, values) in [("--bin", ["60", "1m", "86400", "1d", "90"]), ("--baseline-hours", ["0.1", "720"]),
                               ("--instability-factor", ["1.01", "1000"]), ("--instability-minimum", ["0", "1000000"]),
                               ("--instability-bins", ["1", "1000"]), ("--silence", ["5m", "7d"]),
                               ("--asn-minimum-prefixes", ["1", "1000000"])] {
            for value in values {
                let r = try Self.run(base + ["\(flag)=\(value)"])
                #expect(r.exited && r.status == 1 && r.stderr.contains("/nonexistent/updates.gz"), "\(flag)=\(value): \(r.status) \(r.stderr)")
            }
        }
    }

    @Test func reversedPeriod() throws {
        let db = try Self.tempDir() + "/empty.sqlite"
        let late = "2014-05-31T02:00", early = "2014-05-31T01:00"
        for args in [["events", "--db", db, "--from", late, "--to", early],
                     ["timeline", "--db", db, "--country", "KP", "--from", late, "--to", early],
                     ["timeline", "--db", db, "--country", "KP", "--asn", "131279", "--from", "1401500000", "--to", "1401490000"],
                     ["dump", Self.updates, "--from", late, "--to", early],
                     ["dump", Self.updates, "--from", "1401488101", "--to", "1401488100"]] {
            let r = try Self.run(args)
            #expect(r.exited && r.status == 64, "\(args): exit \(r.status)")
            #expect(r.stderr.contains("--from") && r.stderr.contains("--to") && r.stderr.contains("reversed"), "\(args): \(r.stderr)")
        }
        // One instant is a period for dump, whose --to is inclusive.
        let instant = try Self.run(["dump", "--count", Self.updates, "--from", "1401488100", "--to", "1401488100"])
        #expect(instant.exited && instant.status == 0, "\(instant.stderr)")
    }

    @Test func unknownCountry() throws {
        // No registry file of any date lists XX: said before the routing table is read.
        for code in ["XX", "qq"] {
            let r = try Self.run(["country", code, "--rib", Self.slice, "--registry", Self.registry, "-q"])
            #expect(r.exited && r.status == 1, "\(r.status) \(r.stderr)")
            #expect(r.stderr.contains("no registry file lists country \(code.uppercased())"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        // A database without the country: timeline and events say so instead of printing nothing.
        let db = try Self.tempDir() + "/empty.sqlite"
        for args in [["timeline", "--db", db, "--country", "XX"], ["timeline", "--db", db, "--country", "xx", "--csv"],
                     ["events", "--db", db, "--country", "XX"], ["events", "--db", db, "--country", "XX", "--json"]] {
            let r = try Self.run(args)
            #expect(r.exited && r.status == 1, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains("no data for XX in \(db)"), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
        }
        let asn = try Self.run(["events", "--db", db, "--asn", "64512"])
        #expect(asn.exited && asn.status == 1 && asn.stderr.contains("no data for AS64512"), "\(asn.stderr)")
    }

    /// A damaged compiled registry (in XDG_CACHE_HOME, set for the child process only) is
    /// rebuilt with one warning, even with -q; the output is the good cache's.
    @Test func damagedRegistryCacheIsRebuilt() throws {
        let cacheHome = try Self.tempDir()
        let env = ["XDG_CACHE_HOME": cacheHome]
        let args = ["countries", "--rib", Self.slice, "--registry", Self.registry, "--csv", "--top", "20", "-q", "--timing"]
        let first = try Self.run(args, environment: env)
        #expect(first.exited && first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("cache: false") && !first.stderr.contains("warning"), "\(first.stderr)")
        #expect(first.stdout.hasPrefix("rank,country,") && first.stdout.split(separator: "\n").count == 21)
        let good = try Self.run(args, environment: env)
        #expect(good.stderr.contains("cache: true") && !good.stderr.contains("warning"), "\(good.stderr)")
        #expect(good.stdout == first.stdout)

        let dir = cacheHome + "/blackout"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        let cache = dir + "/" + (try #require(names.first { $0.hasSuffix(".cache") }))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cache))
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x04
        // (Every kind of damage is covered by RegistryCacheTests; here, three through the command.)
        for (damage, what) in [(bytes.prefix(bytes.count / 3), "truncated"), (flipped, "a flipped bit"), (Data(), "zero-length")] {
            try damage.write(to: URL(fileURLWithPath: cache))
            let r = try Self.run(args, environment: env)
            #expect(r.exited && r.status == 0, "\(what): \(r.status) \(r.stderr)")
            #expect(r.stdout == good.stdout, "\(what)")
            #expect(r.stderr.contains("blackout: warning: \(cache): compiled registry cache is damaged"), "\(what): \(r.stderr)")
            #expect(r.stderr.contains("rebuilt from the registry files") && r.stderr.contains("cache: false"), "\(what): \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == names, "\(what): a temporary file was left")
        }
        // Valid again: read from the cache, without a warning.
        let after = try Self.run(args, environment: env)
        #expect(after.stderr.contains("cache: true") && !after.stderr.contains("warning"), "\(after.stderr)")
        #expect(after.stdout == good.stdout)
    }
}
