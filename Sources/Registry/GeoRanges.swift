import MRT

/// Geolocation ranges `start_ip,end_ip,CC` (DB-IP Lite's country CSV, gzip or plain).
/// Geolocation is not registration: it says where addresses are used, not who holds them.
public enum GeoRanges {
    public static func load(_ path: String) throws -> (v4: [(UInt64, UInt64, UInt16)], v6: [(UInt64, UInt64, UInt16)], warnings: [RegistryWarning]) {
        let text = try readText(path)
        var v4: [(UInt64, UInt64, UInt16)] = []
        var v6: [(UInt64, UInt64, UInt16)] = []
        var warnings: [RegistryWarning] = []
        forEachLine(text) { number, line in
            if line.isEmpty || line.first == UInt8(ascii: "#") { return }
            let f = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            guard f.count >= 3,
                  let a = IPAddress(String(decoding: f[0], as: UTF8.self).trimmingQuotes),
                  let b = IPAddress(String(decoding: f[1], as: UTF8.self).trimmingQuotes),
                  a.isV6 == b.isV6,
                  let cc = CountryCode(String(decoding: f[2], as: UTF8.self).trimmingQuotes) else {
                warnings.append(RegistryWarning(path: path, line: number, message: "expected start,end,CC"))
                return
            }
            if cc.description == "ZZ" { return }
            if a.isV6 {
                v6.append((a.high, b.high, cc.rawValue))
            } else {
                v4.append((UInt64(a.v4), UInt64(b.v4), cc.rawValue))
            }
        }
        return (v4, v6, warnings)
    }
}

extension String {
    var trimmingQuotes: String {
        var s = Substring(self)
        while s.first == "\"" || s.first == " " { s = s.dropFirst() }
        while s.last == "\"" || s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
