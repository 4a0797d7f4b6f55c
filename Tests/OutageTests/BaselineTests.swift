@testable import Outages
import Testing

/// `Baseline` against the plain definition: the lower median of the last `capacity` values
/// added, each moved by the shifts made after it was added.
struct BaselineTests {
    /// The definition, kept as a plain array.
    struct Reference {
        let capacity: Int
        var values: [Int] = []
        mutating func add(_ v: Int, times: Int) {
            values += Array(repeating: v, count: times)
            if values.count > capacity { values.removeFirst(values.count - capacity) }
        }
        mutating func shift(_ d: Int) { values = values.map { $0 + d } }
        var median: Double { values.isEmpty ? 0 : Double(values.sorted()[(values.count - 1) / 2]) }
    }

    /// SplitMix64: the same series on every run, so that a failure can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Random series that mostly stay at one level (the fast path: the oldest run holds the
    /// value that comes in), with steps, runs added at once, and shifts.
    @Test(arguments: [1, 2, 7, 288])
    func medianAsDefined(capacity: Int) {
        var rng = Seeded(state: UInt64(capacity))
        for _ in 0..<50 {
            var b = Baseline(capacity: capacity)
            var r = Reference(capacity: capacity)
            var level = Int.random(in: 0...20, using: &rng)
            for step in 0..<600 {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<5: level = max(0, level + Int.random(in: -3...3, using: &rng))
                case 5..<7:
                    let d = Int.random(in: -2...2, using: &rng)
                    b.shift(d)
                    r.shift(d)
                    level += d
                default: break
                }
                let times = Int.random(in: 0..<10, using: &rng) == 0 ? Int.random(in: 1...(2 * capacity), using: &rng) : 1
                b.add(level, times: times)
                r.add(level, times: times)
                #expect(b.count == r.values.count, "step \(step)")
                #expect(b.median == r.median, "step \(step): capacity \(capacity)")
                if b.median != r.median { return }
            }
        }
    }
}
