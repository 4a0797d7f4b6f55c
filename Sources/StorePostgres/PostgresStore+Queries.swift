import Outages
import PostgresNIO
import Registry
import Store

/// The reads the HTTP API needs (as `SQLiteStore+Queries.swift`).
extension PostgresStore {
    public func events(_ q: EventQuery, after cursor: EventCursor?, limit: Int) throws -> [StoredEvent] {
        var sql = SQL("SELECT * FROM event")
        var conditions = try sql.conditions(q)
        if let c = cursor {
            let start = try sql.bind(Int64(c.start)), id = try sql.bind(c.id)
            conditions.append("(start < \(start) OR (start = \(start) AND id < \(id)))")
        }
        sql.add(where: conditions)
        sql.text += " ORDER BY start DESC, id DESC LIMIT " + (try sql.bind(Int64(max(0, limit))))
        return try with { s in
            try s.query(sql.query).map { row in
                let r = reader(row, "event")
                return StoredEvent(id: Int64(try r.int("id")), event: try StoredRows.event(r))
            }
        }
    }

    public func openEventCounts() throws -> [CountryCode: Int] {
        try with { s in
            var counts: [CountryCode: Int] = [:]
            for row in try s.execute(#"SELECT country, COUNT(*) AS n FROM event WHERE "end" IS NULL AND country IS NOT NULL GROUP BY country"#) {
                let r = reader(row, "event")
                guard let cc = try r.country("country") else { throw r.error("country", "NULL") }
                counts[cc] = try r.count("n")
            }
            return counts
        }
    }

    public func latestBinTime(_ id: SeriesID) throws -> UInt32? {
        try with { s in
            guard let row = try s.query("SELECT MAX(time) AS t FROM bin WHERE series = \(id.subject.description) AND family = \(id.family.rawValue)").first
            else { return nil }
            return try reader(row, "bin").optionalTime("t")
        }
    }

    public func totals() throws -> StoreTotals {
        try with { s in
            guard let row = try s.execute("""
                SELECT (SELECT COUNT(*) FROM file) AS files, (SELECT COALESCE(SUM(elements), 0)::bigint FROM file) AS elements,
                  (SELECT COUNT(*) FROM event) AS events, (SELECT COUNT(*) FROM event WHERE "end" IS NULL) AS open_events,
                  (SELECT MAX(time) FROM census) AS census_time, (SELECT time FROM checkpoint WHERE id = 1) AS checkpoint_time,
                  (SELECT COALESCE(SUM(octet_length(bytes)), 0)::bigint FROM checkpoint_piece) AS state_bytes,
                  (SELECT routes FROM checkpoint WHERE id = 1) AS routes,
                  (SELECT COUNT(*) FROM census) AS countries
                """).first else { throw StoreError(path: location.description, "cannot read the totals") }
            return try StoredRows.totals(reader(row, "file, event, census, checkpoint"))
        }
    }

    /// The count of commits by saves and clears (table `commit_count`): it changes whenever
    /// one commits, whichever machine made it.
    public func generation() throws -> Int {
        try with { s in
            guard let row = try s.execute("SELECT n FROM commit_count WHERE id = 1").first else { return 0 }
            return try reader(row, "commit_count").int("n")
        }
    }
}
