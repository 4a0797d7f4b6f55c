import Hummingbird

/// One route of the API: how it is served and how the OpenAPI document describes it. The
/// router and `/api/v1/openapi.json` are built from the one table of these (`APIRoutes`),
/// so the document covers every route there is, with its parameters, responses and errors.
public struct APIRoute: Sendable {
    public typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    public var method: HTTPRequest.Method
    /// The path as OpenAPI writes it: `/api/v1/countries/{cc}`.
    public var path: String
    public var operationID: String
    public var summary: String
    public var parameters: [APIParameter]
    /// The success response: a schema under `#/components/schemas`, or `nil` with `contentType`
    /// for a document that is not JSON (an SVG chart, Prometheus text).
    public var schema: String?
    public var contentType: String
    /// The error statuses it answers with: `{"error": "..."}` (the `Error` schema), or, for
    /// a page, a page (`errorContentType`, by default text/html for a text/html route).
    public var errors: [Int]
    public var errorContentType: String
    /// Needs the bearer token.
    public var authenticated: Bool
    public var handler: Handler

    public init(_ method: HTTPRequest.Method, _ path: String, operationID: String, summary: String, parameters: [APIParameter] = [],
                schema: String?, contentType: String = "application/json", errors: [Int], errorContentType: String? = nil,
                authenticated: Bool = false, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.parameters = parameters
        self.schema = schema
        self.contentType = contentType
        self.errors = errors
        self.errorContentType = errorContentType ?? (contentType == "text/html" ? "text/html" : "application/json")
        self.authenticated = authenticated
        self.handler = handler
    }

    /// The path as Hummingbird's router writes it: `/api/v1/countries/:cc`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }
}

/// A path or query parameter.
public struct APIParameter: Sendable {
    public enum Location: String, Sendable { case path, query }
    public var name: String
    public var location: Location
    public var description: String
    /// Its JSON schema, as JSON text.
    public var schema: String

    public init(_ name: String, in location: Location, _ description: String, schema: String = #"{"type":"string"}"#) {
        self.name = name
        self.location = location
        self.description = description
        self.schema = schema
    }
}
