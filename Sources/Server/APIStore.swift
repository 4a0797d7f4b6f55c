import Foundation
import Hummingbird
import Outages
import Registry
import Store

/// The store as the API reads it: the store's queries, with what is costly to compute kept
/// until the next commit to the store.
///
/// The store's `generation()` (SQLite's `data_version`, one cheap call, made at most every
/// `recheck`) tells when another process, an ingest, has committed: everything cached under an
/// older generation is dropped then. Between commits, a timeline asked for again is answered from memory; an ingest
/// writing its transaction does not change the generation until it commits, so what readers
/// see (the last commit, through the write-ahead log) and what is cached agree.
final class APIStore: @unchecked Sendable {
    let store: any Store
    /// A writable store, opened when a route changes state (`POST /api/v1/alerts/retry`).
    let openWriter: @Sendable () throws -> any Store
    private let lock = NSLock()
    private var generation = Int.min
    private var responses: [String: ByteBuffer] = [:]
    private var responseBytes = 0
    private var binTimes: [UInt32]?
    private var origins: [UInt32: [OriginEntry]]?
    /// Dropped whole when it grows past this (the hot set is a few timelines).
    static let maxResponseBytes = 64 << 20

    init(store: any Store, openWriter: @escaping @Sendable () throws -> any Store) {
        self.store = store
        self.openWriter = openWriter
    }

    private var checked = ContinuousClock.now - .seconds(1)
    /// How long a generation read is trusted: under load one SQLite call serves the requests
    /// of this interval, and a commit is seen at most this late.
    static let recheck = Duration.milliseconds(2)

    /// The current generation, dropping what was cached under an older one.
    func refresh() throws -> Int {
        let now = ContinuousClock.now
        if let g = lock.withLock({ now - checked < Self.recheck ? generation : nil }) { return g }
        let g = try store.generation()
        lock.withLock {
            checked = now
            if g != generation {
                generation = g
                responses = [:]
                responseBytes = 0
                binTimes = nil
                origins = nil
            }
        }
        return g
    }

    /// A response body built once per generation for `key`.
    func cached(_ key: String, _ build: () throws -> String) throws -> ByteBuffer {
        let g = try refresh()
        if let hit = lock.withLock({ responses[key] }) { return hit }
        let bytes = ByteBuffer(string: try build())
        lock.withLock {
            guard g == generation else { return }  // a commit came while it was built
            if responseBytes + bytes.readableBytes > Self.maxResponseBytes {
                responses = [:]
                responseBytes = 0
            }
            responses[key] = bytes
            responseBytes += bytes.readableBytes
        }
        return bytes
    }

    /// A value computed once per generation, kept in `slot`.
    private func memo<T>(_ slot: ReferenceWritableKeyPath<APIStore, T?>, _ compute: () throws -> T) throws -> T {
        let g = try refresh()
        if let v = lock.withLock({ self[keyPath: slot] }) { return v }
        let v = try compute()
        lock.withLock { if g == generation { self[keyPath: slot] = v } }
        return v
    }

    /// The times of all stored country bins (the grid an origin AS's timeline is laid on:
    /// its rows are stored only where something changed). A scan of the bin table: once per commit.
    func allBinTimes() throws -> [UInt32] {
        try memo(\.binTimes) { try store.binTimes(from: nil, to: nil) }
    }

    /// One origin AS in one country's census.
    struct OriginEntry: Sendable {
        var country: CountryCode
        var name: String?
        var prefixes: Int
        var providers: [UInt32]
    }

    /// The origin ASes of the stored census, by AS number.
    func originIndex() throws -> [UInt32: [OriginEntry]] {
        try memo(\.origins) {
            var index: [UInt32: [OriginEntry]] = [:]
            for c in try store.censuses() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(c.json.utf8)) as? [String: Any],
                      let origins = object["origins"] as? [[String: Any]] else { continue }
                for o in origins {
                    guard let asn = (o["asn"] as? NSNumber)?.uint32Value else { continue }
                    index[asn, default: []].append(OriginEntry(country: c.country, name: o["name"] as? String,
                                                               prefixes: (o["prefixes"] as? NSNumber)?.intValue ?? 0,
                                                               providers: (o["providers"] as? [NSNumber] ?? []).map(\.uint32Value)))
                }
            }
            return index
        }
    }
}
