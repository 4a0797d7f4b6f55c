#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes a block decodes to, in memory that is kept and reused from block to block.
final class Bzip2Output {
    private(set) var pointer: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        pointer = .allocate(capacity: capacity)
    }

    deinit { pointer.deallocate() }

    /// Makes room for `n` bytes in all, keeping the first `count`.
    func reserve(_ n: Int) {
        guard n > capacity else { return }
        var c = capacity &* 2
        while c < n { c &*= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        fresh.update(from: pointer, count: count)
        pointer.deallocate()
        pointer = fresh
        capacity = c
    }
}

/// A bzip2 block decoder of its own (bzip2's format as libbz2 1.0.8 reads it), faster
/// than libbz2's: Huffman codes of up to 10 bits are decoded with one table lookup and the
/// input is read 64 bits at a time.
///
/// Stages: the block header (CRC, origin pointer, symbol map, Huffman tables and their
/// selectors); the symbols, undoing move-to-front and the RUNA/RUNB run lengths into `ll`
/// (the last column of the sorted rotations); the inverse Burrows-Wheeler transform's
/// table; the walk through it, which also undoes the first run-length coding (4 equal
/// bytes and a count) and computes the CRC, compared with the block's.
///
/// The walk goes from row to row of the sorted rotations, one access to a random address
/// per byte, each waiting for the last: on a 900 kB block it waits on memory most of its
/// time, and the run-length and CRC work in the same loop costs little. Its table (`next`:
/// for each row, the row of the rotation one byte on, and that byte) is written in one
/// pass with stores only. (Walking two chains at once, forwards and backwards from the
/// origin row, overlaps the waits but needs a second table: measured slower, as the two
/// fit the 2 MB second-level cache less well than one.)
final class Bzip2Decoder {
    enum Outcome {
        case decoded(count: Int, crc: UInt32)
        case failed(String)
        /// A randomised block (bzip2 before 0.9.5): for libbz2.
        case randomised
    }

    static let maxBlock = 900_000
    static let maxGroups = 6
    static let maxAlpha = 258
    static let maxSelectors = 18_002
    static let lookupBits = 10

    private let ll = UnsafeMutablePointer<UInt8>.allocate(capacity: maxBlock)
    /// In 2 MB pages where the system gives them (`madvise`): the walk's random accesses
    /// then miss the TLB far less.
    private let next: UnsafeMutablePointer<UInt32> = {
        let bytes = 4 << 20  // 900 k entries of 4 bytes, in two 2 MB pages
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 2 << 20, bytes) == 0, let raw else {
            return UnsafeMutablePointer<UInt32>.allocate(capacity: maxBlock)
        }
        #if os(Linux)
        _ = madvise(raw, bytes, Int32(MADV_HUGEPAGE))
        #endif
        return raw.bindMemory(to: UInt32.self, capacity: bytes / 4)
    }()
    private let selectors = UnsafeMutablePointer<UInt8>.allocate(capacity: 32_768)
    private let lookup = UnsafeMutablePointer<UInt16>.allocate(capacity: maxGroups << lookupBits)
    private let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: maxGroups * maxAlpha)
    /// Per group, for codes longer than `lookupBits`: by length, the first code, how many
    /// codes, where their symbols start in `sorted`.
    private let firstCode = UnsafeMutablePointer<Int32>.allocate(capacity: maxGroups * 22)
    private let codeCount = UnsafeMutablePointer<Int32>.allocate(capacity: maxGroups * 22)
    private let firstIndex = UnsafeMutablePointer<Int32>.allocate(capacity: maxGroups * 22)
    private let sorted = UnsafeMutablePointer<UInt16>.allocate(capacity: maxGroups * maxAlpha)
    private let maxLength = UnsafeMutablePointer<Int>.allocate(capacity: maxGroups)
    /// Input copied with zeros after it, when the caller's has too few.
    private var padded: [UInt8] = []

    /// Bytes that must follow `endBit` in the input (reads run ahead of the checks).
    static let padding = 256

    deinit {
        ll.deallocate(); free(next); selectors.deallocate(); lookup.deallocate(); lengths.deallocate()
        firstCode.deallocate(); codeCount.deallocate(); firstIndex.deallocate(); sorted.deallocate()
        maxLength.deallocate()
    }

    /// Decodes the block in bits `startBit..<endBit` of `bytes` (from its magic) into `output`.
    func decode(_ bytes: UnsafeRawBufferPointer, startBit: Int, endBit: Int, into output: Bzip2Output) -> Outcome {
        if bytes.count < (endBit &+ 7) / 8 &+ Self.padding {
            padded.removeAll(keepingCapacity: true)
            padded.append(contentsOf: bytes.prefix((endBit &+ 7) / 8))
            padded.append(contentsOf: repeatElement(0, count: Self.padding))
            let copy = padded
            return copy.withUnsafeBytes { decodePadded($0.baseAddress!.assumingMemoryBound(to: UInt8.self), startBit, endBit, output) }
        }
        return decodePadded(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), startBit, endBit, output)
    }

    private func decodePadded(_ input: UnsafePointer<UInt8>, _ startBit: Int, _ endBit: Int, _ output: Bzip2Output) -> Outcome {
        var pos = startBit
        /// The next 57 or more bits, most significant first.
        @inline(__always) func window() -> UInt64 {
            UInt64(bigEndian: UnsafeRawPointer(input + (pos >> 3)).loadUnaligned(as: UInt64.self)) << UInt64(pos & 7)
        }
        @inline(__always) func bits(_ n: Int) -> Int {
            let v = Int(truncatingIfNeeded: window() >> UInt64(64 &- n))
            pos &+= n
            return v
        }
        guard endBit &- startBit >= 80 else { return .failed("block shorter than its header") }
        guard bits(24) == 0x314159, bits(24) == 0x265359 else { return .failed("no block magic") }
        let storedCRC = UInt32(truncatingIfNeeded: bits(32))
        if bits(1) != 0 { return .randomised }
        let origPtr = bits(24)

        // The bytes in use.
        var seqToUnseq = [UInt8](repeating: 0, count: 256)
        var nInUse = 0
        let inUse16 = bits(16)
        for i in 0..<16 where inUse16 & (0x8000 >> i) != 0 {
            let used = bits(16)
            for j in 0..<16 where used & (0x8000 >> j) != 0 {
                seqToUnseq[nInUse] = UInt8(i * 16 + j)
                nInUse += 1
            }
        }
        guard nInUse > 0 else { return .failed("no bytes in use") }
        let alphaSize = nInUse + 2

        // Huffman groups and the selector of each 50 symbols (move-to-front coded).
        let nGroups = bits(3)
        guard nGroups >= 2, nGroups <= Self.maxGroups else { return .failed("\(nGroups) Huffman groups") }
        let nSelectorsRead = bits(15)
        guard nSelectorsRead >= 1 else { return .failed("no selectors") }
        var groupMTF: [UInt8] = [0, 1, 2, 3, 4, 5]
        for i in 0..<nSelectorsRead {
            var j = 0
            while bits(1) == 1 {
                j += 1
                if j >= nGroups { return .failed("selector out of range") }
            }
            if pos > endBit { return .failed("block ends in its selectors") }
            if i < Self.maxSelectors {
                let v = groupMTF[j]
                while j > 0 { groupMTF[j] = groupMTF[j - 1]; j -= 1 }
                groupMTF[0] = v
                selectors[i] = v
            }
        }
        let nSelectors = min(nSelectorsRead, Self.maxSelectors)

        // Code lengths, delta coded, then the tables.
        for t in 0..<nGroups {
            var curr = bits(5)
            for i in 0..<alphaSize {
                while true {
                    if curr < 1 || curr > 20 { return .failed("code length \(curr)") }
                    if bits(1) == 0 { break }
                    curr += bits(1) == 0 ? 1 : -1
                }
                lengths[t * Self.maxAlpha + i] = UInt8(curr)
            }
            if pos > endBit { return .failed("block ends in its code lengths") }
            guard buildTable(t, alphaSize: alphaSize) else { return .failed("invalid Huffman code") }
        }

        // Symbols: move-to-front and RUNA/RUNB runs, into ll.
        var unzftab = [Int](repeating: 0, count: 256)
        var mtf = [UInt8](repeating: 0, count: 256)
        for i in 0..<256 { mtf[i] = UInt8(truncatingIfNeeded: i) }
        let eob = nInUse + 1
        var nblock = 0
        let maxBlock = Self.maxBlock
        let ll = self.ll
        let failure: String? = mtf.withUnsafeMutableBufferPointer { mtfBuffer in
            seqToUnseq.withUnsafeBufferPointer { seqBuffer in
                unzftab.withUnsafeMutableBufferPointer { countsBuffer in
                    let m = mtfBuffer.baseAddress!
                    let seq = seqBuffer.baseAddress!
                    let counts = countsBuffer.baseAddress!
                    var runLength = 0
                    var runBit = 0
                    var selector = 0
                    var left = 0
                    var table = lookup
                    var group = 0
                    let shift = UInt64(64 &- Self.lookupBits)
                    while true {
                        if left == 0 {
                            if selector >= nSelectors { return "more symbols than selectors" }
                            if pos > endBit { return "block ends inside its symbols" }
                            group = Int(selectors[selector])
                            table = lookup + (group << Self.lookupBits)
                            selector &+= 1
                            left = 50
                        }
                        left &-= 1
                        let w = window()
                        let entry = table[Int(truncatingIfNeeded: w >> shift)]
                        var sym: Int
                        if entry != 0 {
                            pos &+= Int(entry & 31)
                            sym = Int(entry >> 5)
                        } else {
                            guard let (s, n) = slowSymbol(w, group: group) else { return "invalid Huffman code" }
                            pos &+= n
                            sym = s
                        }
                        if sym <= 1 {
                            // RUNA adds 1, RUNB 2, times the place value.
                            if runBit > 20 { return "run too long" }
                            runLength &+= (sym &+ 1) << runBit
                            runBit &+= 1
                            continue
                        }
                        if runLength > 0 {
                            if runLength > maxBlock &- nblock { return "block too long" }
                            let uc = seq[Int(m[0])]
                            counts[Int(uc)] &+= runLength
                            (ll + nblock).initialize(repeating: uc, count: runLength)
                            nblock &+= runLength
                            runLength = 0
                            runBit = 0
                        }
                        if sym == eob { return nil }
                        if nblock >= maxBlock { return "block too long" }
                        var p = sym &- 1
                        let v = m[p]
                        while p > 0 { m[p] = m[p &- 1]; p &-= 1 }
                        m[0] = v
                        let uc = seq[Int(v)]
                        counts[Int(uc)] &+= 1
                        ll[nblock] = uc
                        nblock &+= 1
                    }
                }
            }
        }
        if let failure { return .failed(failure) }
        if pos != endBit {
            return .failed(pos > endBit ? "block ends \(pos - endBit) bits after its segment" : "\(endBit - pos) bits after the block's end")
        }
        guard origPtr < nblock else { return .failed("origin pointer \(origPtr) outside the block of \(nblock)") }

        // Inverse BWT. Row i's rotation, one byte on, is row j = cftab[ll[i]] + (how many
        // ll[i] came before i); so next[j] = i, with the byte ll[i].
        var start = 0
        for c in 0..<256 {
            let n = unzftab[c]
            unzftab[c] = start
            start &+= n
        }
        let next = self.next
        unzftab.withUnsafeMutableBufferPointer { cf in
            let cftab = cf.baseAddress!
            for i in 0..<nblock {
                let uc = Int(ll[i])
                let j = cftab[uc]
                cftab[uc] = j &+ 1
                next[j] = UInt32(truncatingIfNeeded: i << 8 | uc)
            }
        }
        // The text (before the first run-length coding) into ll: bytes 0..<half forwards,
        // the rest backwards from the last, which is the origin row's byte.
        let crc = Self.walk(next, from: origPtr, count: nblock, into: output)
        guard crc == storedCRC else { return .failed("CRC mismatch") }
        return .decoded(count: output.count, crc: storedCRC)
    }

    /// The block's bytes, from the origin row: the walk, the first run-length coding undone
    /// (4 equal bytes and a count of more) and the CRC, in one loop, so that the run-length
    /// and CRC work is done while the next load waits on memory. Returns the CRC.
    @inline(never)
    private static func walk(_ next: UnsafePointer<UInt32>, from origPtr: Int, count n: Int,
                             into output: Bzip2Output) -> UInt32 {
        output.count = 0
        output.reserve(n &+ 256)
        var out = output.pointer
        var capacity = output.capacity
        var o = 0
        var crc: UInt32 = 0xFFFF_FFFF
        var f = next[origPtr]
        var last: UInt32 = 256
        var run = 0
        var k = 0
        Bzip2CRC.tables.withUnsafeBufferPointer { tables in
            let table = tables.baseAddress!
            while k < n {
                let ch = f & 0xFF
                f = next[Int(f >> 8)]
                k &+= 1
                if run == 4 {
                    // A count of more copies of the last byte.
                    let extra = Int(ch)
                    if o &+ extra &+ (n &- k) > capacity {
                        output.count = o
                        output.reserve(o &+ extra &+ (n &- k) &+ 256)
                        out = output.pointer
                        capacity = output.capacity
                    }
                    var i = 0
                    while i < extra {
                        out[o &+ i] = UInt8(truncatingIfNeeded: last)
                        crc = (crc << 8) ^ table[Int((crc >> 24) ^ last)]
                        i &+= 1
                    }
                    o &+= extra
                    run = 0
                    continue
                }
                out[o] = UInt8(truncatingIfNeeded: ch)
                o &+= 1
                crc = (crc << 8) ^ table[Int((crc >> 24) ^ ch)]
                run = ch == last ? run &+ 1 : 1
                last = ch
            }
        }
        output.count = o
        return ~crc
    }

    /// Canonical codes as bzip2 assigns them (by length, then by symbol), for group `t`.
    private func buildTable(_ t: Int, alphaSize: Int) -> Bool {
        let len = lengths + t * Self.maxAlpha
        let first = firstCode + t * 22, count = codeCount + t * 22, index = firstIndex + t * 22
        let syms = sorted + t * Self.maxAlpha
        for l in 0..<22 { count[l] = 0 }
        for i in 0..<alphaSize { count[Int(len[i])] &+= 1 }
        var code: Int32 = 0
        var at: Int32 = 0
        var longest = 0
        for l in 1...20 {
            first[l] = code
            index[l] = at
            code &+= count[l]
            at &+= count[l]
            if count[l] > 0 { longest = l }
            if code > (1 << l) { return false }  // over-subscribed
            code <<= 1
        }
        maxLength[t] = longest
        // Symbols sorted by length, then by symbol.
        var next = [Int32](repeating: 0, count: 21)
        for l in 1...20 { next[l] = index[l] }
        for i in 0..<alphaSize {
            let l = Int(len[i])
            syms[Int(next[l])] = UInt16(i)
            next[l] &+= 1
        }
        // Lookup entries: symbol << 5 | length, for codes of up to lookupBits.
        let table = lookup + (t << Self.lookupBits)
        table.initialize(repeating: 0, count: 1 << Self.lookupBits)
        for l in 1...min(Self.lookupBits, 20) where count[l] > 0 {
            for j in 0..<Int(count[l]) {
                let sym = syms[Int(index[l]) + j]
                let c = Int(first[l]) + j
                let span = 1 << (Self.lookupBits - l)
                let entry = UInt16(sym) << 5 | UInt16(l)
                (table + (c << (Self.lookupBits - l))).initialize(repeating: entry, count: span)
            }
        }
        return true
    }

    /// A symbol with a code longer than `lookupBits`, from the top bits of `w`.
    @inline(never)
    private func slowSymbol(_ w: UInt64, group t: Int) -> (Int, Int)? {
        let first = firstCode + t * 22, count = codeCount + t * 22, index = firstIndex + t * 22
        let longest = maxLength[t]
        guard longest > Self.lookupBits else { return nil }
        for l in (Self.lookupBits + 1)...longest {
            let code = Int32(truncatingIfNeeded: w >> UInt64(64 - l))
            let d = code &- first[l]
            if d >= 0 && d < count[l] { return (Int(sorted[t * Self.maxAlpha + Int(index[l] &+ d)]), l) }
        }
        return nil
    }
}

/// bzip2's CRC-32 (polynomial 0x04C11DB7, most significant bit first), a byte at a time.
enum Bzip2CRC {
    static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i) << 24
            for _ in 0..<8 { c = c & 0x8000_0000 != 0 ? (c << 1) ^ 0x04C1_1DB7 : c << 1 }
            t[i] = c
        }
        return t
    }()
}
