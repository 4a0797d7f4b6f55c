import Foundation
import Hummingbird

/// `POST /api/v1/alerts/retry`, the one route that changes state: it needs the bearer token
/// of the configuration (RFC 6750 section 2.1: `Authorization: Bearer <token>`).
extension API {
    func retryAlerts(_ request: Request) throws -> Response {
        try authorize(request)
        let writer = try store.openWriter()
        let n = try writer.retryAlerts(now: UInt32(clamping: Int(Date().timeIntervalSince1970)))
        return JSONResponse.make("{\"retried\":\(n)}")
    }

    /// 503 when the server has no token (nothing can change state), 401 without a well-formed
    /// bearer credential (RFC 6750 section 3: with `WWW-Authenticate`), 403 for a wrong token.
    func authorize(_ request: Request) throws {
        guard let token else {
            throw APIError(.serviceUnavailable, "no API token configured: set api_token in the configuration file, --token or BLACKOUT_API_TOKEN")
        }
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"blackout\""]
        let given = request.headers[values: .authorization]
        guard given.count == 1, let header = given.first else {
            throw APIError(.unauthorized, given.isEmpty ? "this route needs Authorization: Bearer <token>"
                                                        : "Authorization is given \(given.count) times", headers: challenge)
        }
        guard let credential = Self.bearer(header) else {
            throw APIError(.unauthorized, "malformed Authorization header: expected Bearer <token> (RFC 6750)", headers: challenge)
        }
        guard Self.sameBytes(credential, token) else { throw APIError(.forbidden, "wrong API token") }
    }

    /// The token of `Bearer <token68>` (the scheme case-insensitive, one space; RFC 7235 section 2.1).
    static func bearer(_ header: String) -> String? {
        let parts = header.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        let token68 = parts[1].drop { c in c.isASCII && (c.isLetter || c.isNumber || "-._~+/".contains(c)) }
        guard token68.count < parts[1].count, token68.allSatisfy({ $0 == "=" }) else { return nil }
        return String(parts[1])
    }

    /// Compares in time that depends on the lengths only, not on where the bytes differ.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
