import Foundation
import Hummingbird

/// The dashboard's files (HTML, CSS, JavaScript, icons), read once from the package's
/// resources (`Sources/Server/Dashboard`, copied into the bundle) and served from memory.
///
/// Only a file that is in the folder, by its exact name, with a known type is served: a
/// name is looked up in a dictionary, never joined to a path, so `..`, `%2e%2e`, absolute
/// paths and anything not listed are not found.
public struct DashboardAssets: Sendable {
    /// One file: its bytes, content type and entity tag (RFC 9110 section 8.8.3).
    public struct Asset: Sendable {
        public var bytes: [UInt8]
        public var contentType: String
        public var etag: String
    }

    /// Every file by name.
    public let files: [String: Asset]

    /// Why the dashboard's files could not be read.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Content types by file extension; a file of any other type (the folder's README) is not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
    ]

    /// The files of the package's `Dashboard` resource folder.
    public static func bundled() throws -> DashboardAssets {
        guard let folder = Bundle.module.url(forResource: "Dashboard", withExtension: nil) else {
            throw LoadError(description: "the dashboard's files are missing from the Server module's resources (Dashboard)")
        }
        return try DashboardAssets(folder: folder)
    }

    /// The files of `folder` (not its subfolders) with a known type.
    public init(folder: URL) throws {
        let fm = FileManager.default
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: folder.path) } catch {
            throw LoadError(description: "\(folder.path): cannot list the dashboard's files: \(error.localizedDescription)")
        }
        var files: [String: Asset] = [:]
        for name in names {
            guard let type = Self.contentTypes[(name as NSString).pathExtension.lowercased()] else { continue }
            guard let data = fm.contents(atPath: folder.appendingPathComponent(name).path) else {
                throw LoadError(description: "\(folder.appendingPathComponent(name).path): cannot read it")
            }
            let bytes = [UInt8](data)
            files[name] = Asset(bytes: bytes, contentType: type, etag: Self.etag(bytes))
        }
        self.files = files
    }

    /// A strong entity tag: the FNV-1a 64-bit hash of the bytes, quoted.
    static func etag(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// How long a browser may keep a file without asking again.
    public enum Caching: Sendable {
        /// Pages: always revalidated (their entity tag makes that a 304).
        case revalidate
        /// Stylesheets, scripts, icons: five minutes, then revalidated.
        case shortLived

        var header: String {
            switch self {
            case .revalidate: "no-cache"
            case .shortLived: "public, max-age=300"
            }
        }
    }

    /// The file as a response: 304 when the request's If-None-Match holds its tag
    /// (RFC 9110 section 13.1.2), else its bytes, type, tag and caching. Nil if there is no such file.
    public func response(_ name: String, for request: Request, caching: Caching, status: HTTPResponse.Status = .ok) -> Response? {
        guard let asset = files[name] else { return nil }
        var headers: HTTPFields = [.contentType: asset.contentType, .eTag: asset.etag, .cacheControl: caching.header,
                                   .xContentTypeOptions: "nosniff"]
        if status == .ok, let match = request.headers[.ifNoneMatch],
           match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag || $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    /// The not-found page with `message` (escaped) in it, status 404, never cached.
    public func notFoundPage(_ message: String) -> Response {
        let template = files["not-found.html"].map { String(decoding: $0.bytes, as: UTF8.self) } ?? "<!doctype html><p>{{message}}</p>"
        let html = template.replacingOccurrences(of: "{{message}}", with: Self.escapeHTML(message))
        return Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// Text for HTML: `&`, `<`, `>`, `"` and `'` as character references.
    static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
