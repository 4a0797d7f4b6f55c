import Synchronization

/// Keeps two processes from saving over each other's routing state. Each store counts its
/// commits (table `commit_count`, migration v7); a store object remembers the count at which
/// it read the checkpoint (the state it restored) and moves it with its own saves. A save of
/// a new checkpoint that finds another count was preceded by another writer's save, made
/// from a state this one never saw: it is refused, and nothing of it is stored, instead of
/// silently losing the other's work (two ingests at once on one store).
public final class StoreWriters: Sendable {
    private let basis = Mutex<Int?>(nil)
    public init() {}

    /// The state was read, or written, at commit count `count`.
    public func read(count: Int) { basis.withLock { $0 = count } }

    /// Before a save of a new checkpoint, inside its transaction: the count now is `count`.
    public func check(count: Int, path: String) throws {
        if let read = basis.withLock({ $0 }), read != count {
            throw StoreError(path: path, "another process saved to this store since this one read its state "
                             + "(two ingests at once on one store?); nothing of this one was stored: run it again")
        }
    }
}
