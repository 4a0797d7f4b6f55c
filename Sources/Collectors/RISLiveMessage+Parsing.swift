import Foundation
import MRT

/// Reading RIS Live's JSON (https://ris-live.ripe.net/manual/, "ris_message"):
///
/// ```json
/// {"type": "ris_message", "data": {"timestamp": 1553627987.89, "peer": "72.22.223.9",
///  "peer_asn": "11708", "host": "rrc00", "type": "UPDATE", "path": [11708, 1299, [64512, 64513]],
///  "origin": "igp", "community": [[1299, 20000]], "med": 0,
///  "announcements": [{"next_hop": "72.22.223.9", "prefixes": ["45.161.192.0/23"]}],
///  "withdrawals": ["192.0.2.0/24"]}}
/// ```
///
/// `peer_asn` comes as a string or a number; `host` as `rrc21` or `rrc21.ripe.net`; a list
/// inside `path` is an AS_SET (RFC 4271 section 4.3); an IPv6 `next_hop` may carry the
/// link-local address after a comma. Everything read from the wire is checked: a value of
/// the wrong kind or out of range is a `RISLiveParseError` naming the field, never a trap.
extension RISLiveMessage {
    /// BGP4MP subtypes the elements claim (RFC 6396 section 4.4): MESSAGE_AS4 and
    /// STATE_CHANGE_AS4 with microsecond timestamps (BGP4MP_ET), as RIS Live's ASNs are
    /// 4-octet and its times have fractions of a second.
    static let messageAS4: UInt16 = 4
    static let stateChangeAS4: UInt16 = 5

    /// Parses one text message of the stream.
    public static func parse(_ text: String) throws(RISLiveParseError) -> RISLiveMessage {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw .notJSON
        }
        guard let message = object as? [String: Any], let type = message["type"] as? String else { throw .notAMessage }
        switch type {
        case "ris_message":
            guard let data = message["data"] as? [String: Any] else { throw .missingField("data") }
            return try parseRISMessage(data)
        case "ris_error":
            let data = message["data"] as? [String: Any]
            return .serverError(data?["message"] as? String ?? "(no message)")
        case "pong": return .pong
        case "ping": return .ping
        default: return .other(type: type)
        }
    }

    /// The collector's short name: `rrc21` of `rrc21` or `rrc21.ripe.net`.
    public static func collectorName(host: String) -> String {
        String(host.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(host))
    }

    private static func parseRISMessage(_ d: [String: Any]) throws(RISLiveParseError) -> RISLiveMessage {
        guard let kind = d["type"] as? String else { throw .missingField("data.type") }
        guard let host = d["host"] as? String else { throw .missingField("data.host") }
        let collector = collectorName(host: host)
        guard !collector.isEmpty else { throw .invalidField("data.host", value: quoted(host)) }
        switch kind {
        case "UPDATE":
            return .routes(collector: collector, elements: try updateElements(d))
        case "RIS_PEER_STATE":
            return .routes(collector: collector, elements: [try stateElement(d)])
        default:
            return .bgp(collector: collector, type: kind)
        }
    }

    /// Time, peer address and peer ASN, which every routing message has.
    private static func header(_ d: [String: Any]) throws(RISLiveParseError)
        -> (seconds: UInt32, microseconds: UInt32, peer: IPAddress, asn: UInt32) {
        guard let rawTime = d["timestamp"] else { throw .missingField("data.timestamp") }
        guard let time = (rawTime as? NSNumber)?.doubleValue, time.isFinite, time >= 0, time < 4_294_967_296
        else { throw .invalidField("data.timestamp", value: describe(rawTime)) }
        let seconds = time.rounded(.down)
        let micro = min(999_999, ((time - seconds) * 1_000_000).rounded())
        guard let rawPeer = d["peer"] else { throw .missingField("data.peer") }
        guard let text = rawPeer as? String, let peer = IPAddress(text)
        else { throw .invalidField("data.peer", value: describe(rawPeer)) }
        guard let rawASN = d["peer_asn"] else { throw .missingField("data.peer_asn") }
        guard let asn = asNumber(rawASN) else { throw .invalidField("data.peer_asn", value: describe(rawASN)) }
        return (UInt32(seconds), UInt32(micro), peer, asn)
    }

    /// `RIS_PEER_STATE`: `down` is a session leaving Established (the collector drops the
    /// peer's routes, RFC 4271 section 8); `connected` is one reaching it.
    private static func stateElement(_ d: [String: Any]) throws(RISLiveParseError) -> RouteElement {
        let h = try header(d)
        guard let rawState = d["state"] else { throw .missingField("data.state") }
        guard let state = rawState as? String else { throw .invalidField("data.state", value: describe(rawState)) }
        let (old, new): (BGPState, BGPState)
        switch state.lowercased() {
        case "down": (old, new) = (.established, .idle)
        case "connected", "up", "established": (old, new) = (.openConfirm, .established)
        default: throw .unknownPeerState(state)
        }
        return RouteElement(timestamp: h.seconds, microseconds: h.microseconds, kind: .state, peerAddress: h.peer,
                            peerASN: h.asn, prefix: Prefix(address: h.peer.isV6 ? .zeroV6 : .zeroV4, length: 0),
                            oldState: old, newState: new, recordType: .bgp4mpET, recordSubtype: stateChangeAS4,
                            origin: .stateChange)
    }

    private static func updateElements(_ d: [String: Any]) throws(RISLiveParseError) -> [RouteElement] {
        let h = try header(d)
        var elements: [RouteElement] = []
        let announcements = try list(d["announcements"], field: "data.announcements")
        if !announcements.isEmpty {
            let common = try commonAttributes(d)
            for (k, raw) in announcements.enumerated() {
                let field = "data.announcements[\(k)]"
                guard let a = raw as? [String: Any] else { throw .invalidField(field, value: describe(raw)) }
                var nextHop: IPAddress?
                if let rawHop = a["next_hop"] {
                    // "2001:db8::1,fe80::1": the global address, then the link-local one.
                    guard let text = rawHop as? String, let first = text.split(separator: ",").first,
                          let hop = IPAddress(first.trimmingCharacters(in: .whitespaces))
                    else { throw .invalidField(field + ".next_hop", value: describe(rawHop)) }
                    nextHop = hop
                }
                var builder = common
                if let hop = nextHop, !hop.isV6 { builder.nextHop = hop }
                let attributes = builder.build()
                for (i, rawPrefix) in try list(a["prefixes"], field: field + ".prefixes").enumerated() {
                    let prefix = try parsePrefix(rawPrefix, field: "\(field).prefixes[\(i)]")
                    elements.append(RouteElement(timestamp: h.seconds, microseconds: h.microseconds, kind: .announce,
                                                 peerAddress: h.peer, peerASN: h.asn, prefix: prefix, attributes: attributes,
                                                 nextHop: nextHop, recordType: .bgp4mpET, recordSubtype: messageAS4,
                                                 origin: prefix.isV6 ? .mpReach : .nlri))
                }
            }
        }
        for (i, rawPrefix) in try list(d["withdrawals"], field: "data.withdrawals").enumerated() {
            let prefix = try parsePrefix(rawPrefix, field: "data.withdrawals[\(i)]")
            elements.append(RouteElement(timestamp: h.seconds, microseconds: h.microseconds, kind: .withdraw,
                                         peerAddress: h.peer, peerASN: h.asn, prefix: prefix, recordType: .bgp4mpET,
                                         recordSubtype: messageAS4, origin: prefix.isV6 ? .mpUnreach : .withdrawnRoutes))
        }
        return elements
    }

    /// ORIGIN, AS_PATH, MED and COMMUNITIES of an UPDATE's announcements.
    private static func commonAttributes(_ d: [String: Any]) throws(RISLiveParseError) -> PathAttributes.Builder {
        var b = PathAttributes.Builder(origin: nil, asPath: try path(d["path"]))
        if let raw = d["origin"] {
            switch (raw as? String)?.lowercased() {
            case "igp": b.origin = .igp
            case "egp": b.origin = .egp
            case "incomplete": b.origin = .incomplete
            default: throw .invalidField("data.origin", value: describe(raw))
            }
        }
        if let raw = d["med"] {
            guard let med = asNumber(raw) else { throw .invalidField("data.med", value: describe(raw)) }
            b.med = med
        }
        for (k, raw) in try list(d["community"], field: "data.community").enumerated() {
            guard let pair = raw as? [Any], pair.count == 2, let asn = asNumber(pair[0]), let value = asNumber(pair[1]),
                  asn <= 0xFFFF, value <= 0xFFFF
            else { throw .invalidField("data.community[\(k)]", value: describe(raw)) }
            b.communities.append(Community(rawValue: asn << 16 | value))
        }
        return b
    }

    /// `[1, 2, [3, 4]]`: runs of ASNs are AS_SEQUENCE segments, a nested list an AS_SET.
    /// An absent or empty path is an empty AS_PATH (a route of the collector's own AS).
    static func path(_ raw: Any?) throws(RISLiveParseError) -> ASPath {
        var asns: [UInt32] = []
        var segments: [ASPath.Segment] = []
        for (k, item) in try list(raw, field: "data.path").enumerated() {
            if let set = item as? [Any] {
                guard !set.isEmpty else { throw .invalidField("data.path[\(k)]", value: "[]") }
                for (j, member) in set.enumerated() {
                    guard let asn = asNumber(member, stringsAllowed: false)
                    else { throw .invalidField("data.path[\(k)][\(j)]", value: describe(member)) }
                    asns.append(asn)
                }
                segments.append(ASPath.Segment(kind: .set, count: set.count))
            } else {
                guard let asn = asNumber(item, stringsAllowed: false)
                else { throw .invalidField("data.path[\(k)]", value: describe(item)) }
                if let last = segments.last, last.kind == .sequence {
                    segments[segments.count - 1].count += 1
                } else {
                    segments.append(ASPath.Segment(kind: .sequence, count: 1))
                }
                asns.append(asn)
            }
        }
        return ASPath(asns: asns, segments: segments)
    }

    private static func parsePrefix(_ raw: Any, field: String) throws(RISLiveParseError) -> Prefix {
        guard let text = raw as? String, text.contains("/"), let p = Prefix(text) else {
            throw .invalidField(field, value: describe(raw))
        }
        return p
    }

    /// An optional JSON list: absent or null is empty.
    private static func list(_ raw: Any?, field: String) throws(RISLiveParseError) -> [Any] {
        guard let raw, !(raw is NSNull) else { return [] }
        guard let items = raw as? [Any] else { throw .invalidField(field, value: describe(raw)) }
        return items
    }

    /// A 32-bit unsigned number, from a JSON integer or (where RIS Live writes one so) a
    /// decimal string.
    static func asNumber(_ raw: Any, stringsAllowed: Bool = true) -> UInt32? {
        if let s = raw as? String { return stringsAllowed ? UInt32(s) : nil }
        guard let n = raw as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d >= 0, d <= Double(UInt32.max), d == d.rounded() else { return nil }
        return UInt32(d)
    }

    private static func quoted(_ s: String) -> String { "\"\(s.count > 60 ? String(s.prefix(60)) + "..." : s)\"" }

    /// A short rendering of a JSON value for an error message.
    private static func describe(_ raw: Any) -> String {
        if let s = raw as? String { return quoted(s) }
        if raw is NSNull { return "null" }
        if let n = raw as? NSNumber { return n.stringValue }
        if raw is [Any] { return "a list" }
        if raw is [String: Any] { return "an object" }
        return "a value of another kind"
    }
}
