import Foundation
import MRT
import Outages
import Registry
import Routing
import Testing
import TestSupport

/// The checkpoint: the same state always gives the same bytes, they restore to a monitor
/// that writes them again, and damaged bytes are refused, never trapped on or restored
/// into a wrong state.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct CheckpointTests {
    /// A monitor with tables, series, baselines and open bins: route-views2's last part of
    /// 2013-01-01 over the jinx registry (no RIB: tables from updates only).
    static func sample() throws -> (Monitor, [UInt8]) {
        let m = Jinx.monitor()
        try Jinx.replay([TestData.path("mrt/routeviews/route-views2.updates.20130101.part3.mrt")], into: m)
        _ = m.takeResults()
        return (m, m.checkpoint())
    }

    @Test func roundTripIsExact() throws {
        let (m, bytes) = try Self.sample()
        #expect(m.state.routeCount > 1000 && bytes.count > 10_000)
        let restored = try Monitor.restore(bytes, options: DetectorOptions()) { time in
            try RegistryDatabase.load(directory: Jinx.registry, near: time)
        }
        #expect(restored.checkpoint() == bytes)
        #expect(restored.state.routeCount == m.state.routeCount && restored.now == m.now)
    }

    @Test func damagedBytesAreRefused() throws {
        let (_, bytes) = try Self.sample()
        let load: (UInt32) throws -> RegistryDatabase = { try RegistryDatabase.load(directory: Jinx.registry, near: $0) }
        var generator = SplitMix64(seed: 8)
        var cuts = [0, 1, 10, 19, 20, 27, bytes.count - 9, bytes.count - 8, bytes.count - 1]
        for _ in 0..<60 { cuts.append(Int(generator.next() % UInt64(bytes.count))) }
        for cut in cuts {
            #expect(throws: CheckpointError.self, "cut at \(cut)") { try Monitor.restore(Array(bytes.prefix(cut)), options: DetectorOptions(), registry: load) }
        }
        for _ in 0..<60 {
            var damaged = bytes
            let at = Int(generator.next() % UInt64(bytes.count))
            damaged[at] ^= UInt8(1 + generator.next() % 255)
            #expect(throws: CheckpointError.self, "byte \(at) changed") { try Monitor.restore(damaged, options: DetectorOptions(), registry: load) }
        }
        // Other rules than the state was built with: refused, with what to do.
        var other = DetectorOptions()
        other.binSeconds = 600
        #expect(throws: CheckpointRulesMismatch.self) { try Monitor.restore(bytes, options: other, registry: load) }
    }
}
