import GRDB
import Registry

extension SQLiteStore {
    /// Replaces the stored census with `rows` (inside the save's transaction).
    static func replaceCensus(_ rows: [StoredCensus], in db: Database) throws {
        try db.execute(sql: "DELETE FROM census")
        let insert = try db.makeStatement(sql: "INSERT INTO census VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for c in rows {
            try insert.execute(arguments: [c.country.description, Int(c.time), c.prefixes, c.slash24s, c.ipv6Prefixes,
                                           c.origins, c.providers, c.risk, c.json])
        }
    }

    public func censuses() throws -> [StoredCensus] {
        try wrap { try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM census ORDER BY country").map(census) } }
    }

    public func census(_ country: CountryCode) throws -> StoredCensus? {
        try wrap {
            try queue.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM census WHERE country = ?", arguments: [country.description]).map(census)
            }
        }
    }

    private func census(_ row: Row) throws -> StoredCensus {
        let r = RowReader(row: row, table: "census", id: -1, path: path, key: row["country"] as String? ?? "?")
        let text = try r.text("country")
        guard let cc = CountryCode(text) else { throw r.error("country", "not a country code: \(text)") }
        return StoredCensus(country: cc, time: try r.time("time"), prefixes: try r.count("prefixes"),
                            slash24s: try r.double("slash24s"), ipv6Prefixes: try r.count("ipv6_prefixes"),
                            origins: try r.count("origins"), providers: try r.count("providers"), risk: try r.text("risk"),
                            json: try r.text("json"))
    }
}
