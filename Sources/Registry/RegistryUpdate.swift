#if canImport(Glibc)
import Glibc
#endif

/// Where RIR statistics files are kept, and what makes a downloaded one acceptable
/// (downloading them is `Collectors.RegistryFetcher`'s).
public enum RegistryUpdate {
    /// nil when the file (plain, gzip or bzip2) starts, after comments, with the version line
    /// of `registry`'s statistics file; else why not.
    public static func checkStatisticsFile(_ path: String, registry: String) -> String? {
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

    /// The default registry directory: `$XDG_DATA_HOME/blackout/registry`, else
    /// `~/.local/share/blackout/registry`.
    public static var defaultDirectory: String {
        if let xdg = getenv("XDG_DATA_HOME").map({ String(cString: $0) }), !xdg.isEmpty { return xdg + "/blackout/registry" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.local/share/blackout/registry"
    }
}
