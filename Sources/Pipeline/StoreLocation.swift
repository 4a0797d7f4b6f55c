import Store
import StorePostgres

/// The one place a `--db` value becomes a store: a `postgres://` (or `postgresql://`) URL
/// selects PostgreSQL (`PostgresStore`), anything else is the path of a SQLite file
/// (`SQLiteStore`). The commands, the server and the workers all open stores here.
public enum StoreLocation {
    /// The default: the embedded database (`SQLiteStore.defaultPath`).
    public static var defaultLocation: String { SQLiteStore.defaultPath }

    /// Whether `location` is a PostgreSQL URL.
    public static func isPostgres(_ location: String) -> Bool { PostgresLocation.isPostgres(location) }

    /// Opens the store at `location` for reading and writing, creating or migrating it.
    /// - Parameter reconnectFor: for PostgreSQL, seconds to keep trying to reach the server.
    public static func open(_ location: String, reconnectFor: Double = 5) throws -> any Store {
        if isPostgres(location) { return try PostgresStore(location, reconnectFor: reconnectFor) }
        return try SQLiteStore(path: location)
    }

    /// Opens an existing store for a reader that runs while others write (`blackout serve`):
    /// SQLite's read-only pool (`SQLiteStore.init(readingAt:)`), or a pool of PostgreSQL
    /// connections (more than a writer's: the server reads on several threads at once).
    public static func openForReading(_ location: String) throws -> any Store {
        if isPostgres(location) { return try PostgresStore(location, connections: 8) }
        return try SQLiteStore(readingAt: location)
    }

    /// `location` as messages show it: a URL without its password.
    public static func display(_ location: String) -> String {
        guard isPostgres(location) else { return location }
        return (try? PostgresLocation(location, environment: [:]).description) ?? location
    }
}
