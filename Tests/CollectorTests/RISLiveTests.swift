import Collectors
import Foundation
import MRT
import Testing
import TestSupport

/// RIS Live's JSON read into route elements: the real recorded sample, and the forms the
/// sample lacks (AS_SET, IPv6, withdrawals, `connected`, the `.ripe.net` host), and every
/// kind of damage, which must be an error naming the field, never a trap.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct RISLiveTests {
    static let sample = TestData.path("mrt/ris/ris-live-stream.json")

    static func lines() throws -> [String] {
        try String(contentsOfFile: sample, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func recordedSampleParsesExactly() throws {
        let lines = try Self.lines()
        #expect(lines.count == 7)
        var results: [Result<RISLiveMessage, RISLiveParseError>] = []
        for line in lines {
            do throws(RISLiveParseError) { results.append(.success(try RISLiveMessage.parse(line))) } catch { results.append(.failure(error)) }
        }
        // 1: an UPDATE announcing one IPv4 prefix.
        guard case .success(.routes(let c0, let update)) = results[0] else { Issue.record("line 1: \(results[0])"); return }
        #expect(c0 == "rrc00")
        #expect(update.count == 1)
        let a = update[0]
        #expect(a.kind == .announce && a.prefix == Prefix("45.161.192.0/23")!)
        #expect(a.timestamp == 1_553_627_987 && a.microseconds == 890_000)
        #expect(a.peerAddress == IPAddress("72.22.223.9")! && a.peerASN == 11708)
        #expect(a.nextHop == IPAddress("72.22.223.9")! && a.attributes.nextHop == IPAddress("72.22.223.9")!)
        #expect(a.asPath?.asns == [11708, 32097, 1299, 52320, 263009, 263009, 263009, 263009, 263009, 52993, 268481, 268481])
        #expect(a.asPath?.segments == [ASPath.Segment(kind: .sequence, count: 12)])
        #expect(a.originASNs == [268481])
        #expect(a.attributes.origin == .igp)
        // 2: the session of AS24931 at rrc01 went down: the element a replay's STATE_CHANGE gives.
        guard case .success(.routes(let c1, let state)) = results[1], state.count == 1 else { Issue.record("line 2: \(results[1])"); return }
        #expect(c1 == "rrc01")
        #expect(state[0].kind == .state && state[0].oldState == .established && state[0].newState == .idle)
        #expect(state[0].peerAddress == IPAddress("195.66.224.59")! && state[0].peerASN == 24931 && state[0].timestamp == 1_553_625_081)
        // 3: ris_error.
        guard case .success(.serverError(let text)) = results[2] else { Issue.record("line 3: \(results[2])"); return }
        #expect(text == "this is a test error message")
        // 4-6: OPEN, NOTIFICATION (an IPv6 peer) and KEEPALIVE change no route.
        let others = results[3...5].compactMap { r -> String? in
            if case .success(.bgp(let c, let t)) = r { return "\(c) \(t)" }
            return nil
        }
        #expect(others == ["rrc00 OPEN", "rrc01 NOTIFICATION", "rrc03 KEEPALIVE"])
        // 7: cut short in the recording.
        guard case .failure(let cut) = results[6] else { Issue.record("line 7 parsed"); return }
        #expect(cut == .notJSON)
    }

    @Test func asSetIPv6WithdrawalsAndHostForms() throws {
        let text = """
            {"type":"ris_message","data":{"timestamp":1401494400,"peer":"2001:db8::7","peer_asn":64500,"host":"rrc21.ripe.net",\
            "type":"UPDATE","path":[64500,3356,[64512,64513],4200000000],"origin":"incomplete","med":5,"community":[[3356,100]],\
            "announcements":[{"next_hop":"2001:db8::7,fe80::1","prefixes":["2001:db8:100::/40","2001:db8:200::/40"]},\
            {"next_hop":"192.0.2.1","prefixes":["198.51.100.0/24"]}],"withdrawals":["2001:db8:300::/48","203.0.113.0/24"]}}
            """
        guard case .routes(let collector, let e) = try RISLiveMessage.parse(text) else { Issue.record("not routes"); return }
        #expect(collector == "rrc21")
        #expect(e.map(\.kind) == [.announce, .announce, .announce, .withdraw, .withdraw])
        #expect(e.map(\.prefix.description) == ["2001:db8:100::/40", "2001:db8:200::/40", "198.51.100.0/24", "2001:db8:300::/48", "203.0.113.0/24"])
        #expect(e.map(\.origin) == [.mpReach, .mpReach, .nlri, .mpUnreach, .withdrawnRoutes])
        #expect(e[0].nextHop == IPAddress("2001:db8::7")! && e[0].attributes.nextHop == nil)
        #expect(e[2].nextHop == IPAddress("192.0.2.1")! && e[2].attributes.nextHop == IPAddress("192.0.2.1")!)
        let path = try #require(e[0].asPath)
        #expect(path.asns == [64500, 3356, 64512, 64513, 4_200_000_000])
        #expect(path.segments == [ASPath.Segment(kind: .sequence, count: 2), ASPath.Segment(kind: .set, count: 2),
                                  ASPath.Segment(kind: .sequence, count: 1)])
        #expect(e[0].attributes.origin == .incomplete && e[0].attributes.med == 5)
        #expect(e[0].attributes.communities == [Community(rawValue: 3356 << 16 | 100)])
        #expect(e[3].attributes.path == nil)
        // A path ending in an AS_SET: its origins are the set's members.
        let set = try RISLiveMessage.parse("""
            {"type":"ris_message","data":{"timestamp":1,"peer":"192.0.2.9","peer_asn":"1","host":"rrc00","type":"UPDATE",\
            "path":[1,[7,8]],"announcements":[{"next_hop":"192.0.2.9","prefixes":["10.0.0.0/8"]}]}}
            """)
        guard case .routes(_, let s) = set else { Issue.record("not routes"); return }
        #expect(s[0].originASNs == [7, 8])
        // A session coming up.
        guard case .routes(_, let up) = try RISLiveMessage.parse("""
            {"type":"ris_message","data":{"timestamp":2.5,"peer":"192.0.2.9","peer_asn":"1","host":"rrc00","type":"RIS_PEER_STATE","state":"connected"}}
            """) else { Issue.record("not routes"); return }
        #expect(up[0].kind == .state && up[0].newState == .established && up[0].microseconds == 500_000)
        #expect(try RISLiveMessage.parse(#"{"type":"pong"}"#).collector == nil)
        if case .other(let t) = try RISLiveMessage.parse(#"{"type":"ris_subscribe_ok","data":{}}"#) { #expect(t == "ris_subscribe_ok") } else {
            Issue.record("ris_subscribe_ok")
        }
    }

    static let head = #""timestamp":1401494400,"peer":"192.0.2.9","peer_asn":"64500","host":"rrc21""#

    /// Damaged messages: each an error that names what is wrong.
    @Test(arguments: [
        ("", RISLiveParseError.notJSON),
        ("{\"type\":\"ris_message\",\"data\":{\"timestamp\":14", .notJSON),
        ("[1,2]", .notAMessage),
        ("{\"data\":{}}", .notAMessage),
        ("{\"type\":\"ris_message\"}", .missingField("data")),
        ("{\"type\":\"ris_message\",\"data\":{\"type\":\"UPDATE\"}}", .missingField("data.host")),
        ("{\"type\":\"ris_message\",\"data\":{\"host\":\"rrc21\",\"type\":\"UPDATE\"}}", .missingField("data.timestamp")),
        ("{\"type\":\"ris_message\",\"data\":{\"timestamp\":-5,\"peer\":\"192.0.2.9\",\"peer_asn\":\"1\",\"host\":\"rrc21\",\"type\":\"UPDATE\"}}",
         .invalidField("data.timestamp", value: "-5")),
        ("{\"type\":\"ris_message\",\"data\":{\"timestamp\":5000000000,\"peer\":\"192.0.2.9\",\"peer_asn\":\"1\",\"host\":\"rrc21\",\"type\":\"UPDATE\"}}",
         .invalidField("data.timestamp", value: "5000000000")),
        ("{\"type\":\"ris_message\",\"data\":{\"timestamp\":1,\"peer\":\"192.0.2.300\",\"peer_asn\":\"1\",\"host\":\"rrc21\",\"type\":\"UPDATE\"}}",
         .invalidField("data.peer", value: "\"192.0.2.300\"")),
        ("{\"type\":\"ris_message\",\"data\":{\"timestamp\":1,\"peer\":\"192.0.2.9\",\"peer_asn\":\"4294967296\",\"host\":\"rrc21\",\"type\":\"UPDATE\"}}",
         .invalidField("data.peer_asn", value: "\"4294967296\"")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1,\"2\"],\"announcements\":[{\"prefixes\":[\"10.0.0.0/8\"]}]}}",
         .invalidField("data.path[1]", value: "\"2\"")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1,[]],\"announcements\":[{\"prefixes\":[\"10.0.0.0/8\"]}]}}",
         .invalidField("data.path[1]", value: "[]")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1,2.5],\"announcements\":[{\"prefixes\":[\"10.0.0.0/8\"]}]}}",
         .invalidField("data.path[1]", value: "2.5")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1],\"announcements\":[{\"prefixes\":[\"10.0.0.0/33\"]}]}}",
         .invalidField("data.announcements[0].prefixes[0]", value: "\"10.0.0.0/33\"")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1],\"announcements\":[{\"prefixes\":[\"10.0.0.1\"]}]}}",
         .invalidField("data.announcements[0].prefixes[0]", value: "\"10.0.0.1\"")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1],\"announcements\":[{\"next_hop\":\"x\",\"prefixes\":[]}]}}",
         .invalidField("data.announcements[0].next_hop", value: "\"x\"")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1],\"announcements\":{}}}",
         .invalidField("data.announcements", value: "an object")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"withdrawals\":[7]}}",
         .invalidField("data.withdrawals[0]", value: "7")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1],\"origin\":\"bgp\",\"announcements\":[{\"prefixes\":[\"10.0.0.0/8\"]}]}}",
         .invalidField("data.origin", value: "\"bgp\"")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"UPDATE\",\"path\":[1],\"community\":[[70000,1]],\"announcements\":[{\"prefixes\":[\"10.0.0.0/8\"]}]}}",
         .invalidField("data.community[0]", value: "a list")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"RIS_PEER_STATE\",\"state\":\"flapping\"}}", .unknownPeerState("flapping")),
        ("{\"type\":\"ris_message\",\"data\":{\(head),\"type\":\"RIS_PEER_STATE\"}}", .missingField("data.state")),
    ])
    func damagedMessagesAreNamedErrors(text: String, expected: RISLiveParseError) {
        #expect(throws: expected) { try RISLiveMessage.parse(text) }
    }

    /// Every prefix of the recorded sample's lines cut at every byte: errors, never a trap.
    @Test func everyTruncationIsAnErrorOrAMessage() throws {
        var errors = 0, parsed = 0
        for line in try Self.lines() {
            let bytes = Array(line.utf8)
            for n in 0..<bytes.count {
                do throws(RISLiveParseError) {
                    _ = try RISLiveMessage.parse(String(decoding: bytes[0..<n], as: UTF8.self))
                    parsed += 1
                } catch {
                    errors += 1
                }
            }
        }
        #expect(errors > 0)
        // A cut JSON object is never complete: only cuts that leave a bare number parse
        // (as a fragment, which is not a message).
        #expect(parsed == 0)
    }

    @Test func subscriptionsPerCollectorOrAll() {
        let one = RISLiveConfiguration(url: "ws://x", collectors: ["rrc21"]).subscriptions
        #expect(one == [#"{"type":"ris_subscribe","data":{"host":"rrc21","type":"UPDATE"}}"#,
                        #"{"type":"ris_subscribe","data":{"host":"rrc21","type":"RIS_PEER_STATE"}}"#])
        #expect(RISLiveConfiguration(url: "ws://x", collectors: []).subscriptions
                == [#"{"type":"ris_subscribe","data":{"type":"UPDATE"}}"#, #"{"type":"ris_subscribe","data":{"type":"RIS_PEER_STATE"}}"#])
        #expect(RISLiveMessage.collectorName(host: "rrc21.ripe.net") == "rrc21")
    }

    @Test func backoffDoublesToItsBound() {
        var c = RISLiveConfiguration(url: "ws://x")
        c.initialBackoff = .seconds(1)
        c.maximumBackoff = .seconds(60)
        let client = RISLiveClient(configuration: c)
        #expect((0...9).map { client.backoff(afterFailures: $0) }
                == [1, 1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }
}
