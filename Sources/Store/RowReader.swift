import Foundation
import GRDB

/// Reads one row's columns with checks: a NULL, negative or out-of-range value is an error
/// naming the table, the row and the column, never a trap.
struct RowReader {
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
    func text(_ column: String) throws -> String {
        guard let s = try optionalText(column) else { throw error(column, "NULL") }
        return s
    }
    func optionalInt(_ column: String) throws -> Int? {
        let v = value(column)
        if v.isNull { return nil }
        guard case .int64(let i) = v.storage else { throw error(column, "not an integer") }
        return Int(i)
    }
    func int(_ column: String) throws -> Int {
        guard let i = try optionalInt(column) else { throw error(column, "NULL") }
        return i
    }
    func count(_ column: String) throws -> Int {
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
    func optionalTime(_ column: String) throws -> UInt32? { try optionalUInt32(column, "time") }
    func time(_ column: String) throws -> UInt32 {
        guard let t = try optionalTime(column) else { throw error(column, "NULL") }
        return t
    }
    func optionalASN(_ column: String) throws -> UInt32? { try optionalUInt32(column, "AS number") }
    func double(_ column: String) throws -> Double {
        let v = value(column)
        switch v.storage {
        case .double(let d) where d.isFinite: return d
        case .int64(let i): return Double(i)
        case .null: throw error(column, "NULL")
        default: throw error(column, "not a finite number")
        }
    }
    func blob(_ column: String) throws -> Data {
        guard case .blob(let d) = value(column).storage else { throw error(column, "not a blob") }
        return d
    }
    func asns(_ column: String) throws -> [UInt32] {
        try SQLiteStore.unlist(text(column)).map { text in
            guard let a = UInt32(text) else { throw error(column, "not an AS number: \(text)") }
            return a
        }
    }
}
