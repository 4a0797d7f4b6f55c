import MRTArchive

/// A 128-bit content hash of a file's bytes as stored (compressed or not), with its
/// size: two 64-bit multiply-xorshift lanes over 8-byte words. It identifies inputs, it
/// is not a cryptographic hash.
public func contentHash(ofFile path: String) throws -> String {
    let source = try FileSource(path: path)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var a: UInt64 = 0x243F_6A88_85A3_08D3, b: UInt64 = 0x1319_8A2E_0370_7344
    var size: UInt64 = 0
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        size += UInt64(n)
        buffer.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                a = (a ^ w) &* 0x9E37_79B9_7F4A_7C15
                a ^= a >> 32
                b = (b &+ w) &* 0xBF58_476D_1CE4_E5B9
                b ^= b >> 29
                i += 8
            }
            while i < n {
                a = (a ^ UInt64(raw[i])) &* 0x100_0000_01B3
                b = (b &+ UInt64(raw[i])) &* 0x94D0_49BB_1331_11EB
                i += 1
            }
        }
    }
    func hex(_ x: UInt64) -> String { let s = String(x, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
    return hex(a ^ size) + hex(b)
}
