#if canImport(Glibc)
import Glibc
#endif

/// The few file-system operations downloads need, as POSIX calls (no Foundation).
enum LocalFiles {
    /// The size of a regular file, nil when there is none.
    static func size(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates `path` and its parents as needed.
    static func makeDirectory(_ path: String) throws(CollectorError) {
        if isDirectory(path) { return }
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if !isDirectory(partial), mkdir(partial, 0o755) != 0, errno != EEXIST {
                throw .file(path: partial, reason: "cannot create the directory: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Creates the directory that will hold `file`.
    static func makeDirectory(containing file: String) throws(CollectorError) {
        guard let slash = file.lastIndex(of: "/") else { return }
        try makeDirectory(String(file[..<slash]))
    }

    /// Writes all of `bytes` to `fd` (the file at `path`, for the error).
    static func write(_ bytes: [UInt8], to fd: Int32, path: String) throws(CollectorError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .file(path: path, reason: "cannot write: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// `$HOME/.cache/blackout/<name>` (or under `$XDG_CACHE_HOME`).
    static func cacheDirectory(_ name: String) -> String {
        if let xdg = getenv("XDG_CACHE_HOME").map({ String(cString: $0) }), !xdg.isEmpty { return "\(xdg)/blackout/\(name)" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/tmp"
        return "\(home)/.cache/blackout/\(name)"
    }
}
