import CZlib

/// A palette image as a PNG file (RFC 2083; ISO/IEC 15948): 8-bit indexed colour (a PLTE
/// chunk), no interlace, no row filter (the recommendation for palette images), zlib-
/// compressed in one IDAT chunk, with the title in a tEXt chunk.
enum PNGEncoder {
    static func encode(indices pixels: [UInt8], palette: [ChartColor.RGB], width: Int, height: Int, title: String) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: height * (width + 1))
        raw.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { px in
                for row in 0..<height {
                    // Filter type 0 (none) is the byte left at the row's start.
                    let o = row * (width + 1) + 1
                    UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[o..<(o + width)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(px)[(row * width)..<((row + 1) * width)]))
                }
            }
        }
        var size = compressBound(uLong(raw.count))
        var packed = [UInt8](repeating: 0, count: Int(size))
        _ = packed.withUnsafeMutableBufferPointer { p in
            raw.withUnsafeBufferPointer { compress2(p.baseAddress, &size, $0.baseAddress, uLong($0.count), 1) }
        }
        packed.removeLast(packed.count - Int(size))
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 3, 0, 0, 0])
        png += chunk("PLTE", palette.flatMap { [$0.r, $0.g, $0.b] })
        // tEXt holds Latin-1: other characters become '?'.
        let latin1 = title.unicodeScalars.map { $0.value < 256 && $0.value >= 32 ? UInt8($0.value) : UInt8(ascii: "?") }
        png += chunk("tEXt", Array("Title".utf8) + [0] + latin1)
        png += chunk("IDAT", packed)
        png += chunk("IEND", [])
        return png
    }

    private static func bigEndian(_ v: Int) -> [UInt8] {
        [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    /// A chunk: length, type, data and the CRC-32 of type and data.
    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        return bigEndian(data.count) + body + bigEndian(Int(crc))
    }
}
