import GRDB
import GRDBSQLite
import Outages

/// Inserts bins through one prepared statement, binding values straight to SQLite: a
/// replay stores hundreds of rows per bin, and going through `StatementArguments` (an array
/// of `DatabaseValue` per row) cost several times what SQLite itself spends on the insert.
struct BinInserter {
    private let statement: Statement

    init(_ db: Database) throws {
        statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO bin VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    }

    func insert(_ id: SeriesID, _ b: SeriesBin) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        // A series' name, `KP` or `AS131279`, and its family, bound as copies (SQLITE_TRANSIENT).
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        var name = id.subject.description
        name.withUTF8 { u in _ = sqlite3_bind_text(s, 1, UnsafeRawPointer(u.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(u.count), transient) }
        var family = id.family.rawValue
        family.withUTF8 { u in _ = sqlite3_bind_text(s, 2, UnsafeRawPointer(u.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(u.count), transient) }
        sqlite3_bind_int64(s, 3, Int64(b.time))
        sqlite3_bind_int64(s, 4, Int64(b.visiblePrefixes))
        sqlite3_bind_double(s, 5, b.space)
        sqlite3_bind_int64(s, 6, Int64(b.announcements))
        sqlite3_bind_int64(s, 7, Int64(b.withdrawals))
        sqlite3_bind_int64(s, 8, Int64(b.pathChanges))
        sqlite3_bind_int64(s, 9, Int64(b.flaps))
        sqlite3_bind_int64(s, 10, Int64(b.unstablePrefixes))
        sqlite3_bind_int64(s, 11, Int64(b.fullFeedPeers))
        sqlite3_bind_int64(s, 12, Int64(b.peers))
        sqlite3_bind_int64(s, 13, Int64(b.collectors))
        let rc = sqlite3_step(s)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(s))),
                                sql: "INSERT OR REPLACE INTO bin")
        }
    }
}
