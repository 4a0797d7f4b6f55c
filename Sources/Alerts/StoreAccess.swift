import Dispatch
import Store

/// The dispatcher's connection to the store, used on a serial queue of its own: a store call
/// blocks (SQLite waits up to its busy timeout while an ingest writes), and must block
/// neither the cooperative thread pool nor the ingest.
final class StoreAccess: @unchecked Sendable {
    // Touched only on `queue`.
    private let store: any Store
    private let queue = DispatchQueue(label: "blackout.alerts.store")

    init(_ store: any Store) { self.store = store }

    func run<T: Sendable>(_ body: @escaping @Sendable (any Store) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.store) }) }
        }
    }
}
