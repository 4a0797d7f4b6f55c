/// A MaxMind DB file (`.mmdb`: GeoLite2/GeoIP2 Country or City, DB-IP's MMDB editions),
/// read natively, following the MaxMind DB File Format Specification 2.0: a binary
/// search tree over the address bits whose leaves point into a data section of typed,
/// self-describing values, and a metadata map after the marker `\xAB\xCD\xEFMaxMind.com`.
///
/// Blackout needs country ranges, not point lookups, so `countryRanges()` walks the whole
/// tree once and turns each network whose record carries `country.iso_code` (else
/// `registered_country.iso_code`) into a range, keyed as `RangeTable` keys addresses.
public struct MMDBFile {
    public let path: String
    let bytes: [UInt8]
    public let nodeCount: Int
    public let recordSize: Int
    public let ipVersion: Int
    public let databaseType: String
    let treeSize: Int
    let dataStart: Int

    /// A decoded data-section value.
    indirect enum Value {
        case string(String)
        case unsigned(UInt64)
        case signed(Int64)
        case double(Double)
        case bool(Bool)
        case bytes([UInt8])
        case map([(String, Value)])
        case array([Value])

        subscript(key: String) -> Value? {
            guard case .map(let entries) = self else { return nil }
            return entries.first { $0.0 == key }?.1
        }

        var unsigned: Int? {
            switch self {
            case .unsigned(let v): Int(exactly: v)
            case .signed(let v): Int(exactly: v)
            default: nil
            }
        }
    }

    /// Whether `path` names a MaxMind DB file (by its `.mmdb` name).
    public static func isMMDB(_ path: String) -> Bool { path.lowercased().hasSuffix(".mmdb") }

    public init(path: String) throws {
        try self.init(path: path, bytes: readText(path))
    }

    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        self.bytes = bytes
        let marker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        // The metadata is in the last 128 KiB; the last marker wins.
        var start: Int?
        var i = bytes.count - marker.count
        let floor = max(0, bytes.count - 128 * 1024)
        while i >= floor {
            if bytes[i] == 0xAB, bytes[i..<(i + marker.count)].elementsEqual(marker) {
                start = i + marker.count
                break
            }
            i -= 1
        }
        guard let start else { throw RegistryError(path: path, "not a MaxMind DB file (no metadata marker)") }
        var decoder = Decoder(bytes: bytes, base: start, limit: bytes.count, path: path)
        var offset = start
        let metadata = try decoder.value(at: &offset)
        guard let nodes = metadata["node_count"]?.unsigned, let record = metadata["record_size"]?.unsigned,
              let version = metadata["ip_version"]?.unsigned else {
            throw RegistryError(path: path, "MaxMind DB metadata lacks node_count, record_size or ip_version")
        }
        guard [24, 28, 32].contains(record) else {
            throw RegistryError(path: path, "unsupported MaxMind DB record size \(record) (24, 28 or 32)")
        }
        guard version == 4 || version == 6 else {
            throw RegistryError(path: path, "MaxMind DB ip_version \(version) (4 or 6)")
        }
        nodeCount = nodes
        recordSize = record
        ipVersion = version
        if case .string(let type)? = metadata["database_type"] { databaseType = type } else { databaseType = "" }
        treeSize = nodes * record / 4
        dataStart = treeSize + 16
        guard dataStart <= start - marker.count else {
            throw RegistryError(path: path, "MaxMind DB search tree (\(nodes) nodes) larger than the file")
        }
    }

    /// The two records of a node: child node numbers, `nodeCount` for no data, or data pointers.
    @inline(__always)
    func records(_ node: Int) -> (UInt32, UInt32) {
        switch recordSize {
        case 24:
            let o = node * 6
            return (UInt32(bytes[o]) << 16 | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]),
                    UInt32(bytes[o + 3]) << 16 | UInt32(bytes[o + 4]) << 8 | UInt32(bytes[o + 5]))
        case 28:
            let o = node * 7
            let middle = UInt32(bytes[o + 3])
            return ((middle & 0xF0) << 20 | UInt32(bytes[o]) << 16 | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]),
                    (middle & 0x0F) << 24 | UInt32(bytes[o + 4]) << 16 | UInt32(bytes[o + 5]) << 8 | UInt32(bytes[o + 6]))
        default:
            let o = node * 8
            func word(_ p: Int) -> UInt32 {
                UInt32(bytes[p]) << 24 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 8 | UInt32(bytes[p + 3])
            }
            return (word(o), word(o + 4))
        }
    }

    /// Country ranges: IPv4 keyed by address, IPv6 by the upper 64 bits of the address
    /// (a /64 that the file splits into longer networks takes the country of its first
    /// address). Aliases of the IPv4 tree inside the IPv6
    /// tree (::ffff:0:0/96, 2002::/16 and the like) are not walked twice.
    public func countryRanges() throws -> (v4: [(UInt64, UInt64, UInt16)], v6: [(UInt64, UInt64, UInt16)]) {
        var decoder = Decoder(bytes: bytes, base: dataStart, limit: bytes.count, path: path)
        var countries: [UInt32: UInt16] = [:]  // data pointer -> country (0: none)
        func country(_ record: UInt32) throws -> UInt16 {
            if let cc = countries[record] { return cc }
            var offset = dataStart + Int(record) - nodeCount - 16
            guard offset >= dataStart, offset < bytes.count else {
                throw RegistryError(path: path, "MaxMind DB data pointer \(record) outside the file")
            }
            let value = try decoder.value(at: &offset)
            var cc: UInt16 = 0
            for key in ["country", "registered_country"] {
                if case .string(let code)? = value[key]?["iso_code"], let c = CountryCode(code) {
                    cc = c.rawValue
                    break
                }
            }
            countries[record] = cc
            return cc
        }

        // The IPv4 subtree: 96 zero bits down an IPv6 tree, the root of an IPv4 one.
        var v4Root: Int? = 0
        var v4Leaf: UInt32?
        if ipVersion == 6 {
            var node = 0
            for _ in 0..<96 {
                let left = records(node).0
                if Int(left) >= nodeCount {
                    v4Root = nil
                    v4Leaf = left
                    break
                }
                node = Int(left)
            }
            if v4Leaf == nil { v4Root = node }
        }
        var v4: [(UInt64, UInt64, UInt16)] = []
        var v6: [(UInt64, UInt64, UInt16)] = []
        if let leaf = v4Leaf, Int(leaf) > nodeCount {  // one record for all of IPv4
            let cc = try country(leaf)
            if cc != 0 { v4.append((0, UInt64(UInt32.max), cc)) }
        }
        if let root = v4Root {
            try walk(from: root, keyBits: 32, skip: nil, country: country) { v4.append($0) }
        }
        if ipVersion == 6 {
            try walk(from: 0, keyBits: 64, skip: v4Root, country: country) { v6.append($0) }
        }
        return (v4, v6)
    }

    /// Walks the tree below `root` to `keyBits` bits deep, handing each network with a
    /// country to `emit` as a key range.
    private func walk(from root: Int, keyBits: Int, skip: Int?, country: (UInt32) throws -> UInt16,
                      emit: ((UInt64, UInt64, UInt16)) -> Void) throws {
        var stack: [(node: Int, depth: Int, bits: UInt64)] = [(root, 0, 0)]
        var visited = 0
        while let (node, depth, bits) = stack.popLast() {
            visited += 1
            // Depth bounds the walk; this bounds the work a file sharing subtrees can ask for.
            guard visited <= 64 * nodeCount + 64 else {
                throw RegistryError(path: path, "MaxMind DB search tree revisits its nodes too often (malformed?)")
            }
            let (left, right) = records(node)
            for (bit, record) in [(UInt64(0), left), (UInt64(1), right)] {
                let childBits = bits << 1 | bit
                let childDepth = depth + 1
                if Int(record) < nodeCount {
                    if Int(record) == skip { continue }
                    if childDepth < keyBits {
                        stack.append((Int(record), childDepth, childBits))
                        continue
                    }
                    // A key that the file splits further takes the country of its first
                    // address (the network address rule for the prefixes it starts).
                    var node = Int(record)
                    var steps = 0
                    while node < nodeCount, steps < 128 {
                        node = Int(records(node).0)
                        steps += 1
                    }
                    if node > nodeCount, case let cc = try country(UInt32(node)), cc != 0 { emit((childBits, childBits, cc)) }
                } else if Int(record) > nodeCount {
                    let cc = try country(record)
                    guard cc != 0 else { continue }
                    let hostBits = UInt64(keyBits - childDepth)
                    let first = hostBits >= 64 ? 0 : childBits << hostBits
                    let last = hostBits >= 64 ? UInt64.max : first | ((1 << hostBits) - 1)
                    emit((first, last, cc))
                }
            }
        }
    }

    /// Reads data-section values (section 'Output Data Section' of the specification).
    struct Decoder {
        let bytes: [UInt8]
        /// Where pointers count from: the data section, or the metadata for metadata.
        let base: Int
        let limit: Int
        let path: String
        var depth = 0

        private func fail(_ offset: Int, _ what: String) -> RegistryError {
            RegistryError(path: path, "MaxMind DB data at byte \(offset): \(what)")
        }

        private func byte(_ offset: Int) throws -> UInt8 {
            guard offset < limit else { throw fail(offset, "runs past the end of the file") }
            return bytes[offset]
        }

        private func uint(_ offset: Int, _ size: Int) throws -> UInt64 {
            guard size <= 16, offset + size <= limit else { throw fail(offset, "runs past the end of the file") }
            var v: UInt64 = 0
            for i in 0..<size { v = v << 8 | UInt64(bytes[offset + i]) }  // uint128 keeps its low 64 bits
            return v
        }

        mutating func value(at offset: inout Int) throws -> Value {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { throw fail(offset, "values nested too deep") }
            let control = try byte(offset)
            offset += 1
            var type = Int(control >> 5)
            if type == 1 {  // pointer: follow it, continue after the pointer itself
                let size = Int(control >> 3 & 0x3)
                let high = UInt64(control & 0x7)
                let raw = try uint(offset, size + 1)
                offset += size + 1
                let target: UInt64
                switch size {
                case 0: target = high << 8 | raw
                case 1: target = (high << 16 | raw) + 2048
                case 2: target = (high << 24 | raw) + 526_336
                default: target = raw
                }
                var at = base + Int(target)
                guard at < limit else { throw fail(offset, "pointer \(target) outside the file") }
                return try value(at: &at)
            }
            if type == 0 {  // extended type
                type = 7 + Int(try byte(offset))
                offset += 1
            }
            var size = Int(control & 0x1F)
            switch size {
            case 29: size = 29 + Int(try uint(offset, 1)); offset += 1
            case 30: size = 285 + Int(try uint(offset, 2)); offset += 2
            case 31: size = 65_821 + Int(try uint(offset, 3)); offset += 3
            default: break
            }
            switch type {
            case 2, 4:  // UTF-8 string, bytes
                guard offset + size <= limit else { throw fail(offset, "runs past the end of the file") }
                let slice = bytes[offset..<(offset + size)]
                offset += size
                return type == 2 ? .string(String(decoding: slice, as: UTF8.self)) : .bytes(Array(slice))
            case 3:  // double
                guard size == 8 else { throw fail(offset, "double of \(size) bytes") }
                let v = try uint(offset, 8)
                offset += 8
                return .double(Double(bitPattern: v))
            case 15:  // float
                guard size == 4 else { throw fail(offset, "float of \(size) bytes") }
                let v = try uint(offset, 4)
                offset += 4
                return .double(Double(Float(bitPattern: UInt32(v))))
            case 5, 6, 9, 10:  // uint16, uint32, uint64, uint128
                let v = try uint(offset, size)
                offset += size
                return .unsigned(v)
            case 8:  // int32
                guard size <= 4 else { throw fail(offset, "int32 of \(size) bytes") }
                let v = try uint(offset, size)
                offset += size
                // Shorter fields are zero-padded on the left: a negative int32 takes 4 bytes.
                return .signed(Int64(Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: v))))
            case 14:
                return .bool(size != 0)
            case 7:  // map
                var entries: [(String, Value)] = []
                for _ in 0..<size {
                    guard case .string(let key) = try value(at: &offset) else { throw fail(offset, "map key is not a string") }
                    entries.append((key, try value(at: &offset)))
                }
                return .map(entries)
            case 11:  // array
                var items: [Value] = []
                for _ in 0..<size { items.append(try value(at: &offset)) }
                return .array(items)
            default:
                throw fail(offset - 1, "unknown data type \(type)")
            }
        }
    }
}
