import Foundation
import GRDB
import Outages

/// Webhook deliveries in the `alert` table (migration v5).
///
/// A delivery is queued by `save`, in the transaction that stores its event, so that an
/// ingest killed before its commit queues nothing and one that commits loses nothing. Each
/// row is one change of one event for one URL, unique by (url, delivery id): a change found
/// again (the same files replayed `--from-scratch`) is not queued twice. The table is not
/// emptied by `clear()`: it records what receivers were told.
extension SQLiteStore {
    /// Queues the deliveries `AlertRule` finds for `e` against its stored version (inside the
    /// save's transaction, before the event row is replaced).
    static func queueAlerts(for e: Event, plan: WebhookPlan, in db: Database, path: String) throws {
        guard !plan.urls.isEmpty, plan.accepts(e) else { return }
        let stored = try Row.fetchOne(db, sql: #"SELECT severity, fraction_lost, "end" FROM event WHERE key = ?"#, arguments: [e.key])
            .map { row in try basis(row, closed: !(row["end"] as DatabaseValue).isNull, table: "event", key: e.key, path: path) }
        let alerted = try Row.fetchOne(db, sql: """
            SELECT severity, fraction_lost FROM alert WHERE event_key = ? AND change != 'closed' ORDER BY id DESC LIMIT 1
            """, arguments: [e.key]).map { row in try basis(row, closed: false, table: "alert", key: e.key, path: path) }
        let changes = AlertRule.changes(stored: stored, alerted: alerted, new: e)
        guard !changes.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO alert (delivery, url, event_key, change, severity, fraction_lost, payload, created, next_attempt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for change in changes {
            let id = AlertRule.deliveryID(e, change)
            let payload = plan.payload(e, change, id: id)
            for url in plan.urls {
                try insert.execute(arguments: [id, url, e.key, change.rawValue, e.severity.rawValue, e.fractionLost, payload, now, now])
            }
        }
    }

    private static func basis(_ row: Row, closed: Bool, table: String, key: String, path: String) throws -> AlertBasis {
        try StoredRows.alertBasis(RowReader(row: row, table: table, id: -1, path: path, key: key), closed: closed)
    }

    public func retryAlerts(now: UInt32) throws -> Int {
        try wrap {
            try queue.write { db in
                try db.execute(sql: "UPDATE alert SET next_attempt = ?, gave_up = NULL WHERE delivered IS NULL", arguments: [Double(now)])
                return db.changesCount
            }
        }
    }

    public func alertCounts() throws -> (pending: Int, delivered: Int, failing: Int) {
        try wrap {
            try queue.read { db in
                let row = try Row.fetchOne(db, sql: """
                    SELECT COALESCE(SUM(delivered IS NULL AND attempts = 0), 0) AS pending,
                           COALESCE(SUM(delivered IS NOT NULL), 0) AS delivered,
                           COALESCE(SUM(delivered IS NULL AND attempts > 0), 0) AS failing FROM alert
                    """)
                return ((row?["pending"] as Int?) ?? 0, (row?["delivered"] as Int?) ?? 0, (row?["failing"] as Int?) ?? 0)
            }
        }
    }

    /// The deliveries that may be sent: undelivered, not given up, and the oldest such of
    /// their event and URL, so that a receiver is told of an event's changes in order (never
    /// `closed` before `opened`).
    private static let sendable = """
        delivered IS NULL AND gave_up IS NULL AND NOT EXISTS (SELECT 1 FROM alert AS before WHERE
          before.event_key = alert.event_key AND before.url = alert.url AND before.id < alert.id
          AND before.delivered IS NULL AND before.gave_up IS NULL)
        """

    public func dueAlerts(now: Double, limit: Int) throws -> [AlertDelivery] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM alert WHERE \(Self.sendable) AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?",
                                 arguments: [now, limit]).map(delivery)
            }
        }
    }

    public func nextAlertTime() throws -> Double? {
        try wrap {
            try queue.read { db in try Double.fetchOne(db, sql: "SELECT MIN(next_attempt) FROM alert WHERE \(Self.sendable)") }
        }
    }

    /// Undelivered deliveries not given up (those waiting for an older one of their event included).
    public func undeliveredAlerts() throws -> Int {
        try wrap {
            try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert WHERE delivered IS NULL AND gave_up IS NULL") ?? 0
            }
        }
    }

    public func markAlertDelivered(row: Int64, at time: Double) throws {
        try wrap {
            try queue.write { db in
                try db.execute(sql: "UPDATE alert SET delivered = ?, attempts = attempts + 1 WHERE id = ?", arguments: [time, row])
            }
        }
    }

    public func markAlertFailed(row: Int64, at time: Double, error: String, retryAt: Double?) throws {
        try wrap {
            try queue.write { db in
                try db.execute(sql: """
                    UPDATE alert SET attempts = attempts + 1, last_error = ?, next_attempt = COALESCE(?, next_attempt),
                    gave_up = CASE WHEN ? IS NULL THEN ? END WHERE id = ?
                    """, arguments: [error, retryAt, retryAt, time, row])
            }
        }
    }

    public func alertDeliveries(limit: Int) throws -> [AlertDelivery] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM alert ORDER BY id DESC LIMIT ?", arguments: [limit]).map(delivery)
            }
        }
    }

    private func delivery(_ row: Row) throws -> AlertDelivery {
        try StoredRows.delivery(RowReader(row: row, table: "alert", id: row["id"] as Int? ?? -1, path: path))
    }
}
