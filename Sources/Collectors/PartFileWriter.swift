import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

/// One response written into a `.part` file as it arrives, on the client's event loop.
///
/// Writing where the bytes arrive (in pieces of 1 MiB) spares each body part a hand-over
/// to another thread: through the async body sequence, a 225 MiB file took 1,800 futex
/// waits and 1.25x curl's time on loopback. All state is touched on the request's event loop
/// only (async-http-client calls a delegate there), hence `@unchecked Sendable`.
final class PartFileWriter: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = Downloader.Attempt

    /// Thrown to stop a transfer whose first bytes are not what the URL names.
    struct Refused: Error { var reason: String }

    let url: String
    let part: String
    /// Bytes of `part` there before this request (asked for with `Range`).
    let have: Int
    let check: ContentCheck?
    let progress: (@Sendable (DownloadProgress) -> Void)?

    private var outcome: Downloader.Attempt?
    private var fd: Int32 = -1
    private var offset = 0
    private var written = 0
    private var expected: Int?
    private var head: [UInt8] = []
    private var checked = false
    private var pending: [UInt8] = []

    init(url: String, part: String, have: Int, check: ContentCheck?, progress: (@Sendable (DownloadProgress) -> Void)?) {
        self.url = url
        self.part = part
        self.have = have
        self.check = check
        self.progress = progress
    }

    deinit { if fd >= 0 { close(fd) } }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ response: HTTPResponseHead) -> EventLoopFuture<Void> {
        let status = Int(response.status.code)
        switch status {
        case 200:
            offset = 0
        case 206:
            // Content-Range: bytes first-last/total; only a resume from where the part ends is taken.
            guard let range = response.headers.first(name: "content-range"), Downloader.rangeStart(range) == have else {
                unlink(part)
                outcome = .retry("the server resumed at another offset than asked (\(response.headers.first(name: "content-range") ?? "no Content-Range"))")
                return task.eventLoop.makeSucceededVoidFuture()
            }
            offset = have
        case 416 where have > 0:
            unlink(part)  // the part is not a prefix of the file any more
            outcome = .retry("HTTP 416 to a resume; starting over")
        case 404, 410:
            outcome = .missing(status)
        case 408, 429, 500...599:
            outcome = .retry("HTTP \(status)")
        default:
            outcome = .fail(.download(url: url, reason: "HTTP \(status)"))
        }
        guard outcome == nil else { return task.eventLoop.makeSucceededVoidFuture() }
        expected = response.headers.first(name: "content-length").flatMap(Int.init).map { $0 + offset }
        fd = open(part, O_WRONLY | O_CREAT | (offset == 0 ? O_TRUNC : O_APPEND), 0o644)
        guard fd >= 0 else {
            outcome = .fail(.file(path: part, reason: "cannot write: \(String(cString: strerror(errno)))"))
            return task.eventLoop.makeSucceededVoidFuture()
        }
        written = offset
        checked = offset > 0  // a resumed file was checked when it began
        pending.reserveCapacity((1 << 20) + (1 << 16))
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard outcome == nil, fd >= 0 else { return task.eventLoop.makeSucceededVoidFuture() }  // an error page's body
        if !checked {
            head += buffer.readableBytesView.prefix(512 - head.count)
            if head.count >= 512 || (expected.map { written + buffer.readableBytes >= $0 } ?? false) {
                checked = true
                if let problem = check?(head) { return task.eventLoop.makeFailedFuture(Refused(reason: problem)) }
            }
        }
        buffer.withUnsafeReadableBytes { pending.append(contentsOf: $0) }
        written += buffer.readableBytes
        if pending.count >= 1 << 20 {
            do { try flush() } catch { return task.eventLoop.makeFailedFuture(error) }
            progress?(DownloadProgress(url: url, bytes: written, total: expected))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        if let outcome { return outcome }
        try flush()
        progress?(DownloadProgress(url: url, bytes: written, total: expected))
        if !checked, let problem = check?(head) { return .fail(.notAnArchive(url: url, reason: problem)) }
        if let expected, written != expected {
            return .retry("the transfer ended after \(written) of \(expected) bytes")
        }
        if written == 0 { return .fail(.notAnArchive(url: url, reason: "the server sent an empty file")) }
        return .whole(bytes: written, resumedFrom: offset)
    }

    func didReceiveError(task: HTTPClient.Task<Response>, _ error: any Error) {
        // What arrived is kept, so that the next try asks for the rest only; bytes not yet
        // checked are not.
        guard fd >= 0, outcome == nil else { return }
        if !checked || (try? flush()) == nil { unlink(part) }
    }

    /// The bytes received so far, to the file.
    private func flush() throws(CollectorError) {
        try LocalFiles.write(pending, to: fd, path: part)
        pending.removeAll(keepingCapacity: true)
    }

    /// The attempt a failed request comes to: refused content, or the classified error.
    func attempt(after error: any Error) -> Downloader.Attempt {
        if let refused = error as? Refused { return .fail(.notAnArchive(url: url, reason: refused.reason)) }
        if let e = error as? CollectorError { return .fail(e) }
        return Downloader.classify(error, url: url, received: written > 0 ? written : nil)
    }
}
