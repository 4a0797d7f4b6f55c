import MRT
import Registry
import Routing

/// The address space of a series, kept as prefixes come and go instead of recounted over
/// the whole series each bin (a country of 100,000 prefixes changed in every bin of a
/// one-peer replay, and recounting it cost more than everything else together).
///
/// Prefixes nest or are disjoint, so the union of a series' members is the sum of the
/// sizes of the members no other member covers. When `p` joins, the union grows by its
/// size less the sizes of the topmost members inside it, unless a member covers it; when it
/// leaves, it shrinks by as much. A series' prefixes are kept in prefix order (an ancestor
/// before its descendants, which follow it contiguously), so both are a few binary searches
/// and a walk over `p`'s descendants. Units are addresses (IPv4) and /64s (IPv6, longer
/// prefixes count as /64), in wrapping arithmetic: exact while the union is smaller than
/// the whole family (a series holding ::/0 reads 0).
extension Monitor {
    /// First and last unit of a prefix.
    @inline(__always)
    static func units(_ p: Prefix) -> (first: UInt64, last: UInt64) {
        if !p.isV6 {
            let r = RangeTable.range(p)
            return (r.first, r.last)
        }
        let len = min(Int(p.length), 64)
        let mask: UInt64 = len == 0 ? 0 : ~0 << (64 - len)
        return (p.address.high & mask, p.address.high | ~mask)
    }

    /// Whether prefix `q` counts in series `i` now.
    @inline(__always)
    func isMember(_ q: UInt32, of i: Int32, country: Bool) -> Bool {
        country ? status[Int(q)] & 2 != 0 : originSeries[Int(q)] == i
    }

    /// Adds `p` to the prefixes that may count in series `i` (kept in prefix order once read).
    func list(_ p: UInt32, in i: Int32) {
        let s = series[Int(i)]
        if !s.isCountry {
            guard s.listed.insert(p).inserted else { return }
        }
        s.prefixes.append(p)
        s.lengths.insert(Int(state.prefixes[p].length))
    }

    /// Series `i`'s prefixes in prefix order: the few added since the last time are inserted
    /// where they belong; many are sorted with the rest.
    func sortPrefixes(_ i: Int32) {
        let s = series[Int(i)]
        let tail = s.prefixes.count - s.sortedCount
        guard tail > 0 else { return }
        // The index read once: through `state` in the comparison, each one cost a retain and
        // a release of the state and of the index's arrays (a RIB sorts every series).
        let index = state.prefixes
        if tail * 32 < s.sortedCount {
            let added = s.prefixes[s.sortedCount...]
            s.prefixes.removeLast(tail)
            for p in added { s.prefixes.insert(p, at: Self.position(of: index[p], in: s.prefixes, index)) }
        } else {
            s.prefixes.sort { index[$0] < index[$1] }
        }
        s.sortedCount = s.prefixes.count
    }

    /// The first index of `list` (in prefix order) whose prefix is not before `p`.
    static func position(of p: Prefix, in list: [UInt32], _ index: PrefixIndex) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if index[list[mid]] < p { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// What `p` joining series `i` adds to its union (and leaving takes away), in units,
    /// with every other prefix as it is now.
    func spaceDelta(_ p: UInt32, in i: Int32) -> UInt64 {
        sortPrefixes(i)
        let s = series[Int(i)]
        let country = s.isCountry
        let index = state.prefixes
        let prefix = index[p]
        let list = s.prefixes
        // A member covering it: its ancestors are the prefix masked to each shorter length.
        for length in stride(from: Int(prefix.length) - 1, through: 0, by: -1) where s.lengths.contains(length) {
            let ancestor = Prefix(address: prefix.address, length: UInt8(length))
            let k = Self.position(of: ancestor, in: list, index)
            if k < list.count, index[list[k]] == ancestor, isMember(list[k], of: i, country: country) { return 0 }
        }
        let (first, last) = Self.units(prefix)
        var delta = last &- first &+ 1
        // The topmost members inside it: they follow it in prefix order.
        var k = Self.position(of: prefix, in: list, index)
        var skipTo: UInt64? = nil  // inside a member counted already: its descendants are covered
        while k < list.count {
            let q = list[k]
            k += 1
            if q == p { continue }
            let (qFirst, qLast) = Self.units(index[q])
            guard qFirst <= last else { break }
            if let end = skipTo, qFirst <= end { continue }
            if isMember(q, of: i, country: country) {
                delta = delta &- (qLast &- qFirst &+ 1)
                skipTo = qLast
            }
        }
        return delta
    }

    /// `p` joined (`joined`) or left series `i`: it is noted as having come or gone since
    /// the last normal bin (`SeriesState.sinceNormal`), and the space moves by `spaceDelta`
    /// (or, while many prefixes move at once, the series is counted afresh afterwards:
    /// `recountSpaces`).
    func memberChanged(_ p: UInt32, in i: Int32, joined: Bool) {
        let s = series[Int(i)]
        if s.sinceNormal[p] == nil { s.sinceNormal[p] = !joined }
        if spaceRecount != nil {
            if !s.recountPending {
                s.recountPending = true
                spaceRecount!.append(i)
            }
            return
        }
        let d = spaceDelta(p, in: i)
        s.spaceUnits = joined ? s.spaceUnits &+ d : s.spaceUnits &- d
    }

    /// Series `i`'s space counted afresh over all of its members (a restored state; and, in
    /// debug builds, the check of every incremental update).
    func countSpace(_ i: Int32) -> UInt64 {
        sortPrefixes(i)
        let s = series[Int(i)]
        let country = s.isCountry
        let index = state.prefixes
        var total: UInt64 = 0
        var end: UInt64? = nil  // the last unit counted
        for q in s.prefixes where isMember(q, of: i, country: country) {
            let (first, last) = Self.units(index[q])
            if let e = end, last <= e { continue }  // nested in one counted
            total = total &+ (last &- first &+ 1)
            end = last
        }
        return total
    }

    /// Runs `body`, in which many prefixes may join or leave series (a RIB, a change of
    /// peers), then counts the series they moved afresh: cheaper than each move's delta.
    func recountSpaces(_ body: () -> Void) {
        spaceRecount = []
        body()
        let moved = spaceRecount!.sorted()
        spaceRecount = nil
        for i in moved {
            series[Int(i)].recountPending = false
            series[Int(i)].spaceUnits = countSpace(i)
        }
    }
}

extension SeriesState {
    /// The space in the units of `bins`: /24s (IPv4) or /48s (IPv6).
    var spaceInBinUnits: Double { Double(spaceUnits) / (id.family == .ipv4 ? 256 : 65536) }
}
