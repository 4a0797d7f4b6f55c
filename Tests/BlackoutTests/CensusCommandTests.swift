import Foundation
import Testing

/// `blackout countries` and `blackout country` as users run them.
@Suite(.enabled(if: CLI.sharedDataAvailable, "../shared/data is not beside the checkout"))
struct CensusCommandTests {
    static let rib = CLI.data("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let registry = CLI.data("registry")

    @Test func countryJSONHasTheContractFields() throws {
        let r = try CLI.run(["country", "KP", "--rib", Self.rib, "--registry", Self.registry, "--peer-asn", "30844", "--json", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(o["country"] as? String == "KP")
        #expect(o["prefixes"] as? Int == 4)
        #expect(o["slash24s"] as? Double == 4)
        #expect(o["ipv6_prefixes"] as? Int == 0)
        #expect(o["origin_asns"] as? [Int] == [131279])
        #expect(o["frontier_asns"] as? [Int] == [131279])
        #expect(o["risk"] as? String == "severe")
        let providers = try #require(o["providers"] as? [[String: Any]])
        #expect(providers.count == 1)
        #expect(providers[0]["asn"] as? Int == 4837)
        #expect((providers[0]["name"] as? String)?.hasPrefix("CHINA169-BACKBONE") == true)
        #expect(providers[0]["prefixes"] as? Int == 4)
        #expect(providers[0]["address_share"] as? Double == 1)
        #expect(providers[0]["dependence"] as? Double == 1)
    }

    @Test func countriesRankedAsArrayAndCSV() throws {
        let json = try CLI.run(["countries", "--rib", Self.rib, "--registry", Self.registry, "--peer-asn", "30844", "--json", "-q"])
        #expect(json.status == 0, "\(json.stderr)")
        let all = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let prefixes = all.compactMap { $0["prefixes"] as? Int }
        #expect(prefixes == prefixes.sorted(by: >))
        #expect(all.first?["country"] as? String == "US")
        let byCountry = Dictionary(uniqueKeysWithValues: all.map { ($0["country"] as! String, $0) })
        #expect(byCountry["SY"]?["prefixes"] as? Int == 93)
        #expect((byCountry["EG"]?["origin_asns"] as? [Int])?.count == 54)
        let csv = try CLI.run(["countries", "--rib", Self.rib, "--registry", Self.registry, "--peer-asn", "30844", "--csv", "--top", "3", "-q"])
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.count == 4)
        #expect(rows[0].hasPrefix("rank,country,prefixes,slash24s,ipv6_prefixes,origin_asns"))
        #expect(rows[1].hasPrefix("1,US,"))
    }

    @Test func badInputs() throws {
        let missing = try CLI.run(["countries", "--rib", Self.rib, "--registry", "/nonexistent/registry"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/registry: cannot read the registry directory"))
        let badCode = try CLI.run(["country", "K1", "--rib", Self.rib, "--registry", Self.registry])
        #expect(badCode.status == 64)
        let unknown = try CLI.run(["country", "QQ", "--rib", CLI.data("mrt/lab/quagga_rib"), "--registry", Self.registry, "-q"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no registry file lists country QQ"))
        let noPeerTable = try CLI.run(["countries", "--rib", CLI.data("mrt/slices/bview.20140112.1600_3samples.bz2"), "--registry", Self.registry, "-q"])
        #expect(noPeerTable.status == 1)
        #expect(noPeerTable.stderr.contains("no RIB entries"))
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-empty-rib.mrt").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        let e = try CLI.run(["countries", "--rib", empty, "--registry", Self.registry])
        #expect(e.status == 1)
        #expect(e.stderr.contains("no MRT records"))
        let noRIB = try CLI.run(["countries", "--registry", Self.registry])
        #expect(noRIB.status == 64)
    }
}
