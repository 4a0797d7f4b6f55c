/// An ISO 3166-1 alpha-2 country code, packed in two bytes.
public struct CountryCode: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: UInt16

    /// Two ASCII letters, upper-cased; nil otherwise. `ZZ` and `EU`-style codes are accepted
    /// as written.
    public init?(_ text: some StringProtocol) {
        let u = Array(text.utf8)
        guard u.count == 2 else { return nil }
        func up(_ c: UInt8) -> UInt8? {
            switch c {
            case 65...90: return c
            case 97...122: return c - 32
            default: return nil
            }
        }
        guard let a = up(u[0]), let b = up(u[1]) else { return nil }
        rawValue = UInt16(a) << 8 | UInt16(b)
    }

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public var description: String {
        String(decoding: [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)], as: UTF8.self)
    }

    public static func < (a: CountryCode, b: CountryCode) -> Bool { a.rawValue < b.rawValue }
}
