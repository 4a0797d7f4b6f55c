import Hummingbird
import Pipeline

/// An error the API answers with: a status and a message naming what was wrong, sent as
/// `{"error": "..."}` (the one error shape of every route, the dashboard's included).
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String
    /// Extra headers (`WWW-Authenticate` on a 401).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    /// 400: a parameter the client sent is malformed or out of range.
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    /// 404: no such route, or nothing stored about what was asked.
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make("{\"error\":\(EventRendering.string(message))}", status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// JSON bodies.
enum JSONResponse {
    static let contentType = "application/json; charset=utf-8"

    static func make(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }

    static func make(_ bytes: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: bytes))
    }

    /// A string or null.
    static func optional(_ s: String?) -> String { s.map(EventRendering.string) ?? "null" }

    /// A time as ISO 8601 (UTC) or null.
    static func time(_ t: UInt32?) -> String { t.map { "\"\(EventRendering.iso($0))\"" } ?? "null" }
}
