import Registry

#if canImport(Glibc)
import Glibc
#endif

/// Downloads the RIRs' statistics files (the "RIR statistics exchange format"): the current
/// ones, or those of a date, so that a 2014 routing table is mapped with 2014 registrations.
///
/// Each RIR publishes on its own server; the dated files sit in a per-year folder
/// (`ripencc/2014/delegated-ripencc-20141221.bz2`, `apnic/2014/delegated-apnic-20141221.gz`),
/// some older ones at the top or under `archive/`, and after 2013 also as `-extended-`
/// files: each place is asked in turn until one has the file. `registryURL` replaces every
/// RIR's server with one laid out as `<base>/<rir>/...`, as ftp.ripe.net/pub/stats mirrors
/// them (and as a test server on 127.0.0.1 does). Downloads follow `Downloader`'s rules, and a
/// file is kept only when it is the named RIR's statistics file.
public struct RegistryFetcher: Sendable {
    /// One RIR's server directory and the compression of its dated files.
    public struct Registry: Sendable, Hashable {
        public var name: String
        public var directory: String
        public var datedSuffix: String
        public var latestFile: String
    }

    public static let registries: [Registry] = [
        Registry(name: "afrinic", directory: "https://ftp.afrinic.net/pub/stats/afrinic", datedSuffix: "",
                 latestFile: "delegated-afrinic-extended-latest"),
        Registry(name: "apnic", directory: "https://ftp.apnic.net/stats/apnic", datedSuffix: ".gz",
                 latestFile: "delegated-apnic-extended-latest"),
        Registry(name: "arin", directory: "https://ftp.arin.net/pub/stats/arin", datedSuffix: "",
                 latestFile: "delegated-arin-extended-latest"),
        Registry(name: "lacnic", directory: "https://ftp.lacnic.net/pub/stats/lacnic", datedSuffix: "",
                 latestFile: "delegated-lacnic-extended-latest"),
        Registry(name: "ripencc", directory: "https://ftp.ripe.net/pub/stats/ripencc", datedSuffix: ".bz2",
                 latestFile: "delegated-ripencc-extended-latest"),
    ]
    /// IANA's file says which RIR holds each block; it has no dated copies.
    public static let iana = Registry(name: "iana", directory: "https://ftp.apnic.net/stats/iana", datedSuffix: "",
                                      latestFile: "delegated-iana-latest")

    public var registryURL: String?
    public var download: DownloadOptions

    public init(registryURL: String? = nil, download: DownloadOptions = DownloadOptions()) {
        self.registryURL = registryURL
        self.download = download
    }

    /// One file's fate.
    public struct Result: Sendable {
        public var registry: String
        /// The URL it came from, or the last one asked.
        public var url: String
        /// Where it is now; nil when it could not be had.
        public var path: String?
        /// Bytes transferred now (0 when it was there already).
        public var bytes: Int
        public var error: String?
    }

    func serverDirectory(of r: Registry) -> String {
        guard let base = registryURL else { return r.directory }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + r.name
    }

    /// Places to ask for `r`'s file of `day` (YYYYMMDD), in order.
    func datedURLs(_ r: Registry, day: String) -> [(url: String, name: String)] {
        let dir = serverDirectory(of: r), year = String(day.prefix(4))
        var out: [(String, String)] = []
        for kind in ["", "extended-"] {
            for suffix in Set([r.datedSuffix, ""]).sorted(by: { $0.count > $1.count }) {
                let name = "delegated-\(r.name)-\(kind)\(day)\(suffix)"
                out += [("\(dir)/\(year)/\(name)", name), ("\(dir)/\(name)", name), ("\(dir)/archive/\(year)/\(name)", name)]
            }
        }
        return out
    }

    /// The five RIRs' files of the day of `time` into `directory`, kept under their own names;
    /// a RIR without a file of that day gives its newest of the `daysBack` days before (RIRs
    /// skip days now and then). A file there already is not downloaded again.
    public func fetch(dayOf time: UInt32, daysBack: Int = 7, into directory: String) async -> [Result] {
        let downloader = Downloader(options: download)
        var results: [Result] = []
        for r in Self.registries {
            var result = Result(registry: r.name, url: "", path: nil, bytes: 0, error: nil)
            search: for back in 0...max(daysBack, 0) {
                let day = Self.day(time >= UInt32(back * 86_400) ? time - UInt32(back * 86_400) : 0)
                for (url, name) in datedURLs(r, day: day) {
                    result.url = url
                    let path = "\(directory)/\(name)"
                    do {
                        switch try await downloader.download(url, to: path, check: ArchiveContent.checkNotHTML) {
                        case .missing: continue
                        case .cached: result.path = path
                        case .downloaded(let bytes, let resumed):
                            if let problem = RegistryUpdate.checkStatisticsFile(path, registry: r.name) {
                                unlink(path)
                                result.error = problem
                            } else {
                                result.path = path
                                result.bytes = bytes - resumed
                            }
                        }
                    } catch {
                        result.error = "\(error)"
                    }
                    break search
                }
            }
            if result.path == nil, result.error == nil {
                result.url = serverDirectory(of: r)
                result.error = "no statistics file of \(Self.day(time)) or the \(daysBack) days before "
                    + "(looked in the year's folder, the top and archive/)"
            }
            results.append(result)
        }
        await downloader.shutdown()
        return results
    }

    /// The current files of the five RIRs and IANA into `directory`, each replacing the one
    /// there only when the new one is whole and is the RIR's statistics file.
    public func fetchLatest(into directory: String) async -> [Result] {
        let downloader = Downloader(options: download)
        var results: [Result] = []
        for r in Self.registries + [Self.iana] {
            let url = "\(serverDirectory(of: r))/\(r.latestFile)"
            let staging = "\(directory)/.\(r.latestFile).new"
            var result = Result(registry: r.name, url: url, path: nil, bytes: 0, error: nil)
            unlink(staging)
            do {
                switch try await downloader.download(url, to: staging, check: ArchiveContent.checkNotHTML) {
                case .missing(let status): result.error = "not on the server (HTTP \(status))"
                case .cached, .downloaded:
                    if let problem = RegistryUpdate.checkStatisticsFile(staging, registry: r.name) {
                        result.error = problem
                    } else if rename(staging, "\(directory)/\(r.latestFile)") != 0 {
                        result.error = "cannot rename into \(directory)/\(r.latestFile): \(String(cString: strerror(errno)))"
                    } else {
                        result.path = "\(directory)/\(r.latestFile)"
                        result.bytes = LocalFiles.size(result.path!) ?? 0
                    }
                }
            } catch {
                result.error = "\(error)"
            }
            unlink(staging)
            results.append(result)
        }
        await downloader.shutdown()
        return results
    }

    /// `YYYYMMDD` of a Unix time, UTC.
    public static func day(_ t: UInt32) -> String { ArchiveFile.stamp(t).day }
}
