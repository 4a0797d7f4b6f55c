/// The international provider of an AS path: the one walk the census and the monitor share.
///
/// Walking the path from the origin (its last AS), the first AS registered in another
/// country than the origin's is the path's international provider, and the AS before it
/// the country's frontier AS. Prepending (the same AS repeated) is one hop. When the origin
/// has no registered country, `home` (the prefix's country) stands in for it.
public enum ProviderWalk {
    /// Positions in `path` (ordered from the peer to the origin) of the provider and of the
    /// frontier AS, or nil when the walk never leaves the origin's country.
    ///
    /// - Parameters:
    ///   - path: the AS path, or any path-shaped collection of AS identifiers.
    ///   - country: the registered country of an AS identifier (raw code, 0 for none).
    ///   - home: the country to use when the origin has none (raw code).
    @inlinable
    public static func find<C: BidirectionalCollection>(
        in path: C, home: UInt16, country: (C.Element) -> UInt16
    ) -> (provider: C.Index, frontier: C.Index)? where C.Element: Equatable {
        guard let last = path.indices.last else { return nil }
        let origin = path[last]
        let originCountry = country(origin)
        let homeCountry = originCountry != 0 ? originCountry : home
        var previous = last
        var i = last
        while i != path.startIndex {
            i = path.index(before: i)
            guard path[i] != path[previous] else { continue }  // prepending
            let cc = country(path[i])
            if cc != 0, cc != homeCountry { return (i, previous) }
            previous = i
        }
        return nil
    }
}
