import Foundation

/// Parses a point in time given as Unix seconds or ISO 8601 (`2014-12-22`,
/// `2014-12-22T16:15`, `2014-12-22T16:15:00Z`, `2014-12-22 16:15:00+09:00`). Times
/// without a zone are UTC.
enum TimeArgument {
    static func parse(_ text: String) -> UInt32? {
        if let v = UInt32(text) { return v }
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.count == 10 { s += "T00:00:00Z" }
        s = s.replacingOccurrences(of: " ", with: "T")
        if s.count == 16 { s += ":00" }  // YYYY-MM-DDTHH:MM
        let hasZone = s.hasSuffix("Z") || s.dropFirst(19).contains("+") || s.dropFirst(19).contains("-")
        if !hasZone { s += "Z" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return UInt32(exactly: d.timeIntervalSince1970.rounded(.down)) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return UInt32(exactly: d.timeIntervalSince1970.rounded(.down)) }
        return nil
    }
}
