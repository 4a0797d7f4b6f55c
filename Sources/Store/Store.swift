import MRT
import Outages
import Registry

/// An input file as stored: identified by its content, so that ingesting it twice changes nothing.
public struct IngestedFile: Sendable, Equatable {
    public var contentHash: String
    public var path: String
    public var collector: String
    public var elements: Int
    public var damagedRecords: Int
    public init(contentHash: String, path: String, collector: String, elements: Int, damagedRecords: Int) {
        self.contentHash = contentHash
        self.path = path
        self.collector = collector
        self.elements = elements
        self.damagedRecords = damagedRecords
    }
}

/// The monitor's state after an ingest, to resume from: its bytes, and the pieces stored
/// beside them (the routing tables, most of the state, written and read one piece at a
/// time so that they are never whole in memory).
public struct Checkpoint: Sendable {
    /// Time of the latest element the state has seen.
    public var time: UInt32
    public var bytes: [UInt8]
    /// Routes the state holds (every peer's table), for /metrics; nil when not known.
    public var routes: Int?
    /// When saving: writes the pieces to `emit`, then returns the bytes (which may refer to
    /// the pieces), instead of `bytes`. Called inside the save's transaction.
    public var writer: CheckpointWriter?
    /// When read: the stored pieces in order, one per call, then nil.
    public var pieces: (@Sendable () throws -> [UInt8]?)?

    public init(time: UInt32, bytes: [UInt8]) {
        self.time = time
        self.bytes = bytes
    }

    public init(time: UInt32, writer: CheckpointWriter) {
        self.time = time
        self.bytes = []
        self.writer = writer
    }
}

/// Writes a checkpoint's pieces, then returns its bytes (see `Checkpoint.writer`).
public struct CheckpointWriter: @unchecked Sendable {
    public let write: (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> [UInt8]
    public init(_ write: @escaping (_ emit: (UnsafeRawBufferPointer) throws -> Void) throws -> [UInt8]) { self.write = write }
}

/// What one ingest produced, written in one transaction: all of it or nothing.
public struct IngestResult: Sendable {
    public var files: [IngestedFile]
    /// Bins closed by this ingest (origin ASes only where something changed).
    public var bins: [(series: SeriesID, bin: SeriesBin)]
    /// Events opened, changed or closed by this ingest: stored by `Event.key`, replacing the stored version.
    public var events: [Event]
    /// The state to resume from; nil keeps the stored one.
    public var checkpoint: Checkpoint?
    /// The census of the routing state this ingest ends with, one row per country: replaces
    /// the stored census; nil keeps it.
    public var census: [StoredCensus]?
    public init(files: [IngestedFile], bins: [(series: SeriesID, bin: SeriesBin)], events: [Event], checkpoint: Checkpoint? = nil) {
        self.files = files
        self.bins = bins
        self.events = events
        self.checkpoint = checkpoint
    }
}

extension Store {
    /// For a store that writes in one go: the bins are gathered, then saved with the rest.
    public func save(streaming bins: () -> [(series: SeriesID, bin: SeriesBin)]?, then rest: () throws -> IngestResult) throws {
        var all: [(series: SeriesID, bin: SeriesBin)] = []
        while let batch = bins() { all += batch }
        var r = try rest()
        r.bins = all + r.bins
        try save(r)
    }
}

/// Which events to read.
public struct EventQuery: Sendable {
    public var country: CountryCode?
    public var asn: UInt32?
    public var kind: Event.Kind?
    public var family: Family?
    public var from: UInt32?
    public var to: UInt32?
    public init(country: CountryCode? = nil, asn: UInt32? = nil, kind: Event.Kind? = nil, family: Family? = nil,
                from: UInt32? = nil, to: UInt32? = nil) {
        self.country = country
        self.asn = asn
        self.kind = kind
        self.family = family
        self.from = from
        self.to = to
    }
}

/// Where Blackout keeps its results: SQLite by default (`SQLiteStore`), PostgreSQL when
/// several machines share the work (`PostgresStore`, module StorePostgres). Both give the
/// same results for the same calls: the tests run one suite against both.
public protocol Store: AnyObject {
    /// Webhooks to queue deliveries for, in each save's transaction, when events open,
    /// deepen or close (`AlertRule`); nil queues none.
    var webhooks: WebhookPlan? { get set }
    /// The content hashes among `hashes` that are already stored.
    func knownFiles(_ hashes: [String]) throws -> Set<String>
    /// Writes a whole ingest atomically, its checkpoint included.
    func save(_ result: IngestResult) throws
    /// The same, with the bins handed over while the ingest runs: `bins` is called until it
    /// returns nil (each batch is written as it comes, inside the transaction), then `rest`
    /// gives the files, events, checkpoint (and any last bins). An error from either leaves
    /// the store as it was.
    func save(streaming bins: () -> [(series: SeriesID, bin: SeriesBin)]?, then rest: () throws -> IngestResult) throws
    /// The state the last ingest left, if any.
    func checkpoint() throws -> Checkpoint?
    /// Forgets everything derived from the inputs (files, bins, events, checkpoint): `ingest --from-scratch`.
    func clear() throws
    func events(_ query: EventQuery) throws -> [Event]
    /// A series' bins in [from, to), in time order. For origin ASes (stored only where
    /// something changed) the row in force at `from` comes first.
    func bins(_ series: SeriesID, from: UInt32?, to: UInt32?) throws -> [SeriesBin]
    /// The times of all stored country bins in [from, to).
    func binTimes(from: UInt32?, to: UInt32?) throws -> [UInt32]
    /// Whether any bin of this subject is stored.
    func hasSeries(_ subject: SeriesSubject) throws -> Bool
    func files() throws -> [IngestedFile]
    /// The census of the latest routing state, one row per country, by country code.
    func censuses() throws -> [StoredCensus]
    func census(_ country: CountryCode) throws -> StoredCensus?

    // Reads for the HTTP API (SQLiteStore+Queries.swift).
    /// Events matching `query`, newest start first (then newest id), after `cursor`, at most `limit`.
    func events(_ query: EventQuery, after cursor: EventCursor?, limit: Int) throws -> [StoredEvent]
    /// Ongoing events per country (those of its origin ASes included).
    func openEventCounts() throws -> [CountryCode: Int]
    /// The time of a series' latest stored bin.
    func latestBinTime(_ id: SeriesID) throws -> UInt32?
    /// Files, elements, events and the stored state, counted.
    func totals() throws -> StoreTotals
    /// A number that changes whenever another connection commits to the store: what a reader
    /// compares to know that what it cached is stale.
    func generation() throws -> Int

    // MARK: Webhook deliveries (alerts; SQLiteStore+Alerts.swift). Queued by `save` in its
    // transaction (SQLiteStore.webhooks); sent by the Alerts module's dispatcher. Unix seconds.

    /// Makes every undelivered delivery due at `now`, those given up included; returns how many.
    func retryAlerts(now: UInt32) throws -> Int
    /// Deliveries not tried yet; delivered; not delivered after a failed attempt (retrying or given up).
    func alertCounts() throws -> (pending: Int, delivered: Int, failing: Int)
    /// Undelivered deliveries due at `now` (not given up), oldest first, at most `limit`; of one
    /// event and URL only the oldest undelivered, so that changes are sent in order.
    func dueAlerts(now: Double, limit: Int) throws -> [AlertDelivery]
    /// The earliest time one of those is due, if any.
    func nextAlertTime() throws -> Double?
    /// How many are neither delivered nor given up.
    func undeliveredAlerts() throws -> Int
    func markAlertDelivered(row: Int64, at time: Double) throws
    /// Counts a failed attempt and keeps `error`; due again at `retryAt`, or given up when nil.
    func markAlertFailed(row: Int64, at time: Double, error: String, retryAt: Double?) throws
    /// The newest deliveries first, at most `limit`.
    func alertDeliveries(limit: Int) throws -> [AlertDelivery]
}

/// Store failures, with what the user can do about them.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    /// The database is busy or locked by another process: trying again later may succeed.
    public var busy = false
    /// The connection to a database server failed (it restarted, the network broke): the
    /// same call on a new connection may succeed.
    public var connectionLost = false
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
