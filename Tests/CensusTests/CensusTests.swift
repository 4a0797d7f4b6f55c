import Foundation
import MRT
import MRTArchive
import Registry
import Connectivity
import TestSupport
import Testing

enum Data2014 {
    static var available: Bool { TestData.available }
    static var registry: String { TestData.path("registry") }
    static var rib: String { TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2") }
    static let files2014 = ["delegated-afrinic-latest.20140630", "delegated-apnic-latest.20140630",
                            "delegated-arin-extended-latest.20140804", "delegated-lacnic-latest.20140627",
                            "delegated-ripencc-latest.20140630"]

    /// The census of the jinx RIB seen by AS30844, computed once for the suite.
    static let census: (Census, RegistryDatabase) = {
        var options = CensusOptions()
        options.peerASNs = [30844]
        let builder = CensusBuilder(options: options) { t in
            try RegistryDatabase.load(directory: registry, near: t, useCache: false)
        }
        let reader = MRTReader(source: try! Input.open(rib).source, name: rib)
        try! ElementStream(reader: reader).forEach { try builder.add($0) }
        return (builder.finish()!, builder.registry!)
    }()
}

/// An independent reading of the same facts: bgpdump's text of the RIB and a plain parse
/// of the 2014 delegated files (no code shared with the Registry module).
enum Reference {
    struct Facts {
        var prefixes = 0
        var origins = Set<String>()
        var providerPaths: [String: Int] = [:]
    }

    static func compute(countries: Set<String>) throws -> [String: Facts] {
        var v4: [(start: UInt64, end: UInt64, cc: String)] = []
        var asn: [(start: UInt64, end: UInt64, cc: String)] = []
        for f in Data2014.files2014 {
            let text = try String(contentsOfFile: Data2014.registry + "/" + f, encoding: .utf8)
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
                let p = line.split(separator: "|", omittingEmptySubsequences: false)
                guard p.count >= 7, p[1] != "*", p[6] == "allocated" || p[6] == "assigned" else { continue }
                if p[2] == "ipv4" {
                    let o = p[3].split(separator: ".").compactMap { UInt64($0) }
                    guard o.count == 4, let n = UInt64(p[4]) else { continue }
                    let s = o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]
                    v4.append((s, s + n, String(p[1])))
                } else if p[2] == "asn", let s = UInt64(p[3]), let n = UInt64(p[4]) {
                    asn.append((s, s + n, String(p[1])))
                }
            }
        }
        v4.sort { $0.start < $1.start }
        asn.sort { $0.start < $1.start }
        func find(_ table: [(start: UInt64, end: UInt64, cc: String)], _ x: UInt64) -> String? {
            var lo = 0, hi = table.count
            while lo < hi { let m = (lo + hi) / 2; if table[m].start <= x { lo = m + 1 } else { hi = m } }
            return lo > 0 && x < table[lo - 1].end ? table[lo - 1].cc : nil
        }
        let data = try TestData.bgpdump(Data2014.rib)
        var facts: [String: Facts] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false)
            guard f[4] == "30844", !f[5].contains(":") else { continue }
            let o = f[5].split(separator: "/")[0].split(separator: ".").compactMap { UInt64($0) }
            guard let cc = find(v4, o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]), countries.contains(cc) else { continue }
            var r = facts[cc, default: Facts()]
            r.prefixes += 1
            let path = f[6].split(separator: " ").map(String.init)
            if let last = path.last, !last.hasPrefix("{") { r.origins.insert(last) }
            // First AS from the origin registered elsewhere than the origin.
            let originCC = UInt64(path.last ?? "").flatMap { find(asn, $0) } ?? cc
            for a in path.reversed().dropFirst() {
                if let n = UInt64(a), let c = find(asn, n), c != originCC {
                    r.providerPaths[a, default: 0] += 1
                    break
                }
            }
            facts[cc] = r
        }
        return facts
    }
}

@Suite(.enabled(if: Data2014.available, "../shared/data is not beside the checkout"))
struct CensusTests {
    /// The figures of ../shared/data/SOURCES.md for AS30844's table on 2014-05-30, checked
    /// against the published numbers and against an independent computation.
    @Test(.enabled(if: TestData.bgpdumpAvailable, "needs bgpdump"))
    func referenceFigures() throws {
        let (census, _) = Data2014.census
        let reference = try Reference.compute(countries: ["KP", "SY", "EG", "IQ"])
        let published: [String: (prefixes: Int, origins: Int)] = ["KP": (4, 1), "SY": (93, 3), "EG": (2880, 54), "IQ": (615, 43)]
        for (cc, want) in published {
            let r = try #require(census.report(for: CountryCode(cc)!))
            let ref = try #require(reference[cc])
            #expect(r.prefixes == want.prefixes, "\(cc)")
            #expect(r.originASNs.count == want.origins, "\(cc)")
            #expect(r.prefixes == ref.prefixes, "\(cc)")
            #expect(Set(r.originASNs.map(String.init)) == ref.origins, "\(cc)")
            let ours = Dictionary(uniqueKeysWithValues: r.providers.map { (String($0.asn), $0.prefixPaths) })
            #expect(ours == ref.providerPaths, "\(cc)")
        }
        let kp = try #require(census.report(for: CountryCode("KP")!))
        #expect(kp.originASNs == [131279])
        #expect(kp.providers.map(\.asn) == [4837])
        #expect(kp.providers[0].prefixes == 4)
        #expect(kp.providers[0].dependence == 1)
        #expect(kp.providers[0].addressShare == 1)
        #expect(kp.frontierASNs == [131279])
        #expect(kp.risk == .severe)
        #expect(kp.slash24s == 4)
        let sy = try #require(census.report(for: CountryCode("SY")!))
        #expect(sy.providers.prefix(3).map { [$0.asn, UInt32($0.prefixPaths)] } == [[3491, 86], [9121, 5], [3320, 2]])
        let eg = try #require(census.report(for: CountryCode("EG")!))
        #expect(eg.providers.prefix(6).map(\.asn) == [6762, 3356, 3257, 6939, 6453, 3209])
        let iq = try #require(census.report(for: CountryCode("IQ")!))
        #expect(iq.providers.prefix(6).map(\.asn) == [6939, 174, 3356, 47887, 60929, 29049])
    }

    @Test func registryPicksTheFilesClosestToTheTable() throws {
        let (census, registry) = Data2014.census
        #expect(census.timestamp == 1_401_487_200)
        let names = registry.sources.map { ($0 as NSString).lastPathComponent }
        for f in Data2014.files2014 { #expect(names.contains(f), "\(f)") }
        #expect(!names.contains("delegated-apnic-latest.20190912"))
        #expect(registry.country(ofASN: 131279)?.description == "KP")
        #expect(registry.country(of: Prefix("175.45.178.0/24")!)?.description == "KP")
        #expect(registry.name(ofASN: 131279) == "STAR-KP Ryugyong-dong, KP")
        // The ARIN file really is truncated mid-line: a warning naming file and line.
        let truncated = registry.warnings.filter { $0.path.hasSuffix("delegated-arin-extended-latest.20140804") }
        #expect(truncated.count == 1)
        #expect(truncated.first?.line == 48965)
        #expect(truncated.first?.message.contains("truncated") == true)
    }

    @Test func geolocationIsNotRegistration() throws {
        let db = try RegistryDatabase.load(directory: Data2014.registry, near: 1_401_487_200, geo: .dbip, useCache: false)
        #expect(db.country(of: Prefix("175.45.178.0/24")!)?.description == "IT")
        #expect(db.country(of: Prefix("175.45.176.0/24")!)?.description == "KP")
    }

    /// The compiled cache gives the same answers and loads fast (the figure is printed; the
    /// 200 ms target is checked by Benchmarks/census.py, not here).
    @Test func compiledCacheRoundTrip() throws {
        let fresh = try RegistryDatabase.load(directory: Data2014.registry, near: 1_401_487_200, useCache: true)
        let clock = ContinuousClock()
        var cached: RegistryDatabase?
        let elapsed = try clock.measure {
            cached = try RegistryDatabase.load(directory: Data2014.registry, near: 1_401_487_200, useCache: true)
        }
        let c = try #require(cached)
        #expect(c.fromCache)
        print("registry cache load: \(elapsed)")
        #expect(c.ipv4.firsts == fresh.ipv4.firsts && c.ipv4.values == fresh.ipv4.values)
        #expect(c.ipv6.firsts == fresh.ipv6.firsts && c.asnCountries.lasts == fresh.asnCountries.lasts)
        #expect(c.asNames.count == fresh.asNames.count && c.asNames[4837] == fresh.asNames[4837])
        #expect(c.asNames.count == 77_586)
    }
}

@Suite struct RegistryUnitTests {
    @Test func countsBecomeCIDRBlocks() {
        #expect(DelegatedFile.cidrs(from: 0xAF2D_B000, count: 1024).map(\.description) == ["175.45.176.0/22"])
        #expect(DelegatedFile.cidrs(from: 0x0A00_0000, count: 768).map(\.description) == ["10.0.0.0/23", "10.0.2.0/24"])
        #expect(DelegatedFile.cidrs(from: 0x0A00_0100, count: 768).map(\.description) == ["10.0.1.0/24", "10.0.2.0/23"])
        #expect(DelegatedFile.cidrs(from: 0, count: 1 << 32).map(\.description) == ["0.0.0.0/0"])
    }

    @Test func parsesRecordsAndWarnsOnBadLines() {
        let text = """
            2|apnic|20140630|3|19830613|20140630|+1000
            apnic|*|ipv4|*|2|summary
            apnic|KP|ipv4|175.45.176.0|1024|20091221|allocated
            apnic|KP|asn|131279|1|20091221|allocated
            apnic|JP|ipv6|2001:200::|35|19990813|allocated
            apnic||ipv4|1.2.3.0|256||available
            apnic|XX|ipv4|999.1.1.1|256|2000|allocated
            apnic|CN|ipv4|1.0.1.0
            apnic|AU|ipv4|1.0.0.0|256|20110811|assigned
            """ + "\n"
        let f = DelegatedFile(path: "t", text: Array(text.utf8))
        #expect(f.registry == "apnic" && f.endDate == 20_140_630)
        #expect(f.ipv4.map { "\($0.block) \($0.country)" } == ["175.45.176.0/22 KP", "1.0.0.0/24 AU"])
        #expect(f.ipv6.map { "\($0.block) \($0.country)" } == ["2001:200::/35 JP"])
        #expect(f.asns.map(\.first) == [131279])
        #expect(f.warnings.map(\.line) == [7, 8])
    }

    @Test func nestedRangesMostSpecificWins() {
        let t = RangeTable(ranges: [(0, 999, 1), (100, 199, 2), (150, 159, 3), (500, 599, 4), (2000, 2999, 5)])
        #expect([0, 99, 100, 149, 150, 159, 160, 199, 200, 499, 500, 600, 999, 1000, 2500, 3000].map { t.lookup($0) }
                == [1, 1, 2, 2, 3, 3, 2, 2, 1, 1, 4, 1, 1, nil, 5, nil])
        let all = RangeTable(ranges: [(0, .max, 9), (5, 5, 1)])
        #expect(all.lookup(.max) == 9 && all.lookup(5) == 1 && all.lookup(4) == 9)
    }

    @Test func riskBands() {
        #expect([0, 1, 2, 3, 9, 10, 40, 41].map { RiskBand(frontierASes: $0) }
                == [.severe, .severe, .severe, .significant, .significant, .low, .low, .resistant])
    }
}
