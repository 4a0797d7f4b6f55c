#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBzip2

/// Decodes one bzip2 block cut out of its stream: with `Bzip2Decoder`, or with libbz2
/// (randomised blocks, and on request). For libbz2 the block's bits are re-wrapped as a
/// stream of that one block ("BZh9", the block shifted to a byte boundary, the
/// end-of-stream magic and, as combined CRC, the block's own CRC), which libbz2 decodes
/// and checks (block CRC and combined CRC). One decoder per thread; its buffers and
/// libbz2's are kept from block to block.
final class Bzip2BlockDecoder {
    enum Outcome {
        /// The block decoded: `count` bytes in `output`, its CRC as written.
        case decoded(count: Int, crc: UInt32)
        /// It did not (damaged, or cut short by a false magic); libbz2's error code.
        case failed(String)
    }

    private var wrapped: [UInt8] = []
    private let arena = Bzip2Arena()
    private let own = Bzip2Decoder()
    private let useLibbz2: Bool

    init(useLibbz2: Bool = false) { self.useLibbz2 = useLibbz2 }

    deinit { arena.releaseAll() }

    /// Decodes the block in bits `startBit..<endBit` of `bytes` (from its magic) into
    /// `output`. `bytes` should have `Bzip2Decoder.padding` bytes after the block.
    func decode(_ bytes: UnsafeRawBufferPointer, startBit: Int, endBit: Int, into output: Bzip2Output) -> Outcome {
        if !useLibbz2 {
            switch own.decode(bytes, startBit: startBit, endBit: endBit, into: output) {
            case let .decoded(count, crc): return .decoded(count: count, crc: crc)
            case .failed(let why): return .failed(why)
            case .randomised: break
            }
        }
        return decodeWithLibbz2(bytes, startBit: startBit, endBit: endBit, into: output)
    }

    private func decodeWithLibbz2(_ bytes: UnsafeRawBufferPointer, startBit: Int, endBit: Int, into output: Bzip2Output) -> Outcome {
        let length = endBit &- startBit
        guard length >= 80 else { return .failed("block shorter than its header") }
        let crc = UInt32(Bzip2Layout.bits(bytes, at: startBit &+ 48, count: 32))
        rewrap(bytes, startBit: startBit, length: length, crc: crc)

        var stream = bz_stream()
        stream.bzalloc = { opaque, n, m in Unmanaged<Bzip2Arena>.fromOpaque(opaque!).takeUnretainedValue().allocate(Int(n) * Int(m)) }
        stream.bzfree = { opaque, p in Unmanaged<Bzip2Arena>.fromOpaque(opaque!).takeUnretainedValue().release(p) }
        stream.opaque = Unmanaged.passUnretained(arena).toOpaque()
        guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else { return .failed("libbz2 init failed") }
        defer { BZ2_bzDecompressEnd(&stream) }
        output.count = 0
        output.reserve(1 << 20)
        let outcome: Outcome = wrapped.withUnsafeMutableBytes { input in
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: CChar.self)
            stream.avail_in = UInt32(input.count)
            while true {
                if output.count == output.capacity { output.reserve(output.capacity &* 2) }
                stream.next_out = UnsafeMutableRawPointer(output.pointer + output.count).assumingMemoryBound(to: CChar.self)
                stream.avail_out = UInt32(output.capacity &- output.count)
                let rc = BZ2_bzDecompress(&stream)
                output.count = output.capacity &- Int(stream.avail_out)
                switch rc {
                case BZ_STREAM_END: return .decoded(count: output.count, crc: crc)
                case BZ_OK:
                    if stream.avail_in == 0 && output.count < output.capacity { return .failed("block ends early") }
                case BZ_DATA_ERROR: return .failed("data error (CRC or coding)")
                default: return .failed("libbz2 error \(rc)")
                }
            }
        }
        return outcome
    }

    /// "BZh9", the block's bits from its magic moved to a byte boundary, the end-of-stream
    /// magic, `crc` as the combined CRC, padding.
    private func rewrap(_ bytes: UnsafeRawBufferPointer, startBit: Int, length: Int, crc: UInt32) {
        let whole = length >> 3
        let needed = 4 &+ whole &+ 1 &+ 10 &+ 1
        if wrapped.count != needed { wrapped = [UInt8](repeating: 0, count: needed) }
        wrapped.withUnsafeMutableBytes { out in
            let o = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            o[0] = 0x42; o[1] = 0x5A; o[2] = 0x68; o[3] = 0x39
            let src = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + (startBit >> 3)
            let available = bytes.count &- (startBit >> 3)
            let s = UInt8(startBit & 7)
            if s == 0 {
                (o + 4).update(from: src, count: whole)
            } else {
                for i in 0..<whole {
                    let next = i &+ 1 < available ? src[i &+ 1] : 0
                    o[4 &+ i] = src[i] << s | next >> (8 &- s)
                }
            }
            // The remaining bits of the block, then 80 bits of trailer, through an accumulator.
            let rest = length & 7
            var acc: UInt64 = rest == 0 ? 0 : Bzip2Layout.bits(bytes, at: startBit &+ whole &* 8, count: rest)
            var n = rest
            var at = 4 &+ whole
            func push(_ value: UInt64, _ count: Int) {
                acc = acc << UInt64(count) | value
                n &+= count
                while n >= 8 {
                    o[at] = UInt8(truncatingIfNeeded: acc >> UInt64(n &- 8))
                    at &+= 1
                    n &-= 8
                }
            }
            push(Bzip2Layout.endMagic, 48)
            push(UInt64(crc), 32)
            if n > 0 { push(0, 8 &- n) }
            // Whatever is left of the buffer is zeros past the end of the stream.
            while at < out.count { o[at] = 0; at &+= 1 }
        }
    }
}

/// Keeps libbz2's allocations (3.6 MB for a level-9 block) from one block to the next, so
/// that each block does not map and fault in fresh pages.
final class Bzip2Arena {
    private var spare: [(size: Int, pointer: UnsafeMutableRawPointer)] = []
    private var used: [(size: Int, pointer: UnsafeMutableRawPointer)] = []

    func allocate(_ size: Int) -> UnsafeMutableRawPointer? {
        if let i = spare.firstIndex(where: { $0.size == size }) {
            let a = spare.remove(at: i)
            used.append(a)
            return a.pointer
        }
        guard let p = malloc(size) else { return nil }
        used.append((size, p))
        return p
    }

    func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer, let i = used.firstIndex(where: { $0.pointer == pointer }) else { return }
        spare.append(used.remove(at: i))
    }

    func releaseAll() {
        for a in spare + used { free(a.pointer) }
        spare = []
        used = []
    }
}
