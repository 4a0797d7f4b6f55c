import Foundation
import Hummingbird
import HummingbirdTesting
import Outages
import Pipeline
import Registry
import ScenarioSupport
import Store
import Testing
import TestSupport

/// Every route's values against the store a real ingest wrote (`APIFixture`): the API says
/// what the store holds, in the contract's fields.
@Suite(.enabled(if: TestData.available, "needs ../shared/data"))
struct APIRouteTests {
    static let kp = CountryCode("KP")!

    @Test func healthNamesTheLatestDataAndCounts() async throws {
        let store = try APIFixture.stores().writer
        let totals = try store.totals()
        let open = try store.events(EventQuery()).filter { $0.end == nil }.count
        let latest = try #require(try store.checkpoint()?.time)
        let censuses = try store.censuses().count, files = try store.files()
        try await APIFixture.withRouter { client in
            let health = try await client.apiJSON("/api/v1/health")
            #expect(health["status"] as? String == "ok")
            #expect(health["latest_data"] as? String == EventRendering.iso(latest), "\(health)")
            #expect(health["countries"] as? Int == censuses && totals.censusCountries > 1, "\(health)")
            #expect(health["events_open"] as? Int == open)
            #expect(health["files"] as? Int == files.count)
            #expect(health["elements"] as? Int == files.reduce(0) { $0 + $1.elements })
        }
    }

    @Test func countriesListTheStoredCensus() async throws {
        let store = try APIFixture.stores().writer
        let censuses = try store.censuses()
        let events = try store.events(EventQuery())
        try await APIFixture.withRouter { client in
            let list = try await client.apiJSON("/api/v1/countries")
            let rows = try #require(list["countries"] as? [[String: Any]])
            #expect(rows.count == censuses.count && rows.count > 10, "\(rows.count) rows for \(censuses.count) censuses")
            for (row, c) in zip(rows, censuses) {
                #expect(row["country"] as? String == c.country.description)
                #expect(row["prefixes"] as? Int == c.prefixes && row["slash24s"] as? Double == c.slash24s, "\(row)")
                #expect(row["ipv6_prefixes"] as? Int == c.ipv6Prefixes && row["risk"] as? String == c.risk)
                #expect(row["origins"] as? Int == c.origins && row["providers"] as? Int == c.providers)
                #expect(row["time"] as? String == EventRendering.iso(c.time))
                let open = events.filter { $0.country == c.country && $0.end == nil }.count
                #expect(row["open_events"] as? Int == open, "\(row)")
            }
            let kp = try #require(rows.first { $0["country"] as? String == "KP" })
            #expect(kp["name"] as? String == "Korea, Democratic People's Republic of" && kp["prefixes"] as? Int == 4, "\(kp)")
            #expect(list["time"] as? String == EventRendering.iso(censuses.map(\.time).max()!))
        }
    }

    /// The country object is the stored census (`blackout country --json`'s fields) plus its
    /// name and its events, newest first, with their ids.
    @Test func countryIsTheStoredCensusWithItsEvents() async throws {
        let store = try APIFixture.stores().writer
        let census = try #require(try store.census(Self.kp))
        nonisolated(unsafe) let stored = try #require(try JSONSerialization.jsonObject(with: Data(census.json.utf8)) as? [String: Any])
        let events = try store.events(EventQuery(country: Self.kp), after: nil, limit: 1000)
        try await APIFixture.withRouter { client in
            let kp = try await client.apiJSON("/api/v1/countries/KP")
            for (key, value) in stored {
                #expect(kp[key].map { NSDictionary(dictionary: [key: $0]) } == NSDictionary(dictionary: [key: value]), "\(key)")
            }
            #expect(kp["name"] as? String == "Korea, Democratic People's Republic of")
            #expect(kp["census_time"] as? String == EventRendering.iso(census.time))
            let providers = try #require(kp["providers"] as? [[String: Any]])
            #expect(providers.map { $0["asn"] as? Int } == [4837], "\(providers)")
            let list = try #require(kp["events"] as? [[String: Any]])
            #expect(list.map { $0["id"] as? Int } == events.map { Int($0.id) } && !events.isEmpty)
            #expect(list.map { $0["start"] as? String } == events.map { EventRendering.iso($0.event.start) })
            let outage = try #require(list.first { $0["kind"] as? String == "outage" && $0["asn"] is NSNull })
            #expect(outage["start"] as? String == "2014-12-22T16:15:00Z" && outage["end"] as? String == "2014-12-23T01:45:00Z", "\(outage)")
            // Lower case is the same country.
            #expect(try await client.apiJSON("/api/v1/countries/kp")["country"] as? String == "KP")
        }
    }

    /// The timeline's points are the stored bins of the range (IPv4 and IPv6 joined by time),
    /// its events the country's own; 1h merges them (lowest visibility, summed counts).
    @Test func timelinePointsAreTheStoredBins() async throws {
        let store = try APIFixture.stores().writer
        let from: UInt32 = 1_419_260_400, to: UInt32 = 1_419_303_600  // 2014-12-22 15:00 to 2014-12-23 03:00
        let v4 = try store.bins(SeriesID(.country(Self.kp), .ipv4), from: from, to: to)
        let v6 = try store.bins(SeriesID(.country(Self.kp), .ipv6), from: from, to: to)
        try await APIFixture.withRouter { client in
            let t = try await client.apiJSON("/api/v1/countries/KP/timeline?from=2014-12-22T15:00:00Z&to=\(to)&bin=5m")
            #expect(t["country"] as? String == "KP" && t["bin"] as? Int == 300)
            #expect(t["from"] as? String == "2014-12-22T15:00:00Z" && t["to"] as? String == "2014-12-23T03:00:00Z")
            let points = try #require(t["points"] as? [[String: Any]])
            #expect(points.count == 144 && v4.count == 144, "12 hours of 5-minute bins: \(points.count), stored \(v4.count)")
            for (p, b) in zip(points, v4) {
                #expect(p["time"] as? String == EventRendering.iso(b.time))
                #expect(p["visible"] as? Int == b.visiblePrefixes && p["slash24s"] as? Double == b.space, "\(p)")
                #expect(p["announcements"] as? Int == b.announcements && p["withdrawals"] as? Int == b.withdrawals)
                #expect(p["path_changes"] as? Int == b.pathChanges && p["flaps"] as? Int == b.flaps)
                #expect(p["full_feed_peers"] as? Int == b.fullFeedPeers && p["peers"] as? Int == b.peers)
                let six = v6.first { $0.time == b.time }
                #expect(p["visible6"] as? Int == six?.visiblePrefixes ?? 0 && p["slash48s"] as? Double == six?.space ?? 0)
            }
            let visible = Dictionary(uniqueKeysWithValues: points.map { ($0["time"] as? String ?? "", $0["visible"] as? Int ?? -1) })
            #expect(visible["2014-12-22T16:10:00Z"] == 4 && visible["2014-12-22T16:15:00Z"] == 0 && visible["2014-12-23T01:50:00Z"] == 4)
            let events = try #require(t["events"] as? [[String: Any]])
            #expect(events.count == 1 && events[0]["kind"] as? String == "outage" && events[0]["asn"] is NSNull, "\(events)")

            let hourly = try await client.apiJSON("/api/v1/countries/KP/timeline?from=2014-12-22T15:00:00Z&to=\(to)&bin=1h")
            let hours = try #require(hourly["points"] as? [[String: Any]])
            #expect(hours.count == 12 && hourly["bin"] as? Int == 3600)
            for (i, h) in hours.enumerated() {
                let bins = v4.filter { $0.time / 3600 == (from / 3600) + UInt32(i) }
                #expect(h["visible"] as? Int == bins.map(\.visiblePrefixes).min(), "\(h)")
                #expect(h["withdrawals"] as? Int == bins.reduce(0) { $0 + $1.withdrawals }, "\(h)")
            }
        }
    }

    /// Without a range: the last 24 hours of the country's stored bins.
    @Test func timelineDefaultsToTheLastDay() async throws {
        let store = try APIFixture.stores().writer
        let all = try store.bins(SeriesID(.country(Self.kp), .ipv4), from: nil, to: nil)
        let last = try #require(all.last).time
        let expected = all.filter { $0.time >= last + 300 - 86_400 }
        try await APIFixture.withRouter { client in
            let t = try await client.apiJSON("/api/v1/countries/KP/timeline")
            let points = try #require(t["points"] as? [[String: Any]])
            #expect(points.count == expected.count && points.count == 288, "\(points.count)")
            #expect(points.last?["time"] as? String == EventRendering.iso(last) && t["to"] as? String == EventRendering.iso(last + 300))
        }
    }

    /// An origin AS: its census entry (name, country, prefixes, providers) and its own events;
    /// its timeline carries its sparse rows over the stored grid.
    @Test func asnFromTheCensusOriginsAndItsTimeline() async throws {
        let store = try APIFixture.stores().writer
        let events = try store.events(EventQuery(asn: 131_279))
        try await APIFixture.withRouter { client in
            let a = try await client.apiJSON("/api/v1/asns/131279")
            #expect(a["asn"] as? Int == 131_279 && a["country"] as? String == "KP" && a["prefixes"] as? Int == 4, "\(a)")
            #expect(a["providers"] as? [Int] == [4837] && (a["name"] as? String)?.isEmpty == false, "\(a)")
            #expect((a["events"] as? [[String: Any]])?.count == events.count && !events.isEmpty)
            #expect(try await client.apiJSON("/api/v1/asns/AS131279")["asn"] as? Int == 131_279)

            let t = try await client.apiJSON("/api/v1/asns/131279/timeline?from=2014-12-22T16:00:00Z&to=2014-12-22T17:00:00Z")
            #expect(t["asn"] as? Int == 131_279 && t["country"] == nil)
            let points = try #require(t["points"] as? [[String: Any]])
            #expect(points.map { $0["visible"] as? Int } == [4, 4, 4] + Array(repeating: 0, count: 9), "\(points.map { $0["visible"] ?? "" })")
            let ev = try #require(t["events"] as? [[String: Any]])
            #expect(ev.count == 1 && ev[0]["asn"] as? Int == 131_279 && ev[0]["kind"] as? String == "outage")
        }
    }

    /// Pages of events, followed by their cursor, give every stored event exactly once, newest first.
    @Test func eventPagesGiveEveryEventOnce() async throws {
        let store = try APIFixture.stores().writer
        let all = try store.events(EventQuery())
        #expect(all.count >= 4, "\(all.count) events")
        try await APIFixture.withRouter { client in
            for limit in [1, 2, 3, 1000] {
                var seen: [[String: Any]] = []
                var cursor: String?
                var pages = 0
                repeat {
                    pages += 1
                    try #require(pages <= all.count + 1, "limit \(limit): more pages than events (a cursor that does not move on)")
                    let page = try await client.apiJSON("/api/v1/events?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    let events = try #require(page["events"] as? [[String: Any]])
                    #expect(events.count <= limit)
                    seen += events
                    cursor = page["next"] as? String
                    #expect(cursor != nil || page["next"] is NSNull)
                } while cursor != nil
                #expect(seen.count == all.count, "limit \(limit)")
                #expect(Set(seen.compactMap { $0["id"] as? Int }).count == all.count, "limit \(limit): each once")
                let starts = seen.compactMap { $0["start"] as? String }
                #expect(starts == starts.sorted(by: >), "newest first")
                #expect(Set(seen.compactMap { $0["summary"] as? String }) == Set(all.map(\.summary)))
            }
            let outages = try await client.apiJSON("/api/v1/events?kind=outage&country=KP&family=ipv4&from=2014-12-22T00:00Z&to=1419400000")
            let list = try #require(outages["events"] as? [[String: Any]])
            #expect(list.count == all.filter { $0.kind == .outage && $0.country == Self.kp && $0.family == .ipv4 }.count && !list.isEmpty)
            let one = try #require(list.first { $0["asn"] is NSNull })
            // The event fields of `blackout events --json`, plus the id.
            #expect(Set(one.keys) == ["id", "country", "asn", "family", "kind", "severity", "start", "end", "ongoing", "duration_seconds",
                                      "fraction_lost", "baseline", "prefixes_lost", "origins_affected", "origins_unaffected",
                                      "providers_lost", "peers", "collectors", "flaps", "dips", "summary"])
            #expect(one["prefixes_lost"] as? [String] == KP2014Scenario.kp.map(\.description) && one["providers_lost"] as? [Int] == [4837])
            let byAS = try await client.apiJSON("/api/v1/events?asn=131279")
            #expect((byAS["events"] as? [[String: Any]])?.allSatisfy { $0["asn"] as? Int == 131_279 } == true)
        }
    }
}
