import Collectors
import Foundation
import MRT
import Pipeline
import Registry
import ScenarioSupport
import Store
import Testing
import TestSupport

/// The census every save stores (`StateCensus`): the census of the monitor's routing state,
/// which must be what `blackout country CC --json` and `blackout countries --json` print for
/// a RIB dump holding the same tables, and must follow the routing changes after it.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct StoredCensusTests {
    static let rib = TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let registry = TestData.path("registry")
    static let t0 = BaseTable.jinxTime
    static let kp = (176...179).map { Prefix("175.45.\($0).0/24")! }

    /// A store holding one ingest of the whole jinx RIB, made once per process; each test
    /// works on a copy of it (`copyOfJinxStore`).
    static let jinxStore: Result<URL, Error> = Result {
        let dir = try IngestCommandTests.tempDir()
        let db = dir.appendingPathComponent("jinx.sqlite").path
        let report = try IngestPipeline(store: try SQLiteStore(path: db), options: IngestOptions(registryDirectory: registry))
            .run(files: [rib])
        guard report.ingested.count == 1, report.failed.isEmpty else { throw StoredCensusFailure("ingest of \(rib): \(report.failed)") }
        return dir
    }

    /// A copy of `jinxStore` in a new directory (the database file and its write-ahead log, if any).
    static func copyOfJinxStore() throws -> (dir: URL, db: String) {
        let template = try jinxStore.get()
        let dir = try IngestCommandTests.tempDir()
        for name in ["jinx.sqlite", "jinx.sqlite-wal"] {
            let from = template.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: from.path) {
                try FileManager.default.copyItem(at: from, to: dir.appendingPathComponent(name))
            }
        }
        return (dir, dir.appendingPathComponent("jinx.sqlite").path)
    }

    /// What `blackout countries --json` prints for `ribs`: one object per country, one a line.
    static func countriesLines(_ ribs: [String]) throws -> [String] {
        let r = try CLI.run(["countries", "--registry", registry, "-q"] + ribs.flatMap { ["--rib", $0] } + ["--json"])
        guard r.status == 0 else { throw StoredCensusFailure("countries: \(r.stderr)") }
        let text = r.stdout
        guard text.hasPrefix("["), text.hasSuffix("]\n") else { throw StoredCensusFailure("countries --json printed \(text.prefix(200))") }
        return text.dropFirst().dropLast(2).components(separatedBy: ",\n").filter { !$0.isEmpty }
    }

    /// The stored rows as the lines `countries --json` prints, in its order (prefixes, then code).
    static func rankedJSON(_ rows: [StoredCensus]) -> [String] {
        rows.sorted { $0.prefixes != $1.prefixes ? $0.prefixes > $1.prefixes : $0.country.rawValue < $1.country.rawValue }.map(\.json)
    }

    /// After an ingest of the jinx RIB, the stored census of KP, SY, EG and IQ is byte for
    /// byte what `blackout country CC --json` prints for the RIB, and the stored countries,
    /// their figures and objects are those of `blackout countries --json`.
    @Test func jinxRIBCensusIsWhatCountryAndCountriesPrint() throws {
        let (dir, db) = try Self.copyOfJinxStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore(path: db)
        let rows = try store.censuses()
        #expect(rows.map(\.country.description) == rows.map(\.country.description).sorted())
        // The state's time: the latest RIB entry's (the dump is written over a few seconds).
        let stateTime = try #require(try store.checkpoint()?.time)
        #expect(stateTime >= Self.t0 && stateTime < Self.t0 + 300 && rows.allSatisfy { $0.time == stateTime })
        for cc in ["KP", "SY", "EG", "IQ"] {
            let printed = try CLI.run(["country", cc, "--rib", Self.rib, "--registry", Self.registry, "--json", "-q"])
            #expect(printed.status == 0, "\(printed.stderr)")
            let stored = try #require(try store.census(CountryCode(cc)!), "no stored census of \(cc)")
            #expect(stored.json + "\n" == printed.stdout, "\(cc)")
        }
        // The routes the state holds (for /metrics): every RIB entry, as `dump --count` counts them.
        let count = try CLI.run(["dump", "--count", Self.rib])
        #expect(try store.totals().routes.map(String.init) == count.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let kp = try #require(try store.census(CountryCode("KP")!))
        #expect(kp.prefixes == 4 && kp.slash24s == 4 && kp.ipv6Prefixes == 0 && kp.origins == 1 && kp.providers == 1 && kp.risk == "severe")
        #expect(try store.census(CountryCode("SY")!)?.prefixes == 93)

        // The whole ranking: the same countries, each object and its figures.
        let lines = try Self.countriesLines([Self.rib])
        #expect(lines.count == rows.count && lines.count > 200, "\(lines.count) countries printed, \(rows.count) stored")
        #expect(Self.rankedJSON(rows) == lines)
        for row in rows {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(row.json.utf8)) as? [String: Any])
            #expect(o["country"] as? String == row.country.description)
            #expect(o["prefixes"] as? Int == row.prefixes && o["ipv6_prefixes"] as? Int == row.ipv6Prefixes)
            #expect((o["slash24s"] as? NSNumber)?.doubleValue == (row.slash24s * 10_000).rounded() / 10_000)  // 4 decimals printed
            #expect((o["origin_asns"] as? [Int])?.count == row.origins && (o["providers"] as? [Any])?.count == row.providers)
            #expect(o["risk"] as? String == row.risk)
        }
    }

    /// Update files after the RIB: the jinx full-feed peer (the only one) withdraws KP's four
    /// prefixes at 00:00:40 and announces them again at 01:00:40 (`IngestCommandTests.scenario`).
    /// The stored census loses KP, then has it back as it was; the rest of the world keeps its
    /// census but for the one prefix the updates announce every minute.
    @Test func updatesAfterTheRIBMoveTheStoredCensus() throws {
        let (dir, db) = try Self.copyOfJinxStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try SQLiteStore(path: db).censuses()
        let kpBefore = try #require(before.first { $0.country.description == "KP" })
        let down = try IngestCommandTests.scenario(in: dir, minutes: 1...150)
        let withdrawn = try IngestPipeline(store: try SQLiteStore(path: db), options: IngestOptions(registryDirectory: Self.registry))
            .run(files: [down])
        #expect(withdrawn.ingested.count == 1 && withdrawn.census.countries == before.count - 1)
        let store = try SQLiteStore(path: db)
        let during = try store.censuses()
        #expect(try store.census(CountryCode("KP")!) == nil)
        #expect(Set(during.map(\.country)) == Set(before.map(\.country)).subtracting([kpBefore.country]))
        // 8.8.8.0/24 (US) is announced every minute through AS3356: only the US may differ.
        let unchanged = { (rows: [StoredCensus]) in rows.filter { !["US", "KP"].contains($0.country.description) }.map(\.json) }
        #expect(unchanged(during) == unchanged(before))
        let stateTime = try #require(try store.checkpoint()?.time)
        #expect(stateTime == Self.t0 + 150 * 60 && during.allSatisfy { $0.time == stateTime })

        let up = try IngestCommandTests.scenario(in: dir, minutes: 151...240)
        _ = try IngestPipeline(store: try SQLiteStore(path: db), options: IngestOptions(registryDirectory: Self.registry)).run(files: [up])
        let after = try SQLiteStore(path: db).censuses()
        let kpAfter = try #require(after.first { $0.country.description == "KP" })
        // Announced again by the same peer through AS4837: the same census as in the RIB.
        #expect(kpAfter.json == kpBefore.json && kpAfter.time == Self.t0 + 240 * 60)
        #expect(unchanged(after) == unchanged(before))
    }

    /// A scenario of four peers over a sample of the jinx table, with churn, KP withdrawn by
    /// every peer, IQ prefixes by three of the four (no longer visible), SY prefixes by one
    /// (still visible) and EG prefixes moved to another path: the census stored after an
    /// ingest of the first RIB dump and the updates until the next dump, and after a live
    /// session replaying them, is what `blackout countries --json` prints for that next dump.
    @Test func censusOfTheStateIsTheCensusOfTheNextDump() throws {
        let registry = try RegistryDatabase.load(directory: Self.registry, near: Self.t0)
        let base = try BaseTable.load(keeping: { p in
            if let cc = registry.country(of: p), ["KP", "SY", "IQ", "EG"].contains(cc.description) { return true }
            return BaseTable.sampled(p, oneIn: 50, seed: 11)
        })
        let byCountry = { (cc: String) in base.prefixes.filter { registry.country(of: $0)?.description == cc } }
        let peers = ScenarioPeer.synthetic(collector: "route-views.synth", count: 4, firstASN: 64496, firstAddress: IPAddress("198.51.100.1")!)
        let end = Self.t0 + 7200
        let w = try ScenarioWriter(base: base, peers: peers, start: Self.t0, end: end)
        defer { w.remove() }
        let iq = Array(byCountry("IQ").prefix(40)), sy = Array(byCountry("SY").prefix(30)), eg = Array(byCountry("EG").prefix(25))
        w.writeRIB(time: Self.t0, collector: "route-views.synth")
        w.writeRIB(time: end, collector: "route-views.synth")
        w.background(churn: Churn(excluding: Self.kp + iq + sy + eg))
        w.withdraw(Self.kp, at: Self.t0 + 1800 + 30)
        w.withdraw(iq, peers: Array(peers.prefix(3)), at: Self.t0 + 2400 + 10)
        w.withdraw(sy, peers: [peers[2]], at: Self.t0 + 3000 + 10)
        w.announce(eg, at: Self.t0 + 3600 + 10, path: [3356, 174, 24863])  // Link Egypt behind Cogent
        let files = try w.finish()
        let ribs = files.filter { $0.kind == .rib }.sorted { $0.start < $1.start }
        try #require(ribs.map(\.start) == [Self.t0, end])
        let replayed = [ribs[0].path] + files.filter { $0.kind == .updates }.map(\.path)

        let first = try Self.countriesLines([ribs[0].path])
        let expected = try Self.countriesLines([ribs[1].path])
        // The changes show in the dumps' census: KP gone, 40 IQ prefixes no longer counted, EG's
        // providers moved, SY's prefixes all still counted (30 of its paths fewer).
        func object(_ lines: [String], _ cc: String) throws -> [String: Any]? {
            guard let line = lines.first(where: { $0.hasPrefix("{\"country\":\"\(cc)\"") }) else { return nil }
            return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        #expect(try object(first, "KP") != nil && object(expected, "KP") == nil)
        let iq0 = try #require(try object(first, "IQ")?["prefixes"] as? Int)
        #expect(try object(expected, "IQ")?["prefixes"] as? Int == iq0 - 40)
        #expect(try object(expected, "SY")?["prefixes"] as? Int == object(first, "SY")?["prefixes"] as? Int)
        let providers = { (o: [String: Any]?) in (o?["providers"] as? [[String: Any]])?.compactMap { $0["asn"] as? Int } }
        #expect(try providers(object(expected, "EG")) != providers(object(first, "EG")))

        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ingested = dir.appendingPathComponent("ingest.sqlite").path
        let report = try IngestPipeline(store: try SQLiteStore(path: ingested), options: IngestOptions(registryDirectory: Self.registry))
            .run(files: replayed)
        #expect(report.failed.isEmpty && report.ingested.count == replayed.count)
        let stored = try SQLiteStore(path: ingested).censuses()
        #expect(Self.rankedJSON(stored) == expected)

        // The live session saves through the same session: the same census.
        let live = dir.appendingPathComponent("live.sqlite").path
        let session = try LiveSession(store: try SQLiteStore(path: live),
                                      options: LiveOptions(registryDirectory: Self.registry, client: RISLiveConfiguration()))
        try session.replay(files: replayed)
        try session.checkpoint()
        let liveRows = try SQLiteStore(path: live).censuses()
        #expect(Self.rankedJSON(liveRows) == expected)
        #expect(liveRows == stored)
    }

    /// `ingest --from-scratch` forgets the stored census with everything else: an ingest of a
    /// file that holds no MRT record leaves none, and one of the update files alone (the
    /// peer's table holds only what they announce) stores the census of that table.
    @Test func fromScratchClearsTheStoredCensus() throws {
        let (dir, db) = try Self.copyOfJinxStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try SQLiteStore(path: db).censuses().count > 200)
        let junk = dir.appendingPathComponent("not-mrt.txt").path
        try Data("not an MRT archive\n".utf8).write(to: URL(fileURLWithPath: junk))
        let cleared = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, "--from-scratch", junk])
        #expect(cleared.stderr.contains("no MRT records"), "\(cleared.stderr)")
        #expect(try SQLiteStore(path: db).censuses() == [])

        let updates = try IngestCommandTests.scenario(in: dir, minutes: 1...30)
        let fresh = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, "--from-scratch", updates])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let rows = try SQLiteStore(path: db).censuses()
        #expect(rows.map(\.country.description) == ["US"])
        // 8.8.8.0/24 by its one (so full-feed) peer, path 30844 3356 15169: from Google (US)
        // the walk leaves the US at AS30844 (GB), the provider, behind AS3356, the frontier AS.
        #expect(rows.first?.json == """
            {"country":"US","prefixes":1,"slash24s":1,"ipv6_prefixes":0,"origin_asns":[15169],"peers":1,"providers":[\
            {"asn":30844,"name":"LIQUID-AS Liquid Telecommunications Ltd, GB","country":"GB","prefixes":1,"prefix_paths":1,\
            "address_share":1,"dependence":1}],"frontier_asns":[3356],"risk":"severe",\
            "origins":[{"asn":15169,"name":"GOOGLE - Google Inc., US","prefixes":1,"providers":[30844]}]}
            """)
        #expect(rows.first?.time == Self.t0 + 30 * 60)
    }
}

/// A fixture that could not be made.
struct StoredCensusFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
