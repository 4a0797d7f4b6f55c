import Foundation
import Outages
import PostgresNIO
import Store

/// Webhook deliveries in table `alert` (as `SQLiteStore+Alerts.swift`): queued by `save` in
/// its transaction, one row per change of an event per URL, unique by (url, delivery id).
extension PostgresStore {
    /// Queues the deliveries `AlertRule` finds for `e` against its stored version (inside the
    /// save's transaction, before the event row is replaced).
    func queueAlerts(for e: Event, plan: WebhookPlan, in s: PostgresSession) throws {
        guard !plan.urls.isEmpty, plan.accepts(e) else { return }
        let stored = try s.query(#"SELECT severity, fraction_lost, "end" IS NOT NULL AS closed FROM event WHERE key = \#(e.key)"#)
            .first.map { row in
                let r = reader(row, "event", key: e.key)
                return try StoredRows.alertBasis(r, closed: (try? row.makeRandomAccess()["closed"].decode(Bool.self)) ?? false)
            }
        let alerted = try s.query("""
            SELECT severity, fraction_lost FROM alert WHERE event_key = \(e.key) AND change != 'closed' ORDER BY id DESC LIMIT 1
            """).first.map { row in try StoredRows.alertBasis(reader(row, "alert", key: e.key), closed: false) }
        let changes = AlertRule.changes(stored: stored, alerted: alerted, new: e)
        let now = Date().timeIntervalSince1970
        for change in changes {
            let id = AlertRule.deliveryID(e, change)
            let payload = plan.payload(e, change, id: id)
            for url in plan.urls {
                try s.query("""
                    INSERT INTO alert (delivery, url, event_key, change, severity, fraction_lost, payload, created, next_attempt)
                    VALUES (\(id), \(url), \(e.key), \(change.rawValue), \(e.severity.rawValue), \(e.fractionLost), \(payload), \(now), \(now))
                    ON CONFLICT (url, delivery) DO NOTHING
                    """)
            }
        }
    }

    public func retryAlerts(now: UInt32) throws -> Int {
        try with { s in
            try s.changes("UPDATE alert SET next_attempt = \(Double(now)), gave_up = NULL WHERE delivered IS NULL")
        }
    }

    public func alertCounts() throws -> (pending: Int, delivered: Int, failing: Int) {
        try with { s in
            guard let row = try s.execute("""
                SELECT COUNT(*) FILTER (WHERE delivered IS NULL AND attempts = 0) AS pending,
                       COUNT(*) FILTER (WHERE delivered IS NOT NULL) AS delivered,
                       COUNT(*) FILTER (WHERE delivered IS NULL AND attempts > 0) AS failing FROM alert
                """).first else { return (0, 0, 0) }
            let r = reader(row, "alert")
            return (try r.count("pending"), try r.count("delivered"), try r.count("failing"))
        }
    }

    /// Undelivered, not given up, and the oldest such of their event and URL (see SQLiteStore's).
    private static let sendable = """
        delivered IS NULL AND gave_up IS NULL AND NOT EXISTS (SELECT 1 FROM alert AS before WHERE
          before.event_key = alert.event_key AND before.url = alert.url AND before.id < alert.id
          AND before.delivered IS NULL AND before.gave_up IS NULL)
        """

    public func dueAlerts(now: Double, limit: Int) throws -> [AlertDelivery] {
        try with { s in
            var sql = SQL("SELECT * FROM alert WHERE \(Self.sendable) AND next_attempt <= ")
            sql.text += try sql.bind(now) + " ORDER BY next_attempt, id LIMIT " + (try sql.bind(Int64(max(0, limit))))
            return try s.query(sql.query).map { try StoredRows.delivery(reader($0, "alert")) }
        }
    }

    public func nextAlertTime() throws -> Double? {
        try with { s in
            try s.execute("SELECT MIN(next_attempt) AS t FROM alert WHERE \(Self.sendable)").first
                .flatMap { try reader($0, "alert").optionalDouble("t") }
        }
    }

    public func undeliveredAlerts() throws -> Int {
        try with { s in
            try s.execute("SELECT COUNT(*) AS n FROM alert WHERE delivered IS NULL AND gave_up IS NULL").first
                .map { try reader($0, "alert").count("n") } ?? 0
        }
    }

    public func markAlertDelivered(row: Int64, at time: Double) throws {
        try with { s in _ = try s.query("UPDATE alert SET delivered = \(time), attempts = attempts + 1 WHERE id = \(row)") }
    }

    public func markAlertFailed(row: Int64, at time: Double, error: String, retryAt: Double?) throws {
        try with { s in
            _ = try s.query("""
                UPDATE alert SET attempts = attempts + 1, last_error = \(error), next_attempt = COALESCE(\(retryAt), next_attempt),
                gave_up = CASE WHEN \(retryAt)::float8 IS NULL THEN \(time) END WHERE id = \(row)
                """)
        }
    }

    public func alertDeliveries(limit: Int) throws -> [AlertDelivery] {
        try with { s in
            try s.query("SELECT * FROM alert ORDER BY id DESC LIMIT \(Int64(max(0, limit)))").map { try StoredRows.delivery(reader($0, "alert")) }
        }
    }
}
