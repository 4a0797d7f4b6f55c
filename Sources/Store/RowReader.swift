import Foundation
import GRDB

/// Reads one SQLite row's columns with checks: a NULL, negative or out-of-range value is an
/// error naming the table, the row and the column, never a trap (see `StoreRowReading`).
struct RowReader: StoreRowReading {
    let row: Row
    let table: String
    let id: Int
    let path: String
    var key: String? = nil

    func error(_ column: String, _ message: String) -> StoreError {
        StoreError(path: path, "table \(table), row \(key ?? String(id)): column \(column): \(message)")
    }

    private func value(_ column: String) -> DatabaseValue { row[column] as DatabaseValue? ?? .null }

    func optionalText(_ column: String) throws -> String? {
        let v = value(column)
        if v.isNull { return nil }
        guard let s = String.fromDatabaseValue(v) else { throw error(column, "not text") }
        return s
    }
    func optionalInt(_ column: String) throws -> Int? {
        let v = value(column)
        if v.isNull { return nil }
        guard case .int64(let i) = v.storage else { throw error(column, "not an integer") }
        return Int(i)
    }
    func optionalDouble(_ column: String) throws -> Double? {
        switch value(column).storage {
        case .double(let d) where d.isFinite: return d
        case .int64(let i): return Double(i)
        case .null: return nil
        default: throw error(column, "not a finite number")
        }
    }
    func blob(_ column: String) throws -> Data {
        guard case .blob(let d) = value(column).storage else { throw error(column, "not a blob") }
        return d
    }
}
