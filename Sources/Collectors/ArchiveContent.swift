/// What the first bytes of a download say it is.
///
/// An archive file is gzip (RFC 1952: 1f 8b), bzip2 (`BZh` and a block size digit) or plain
/// MRT (RFC 6396 §2: a 12-byte header whose type is one the RFC registers). A web server's
/// error page, sent with status 200 by some mirrors and proxies, starts with `<`.
public enum ArchiveContent {
    /// nil when `bytes` start like an MRT archive, compressed or not; else why not.
    @Sendable public static func checkMRT(_ bytes: [UInt8]) -> String? {
        if let problem = checkNotHTML(bytes) { return problem }
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B { return nil }
        if bytes.count >= 4, bytes[0] == 0x42, bytes[1] == 0x5A, bytes[2] == 0x68, (0x31...0x39).contains(bytes[3]) { return nil }
        if bytes.count >= 12 {
            let type = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
            // OSPFv2, TABLE_DUMP, TABLE_DUMP_V2, BGP4MP(_ET), ISIS(_ET), OSPFv3(_ET), and the deprecated 0-10.
            if type <= 13 || [16, 17, 32, 33, 48, 49].contains(type) { return nil }
        }
        return "not an MRT archive (neither gzip, bzip2 nor an MRT header at its start)"
    }

    /// nil unless `bytes` look like an HTML or XML page.
    @Sendable public static func checkNotHTML(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), first == UInt8(ascii: "<") else { return nil }
        // The page's title says what the server meant ("404 Not Found", "Access denied").
        let text = String(decoding: bytes.prefix(512), as: UTF8.self)
        let parts = text.split(separator: "<", omittingEmptySubsequences: true)
        let title = parts.first { $0.lowercased().hasPrefix("title>") }.map { String($0.dropFirst(6)) }
        return "the server sent a web page, not the file" + (title.map { " (\"\($0)\")" } ?? "")
    }
}
