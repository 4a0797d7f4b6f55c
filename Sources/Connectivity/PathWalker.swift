import MRT
import Registry

/// Walks AS paths from the origin to the first AS registered in another country
/// (`ProviderWalk`), once per distinct attribute set: routes share `PathAttributes`
/// objects when their attribute blocks are identical, so a walk is looked up by object
/// identity.
///
/// Every ASN a walk mentions gets a dense id (`asns[id]`), so that the census sums
/// per-AS figures in flat arrays instead of hashing ASNs once per route.
final class PathWalker: @unchecked Sendable {  // written while reading, only read in finish()
    struct Walk {
        /// Dense id of the origin AS; -1 when the path ends in an AS_SET (no single origin).
        var origin: Int32
        /// Dense id of the international provider; -1 if the walk never leaves the country.
        var provider: Int32
        /// Dense id of the AS before the provider (the country's frontier AS); -1 with no provider.
        var frontier: Int32
        /// Dense ids of the path's distinct ASNs, in `pool[poolStart..<poolEnd]`.
        var poolStart: Int32
        var poolEnd: Int32
        /// Dense id of the path's first ASN (the nearest AS), and the country the walk took
        /// for home: what the walk of the path with one more AS in front is made from (`extended`).
        var first: Int32
        var home: UInt16
    }

    let registry: RegistryDatabase
    private(set) var walks: [Walk] = []
    /// ASN of each dense id.
    private(set) var asns: [UInt32] = []
    /// Whether the AS of each dense id is some walk's international provider.
    private(set) var isProvider: [Bool] = []
    /// The registered country of each dense id (raw code, 0 for none).
    private(set) var countries: [UInt16] = []
    /// Dense ids of 16-bit ASNs by ASN (-1 before first seen); larger ASNs are hashed.
    private var smallIDs = [Int32](repeating: -1, count: 1 << 16)
    private var ids: [UInt32: Int32] = [:]
    private(set) var pool: [Int32] = []
    private var memo: [ObjectIdentifier: Int32] = [:]
    private var buffer: [UInt32] = []
    /// `buffer` as dense ids.
    private var path: [Int32] = []
    /// Keeps memoised objects alive so that their identities are not reused.
    private var keep: [PathAttributes] = []

    init(registry: RegistryDatabase) {
        self.registry = registry
        memo.reserveCapacity(1 << 18)
        ids.reserveCapacity(1 << 16)
        buffer.reserveCapacity(64)
    }

    /// The dense id of `asn` if it has one.
    private func knownID(_ asn: UInt32) -> Int32? {
        if asn < 1 << 16 {
            let i = smallIDs[Int(asn)]
            return i >= 0 ? i : nil
        }
        return ids[asn]
    }

    /// The dense id of `asn`, given one if it has none.
    func register(_ asn: UInt32) -> Int32 {
        if let i = knownID(asn) { return i }
        let i = Int32(asns.count)
        if asn < 1 << 16 { smallIDs[Int(asn)] = i } else { ids[asn] = i }
        asns.append(asn)
        isProvider.append(false)
        countries.append(registry.country(ofASN: asn)?.rawValue ?? 0)
        return i
    }

    /// The dense id of `asn`, given one by an earlier walk or `register`.
    func existingID(_ asn: UInt32) -> Int32 {
        guard let i = knownID(asn) else { preconditionFailure("AS\(asn) was never registered") }
        return i
    }

    /// The international provider and frontier AS of the path `head` followed by the path of
    /// walk `w` (the walk as `ProviderWalk` would take it over the longer path): the same as
    /// `w`'s when `w` found one; else `head` when it is registered in another country than
    /// `w`'s home and is not a repeat of the path's first AS (prepending).
    /// (`countries`: the walker's, by dense id.)
    @inline(__always)
    static func extended(_ w: Walk, head: Int32, countries: [UInt16]) -> (provider: Int32, frontier: Int32) {
        if w.provider >= 0 || head == w.first { return (w.provider, w.frontier) }
        let cc = countries[Int(head)]
        return cc != 0 && cc != w.home ? (head, w.first) : (-1, -1)
    }

    /// Marks `head` as a provider when it is the provider of the walk `w` extended by it.
    func noteExtended(_ w: Int32, head: Int32) {
        let (provider, _) = Self.extended(walks[Int(w)], head: head, countries: countries)
        if provider == head { isProvider[Int(head)] = true }
    }

    /// The walk of a path (an index into `walks`), or nil when there is no AS path.
    func walk(_ attributes: PathAttributes, country: CountryCode) -> Int32? {
        let key = ObjectIdentifier(attributes)
        if let w = memo[key] { return w }
        guard let endsInSet = attributes.flattenedPath(into: &buffer), !buffer.isEmpty else { return nil }
        let (index, dependsOnCountry) = walk(buffer, endsInSet: endsInSet, country: country)
        if !dependsOnCountry {
            memo[key] = index
            keep.append(attributes)
        }
        return index
    }

    /// The walk of a non-empty AS path `asns` (nearest AS first, the origin last), added to
    /// `walks`; `dependsOnCountry` when the origin has no registered country, so that the
    /// walk used the prefix's `country` and holds only for prefixes of that country.
    func walk(_ asns: [UInt32], endsInSet: Bool, country: CountryCode) -> (walk: Int32, dependsOnCountry: Bool) {
        precondition(!asns.isEmpty, "a walk needs an AS path")
        path.removeAll(keepingCapacity: true)
        for a in asns { path.append(register(a)) }
        let origin = path[path.count - 1]
        let originCountry = countries[Int(origin)]
        var provider: Int32 = -1, frontier: Int32 = -1
        let registered = countries
        if let found = ProviderWalk.find(in: path, home: country.rawValue, country: { registered[Int($0)] }) {
            provider = path[found.provider]
            frontier = path[found.frontier]
        }
        let start = pool.count
        for i in path where !pool[start...].contains(i) { pool.append(i) }
        if provider >= 0 { isProvider[Int(provider)] = true }
        walks.append(Walk(origin: endsInSet ? -1 : origin, provider: provider, frontier: frontier,
                          poolStart: Int32(start), poolEnd: Int32(pool.count), first: path[0],
                          home: originCountry != 0 ? originCountry : country.rawValue))
        // The walk depends on the prefix's country only when the origin's is unknown.
        return (Int32(walks.count - 1), originCountry == 0)
    }
}
