import MRT

/// An RIR statistics exchange file ("delegated-<rir>-latest" and the "-extended" variant),
/// as the five RIRs and IANA publish them.
///
/// Format (https://www.apnic.net/about-apnic/corporate-documents/documents/resource-guidelines/rir-statistics-exchange-format/):
/// a version line `2|registry|serial|records|startdate|enddate|UTCoffset`, summary lines
/// `registry|*|type|*|count|summary`, then records
/// `registry|cc|type|start|value|date|status[|opaque-id[|extensions]]` where for `ipv4`
/// `value` is a number of addresses (often not a power of two), for `ipv6` a prefix
/// length, for `asn` a number of ASNs. Only `allocated` and `assigned` records give a
/// country; `available` and `reserved` do not.
public struct DelegatedFile: Sendable {
    public struct ASNRange: Sendable {
        public var first: UInt32
        public var count: UInt32
        public var country: CountryCode
    }

    public var path: String
    public var registry: String
    /// The version line's end date (YYYYMMDD), when given.
    public var endDate: Int?
    public var ipv4: [(block: Prefix, country: CountryCode)] = []
    public var ipv6: [(block: Prefix, country: CountryCode)] = []
    public var asns: [ASNRange] = []
    public var warnings: [RegistryWarning] = []

    /// Parses the file's text. Malformed or truncated lines are warnings.
    public init(path: String, text: [UInt8]) {
        self.path = path
        registry = ""
        var lineNumber = 0
        var start = 0
        let n = text.count
        while start < n {
            var end = start
            while end < n, text[end] != 10 { end += 1 }
            lineNumber += 1
            let terminated = end < n
            let line = text[start..<end]
            start = end + 1
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            if !terminated {
                warnings.append(RegistryWarning(path: path, line: lineNumber,
                                                message: "last line has no end of line (file truncated?); skipped"))
                break
            }
            parse(line: line, number: lineNumber)
        }
    }

    private mutating func warn(_ line: Int, _ message: String) {
        warnings.append(RegistryWarning(path: path, line: line, message: message))
    }

    private mutating func parse(line: ArraySlice<UInt8>, number: Int) {
        var fields = line.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        if let last = fields.last, last.last == 13 { fields[fields.count - 1] = last.dropLast() }  // CRLF
        func text(_ i: Int) -> Substring { Substring(String(decoding: fields[i], as: UTF8.self)) }
        if registry.isEmpty, fields.count >= 6, let v = Double(text(0)), v >= 1 {
            // Version line.
            registry = String(text(1))
            endDate = Int(text(5))
            return
        }
        if fields.count == 6, text(5) == "summary" { return }
        guard fields.count >= 7 else {
            warn(number, "expected at least 7 fields, found \(fields.count)")
            return
        }
        if text(6) == "summary" || text(1) == "*" { return }
        let status = text(6)
        guard status == "allocated" || status == "assigned" else { return }
        guard let cc = CountryCode(text(1)) else {
            if !fields[1].isEmpty { warn(number, "country '\(text(1))' is not a two-letter code") }
            return
        }
        switch text(2) {
        case "ipv4":
            guard let address = IPAddress(text(3)), !address.isV6, let count = UInt64(text(4)), count > 0,
                  UInt64(address.v4) + count <= 1 << 32 else {
                warn(number, "malformed ipv4 record")
                return
            }
            for block in Self.cidrs(from: address.v4, count: count) { ipv4.append((block, cc)) }
        case "ipv6":
            guard let address = IPAddress(text(3)), address.isV6, let length = Int(text(4)),
                  let block = Prefix(checked: address, length: length) else {
                warn(number, "malformed ipv6 record")
                return
            }
            ipv6.append((block, cc))
        case "asn":
            guard let first = UInt32(text(3)), let count = UInt32(text(4)), count > 0 else {
                warn(number, "malformed asn record")
                return
            }
            asns.append(ASNRange(first: first, count: count, country: cc))
        default:
            warn(number, "unknown resource type '\(text(2))'")
        }
    }

    /// The CIDR blocks that exactly cover `count` addresses from `start`.
    public static func cidrs(from start: UInt32, count: UInt64) -> [Prefix] {
        var out: [Prefix] = []
        var next = UInt64(start)
        let end = UInt64(start) + count
        while next < end {
            // Largest aligned block at `next` that fits.
            var size: UInt64 = next == 0 ? 1 << 32 : UInt64(1) << UInt64((next & (~next + 1)).trailingZeroBitCount)
            while next + size > end { size >>= 1 }
            let length = 32 - size.trailingZeroBitCount
            out.append(Prefix(address: IPAddress(v4: UInt32(truncatingIfNeeded: next)), length: UInt8(length)))
            next += size
        }
        return out
    }
}
