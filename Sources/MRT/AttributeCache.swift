/// Reuses decoded attribute sets whose bytes repeat.
///
/// Consecutive routes very often carry identical attribute blocks: the prefixes of one
/// origin in a RIB dump, the prefixes of one UPDATE replayed to many peers. A small
/// direct-mapped table keyed by a hash of the block (and of what the block's decoding
/// depends on) returns the same immutable `PathAttributes` for identical bytes, which
/// saves the allocation and the decoding, and lets later stages compare attribute sets by
/// identity first.
final class AttributeCache {
    private struct Slot {
        var hash: UInt64 = 0
        var context: UInt8 = 0
        var attributes: PathAttributes?
    }

    private var slots = [Slot](repeating: Slot(), count: 1024)
    private(set) var hits = 0
    private(set) var misses = 0

    /// The attributes in `block` (a cursor bounded to the attribute block).
    func attributes(_ block: inout ByteCursor, context: PathAttributes.DecodeContext) throws(MRTDecodeError) -> PathAttributes {
        let start = block.position
        let count = block.remaining
        let ctx = UInt8(context.asnSize) | (context.addPath ? 0x10 : 0)
            | (context.ribIsV6 == true ? 0x20 : context.ribIsV6 == false ? 0x40 : 0)
        let base = block.base.baseAddress! + start
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count) ^ (UInt64(ctx) << 56)
        var i = 0
        while i &+ 8 <= count {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i &+= 8
        }
        while i < count {
            h = (h ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* 0xC4CE_B9FE_1A85_EC53
            i &+= 1
        }
        h ^= h >> 32
        let index = Int(truncatingIfNeeded: h) & (slots.count - 1)
        if let cached = slots[index].attributes, slots[index].hash == h, slots[index].context == ctx,
           cached.raw.count == count,
           cached.raw.withUnsafeBytes({ memcmpEqual($0.baseAddress!, base, count) }) {
            hits &+= 1
            block.position = block.end
            return cached
        }
        misses &+= 1
        let decoded = try PathAttributes.decode(&block, context: context)
        slots[index] = Slot(hash: h, context: ctx, attributes: decoded)
        return decoded
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i &+ 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i &+= 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i &+= 1
    }
    return true
}
