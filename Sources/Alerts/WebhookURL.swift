/// A webhook's URL, as `--webhook` and the configuration file give it: http or https, with a host.
public enum WebhookURL {
    /// Why `url` cannot be a webhook, or nil when it can.
    public static func problem(_ url: String) -> String? {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            return "'\(url)' is not an http:// or https:// URL"
        }
        let rest = url.drop { $0 != "/" }.dropFirst(2)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        if host.isEmpty || host.hasPrefix(":") { return "'\(url)' has no host" }
        if url.contains(where: { $0 == " " || $0.isNewline }) { return "'\(url)' contains spaces" }
        return nil
    }
}
