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
/// A magic at bit `p` covers whole bytes from `ceil(p / 8)` for at least 5 bytes, so one of
/// the 16-bit words starting at its first 4 whole bytes starts at a multiple of 4, and is
/// one of 64 values (2 magics x 32 offsets in them). A table of those values filters every
/// fourth byte position with one load; the rare hits are checked in full.
struct Bzip2MagicScanner {
    enum Kind: Sendable { case block, end }

    /// Whether a 16-bit value occurs in either magic at an offset of 0 to 31 bits.
    private static let filter: [Bool] = {
        var t = [Bool](repeating: false, count: 1 << 16)
        for e in 0..<32 {
            t[Int((Bzip2Layout.blockMagic >> UInt64(32 - e)) & 0xFFFF)] = true
            t[Int((Bzip2Layout.endMagic >> UInt64(32 - e)) & 0xFFFF)] = true
        }
        return t
    }()

    /// Calls `found` with the bit position and kind of every magic whose first word at a
    /// position `from`, `from + 4`, ... below `through` is in `bytes`, in order; returns the
    /// next position to scan from (positions stay 4 apart from call to call). A magic is
    /// found only if its 48 bits lie inside `bytes`.
    @discardableResult
    static func scan(_ bytes: UnsafeRawBufferPointer, from: Int, through: Int, _ found: (Int, Kind) -> Void) -> Int {
        var b = from
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return b }
        let last = min(through, bytes.count &- 1)  // b + 1 must be inside
        Self.filter.withUnsafeBufferPointer { table in
            while b < last {
                if table[Int(base[b]) << 8 | Int(base[b &+ 1])] {
                    // Starts from the furthest back, so positions come in order.
                    var e = 31
                    while e >= 0 {
                        let p = b &* 8 &- e
                        if p >= 0, p &+ 48 <= bytes.count &* 8 {
                            let v = Bzip2Layout.bits(bytes, at: p, count: 48)
                            if v == Bzip2Layout.blockMagic { found(p, .block) }
                            else if v == Bzip2Layout.endMagic { found(p, .end) }
                        }
                        e &-= 1
                    }
                }
                b &+= 4
            }
        }
        return max(b, from)
    }
}
