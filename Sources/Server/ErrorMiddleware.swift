import Hummingbird
import Logging
import Pipeline
import Store

/// Turns every error into the API's error shape: `APIError`s as they are; Hummingbird's own
/// (no such route, or none for that method: 404) with their status; the store
/// busy or locked by another process: 503, so the client tries again and the server keeps
/// serving; anything else: 500, logged (a fault of the server or the store, never the
/// client's input, which the handlers check first).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            throw e
        } catch let e as HTTPError {
            // No route of that path and method: 404.
            if e.status == .notFound { throw APIError(.notFound, "no such route: \(request.method) \(request.uri.path)") }
            throw APIError(e.status, e.body ?? e.status.reasonPhrase)
        } catch let e as StoreError where e.busy {
            throw APIError(.serviceUnavailable, "the store is busy (an ingest holds it); try again: \(e.message)", headers: [.retryAfter: "1"])
        } catch let e as any HTTPResponseError {
            throw APIError(e.status, "\(e)")
        } catch {
            context.logger.error("\(request.method) \(request.uri): \(error)")
            throw APIError(.internalServerError, "internal error: \(error)")
        }
    }
}
