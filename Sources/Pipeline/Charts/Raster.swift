/// A canvas of palette colours (at most 256, which the charts' few colours and their blends
/// stay well within) with the few operations the charts need: rectangles (opaque or
/// blended), hatching and bitmap text. A byte a pixel keeps drawing and compressing fast.
/// Coordinates are pixels from the top left; everything is clipped to the canvas.
struct Raster {
    let width: Int, height: Int
    /// Palette indices, row by row.
    private(set) var pixels: [UInt8]
    private(set) var palette: [ChartColor.RGB] = []
    private var indexOf: [UInt32: UInt8] = [:]

    init(width: Int, height: Int, background: ChartColor.RGB) {
        self.width = width
        self.height = height
        pixels = []
        let i = index(background)
        pixels = [UInt8](repeating: i, count: width * height)
    }

    /// The colour at (x, y).
    func pixel(_ x: Int, _ y: Int) -> ChartColor.RGB { palette[Int(pixels[y * width + x])] }

    /// The palette index of `c`, added if new; once the palette is full, the nearest colour.
    mutating func index(_ c: ChartColor.RGB) -> UInt8 {
        let key = UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b)
        if let i = indexOf[key] { return i }
        guard palette.count < 256 else {
            func distance(_ p: ChartColor.RGB) -> Int {
                let d = (Int(p.r) - Int(c.r), Int(p.g) - Int(c.g), Int(p.b) - Int(c.b))
                return d.0 * d.0 + d.1 * d.1 + d.2 * d.2
            }
            return UInt8(palette.indices.min { distance(palette[$0]) < distance(palette[$1]) } ?? 0)
        }
        palette.append(c)
        indexOf[key] = UInt8(palette.count - 1)
        return UInt8(palette.count - 1)
    }

    /// Fills [x0, x1) x [y0, y1) with `c`, or blends `c` over it with `alpha` in (0, 1).
    mutating func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: ChartColor.RGB, alpha: Double = 1) {
        let xa = max(0, x0), xb = min(width, x1), ya = max(0, y0), yb = min(height, y1)
        guard xa < xb, ya < yb else { return }
        let w = width
        if alpha >= 1 {
            let i = index(c)
            pixels.withUnsafeMutableBufferPointer { px in
                for y in ya..<yb { px[(y * w + xa)..<(y * w + xb)].update(repeating: i) }
            }
            return
        }
        // Each colour under the rectangle blends to one colour: computed once.
        let a = Int((alpha * 256).rounded())
        var blended = [Int16](repeating: -1, count: 256)
        for y in ya..<yb {
            for k in (y * w + xa)..<(y * w + xb) {
                let under = Int(pixels[k])
                if blended[under] < 0 {
                    let p = palette[under]
                    func mix(_ d: UInt8, _ s: UInt8) -> UInt8 { UInt8((Int(d) * (256 - a) + Int(s) * a) >> 8) }
                    blended[under] = Int16(index((mix(p.r, c.r), mix(p.g, c.g), mix(p.b, c.b))))
                }
                pixels[k] = UInt8(blended[under])
            }
        }
    }

    /// Diagonal stripes two pixels wide every six over [x0, x1) x [y0, y1).
    mutating func hatch(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: ChartColor.RGB) {
        for y in max(0, y0)..<max(max(0, y0), min(height, y1)) {
            for x in max(0, x0)..<max(max(0, x0), min(width, x1)) where (x + y) % 6 < 2 {
                fill(x, y, x + 1, y + 1, c)
            }
        }
    }

    /// `text` with its capitals' top-left corner at (x, y), each font pixel `scale` wide; at
    /// twice the size, diagonals are smoothed with the EPX rule (Eric Johnston's pixel
    /// doubler, also known as Scale2x): a quarter takes a neighbour's ink where two
    /// neighbours agree and the other two do not.
    mutating func text(_ text: String, x: Int, y: Int, _ c: ChartColor.RGB, scale: Int = 1) {
        var left = x
        let w = BitmapFont.glyphWidth, h = BitmapFont.glyphHeight
        for scalar in text.unicodeScalars {
            let rows = Array(BitmapFont.rows(scalar))
            func ink(_ r: Int, _ col: Int) -> Bool { r >= 0 && r < h && col >= 0 && col < w && rows[r] & (1 << (w - 1 - col)) != 0 }
            for r in 0..<h {
                for col in 0..<w {
                    let p = ink(r, col), px = left + col * scale, py = y + r * scale
                    guard scale == 2 else {
                        if p { fill(px, py, px + scale, py + scale, c) }
                        continue
                    }
                    let a = ink(r - 1, col), b = ink(r, col + 1), cc = ink(r, col - 1), d = ink(r + 1, col)
                    let quarters = [cc == a && cc != d && a != b ? a : p, a == b && a != cc && b != d ? b : p,
                                    d == cc && d != b && cc != a ? cc : p, b == d && b != a && d != cc ? d : p]
                    for (q, on) in quarters.enumerated() where on {
                        fill(px + q % 2, py + q / 2, px + q % 2 + 1, py + q / 2 + 1, c)
                    }
                }
            }
            left += BitmapFont.advance * scale
        }
    }
}
