/// What one POST of a delivery came to, and what happens next.
public enum DeliveryOutcome: Sendable, Equatable {
    /// A 2xx answer.
    case delivered(status: Int)
    /// Worth another try after a pause: a connection error, a timeout, a 5xx or a 429.
    case retry(reason: String)
    /// The receiver refused it (any other answer: a 4xx other than 429, or a redirect, which
    /// is not followed with a POST): logged and marked failed, never tried again unless
    /// `blackout alerts --retry` (or the API's retry) asks.
    case refused(reason: String)

    /// The outcome of an HTTP answer (RFC 9110 section 15): 2xx delivered; 429 Too Many Requests
    /// (RFC 6585 section 4) and 5xx retried; anything else refused. `body` is the start of the
    /// answer's body, quoted in the reason.
    public static func of(status: Int, body: String = "") -> DeliveryOutcome {
        let text = body.isEmpty ? "" : ": " + String(body.prefix(200)).split(whereSeparator: \.isNewline).joined(separator: " ")
        switch status {
        case 200..<300: return .delivered(status: status)
        case 429, 500..<600: return .retry(reason: "HTTP \(status)\(text)")
        default: return .refused(reason: "HTTP \(status)\(text)")
        }
    }
}
