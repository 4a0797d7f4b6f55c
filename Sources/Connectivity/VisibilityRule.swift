/// Which peers count and which prefixes count as visible: the one rule the census and the
/// monitor share (README "Census rules" and "Detection rules").
///
/// - A peer is **full-feed** when it carries at least `fullFeedShare` (80%) as many prefixes
///   as the peer carrying the most (the census and the monitor's IPv4 series count IPv4
///   prefixes, the monitor's IPv6 series IPv6 ones).
/// - A prefix **counts** (is one of a country's networks) when more than `visibilityShare`
///   (50%) of the full-feed peers carry it. In a snapshot (the census) "carry" means carry
///   now; over time (the monitor) it means carried in the prefix's baseline, so that a
///   withdrawal changes whether the prefix is *visible*, not whether it counts.
/// - A counted prefix is **visible** while at least `retainedShare` (half) of the peers
///   that carried it in its baseline still carry it: a withdrawal by one peer that the
///   others do not follow is not a loss. In a snapshot every counted prefix is visible.
public struct VisibilityRule: Sendable, Equatable {
    public var fullFeedShare = 0.8
    public var visibilityShare = 0.5
    public var retainedShare = 0.5

    public init(fullFeedShare: Double = 0.8, visibilityShare: Double = 0.5, retainedShare: Double = 0.5) {
        self.fullFeedShare = fullFeedShare
        self.visibilityShare = visibilityShare
        self.retainedShare = retainedShare
    }

    /// Whether a peer carrying `prefixes` of a family is full-feed beside the largest peer's `largest` of that family.
    @inline(__always)
    public func isFullFeed(prefixes: Int, largest: Int) -> Bool {
        largest > 0 && Double(prefixes) >= fullFeedShare * Double(largest)
    }

    /// Whether a prefix carried by `fullFeedCarriers` of `fullFeedPeers` full-feed peers counts.
    @inline(__always)
    public func counts(fullFeedCarriers: Int, fullFeedPeers: Int) -> Bool {
        fullFeedPeers > 0 && Double(fullFeedCarriers) > visibilityShare * Double(fullFeedPeers)
    }

    /// Whether a prefix that `expected` peers carried in its baseline is visible while `carriers` still do.
    @inline(__always)
    public func isVisible(carriers: Int, expected: Int) -> Bool {
        carriers > 0 && Double(carriers) >= retainedShare * Double(expected)
    }
}
