@testable import Outages
import Testing

struct DetectorTests {
    /// A week-long shutdown stays one outage: its bins never enter the baseline (IODA's
    /// 7-day window would have made it the new normal).
    @Test func aWeekLongOutageStaysAnOutage() {
        var t = OutageTracker(options: DetectorOptions())
        for _ in 0..<288 { #expect(t.step(100) == .normal) }
        #expect(t.step(3) == .opened)
        for _ in 0..<(7 * 288) { #expect(t.step(3) == .ongoing) }
        #expect(t.step(79) == .ongoing)  // below 80% of 100
        #expect(t.step(80) == .closed)
        #expect(t.step(100) == .normal)
    }

    /// Nothing is judged before an hour of history; a dip to 80% is not an outage.
    @Test func historyAndThreshold() {
        var t = OutageTracker(options: DetectorOptions())
        for _ in 0..<11 { #expect(t.step(100) == .normal) }
        #expect(t.step(0) == .normal)  // the 12th bin: only 11 bins of history
        var u = OutageTracker(options: DetectorOptions())
        for _ in 0..<12 { _ = u.step(100) }
        #expect(u.step(80) == .normal)
        #expect(u.step(79) == .opened)
    }

    /// Instability opens after three bins far above the baseline, dated from the first of
    /// them, and closes at the first bin back; a two-bin burst is normal.
    @Test func instabilityNeedsASustainedRise() {
        var t = InstabilityTracker(options: DetectorOptions())
        for _ in 0..<20 { if case .normal = t.step(4) {} else { Issue.record("history") } }
        if case .normal = t.step(200) {} else { Issue.record("one bin") }
        if case .normal = t.step(200) {} else { Issue.record("two bins") }
        if case .normal = t.step(4) {} else { Issue.record("back") }
        if case .normal = t.step(25) {} else { Issue.record("5x of 4 is 20, but 25 is above both... first bin") }
        if case .normal = t.step(25) {} else { Issue.record("second bin") }
        if case .opened(let ago) = t.step(25) { #expect(ago == 2) } else { Issue.record("third bin opens") }
        if case .ongoing = t.step(300) {} else { Issue.record("ongoing") }
        if case .closed = t.step(10) {} else { Issue.record("closes") }
        // Below the absolute minimum (20 per bin), however many times the baseline.
        var quiet = InstabilityTracker(options: DetectorOptions())
        for _ in 0..<20 { _ = quiet.step(0) }
        for _ in 0..<10 { if case .normal = quiet.step(19) {} else { Issue.record("19 < 20") } }
    }

    @Test func baselineMedian() {
        var b = Baseline(capacity: 4)
        for v: UInt32 in [5, 1, 9] { b.add(v) }
        #expect(b.median == 5)
        b.add(7)
        #expect(b.median == 6)
        b.add(7)  // evicts 5: [7, 1, 9, 7]
        #expect(b.median == 7)
        for _ in 0..<4 { b.add(3) }
        #expect(b.median == 3)
    }
}
