import Foundation
import Outages
import Store

/// Writes a running ingest into the store on a thread of its own: bins are handed over as
/// files end and written inside the ingest's one transaction, then the files, events and
/// checkpoint when the replay is done (`Store.save(streaming:then:)`). Inserting rows is
/// much of a replay's work and used to wait until the end on the replay's thread; now it
/// runs on the idle core while the replay goes on, and bins do not pile up in memory.
final class BackgroundSave: @unchecked Sendable {
    typealias Bins = [(series: SeriesID, bin: SeriesBin)]
    private let store: Store
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var batches: [Bins] = []
    private var rest: Result<IngestResult, any Error>?
    private var failure: (any Error)?
    private var finished = false
    /// Batches waiting at most: the replay waits for the writer beyond that.
    private let limit = 16

    init(store: Store) {
        self.store = store
        let thread = Thread { [self] in write() }
        thread.stackSize = 1 << 22
        thread.start()
    }

    private func write() {
        do {
            try store.save(streaming: { self.nextBatch() }, then: { try self.waitForRest() })
        } catch {
            condition.lock()
            failure = error
            condition.unlock()
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func nextBatch() -> Bins? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && rest == nil { condition.wait() }
        guard !batches.isEmpty else { return nil }
        let b = batches.removeFirst()
        condition.broadcast()
        return b
    }

    private func waitForRest() throws -> IngestResult {
        condition.lock()
        defer { condition.unlock() }
        while rest == nil { condition.wait() }
        return try rest!.get()
    }

    /// Hands bins over (after a writer's failure they are dropped: `finish` reports it).
    func add(_ bins: Bins) {
        guard !bins.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= limit && !finished { condition.wait() }
        guard !finished else { return }
        batches.append(bins)
        condition.broadcast()
    }

    /// Writes `result` after the bins handed over and commits; waits for the writer.
    func finish(_ result: IngestResult) throws {
        try end(.success(result))
    }

    /// Rolls the ingest back: nothing of it is stored.
    func abort() {
        try? end(.failure(CancellationError()))
    }

    private func end(_ r: Result<IngestResult, any Error>) throws {
        condition.lock()
        defer { condition.unlock() }
        rest = r
        condition.broadcast()
        while !finished { condition.wait() }
        if let failure { throw failure }
    }
}
