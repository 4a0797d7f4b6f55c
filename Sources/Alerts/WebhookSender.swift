import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Store

/// POSTs deliveries with their own HTTP client: no redirects (a POST is not replayed
/// elsewhere), a connect and read timeout, and a deadline per request.
final class WebhookSender: Sendable {
    let client: HTTPClient
    let timeout: Double

    init(timeout: Double) {
        self.timeout = timeout
        let ms = Int64(max(timeout, 0.001) * 1000)
        let config = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                              timeout: .init(connect: .milliseconds(ms), read: .milliseconds(ms)))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    /// One POST of `d`'s payload (`Content-Type: application/json`, `Idempotency-Key: <id>`,
    /// as the IETF draft "The Idempotency-Key HTTP Header Field" describes), answered by `deadline`.
    func send(_ d: AlertDelivery, deadline: NIODeadline) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: d.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: d.id)
        request.headers.add(name: "User-Agent", value: "blackout (BGP outage monitor)")
        request.body = .bytes(ByteBuffer(string: d.payload))
        do {
            let response = try await client.execute(request, deadline: deadline)
            // The body is read (so that the connection can be reused), at most 64 KiB of it.
            let body = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            return DeliveryOutcome.of(status: Int(response.status.code), body: body)
        } catch let e as HTTPClientError {
            if e == .invalidURL || e == .emptyHost || e == .emptyScheme {
                return .refused(reason: "not a URL blackout can POST to (\(e))")
            }
            if e == .deadlineExceeded || e == .readTimeout { return .retry(reason: "no answer within \(Self.seconds(timeout)) s (timeout)") }
            if e == .cancelled { return .retry(reason: Self.cancelled) }
            if e == .connectTimeout { return .retry(reason: "cannot connect within \(Self.seconds(timeout)) s (timeout)") }
            return .retry(reason: "\(e)")
        } catch is CancellationError {
            return .retry(reason: Self.cancelled)
        } catch {
            return .retry(reason: "\(error)")
        }
    }

    /// The reason of an attempt stopped by its task's cancellation (not the receiver's doing).
    static let cancelled = "cancelled"

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(s)
    }
}
