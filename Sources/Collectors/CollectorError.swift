/// What went wrong finding or fetching public data; every case names the collector, URL or file.
public enum CollectorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No collector of either project has this name.
    case unknownCollector(String)
    /// The collector's archive does not cover the requested time.
    case notArchived(collector: String, span: String)
    /// `--from` is after `--to`.
    case timesOutOfOrder(from: String, to: String)
    /// No archive file was found for the request (every one missing).
    case noFiles(String)
    /// No RIB dump at or before the start, looking back `lookback`.
    case noRIB(collector: String, before: String, lookback: String)
    /// A download failed for good (after its retries).
    case download(url: String, reason: String)
    /// What the server sent is not what the URL names (an HTML page, a file that is not MRT).
    case notAnArchive(url: String, reason: String)
    /// A local file or directory could not be read or written.
    case file(path: String, reason: String)
    /// A base URL that is not http(s).
    case badURL(String)

    public var description: String {
        switch self {
        case .unknownCollector(let name):
            let known = CollectorCatalog.all.map(\.name).joined(separator: ", ")
            return "unknown collector '\(name)'; the collectors are: \(known)"
        case .notArchived(let c, let span): return "\(c) has no archive for that time (it covers \(span))"
        case .timesOutOfOrder(let from, let to): return "--from \(from) is after --to \(to)"
        case .noFiles(let what): return "no archive files found: \(what)"
        case .noRIB(let c, let before, let lookback):
            return "\(c): no RIB dump at or before \(before) (looked back \(lookback)); without one no peer's table is known"
        case .download(let url, let reason): return "\(url): \(reason)"
        case .notAnArchive(let url, let reason): return "\(url): \(reason)"
        case .file(let path, let reason): return "\(path): \(reason)"
        case .badURL(let url): return "\(url): not an http:// or https:// URL"
        }
    }
}
