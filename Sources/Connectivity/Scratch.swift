/// Scratch memory for the census's inner loops: raw buffers owned by one worker and
/// freed by it (`deallocate`), so that clearing and appending cost no copy-on-write
/// uniqueness checks. Only plain values (integers, tuples of them) are kept in them.

/// A fixed number of zero-initialised values.
struct ScratchArray<T: BitwiseCopyable> {
    private let base: UnsafeMutablePointer<T>
    let count: Int

    init(count: Int, value: T) {
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: max(count, 1))
        self.count = count
    }

    @inline(__always)
    subscript(i: Int) -> T {
        get { precondition(i >= 0 && i < count); return base[i] }
        nonmutating set { precondition(i >= 0 && i < count); base[i] = newValue }
    }

    func deallocate() { base.deallocate() }
}

/// A list that keeps its storage when cleared.
struct ScratchList<T: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<T>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    @inline(__always)
    mutating func append(_ value: T) {
        if count == capacity { grow() }
        base[count] = value
        count += 1
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<T>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }

    @inline(__always)
    subscript(i: Int) -> T {
        precondition(i >= 0 && i < count)
        return base[i]
    }

    @inline(__always)
    func contains(_ value: T) -> Bool where T: Equatable {
        for i in 0..<count where base[i] == value { return true }
        return false
    }

    /// Sorts the values and keeps one of each: a set made in O(n log n), where checking
    /// `contains` before each append is O(n^2) (a prefix carried by many peers).
    mutating func sortAndRemoveDuplicates() where T: Comparable {
        guard count > 1 else { return }
        var all = UnsafeMutableBufferPointer(start: base, count: count)
        all.sort()
        var kept = 1
        for i in 1..<count where base[i] != base[kept - 1] {
            base[kept] = base[i]
            kept += 1
        }
        count = kept
    }

    var isEmpty: Bool { count == 0 }
    mutating func removeAll() { count = 0 }
    var elements: UnsafeBufferPointer<T> { UnsafeBufferPointer(start: base, count: count) }
    func deallocate() { base.deallocate() }
}
