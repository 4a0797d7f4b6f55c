import Foundation
import Outages
import StorePostgres

/// `blackout queue status`, as text and as JSON (field names are a contract, README "Many machines").
public enum QueueRendering {
    static func counts(_ s: QueueStatus) -> [(String, Int)] { WorkTask.State.allCases.map { ($0.rawValue, s.tasks[$0] ?? 0) } }

    public static func json(_ s: QueueStatus) -> String {
        let q = EventRendering.string
        var out = "{\"tasks\":{" + counts(s).map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        out += ",\"expired_leases\":\(s.expired),\"elements_done\":\(s.elementsDone)"
        out += ",\"elements_per_second\":\(String(format: "%.1f", s.elementsPerSecond)),\"workers\":["
        out += s.workers.map { w in
            "{\"name\":\(q(w.name)),\"host\":\(q(w.host)),\"task\":\(w.task.map(String.init) ?? "null"),"
                + "\"tasks_done\":\(w.tasksDone),\"elements\":\(w.elements),\"seconds_since_seen\":\(String(format: "%.1f", w.secondsSinceSeen))}"
        }.joined(separator: ",") + "],\"failed\":["
        out += s.failures.map { "{\"id\":\($0.id),\"collector\":\(q($0.collector)),\"start\":\($0.start),\"error\":\(q($0.error))}" }
            .joined(separator: ",") + "]}\n"
        return out
    }

    public static func text(_ s: QueueStatus) -> String {
        var out = "tasks: " + counts(s).map { "\($0.1) \($0.0)" }.joined(separator: ", ")
            + (s.expired > 0 ? " (\(s.expired) with an expired lease)" : "") + "\n"
        out += "elements: \(s.elementsDone) read; \(Int(s.elementsPerSecond)) per second over the last minute\n"
        for w in s.workers {
            out += "worker \(w.name) on \(w.host): \(w.tasksDone) tasks, \(w.elements) elements; "
                + (w.task.map { "on task \($0)" } ?? "idle") + ", seen \(Int(w.secondsSinceSeen)) s ago\n"
        }
        for f in s.failures { out += "failed task \(f.id) (\(f.collector) \(utcMinute(f.start))): \(f.error)\n" }
        return out
    }
}
