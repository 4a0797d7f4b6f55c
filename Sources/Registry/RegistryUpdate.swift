#if canImport(Glibc)
import Glibc
#endif

/// Downloading the current RIR statistics files.
///
/// Each RIR publishes its file on its own server; `--base-url` points at one server with
/// the common mirror layout `<base>/<rir>/<file>` (as ftp.ripe.net/pub/stats has, and as a
/// local mirror or test server can). Transfers use `curl` (HTTPS, redirects, retries), so
/// that the tool itself carries no TLS stack. Each file is written beside its final name,
/// checked to be an RIR statistics file, and renamed into place: a failed download never
/// replaces a good file.
public enum RegistryUpdate {
    public struct Source: Sendable {
        public var registry: String
        public var file: String
        public var url: String
    }

    /// The canonical sources, or the mirror layout under `baseURL`.
    public static func sources(baseURL: String?) -> [Source] {
        let canonical: [(String, String, String)] = [
            ("afrinic", "delegated-afrinic-extended-latest", "https://ftp.afrinic.net/pub/stats/afrinic"),
            ("apnic", "delegated-apnic-extended-latest", "https://ftp.apnic.net/stats/apnic"),
            ("arin", "delegated-arin-extended-latest", "https://ftp.arin.net/pub/stats/arin"),
            ("lacnic", "delegated-lacnic-extended-latest", "https://ftp.lacnic.net/pub/stats/lacnic"),
            ("ripencc", "delegated-ripencc-extended-latest", "https://ftp.ripe.net/pub/stats/ripencc"),
            ("iana", "delegated-iana-latest", "https://ftp.apnic.net/stats/iana"),
        ]
        return canonical.map { registry, file, dir in
            if let base = baseURL {
                let b = base.hasSuffix("/") ? String(base.dropLast()) : base
                return Source(registry: registry, file: file, url: "\(b)/\(registry)/\(file)")
            }
            return Source(registry: registry, file: file, url: "\(dir)/\(file)")
        }
    }

    public struct Result: Sendable {
        public var source: Source
        public var bytes: Int?
        public var error: String?
    }

    /// Downloads every source into `directory` (created if needed).
    public static func run(directory: String, baseURL: String?, progress: (String) -> Void) throws -> [Result] {
        try makeDirectory(directory)
        var results: [Result] = []
        for s in sources(baseURL: baseURL) {
            let final = directory + "/" + s.file
            let part = final + ".part"
            progress("fetching \(s.url)")
            let status = spawnCurl(url: s.url, output: part)
            if status != 0 {
                unlink(part)
                results.append(Result(source: s, bytes: nil, error: curlMessage(status)))
                continue
            }
            if let problem = checkStatisticsFile(part, registry: s.registry) {
                unlink(part)
                results.append(Result(source: s, bytes: nil, error: problem))
                continue
            }
            let size = fileSignature(part)?.size ?? 0
            guard rename(part, final) == 0 else {
                unlink(part)
                results.append(Result(source: s, bytes: nil, error: "cannot rename into \(final)"))
                continue
            }
            results.append(Result(source: s, bytes: size, error: nil))
        }
        return results
    }

    /// Whether the file starts (after comments) with an RIR statistics version line.
    static func checkStatisticsFile(_ path: String, registry: String) -> String? {
        guard let text = try? readText(path) else { return "downloaded file cannot be read" }
        var version: [Substring]?
        forEachLine(text) { _, line in
            guard version == nil, let first = line.first, first != UInt8(ascii: "#") else { return }
            version = String(decoding: line, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        }
        guard let v = version, v.count >= 6, Double(v[0]) != nil else {
            return "not an RIR statistics file (no version line)"
        }
        if v[1].lowercased() != registry { return "version line names registry '\(v[1])', not \(registry)" }
        return nil
    }

    static func makeDirectory(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) != S_IFDIR { throw RegistryError(path: path, "exists and is not a directory") }
            return
        }
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if stat(partial, &st) != 0, mkdir(partial, 0o755) != 0, errno != EEXIST {
                throw RegistryError(path: partial, "cannot create directory: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Runs `curl` and returns its exit status (127 when curl cannot be run).
    static func spawnCurl(url: String, output: String) -> Int32 {
        let args = ["curl", "--fail", "--silent", "--show-error", "--location", "--retry", "2",
                    "--connect-timeout", "30", "--max-time", "900", "--output", output, url]
        var pid = pid_t()
        var cargs = args.map { strdup($0) }
        cargs.append(nil)
        defer { for a in cargs { free(a) } }
        let rc = posix_spawnp(&pid, "curl", nil, nil, cargs, environ)
        guard rc == 0 else { return 127 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 127 }
        }
        // WIFEXITED / WEXITSTATUS
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    static func curlMessage(_ status: Int32) -> String {
        switch status {
        case 127: return "cannot run curl (apt-get install -y curl)"
        case 6: return "cannot resolve the host"
        case 7: return "cannot connect to the server"
        case 22: return "the server answered with an HTTP error (file not there?)"
        case 28: return "timed out"
        case 35, 60: return "TLS failure"
        default: return "download failed (curl exit \(status))"
        }
    }

    /// The default registry directory: `$XDG_DATA_HOME/blackout/registry`, else
    /// `~/.local/share/blackout/registry`.
    public static var defaultDirectory: String {
        if let xdg = getenv("XDG_DATA_HOME").map({ String(cString: $0) }), !xdg.isEmpty { return xdg + "/blackout/registry" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.local/share/blackout/registry"
    }
}
