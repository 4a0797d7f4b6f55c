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

/// What one ingest produced, written in one transaction: all of it or nothing.
public struct IngestResult: Sendable {
    public var files: [IngestedFile]
    public var bins: [(CountryCode, CountryBin)]
    /// Origin AS bins, only those where something changed.
    public var asnBins: [(UInt32, ASNBin)]
    /// Events found by this run, replacing stored ones that start in [from, to).
    public var events: [Event]
    public var from: UInt32
    public var to: UInt32
    public init(files: [IngestedFile], bins: [(CountryCode, CountryBin)], asnBins: [(UInt32, ASNBin)] = [],
                events: [Event], from: UInt32, to: UInt32) {
        self.files = files
        self.bins = bins
        self.asnBins = asnBins
        self.events = events
        self.from = from
        self.to = to
    }
}

/// Which events to read.
public struct EventQuery: Sendable {
    public var country: CountryCode?
    public var asn: UInt32?
    public var kind: Event.Kind?
    public var from: UInt32?
    public var to: UInt32?
    public init(country: CountryCode? = nil, asn: UInt32? = nil, kind: Event.Kind? = nil, from: UInt32? = nil, to: UInt32? = nil) {
        self.country = country
        self.asn = asn
        self.kind = kind
        self.from = from
        self.to = to
    }
}

/// Where Blackout keeps its results: SQLite by default (`SQLiteStore`); the protocol is
/// what a PostgreSQL store implements for several machines sharing the work.
public protocol Store {
    /// The content hashes among `hashes` that are already stored.
    func knownFiles(_ hashes: [String]) throws -> Set<String>
    /// Writes a whole ingest atomically.
    func save(_ result: IngestResult) throws
    func events(_ query: EventQuery) throws -> [Event]
    /// A country's bins in [from, to), in time order.
    func bins(country: CountryCode, from: UInt32?, to: UInt32?) throws -> [CountryBin]
    /// An origin AS's stored bins (rows where something changed) in [from, to), with the row in force at `from`.
    func asnBins(asn: UInt32, from: UInt32?, to: UInt32?) throws -> [ASNBin]
    /// The times of all stored bins in [from, to).
    func binTimes(from: UInt32?, to: UInt32?) throws -> [UInt32]
    func files() throws -> [IngestedFile]
}

/// Store failures, with what the user can do about them.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
