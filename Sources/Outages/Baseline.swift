/// The median of the last normal values of a series: values inside an event are not
/// added, so an outage does not drag its own baseline down however long it lasts.
///
/// The window holds the last `capacity` values in time order as runs of equal values
/// (a series' count rarely moves, so a day of 288 bins is usually one or a few runs),
/// and beside it how many times each distinct value occurs, in value order; the median
/// is read from those counts. It is the lower median (the middle value, the lower of the
/// two for an even count): a value of the window, which only ever moves towards the
/// value added. That is what lets a quiet series skip its bins and add them later in one
/// step (`add(_:times:)`): the answer is the one bin-by-bin adding would have given.
///
/// Values are stored relative to an offset, so that a change in which peers count (a
/// session reset, a new collector) shifts the baseline with the series instead of
/// looking like a loss (`shift`).
struct Baseline: Equatable {
    /// The window in time order, oldest first: (value, how many bins in a row).
    private(set) var runs: [(value: Int32, count: Int32)] = []
    private var head = 0
    /// Distinct values in ascending order, with how often each is in the window.
    private var histogram: [(value: Int32, count: Int32)] = []
    /// Where the last value tallied was in `histogram` (a series adds its level bin after bin).
    private var hint = 0
    private(set) var count = 0
    private(set) var offset = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// A baseline holding `runs` (oldest first; the newest are kept when they exceed the capacity).
    init(capacity: Int, runs: [(value: Int32, count: Int32)], offset: Int) {
        self.capacity = max(1, capacity)
        self.offset = offset
        for r in runs where r.count > 0 { append(r.value, Int(r.count)) }
    }

    /// The window's runs, oldest first (for a checkpoint).
    var window: ArraySlice<(value: Int32, count: Int32)> { runs[head...] }

    mutating func add(_ v: Int) { add(v, times: 1) }

    /// Adds `v` as `times` bins in a row.
    mutating func add(_ v: Int, times: Int) {
        guard times > 0 else { return }
        append(Int32(clamping: v - offset), min(times, capacity))
    }

    private mutating func append(_ r: Int32, _ n: Int) {
        var drop = count + n - capacity
        // How much `r`'s count in the histogram moves. Bins leaving that hold `r` itself (a
        // settled series, the common case) only lessen it: a full window at one level moves nothing.
        var tallied = n
        while drop > 0 {
            let take = min(drop, Int(runs[head].count))
            if runs[head].value == r { tallied -= take } else { tally(runs[head].value, -take) }
            runs[head].count -= Int32(take)
            if runs[head].count == 0 { head += 1 }
            drop -= take
            count -= take
        }
        if head > 32, head * 2 > runs.count {
            runs.removeFirst(head)
            head = 0
        }
        if runs.count > head, runs[runs.count - 1].value == r {
            runs[runs.count - 1].count += Int32(n)
        } else {
            runs.append((r, Int32(n)))
        }
        if tallied != 0 { tally(r, tallied) }
        count += n
    }

    /// Moves `value`'s count in the histogram by `delta`.
    private mutating func tally(_ value: Int32, _ delta: Int) {
        var lo = 0, hi = histogram.count
        if hint < hi, histogram[hint].value == value {
            lo = hint
        } else {
            while lo < hi {
                let mid = (lo + hi) / 2
                if histogram[mid].value < value { lo = mid + 1 } else { hi = mid }
            }
        }
        hint = lo
        if lo < histogram.count, histogram[lo].value == value {
            histogram[lo].count += Int32(delta)
            if histogram[lo].count == 0 { histogram.remove(at: lo) }
        } else {
            histogram.insert((value, Int32(delta)), at: lo)
        }
    }

    /// Moves every stored value by `delta`.
    mutating func shift(_ delta: Int) { offset += delta }

    var median: Double {
        guard count > 0 else { return 0 }
        var rank = (count - 1) / 2
        for h in histogram {
            if rank < Int(h.count) { return Double(Int(h.value) + offset) }
            rank -= Int(h.count)
        }
        return Double(Int(histogram[histogram.count - 1].value) + offset)
    }

    static func == (a: Baseline, b: Baseline) -> Bool {
        a.capacity == b.capacity && a.offset == b.offset && a.count == b.count
            && a.window.elementsEqual(b.window) { $0.value == $1.value && $0.count == $1.count }
    }
}
