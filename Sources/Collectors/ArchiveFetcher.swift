/// Where archive files come from and where they go.
public struct ArchiveSource: Sendable {
    /// RouteViews' base URL (a mirror, or a test server on 127.0.0.1).
    public var routeViewsURL = CollectorProject.routeViews.defaultBaseURL
    /// RIPE RIS's base URL.
    public var risURL = CollectorProject.ris.defaultBaseURL
    /// Read the projects' layout from this directory instead of downloading.
    public var archiveDirectory: String?
    /// Where downloads are kept (and looked for first): by default `~/.cache/blackout/archives`.
    public var cacheDirectory = ArchiveSource.defaultCacheDirectory
    public var download = DownloadOptions()
    /// How far back a missing RIB dump is looked for.
    public var ribLookback = ArchivePlan.defaultLookback

    public static var defaultCacheDirectory: String { LocalFiles.cacheDirectory("archives") }

    public init() {}

    func baseURL(_ project: CollectorProject) -> String {
        let base = project == .ris ? risURL : routeViewsURL
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }
}

/// A file fetched (or found), ready to read.
public struct FetchedFile: Sendable, Hashable {
    public var file: ArchiveFile
    /// Its local path.
    public var path: String
    /// Bytes transferred now; 0 when it was in the cache or the archive directory.
    public var downloadedBytes: Int
    public var fromCache: Bool
}

/// A file the archive does not have.
public struct MissingFile: Sendable, Hashable, CustomStringConvertible {
    public var file: ArchiveFile
    /// The URL asked (or the local path looked at).
    public var location: String
    public var description: String { "\(location): missing" }
}

/// What a fetch came to: files to read, in time order per collector, and what was missing or failed.
public struct FetchReport: Sendable {
    public var files: [FetchedFile] = []
    /// Missing files are normal in these archives: reported, never fatal.
    public var missing: [MissingFile] = []
    /// Files that could not be had (after retries): reported; the run goes on without them.
    public var failed: [(file: ArchiveFile, error: CollectorError)] = []
    public var downloadedBytes: Int { files.reduce(0) { $0 + $1.downloadedBytes } }
    public var downloadedFiles: Int { files.count { !$0.fromCache && $0.downloadedBytes > 0 } }
    public init() {}
}

/// Fetches a collector's archive files for a time range: the RIB dump at or before the start
/// (looking further back when that one is missing) and the update files after it, from the
/// projects' servers through the cache, or from a local copy of their layout.
public final class ArchiveFetcher: Sendable {
    public let source: ArchiveSource
    let downloader: Downloader?

    public init(source: ArchiveSource) {
        self.source = source
        downloader = source.archiveDirectory == nil ? Downloader(options: source.download) : nil
    }

    /// Closes the HTTP client; call once when done.
    public func shutdown() async {
        await downloader?.shutdown()
    }

    /// Events while fetching, for a progress display.
    public enum Event: Sendable {
        case planned(files: Int)
        case missing(MissingFile)
        case fetched(FetchedFile)
        case failed(ArchiveFile, CollectorError)
        case bytes(DownloadProgress)
    }

    /// Fetches `selection` for every collector in `from...to`.
    ///
    /// Throws when the times are out of order, a collector did not exist then, a collector
    /// has no RIB dump within the lookback (with `.ribs` or `.all`), or nothing at all was found.
    public func fetch(collectors: [Collector], from: UInt32, to: UInt32, selection: ArchiveSelection,
                      onEvent: @escaping @Sendable (Event) -> Void = { _ in }) async throws(CollectorError) -> FetchReport {
        guard from <= to else { throw .timesOutOfOrder(from: utcText(from), to: utcText(to)) }
        if let dir = source.archiveDirectory, !LocalFiles.isDirectory(dir) {
            throw .file(path: dir, reason: "no such directory (the archive directory)")
        }
        for c in collectors where !c.covers(from: from, to: to) { throw .notArchived(collector: c.name, span: c.span) }
        var report = FetchReport()
        var todo: [ArchiveFile] = []
        for c in collectors {
            let plan = ArchivePlan(collector: c, from: from, to: to, selection: selection, lookback: source.ribLookback)
            var updates = plan.updates
            if selection != .updates {
                guard let rib = try await firstRIB(plan.ribCandidates, report: &report, onEvent: onEvent) else {
                    throw .noRIB(collector: c.name, before: utcText(from), lookback: "\(source.ribLookback / 3600) h")
                }
                if selection == .all { updates = plan.updates(after: rib.file.time) }
            }
            todo += updates
        }
        onEvent(.planned(files: report.files.count + todo.count))
        let got = await fetchAll(todo, onEvent: onEvent)
        report.files += got.files
        report.missing += got.missing
        report.failed += got.failed
        report.files.sort { ($0.file.time, $0.file.kind == .updates ? 1 : 0, $0.file.collector.name) < ($1.file.time, $1.file.kind == .updates ? 1 : 0, $1.file.collector.name) }
        guard !report.files.isEmpty else {
            throw .noFiles("\(collectors.map(\.name).joined(separator: ", ")) from \(utcText(from)) to \(utcText(to)) (\(report.missing.count) missing, \(report.failed.count) failed)")
        }
        return report
    }

    /// The newest RIB dump of `collector` at or before `time`, looking back `source.ribLookback`.
    public func latestRIB(collector: Collector, atOrBefore time: UInt32,
                          onEvent: @escaping @Sendable (Event) -> Void = { _ in }) async throws(CollectorError) -> FetchedFile {
        let plan = ArchivePlan(collector: collector, from: time, to: time, selection: .ribs, lookback: source.ribLookback)
        var report = FetchReport()
        guard let rib = try await firstRIB(plan.ribCandidates, report: &report, onEvent: onEvent) else {
            throw .noRIB(collector: collector.name, before: utcText(time), lookback: "\(source.ribLookback / 3600) h")
        }
        return rib
    }

    /// The first of `candidates` the archive has; missing ones are reported as such.
    private func firstRIB(_ candidates: [ArchiveFile], report: inout FetchReport,
                          onEvent: @escaping @Sendable (Event) -> Void) async throws(CollectorError) -> FetchedFile? {
        for file in candidates {
            switch try await fetchOne(file, onEvent: onEvent) {
            case .fetched(let f):
                report.files.append(f)
                onEvent(.fetched(f))
                return f
            case .missing(let m):
                report.missing.append(m)
                onEvent(.missing(m))
            }
        }
        return nil
    }

    /// Fetches `files`, `download.concurrency` at a time; failures are collected, not thrown.
    public func fetchAll(_ files: [ArchiveFile], onEvent: @escaping @Sendable (Event) -> Void = { _ in }) async -> FetchReport {
        var report = FetchReport()
        await withTaskGroup(of: (ArchiveFile, Result<FetchOutcome, CollectorError>).self) { group in
            var next = 0
            func start() {
                guard next < files.count else { return }
                let f = files[next]
                next += 1
                group.addTask {
                    do throws(CollectorError) { return (f, .success(try await self.fetchOne(f, onEvent: onEvent))) } catch { return (f, .failure(error)) }
                }
            }
            for _ in 0..<max(source.download.concurrency, 1) { start() }
            while let (file, result) = await group.next() {
                switch result {
                case .success(.fetched(let f)):
                    report.files.append(f)
                    onEvent(.fetched(f))
                case .success(.missing(let m)):
                    report.missing.append(m)
                    onEvent(.missing(m))
                case .failure(let e):
                    report.failed.append((file, e))
                    onEvent(.failed(file, e))
                }
                start()
            }
        }
        report.files.sort { $0.file.time < $1.file.time }
        return report
    }

    enum FetchOutcome: Sendable {
        case fetched(FetchedFile)
        case missing(MissingFile)
    }

    /// One file: from the archive directory, else the cache, else the project's server.
    func fetchOne(_ file: ArchiveFile, onEvent: @escaping @Sendable (Event) -> Void) async throws(CollectorError) -> FetchOutcome {
        if let dir = source.archiveDirectory {
            let paths = ([file.localPath] + file.remotePaths).map { "\(dir)/\($0)" }
            for p in paths where LocalFiles.size(p) != nil {
                return .fetched(FetchedFile(file: file, path: p, downloadedBytes: 0, fromCache: true))
            }
            return .missing(MissingFile(file: file, location: paths[0]))
        }
        let local = "\(source.cacheDirectory)/\(file.localPath)"
        let base = source.baseURL(file.collector.project)
        for remote in file.remotePaths {
            let url = "\(base)/\(remote)"
            let outcome = try await downloader!.download(url, to: local, check: ArchiveContent.checkMRT) { onEvent(.bytes($0)) }
            switch outcome {
            case .cached:
                return .fetched(FetchedFile(file: file, path: local, downloadedBytes: 0, fromCache: true))
            case .downloaded(let bytes, let resumedFrom):
                return .fetched(FetchedFile(file: file, path: local, downloadedBytes: bytes - resumedFrom, fromCache: false))
            case .missing:
                continue
            }
        }
        // Named by where the project publishes it first (route-views2: at the top of the archive).
        return .missing(MissingFile(file: file, location: "\(base)/\(file.remotePaths[0])"))
    }
}

/// `2014-12-22 16:15 UTC`.
public func utcText(_ t: UInt32) -> String {
    let stamp = ArchiveFile.stamp(t)
    let d = stamp.day, m = stamp.minute
    return "\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2)) \(m.prefix(2)):\(m.suffix(2)) UTC"
}
