import Foundation

/// The configuration file: a JSON object (RFC 8259) with
///
/// - `webhooks`: URLs every command that detects events (ingest, watch, live) POSTs each
///   event's opening, deepening and closing to, besides those given with `--webhook`;
/// - `api_token`: the bearer token (RFC 6750) `blackout serve` requires for anything that
///   changes state.
///
/// Both are optional. Another key is an error (a misspelt `webhook` would otherwise be
/// silently ignored). Read from `--config PATH`, else `$XDG_CONFIG_HOME/blackout/config.json`,
/// else `~/.config/blackout/config.json`.
///
/// ```json
/// {"webhooks": ["https://alerts.example.net/blackout"], "api_token": "s3cret"}
/// ```
public struct BlackoutConfiguration: Decodable, Sendable, Equatable {
    public var webhooks: [String]
    public var apiToken: String?

    public init(webhooks: [String] = [], apiToken: String? = nil) {
        self.webhooks = webhooks
        self.apiToken = apiToken
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case webhooks
        case apiToken = "api_token"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        webhooks = try c.decodeIfPresent([String].self, forKey: .webhooks) ?? []
        apiToken = try c.decodeIfPresent(String.self, forKey: .apiToken)
    }

    /// `$XDG_CONFIG_HOME/blackout/config.json`, else `~/.config/blackout/config.json`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/blackout/config.json" }
        return (env["HOME"] ?? "/tmp") + "/.config/blackout/config.json"
    }

    /// Reads the file at `path`, or the default file when nil. A missing default file is an
    /// empty configuration; a missing explicit file, or one that is not such a JSON object, is
    /// an error naming the file.
    public static func load(path: String?) throws(ConfigurationError) -> BlackoutConfiguration {
        let file = path ?? defaultPath
        guard FileManager.default.fileExists(atPath: file) else {
            if path == nil { return BlackoutConfiguration() }
            throw ConfigurationError(path: file, "no such file")
        }
        guard let data = FileManager.default.contents(atPath: file) else { throw ConfigurationError(path: file, "cannot be read") }
        return try parse(data, path: file)
    }

    /// The configuration in `data` (read from `path`, which errors name).
    public static func parse(_ data: Data, path: String) throws(ConfigurationError) -> BlackoutConfiguration {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ConfigurationError(path: path, "not JSON (\(describe(error)))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw ConfigurationError(path: path, "not a JSON object (expected {\"webhooks\": [...], \"api_token\": \"...\"})")
        }
        let known = CodingKeys.allCases.map(\.rawValue)
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(path: path, "unknown key '\(unknown)' (known: \(known.joined(separator: ", ")))")
        }
        if let w = dictionary["webhooks"], !(w is NSNull), !(w is [String]) {
            throw ConfigurationError(path: path, "webhooks: expected an array of URL strings")
        }
        if let t = dictionary["api_token"], !(t is NSNull), !(t is String) {
            throw ConfigurationError(path: path, "api_token: expected a string")
        }
        do { return try JSONDecoder().decode(BlackoutConfiguration.self, from: data) } catch {
            throw ConfigurationError(path: path, describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
    }
}

/// A configuration file that cannot be used, and why.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
