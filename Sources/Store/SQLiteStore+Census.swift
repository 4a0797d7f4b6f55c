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
        try StoredRows.census(RowReader(row: row, table: "census", id: -1, path: path, key: row["country"] as String? ?? "?"))
    }
}
