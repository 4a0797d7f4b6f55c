import NIOCore
import PostgresNIO
import Store

/// Reads one PostgreSQL row's columns with checks (see `StoreRowReading`).
struct PostgresRowReader: StoreRowReading {
    let row: PostgresRandomAccessRow
    let table: String
    let key: String
    let location: PostgresLocation

    init(_ row: PostgresRow, table: String, key: String = "?", location: PostgresLocation) {
        self.row = row.makeRandomAccess()
        self.table = table
        self.key = key
        self.location = location
    }

    func error(_ column: String, _ message: String) -> StoreError {
        StoreError(path: location.description, "table \(table), row \(key): column \(column): \(message)")
    }

    private func decode<T: PostgresDecodable>(_ column: String, _ type: T.Type) throws -> T? where T._DecodableType == T {
        guard row.contains(column) else { throw error(column, "missing") }
        do { return try row[column].decode(T?.self) } catch { throw self.error(column, "not a \(T.self)") }
    }

    func optionalText(_ column: String) throws -> String? { try decode(column, String.self) }
    func optionalInt(_ column: String) throws -> Int? { try decode(column, Int64.self).map { Int($0) } }
    func optionalDouble(_ column: String) throws -> Double? {
        guard let d = try decode(column, Double.self) else { return nil }
        guard d.isFinite else { throw error(column, "not a finite number") }
        return d
    }
    func bytes(_ column: String) throws -> [UInt8] {
        guard let b = try decode(column, ByteBuffer.self) else { throw error(column, "NULL") }
        return Array(b.readableBytesView)
    }
}
