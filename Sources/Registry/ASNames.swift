/// AS names, from a JSON object of `"ASN": "NAME description, CC"` (as in
/// `asnames.json.gz`). A small parser for that flat shape: strings only, with escapes.
public enum ASNames {
    public static func load(_ path: String) throws -> [UInt32: String] {
        let text = try readText(path)
        var out: [UInt32: String] = [:]
        var i = 0
        let n = text.count
        func skipSpace() { while i < n, [32, 9, 10, 13, 44, 58, 123, 125].contains(text[i]) { i += 1 } }
        func string() throws -> String {
            guard i < n, text[i] == 34 else { throw RegistryError(path: path, "expected a string at byte \(i)") }
            i += 1
            var bytes: [UInt8] = []
            while i < n, text[i] != 34 {
                if text[i] == 92, i + 1 < n {
                    i += 1
                    switch text[i] {
                    case 110: bytes.append(10)
                    case 116: bytes.append(9)
                    case 117:
                        guard i + 4 < n, let v = UInt32(String(decoding: text[(i + 1)...(i + 4)], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(v) else { throw RegistryError(path: path, "bad \\u escape at byte \(i)") }
                        bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
                        i += 4
                    default: bytes.append(text[i])
                    }
                } else {
                    bytes.append(text[i])
                }
                i += 1
            }
            guard i < n else { throw RegistryError(path: path, "unterminated string") }
            i += 1
            return String(decoding: bytes, as: UTF8.self)
        }
        skipSpace()
        while i < n {
            let key = try string()
            skipSpace()
            let value = try string()
            skipSpace()
            if let asn = UInt32(key) { out[asn] = value }
        }
        return out
    }
}
