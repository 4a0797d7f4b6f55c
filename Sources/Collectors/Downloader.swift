import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// How downloads behave. The defaults suit the public archives: a few transfers at once
/// (the projects ask for restraint), a server that says nothing for 30 s is given up on and
/// asked again, and a failure is retried with doubling pauses before it counts.
public struct DownloadOptions: Sendable {
    /// Transfers at once.
    public var concurrency = 4
    /// Seconds to open a connection.
    public var connectTimeout: Double = 10
    /// Seconds to wait for the response's head, and then for each piece of its body: a
    /// server that stops sending is abandoned (and asked again, from where it stopped).
    public var readTimeout: Double = 30
    /// Tries per file, the first included.
    public var attempts = 4
    /// Seconds before the second try; each next pause doubles, up to `maximumBackoff`.
    public var backoff: Double = 1
    public var maximumBackoff: Double = 60

    public init() {}
}

/// What one download came to.
public enum DownloadOutcome: Sendable, Equatable {
    /// Transferred now (`bytes` in the file; `resumedFrom` bytes were there from an earlier try).
    case downloaded(bytes: Int, resumedFrom: Int)
    /// Already there, whole: nothing transferred.
    case cached(bytes: Int)
    /// The server has no such file (HTTP 404 or 410): normal in these archives.
    case missing(status: Int)
}

/// Checks the first bytes of a download (at most 512): nil when they are what the URL names,
/// else why not. A check that fails is final: the file is deleted and not asked for again.
public typealias ContentCheck = @Sendable (_ firstBytes: [UInt8]) -> String?

/// Progress of the downloads, for a progress bar.
public struct DownloadProgress: Sendable {
    public var url: String
    /// Bytes received now for this file.
    public var bytes: Int
    /// Its size when the server said it.
    public var total: Int?
}

/// Files over HTTP(S) into place, whole or not at all (async-http-client; the bytes are
/// written by `PartFileWriter`).
///
/// A file is written as `<path>.part` and renamed to `<path>` only when every byte the
/// server announced has arrived, so a file at its final name is whole: it is never asked
/// for again. A transfer cut short keeps its `.part`, and the next try asks for the rest
/// (`Range: bytes=N-`, RFC 9110 §14.2), starting over when the server does not resume.
/// Server errors (5xx, 429), resets and silences are retried with back-off; 404 and 410
/// mean the file is missing; other answers fail the file.
public final class Downloader: Sendable {
    public let options: DownloadOptions
    let client: HTTPClient

    public init(options: DownloadOptions = DownloadOptions()) {
        self.options = options
        var config = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .milliseconds(Int64(options.connectTimeout * 1000)),
                           read: .milliseconds(Int64(options.readTimeout * 1000))))
        config.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    /// Closes the client's connections; call once when done.
    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Downloads `url` to `path` (creating its directory), unless `path` is there already.
    public func download(_ url: String, to path: String, check: ContentCheck? = nil,
                         progress: (@Sendable (DownloadProgress) -> Void)? = nil) async throws(CollectorError) -> DownloadOutcome {
        if let size = LocalFiles.size(path) { return .cached(bytes: size) }
        try LocalFiles.makeDirectory(containing: path)
        let part = path + ".part"
        var lastProblem = "no attempt made"
        var pause = options.backoff
        for attempt in 1...max(options.attempts, 1) {
            if attempt > 1 {
                try? await Task.sleep(nanoseconds: UInt64(pause * 1e9))
                pause = min(pause * 2, options.maximumBackoff)
            }
            if Task.isCancelled { throw .download(url: url, reason: "cancelled") }
            switch await transfer(url, to: part, check: check, progress: progress) {
            case .whole(let bytes, let resumedFrom):
                guard rename(part, path) == 0 else {
                    throw .file(path: path, reason: "cannot rename the download into place: \(String(cString: strerror(errno)))")
                }
                return .downloaded(bytes: bytes, resumedFrom: resumedFrom)
            case .missing(let status):
                unlink(part)
                return .missing(status: status)
            case .retry(let problem):
                lastProblem = problem
            case .fail(let error):
                unlink(part)
                throw error
            }
        }
        throw .download(url: url, reason: "\(lastProblem) (gave up after \(options.attempts) tries; the part received is kept to resume)")
    }

    enum Attempt: Sendable {
        case whole(bytes: Int, resumedFrom: Int)
        case missing(Int)
        case retry(String)
        case fail(CollectorError)
    }

    /// One request: the rest of `part` (or all of it), appended to it by a `PartFileWriter`
    /// on the client's event loop.
    private func transfer(_ url: String, to part: String, check: ContentCheck?,
                          progress: (@Sendable (DownloadProgress) -> Void)?) async -> Attempt {
        let have = LocalFiles.size(part) ?? 0
        let request: HTTPClient.Request
        do {
            var headers = HTTPHeaders([("User-Agent", "blackout (BGP outage monitor)")])
            if have > 0 { headers.add(name: "Range", value: "bytes=\(have)-") }
            request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
        } catch {
            return .fail(.badURL(url))
        }
        let writer = PartFileWriter(url: url, part: part, have: have, check: check, progress: progress)
        do {
            return try await client.execute(request: request, delegate: writer).futureResult.get()
        } catch {
            return writer.attempt(after: error)
        }
    }

    /// What a failed request means: worth another try (resets, timeouts), or not.
    static func classify(_ error: any Error, url: String, received: Int? = nil) -> Attempt {
        let after = received.map { " after \($0) bytes" } ?? ""
        if let e = error as? HTTPClientError {
            if e == .readTimeout || e == .deadlineExceeded { return .retry("the server stopped answering\(after) (timeout)") }
            if e == .connectTimeout { return .retry("cannot connect (timeout)") }
            if e == .remoteConnectionClosed { return .retry("the server closed the connection\(after)") }
            if e == .invalidURL || e == .emptyHost || e == .emptyScheme { return .fail(.badURL(url)) }
        }
        return .retry("\(error)\(after)")
    }

    /// The first byte of `bytes first-last/total`.
    static func rangeStart(_ header: String) -> Int? {
        guard header.hasPrefix("bytes ") else { return nil }
        return header.dropFirst(6).split(separator: "-").first.flatMap { Int($0.filter { $0 != " " }) }
    }
}
