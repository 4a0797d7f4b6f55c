/// The median of the last normal values of a series: values inside an event are not
/// added, so an outage does not drag its own baseline down however long it lasts.
///
/// Values are stored relative to an offset, so that a change in which peers count (a
/// session reset, a new collector) shifts the baseline with the series instead of
/// looking like a loss (`shift`). The median is cached, and computed again only when a
/// value enters that differs from the one it pushes out.
struct Baseline: Equatable {
    private(set) var values: [Int32] = []
    private(set) var next = 0
    private(set) var offset = 0
    private var cached: Double?
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    init(capacity: Int, values: [Int32], next: Int, offset: Int) {
        self.capacity = max(1, capacity)
        self.values = Array(values.prefix(self.capacity))
        self.next = self.values.isEmpty ? 0 : next % self.values.count
        if self.values.count < self.capacity { self.next = self.values.count % self.capacity }
        self.offset = offset
    }

    var count: Int { values.count }

    mutating func add(_ v: Int) {
        let r = Int32(clamping: v - offset)
        if values.count < capacity {
            values.append(r)
            cached = nil
        } else {
            if values[next] != r { cached = nil }
            values[next] = r
        }
        next = (next + 1) % capacity
    }

    /// Moves every stored value by `delta`.
    mutating func shift(_ delta: Int) { offset += delta }

    var median: Double {
        mutating get {
            guard !values.isEmpty else { return 0 }
            if let cached { return cached + Double(offset) }
            let s = values.sorted()
            let m = s.count % 2 == 1 ? Double(s[s.count / 2]) : (Double(s[s.count / 2 - 1]) + Double(s[s.count / 2])) / 2
            cached = m
            return m + Double(offset)
        }
    }

    static func == (a: Baseline, b: Baseline) -> Bool {
        a.values == b.values && a.next == b.next && a.offset == b.offset && a.capacity == b.capacity
    }
}
