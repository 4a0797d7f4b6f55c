import Foundation
import Hummingbird
import MRT
import Outages
import Pipeline
import Registry
import Store

/// A request's query string, read with checks: every malformed value is a 400 naming the
/// parameter, the value and what was expected; a parameter given twice is refused rather
/// than one of its values picked.
struct QueryParameters {
    let values: [String: [String]]

    init(_ request: Request) {
        var values: [String: [String]] = [:]
        for (k, v) in request.uri.queryParameters { values[String(k), default: []].append(String(v)) }
        self.values = values
    }

    func string(_ name: String) throws -> String? {
        guard let all = values[name] else { return nil }
        guard all.count == 1 else { throw APIError.badRequest("parameter \(name) is given \(all.count) times; give it once") }
        return all[0]
    }

    /// A time: ISO 8601 (`2014-12-22T16:15:00Z`) or Unix seconds.
    func time(_ name: String) throws -> UInt32? {
        guard let text = try string(name) else { return nil }
        guard let t = TimeText.parse(text) else {
            throw APIError.badRequest("\(name)=\(text) is not a time: expected ISO 8601 (2014-12-22T16:15:00Z) or Unix seconds up to 4294967295")
        }
        return t
    }

    func country(_ name: String, store: APIStore) throws -> CountryCode? {
        try string(name).map { try Self.country($0, parameter: name, store: store) }
    }

    func asn(_ name: String) throws -> UInt32? { try string(name).map { try Self.asn($0, parameter: name) } }

    func kind() throws -> Event.Kind? {
        try string("kind").map { text in
            guard let k = Event.Kind(rawValue: text) else { throw APIError.badRequest("kind=\(text): expected outage or instability") }
            return k
        }
    }

    func family() throws -> Family? {
        try string("family").map { text in
            guard let f = Family(rawValue: text) else { throw APIError.badRequest("family=\(text): expected ipv4 or ipv6") }
            return f
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        try string(name).map { text in
            guard let n = Int(text), range.contains(n) else {
                throw APIError.badRequest("\(name)=\(text): expected a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return n
        }
    }

    /// `from` and `to` when both are given: `from` must come first.
    func period() throws -> (from: UInt32?, to: UInt32?) {
        let from = try time("from"), to = try time("to")
        if let from, let to, from >= to {
            throw APIError.badRequest("from (\(EventRendering.iso(from))) is not before to (\(EventRendering.iso(to))): the range is reversed or empty")
        }
        return (from, to)
    }

    /// A country code as a client writes it: two letters (either case). A code ISO 3166-1
    /// does not assign and the store holds nothing about (`XX`) is a 400; an assigned one
    /// without data is the routes' 404.
    static func country(_ text: String, parameter: String, store: APIStore) throws -> CountryCode {
        let upper = text.uppercased()
        guard upper.count == 2, upper.unicodeScalars.allSatisfy({ $0.value >= 65 && $0.value <= 90 }), let cc = CountryCode(upper) else {
            throw APIError.badRequest("\(parameter) '\(text)' is not a country code: expected two letters (ISO 3166-1 alpha-2) such as KP")
        }
        if CountryNames.names[upper] == nil, try !store.store.hasSeries(.country(cc)) {
            throw APIError.badRequest("\(parameter) '\(text)': unknown country code (not assigned by ISO 3166-1, and no data stored for it)")
        }
        return cc
    }

    /// An AS number: 1...4294967295, written `131279` or `AS131279`.
    static func asn(_ text: String, parameter: String) throws -> UInt32 {
        var digits = Substring(text)
        if digits.uppercased().hasPrefix("AS") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let n = UInt32(digits), n > 0 else {
            throw APIError.badRequest("\(parameter) '\(text)' is not an AS number: expected 1...4294967295 (such as 131279 or AS131279)")
        }
        return n
    }
}

/// The bin widths a timeline is drawn at: the stored 5 minutes, or merged into hours or days.
enum TimelineBin: String, CaseIterable {
    case fiveMinutes = "5m", hour = "1h", day = "1d"

    var seconds: UInt32 {
        switch self {
        case .fiveMinutes: 300
        case .hour: 3600
        case .day: 86_400
        }
    }

    /// `5m`, `1h`, `1d`, or the same in seconds.
    static func parse(_ text: String) throws -> TimelineBin {
        if let b = TimelineBin(rawValue: text) ?? allCases.first(where: { String($0.seconds) == text }) { return b }
        throw APIError.badRequest("bin=\(text): expected 5m, 1h or 1d (or 300, 3600, 86400 seconds)")
    }
}
