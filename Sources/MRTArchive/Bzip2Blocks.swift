/// The block structure of bzip2 files, for decoding their blocks independently.
///
/// A bzip2 stream is "BZh" and a level digit, then blocks, each starting at a bit-aligned
/// 48-bit magic (0x314159265359, the BCD digits of pi) followed by the block's 32-bit CRC,
/// and ends with the 48-bit end-of-stream magic (0x177245385090, sqrt(pi)), the 32-bit
/// combined CRC of its blocks, and padding to a byte. Files may hold several streams one
/// after another (pbzip2 writes them). Blocks are not byte-aligned and nothing indexes
/// them, so the compressed bits are scanned for both magics; a magic may also occur by
/// chance inside compressed data, which the decoder of the block it cuts notices.
enum Bzip2Layout {
    static let blockMagic: UInt64 = 0x3141_5926_5359
    static let endMagic: UInt64 = 0x1772_4538_5090

    /// The combined CRC of a stream, updated with the next block's CRC (bzip2's
    /// `combinedCRC = (combinedCRC << 1 | combinedCRC >> 31) ^ blockCRC`, from 0).
    @inline(__always)
    static func combine(_ combined: UInt32, _ blockCRC: UInt32) -> UInt32 {
        ((combined << 1) | (combined >> 31)) ^ blockCRC
    }

    /// `count` (at most 57) bits of `bytes` from bit `bit`, most significant first; bits
    /// beyond the end read as 0.
    static func bits(_ bytes: UnsafeRawBufferPointer, at bit: Int, count: Int) -> UInt64 {
        var v: UInt64 = 0
        let first = bit >> 3
        for i in 0..<8 {
            let b = first &+ i
            v = v << 8 | (b < bytes.count ? UInt64(bytes[b]) : 0)
        }
        return (v << UInt64(bit & 7)) >> UInt64(64 &- count)
    }
}

/// Where the two magics can start, found by scanning bytes.
///
/// Every magic at bit `p` covers a whole byte at `ceil(p / 8)`, and the 16 bits from there
/// are one of 16 values (2 magics x 8 alignments). A table of those values filters byte
/// positions with one load each; the rare hits are checked in full.
struct Bzip2MagicScanner {
    enum Kind: Sendable { case block, end }

    /// For each 16-bit value, which (magic, alignment) pairs it can start: bit `d` for the
    /// block magic with its first whole byte `d` bits in, bit `8 + d` for the end magic.
    private static let filter: [UInt16] = {
        var t = [UInt16](repeating: 0, count: 1 << 16)
        for d in 0..<8 {
            t[Int((Bzip2Layout.blockMagic >> UInt64(32 - d)) & 0xFFFF)] |= 1 << d
            t[Int((Bzip2Layout.endMagic >> UInt64(32 - d)) & 0xFFFF)] |= 1 << (8 + d)
        }
        return t
    }()

    /// Calls `found` with the bit position and kind of every magic starting in bytes
    /// `from..<through` of `bytes` (as byte `ceil(p / 8)`, so each magic once), in order.
    /// A magic is found only if its 48 bits lie inside `bytes`.
    static func scan(_ bytes: UnsafeRawBufferPointer, from: Int, through: Int, _ found: (Int, Kind) -> Void) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count >= 2 else { return }
        let filter = Self.filter
        filter.withUnsafeBufferPointer { table in
            var b = max(from, 0)
            let last = min(through, bytes.count &- 1)  // b + 1 must be inside
            while b < last {
                let key = Int(base[b]) << 8 | Int(base[b &+ 1])
                let hits = table[key]
                if hits != 0 {
                    // Alignments with the start furthest back first, so positions come in order.
                    var d = 7
                    while d >= 0 {
                        for (kind, bit, magic) in [(Kind.block, d, Bzip2Layout.blockMagic), (Kind.end, 8 &+ d, Bzip2Layout.endMagic)]
                        where hits & (1 << bit) != 0 {
                            let p = b &* 8 &- d
                            if p >= 0, p &+ 48 <= bytes.count &* 8,
                               Bzip2Layout.bits(bytes, at: p, count: 48) == magic {
                                found(p, kind)
                            }
                        }
                        d &-= 1
                    }
                }
                b &+= 1
            }
        }
    }
}
