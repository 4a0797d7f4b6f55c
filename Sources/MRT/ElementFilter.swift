/// Which elements to keep. Each criterion is an OR over its values; criteria are ANDed.
/// An empty criterion matches everything.
public struct ElementFilter: Sendable {
    /// How `prefixes` match an element's prefix.
    public enum PrefixMatch: String, Sendable, CaseIterable {
        /// The same prefix only.
        case exact
        /// The prefix and everything more specific inside it.
        case more
        /// The prefix and every less specific prefix covering it.
        case less
        /// Both directions.
        case any
    }

    public var kinds: Set<RouteElement.Kind> = []
    public var prefixes: [Prefix] = []
    public var prefixMatch: PrefixMatch = .exact
    public var peerASNs: Set<UInt32> = []
    public var peerAddresses: Set<IPAddress> = []
    public var originASNs: Set<UInt32> = []
    /// nil for both families; true for IPv6 only; false for IPv4 only.
    public var ipv6Only: Bool?
    /// Inclusive bounds in Unix seconds.
    public var from: UInt32?
    public var to: UInt32?

    public init() {}

    /// Whether nothing is filtered.
    public var isEmpty: Bool {
        kinds.isEmpty && prefixes.isEmpty && peerASNs.isEmpty && peerAddresses.isEmpty
            && originASNs.isEmpty && ipv6Only == nil && from == nil && to == nil
    }

    public func matches(_ e: RouteElement) -> Bool {
        if !kinds.isEmpty, !kinds.contains(e.kind) { return false }
        if let from, e.timestamp < from { return false }
        if let to, e.timestamp > to { return false }
        if !peerASNs.isEmpty, !peerASNs.contains(e.peerASN) { return false }
        if !peerAddresses.isEmpty, !peerAddresses.contains(e.peerAddress) { return false }
        if let v6 = ipv6Only {
            if e.kind == .state { if e.peerAddress.isV6 != v6 { return false } }
            else if e.prefix.isV6 != v6 { return false }
        }
        if !prefixes.isEmpty {
            if e.kind == .state { return false }
            var hit = false
            for p in prefixes {
                switch prefixMatch {
                case .exact: hit = p == e.prefix
                case .more: hit = p.contains(e.prefix)
                case .less: hit = e.prefix.contains(p)
                case .any: hit = p.contains(e.prefix) || e.prefix.contains(p)
                }
                if hit { break }
            }
            if !hit { return false }
        }
        if !originASNs.isEmpty {
            guard let path = e.attributes.path else { return false }
            var hit = false
            for asn in path.originASNs where originASNs.contains(asn) {
                hit = true
                break
            }
            if !hit { return false }
        }
        return true
    }
}

extension RouteElement.Kind {
    /// Parses `A`, `W`, `R` or `S` (any case).
    public init?(letter: Substring) {
        switch letter.uppercased() {
        case "A": self = .announce
        case "W": self = .withdraw
        case "R", "B": self = .rib
        case "S": self = .state
        default: return nil
        }
    }
}
