import MRT
import Outages
import Registry

/// One stored row's columns, read with checks, whichever database holds it (`RowReader`
/// for SQLite, `PostgresRowReader`): the store-independent part of turning rows back into
/// events, bins, census rows and deliveries lives here once (`StoredRows`).
public protocol StoreRowReading {
    /// An error naming the table, the row and `column`.
    func error(_ column: String, _ message: String) -> StoreError
    func optionalText(_ column: String) throws -> String?
    func optionalInt(_ column: String) throws -> Int?
    /// A finite number (an integer column reads as one too).
    func optionalDouble(_ column: String) throws -> Double?
}

extension StoreRowReading {
    public func text(_ column: String) throws -> String {
        guard let s = try optionalText(column) else { throw error(column, "NULL") }
        return s
    }
    public func int(_ column: String) throws -> Int {
        guard let i = try optionalInt(column) else { throw error(column, "NULL") }
        return i
    }
    public func count(_ column: String) throws -> Int {
        let i = try int(column)
        guard i >= 0 else { throw error(column, "negative (\(i))") }
        return i
    }
    /// A column holding a 32-bit unsigned value (`what`: a time, an AS number).
    private func optionalUInt32(_ column: String, _ what: String) throws -> UInt32? {
        guard let i = try optionalInt(column) else { return nil }
        guard let v = UInt32(exactly: i) else { throw error(column, "\(what) out of range (\(i))") }
        return v
    }
    public func optionalTime(_ column: String) throws -> UInt32? { try optionalUInt32(column, "time") }
    public func time(_ column: String) throws -> UInt32 {
        guard let t = try optionalTime(column) else { throw error(column, "NULL") }
        return t
    }
    public func optionalASN(_ column: String) throws -> UInt32? { try optionalUInt32(column, "AS number") }
    public func double(_ column: String) throws -> Double {
        guard let d = try optionalDouble(column) else { throw error(column, "NULL") }
        return d
    }
    public func asns(_ column: String) throws -> [UInt32] {
        try StoredRows.split(text(column)).map { text in
            guard let a = UInt32(text) else { throw error(column, "not an AS number: \(text)") }
            return a
        }
    }
    public func country(_ column: String) throws -> CountryCode? {
        guard let text = try optionalText(column) else { return nil }
        guard let cc = CountryCode(text) else { throw error(column, "not a country code: \(text)") }
        return cc
    }
}

/// How rows of the store's tables become values again, for every store.
public enum StoredRows {
    /// The columns an event is written with, in the order of its values.
    public static let eventColumns = """
        key, country, asn, family, kind, severity, start, "end", last_seen, fraction_lost, baseline, prefixes_lost,
        origins_affected, origins_unaffected, providers_lost, peers, collectors, flaps, dips, summary
        """
    /// What a stored event (same key) takes from a new version: everything but its identity
    /// (kind, series, family, start) and its row's id. SQL that SQLite and PostgreSQL share.
    public static let eventUpsert = """
        ON CONFLICT (key) DO UPDATE SET country = excluded.country, severity = excluded.severity,
        "end" = excluded."end", last_seen = excluded.last_seen, fraction_lost = excluded.fraction_lost,
        baseline = excluded.baseline, prefixes_lost = excluded.prefixes_lost,
        origins_affected = excluded.origins_affected, origins_unaffected = excluded.origins_unaffected,
        providers_lost = excluded.providers_lost, peers = excluded.peers, collectors = excluded.collectors,
        flaps = excluded.flaps, dips = excluded.dips, summary = excluded.summary
        """

    /// Lists are stored as tab-separated text (no value holds a tab).
    public static func join(_ items: [String]) -> String { items.joined(separator: "\t") }
    public static func split(_ text: String) -> [String] { text.isEmpty ? [] : text.split(separator: "\t").map(String.init) }

    /// A row of table `event`.
    public static func event(_ r: some StoreRowReading) throws -> Event {
        guard let kind = Event.Kind(rawValue: try r.text("kind")) else { throw r.error("kind", "unknown kind") }
        guard let severity = Event.Severity(rawValue: try r.text("severity")) else { throw r.error("severity", "unknown severity") }
        guard let family = Family(rawValue: try r.text("family")) else { throw r.error("family", "unknown family") }
        return Event(country: try r.country("country"), asn: try r.optionalASN("asn"), family: family, kind: kind, severity: severity,
                     start: try r.time("start"), end: try r.optionalTime("end"), lastSeen: try r.time("last_seen"),
                     fractionLost: try r.double("fraction_lost"), baseline: try r.double("baseline"),
                     prefixesLost: try split(r.text("prefixes_lost")).map { text in
                         guard let p = Prefix(text) else { throw r.error("prefixes_lost", "not a prefix: \(text)") }
                         return p
                     },
                     originsAffected: try r.asns("origins_affected"), originsUnaffected: try r.asns("origins_unaffected"),
                     providersLost: try r.asns("providers_lost"), peers: split(try r.text("peers")),
                     collectors: split(try r.text("collectors")), flaps: try r.count("flaps"),
                     dips: try r.count("dips"), summary: try r.text("summary"))
    }

    /// A row of table `bin`.
    public static func bin(_ r: some StoreRowReading) throws -> SeriesBin {
        SeriesBin(time: try r.time("time"), visiblePrefixes: try r.count("visible_prefixes"), space: try r.double("space"),
                  announcements: try r.count("announcements"), withdrawals: try r.count("withdrawals"),
                  pathChanges: try r.count("path_changes"), flaps: try r.count("flaps"),
                  unstablePrefixes: try r.count("unstable_prefixes"), fullFeedPeers: try r.count("full_feed_peers"),
                  peers: try r.count("peers"), collectors: try r.count("collectors"))
    }

    /// A row of table `census`.
    public static func census(_ r: some StoreRowReading) throws -> StoredCensus {
        guard let cc = try r.country("country") else { throw r.error("country", "NULL") }
        return StoredCensus(country: cc, time: try r.time("time"), prefixes: try r.count("prefixes"),
                            slash24s: try r.double("slash24s"), ipv6Prefixes: try r.count("ipv6_prefixes"),
                            origins: try r.count("origins"), providers: try r.count("providers"), risk: try r.text("risk"),
                            json: try r.text("json"))
    }

    /// A row of table `alert`.
    public static func delivery(_ r: some StoreRowReading) throws -> AlertDelivery {
        guard let change = AlertChange(rawValue: try r.text("change")) else { throw r.error("change", "unknown change") }
        return AlertDelivery(row: Int64(try r.int("id")), id: try r.text("delivery"), url: try r.text("url"),
                             eventKey: try r.text("event_key"), change: change, payload: try r.text("payload"),
                             created: try r.double("created"), attempts: try r.count("attempts"),
                             nextAttempt: try r.double("next_attempt"), delivered: try r.optionalDouble("delivered"),
                             gaveUp: try r.optionalDouble("gave_up"), lastError: try r.optionalText("last_error"))
    }

    /// A file row.
    public static func file(_ r: some StoreRowReading) throws -> IngestedFile {
        IngestedFile(contentHash: try r.text("content_hash"), path: try r.text("path"), collector: try r.text("collector"),
                     elements: try r.count("elements"), damagedRecords: try r.count("damaged_records"))
    }

    /// The severity and loss an alert is decided on, from an `event` or `alert` row.
    public static func alertBasis(_ r: some StoreRowReading, closed: Bool) throws -> AlertBasis {
        guard let severity = Event.Severity(rawValue: try r.text("severity")) else { throw r.error("severity", "unknown severity") }
        return AlertBasis(severity: severity, fractionLost: try r.double("fraction_lost"), closed: closed)
    }

    /// The totals row (`StoreTotals`), its columns named as the stores' totals queries name them.
    public static func totals(_ r: some StoreRowReading) throws -> StoreTotals {
        StoreTotals(files: try r.count("files"), elements: try r.count("elements"), events: try r.count("events"),
                    openEvents: try r.count("open_events"), censusCountries: try r.count("countries"),
                    censusTime: try r.optionalTime("census_time"), checkpointTime: try r.optionalTime("checkpoint_time"),
                    stateBytes: try r.count("state_bytes"), routes: try r.optionalInt("routes"))
    }
}
