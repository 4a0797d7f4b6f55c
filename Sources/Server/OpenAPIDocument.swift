import Pipeline

/// `GET /api/v1/openapi.json`: an OpenAPI 3.0.3 document (https://spec.openapis.org/oas/v3.0.3)
/// built from the route table and the response schemas (`OpenAPISchemas`).
enum OpenAPIDocument {
    static func json(routes: [APIRoute]) -> String {
        var byPath: [(String, [APIRoute])] = []
        for r in routes {
            if let i = byPath.firstIndex(where: { $0.0 == r.path }) { byPath[i].1.append(r) } else { byPath.append((r.path, [r])) }
        }
        let paths = byPath.map { entry in
            EventRendering.string(entry.0) + ":{" + entry.1.map(operation).joined(separator: ",") + "}"
        }.joined(separator: ",")
        return """
            {"openapi":"3.0.3","info":{"title":"Blackout API","version":"1.0.0",\
            "description":"Per-country routing census, timelines and outage events from BGP archives (blackout serve). \
            Times are ISO 8601 UTC; errors are {\\"error\\": \\"...\\"}."},\
            "paths":{\(paths)},\
            "components":{"schemas":{\(OpenAPISchemas.all)},\
            "securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}}}}
            """
    }

    static func ref(_ schema: String) -> String { "{\"$ref\":\"#/components/schemas/\(schema)\"}" }

    static func operation(_ r: APIRoute) -> String {
        let body = r.schema.map(ref) ?? "{\"type\":\"string\"}"
        var responses = ["\"200\":{\"description\":\"OK\",\"content\":{\"\(r.contentType)\":{\"schema\":\(body)}}}"]
        for status in r.errors.sorted() {
            let schema = r.errorContentType == "application/json" ? ref("Error") : "{\"type\":\"string\"}"
            let content = "{\"\(r.errorContentType)\":{\"schema\":\(schema)}}"
            responses.append("\"\(status)\":{\"description\":\"\(describe(status))\",\"content\":\(content)}")
        }
        let parameters: [String] = r.parameters.map { p in
            let head = "{\"name\":\"\(p.name)\",\"in\":\"\(p.location.rawValue)\",\"required\":\(p.location == .path),"
            return head + "\"description\":\(EventRendering.string(p.description)),\"schema\":\(p.schema)}"
        }
        var out = EventRendering.string(r.method.rawValue.lowercased()) + ":{"
        out += "\"operationId\":\"\(r.operationID)\",\"summary\":\(EventRendering.string(r.summary)),"
        out += "\"parameters\":[\(parameters.joined(separator: ","))],"
        out += "\"responses\":{\(responses.joined(separator: ","))}"
        if r.authenticated { out += ",\"security\":[{\"bearer\":[]}]" }
        return out + "}"
    }

    static func describe(_ status: Int) -> String {
        switch status {
        case 400: "Malformed parameter, unknown country code, reversed or too large range"
        case 401: "No bearer token, or a malformed one"
        case 403: "Wrong bearer token"
        case 404: "Nothing stored about it"
        case 503: "The store is busy, or the server has no token configured"
        default: "Error"
        }
    }
}
