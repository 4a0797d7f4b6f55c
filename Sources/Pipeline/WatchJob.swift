import Collectors
import Connectivity
import MRT
import Outages
import Registry
import Store

#if canImport(Glibc)
import Glibc
#endif

/// What `watch` is asked for.
public struct WatchOptions: Sendable {
    public var countries: [CountryCode]
    /// Origin ASes whose events are reported too.
    public var asns: [UInt32] = []
    public var collectors: [Collector]
    public var from: UInt32
    /// The end; nil to follow the archives as they grow.
    public var to: UInt32?
    public var archives = ArchiveSource()
    /// The registry files to map with; nil to fetch those of the data's date into `registryDestination`.
    public var registryDirectory: String?
    public var registryDestination = RegistryUpdate.defaultDirectory
    public var registryURL: String?
    public var detector = DetectorOptions()
    public var census = CensusOptions()
    /// Seconds between looks at the archives when following.
    public var pollSeconds: Double = 60
    /// When following: stop after this many looks (nil: until stopped).
    public var maxPolls: Int?
    /// A missing file older than this (behind the newest file found) is given up on when following.
    public var giveUpSeconds: UInt32 = 3 * 3600

    public init(countries: [CountryCode], collectors: [Collector], from: UInt32, to: UInt32?) {
        self.countries = countries
        self.collectors = collectors
        self.from = from
        self.to = to
    }
}

/// One country as `watch` reports it: its census, its events, a line that says it all.
public struct WatchCountry: Sendable {
    public var country: CountryCode
    /// Its census from the newest RIB dumps read (those at the start, without --follow; nil when none was read).
    public var census: CountryReport?
    public var events: [Event]
    public var summary: String
}

/// What a watch found.
public struct WatchReport: Sendable {
    public var countries: [WatchCountry] = []
    /// Events of origin ASes asked for with `asns`.
    public var asnEvents: [Event] = []
    public var fetch = FetchReport()
    public var ingested = 0
    public var elements = 0
    /// Damaged records skipped, and files that could not be read to their end (reported as warnings).
    public var damagedRecords = 0
    public var unreadableFiles = 0
    public var registryDirectory = ""
}

/// Why a watch stopped.
public struct WatchError: Error, CustomStringConvertible {
    public var description: String
}

/// `watch`: fetch the archives of a period (or follow them), ingest them into the store
/// (resuming its state), and report each country's census and events. The command line is
/// a shell over this, as a server or a worker would be.
public final class WatchJob {
    public let options: WatchOptions
    public let store: Store
    public var onWarning: (String) -> Void = { _ in }
    public var onFetch: @Sendable (ArchiveFetcher.Event) -> Void = { _ in }
    public var onIngestProgress: (IngestProgress) -> Void = { _ in }
    /// When following: an event opened (`closed` false) or closed.
    public var onEvent: (Event, _ closed: Bool) -> Void = { _, _ in }
    /// When following: the clock (Unix seconds); a test replays a past day with its own.
    public var clock: @Sendable () -> UInt32 = { UInt32(clamping: time(nil)) }

    public init(store: Store, options: WatchOptions) {
        self.store = store
        self.options = options
    }

    /// Fetches and ingests `from...to`, then reports.
    public func run() async throws -> WatchReport {
        guard let to = options.to else { throw WatchError(description: "run() needs an end; use follow(until:)") }
        var report = WatchReport()
        let fetcher = ArchiveFetcher(source: options.archives)
        do {
            report.fetch = try await fetcher.fetch(collectors: options.collectors, from: options.from, to: to, selection: .all,
                                                   onEvent: onFetch)
        } catch {
            await fetcher.shutdown()
            throw WatchError(description: "\(error)")
        }
        await fetcher.shutdown()
        report.registryDirectory = try await registry()
        try ingest(report.fetch.files, into: &report)
        try summarize(&report, to: to)
        return report
    }

    /// The registry directory: the one given, or the RIRs' files of the data's date fetched.
    func registry() async throws -> String {
        if let dir = options.registryDirectory { return dir }
        let day = RegistryFetcher.day(options.from)
        let fetcher = RegistryFetcher(registryURL: options.registryURL, download: options.archives.download)
        let results = await fetcher.fetch(dayOf: options.from, into: options.registryDestination)
        let failed = results.filter { $0.path == nil }
        for f in failed { onWarning("registry: \(f.url): \(f.error ?? "failed")") }
        guard failed.count < results.count else {
            throw WatchError(description: "no registry file of \(day) could be fetched (give --registry DIR, or see `blackout registry update --date`)")
        }
        return options.registryDestination
    }

    /// Ingests `files` (in any order) into the store, each as its collector's.
    func ingest(_ files: [FetchedFile], into report: inout WatchReport) throws {
        guard !files.isEmpty else { return }
        var ingestOptions = IngestOptions(registryDirectory: report.registryDirectory)
        ingestOptions.detector = options.detector
        let pipeline = IngestPipeline(store: store, options: ingestOptions)
        pipeline.onWarning = onWarning
        pipeline.onProgress = onIngestProgress
        let r: IngestReport
        let collectors = Dictionary(files.map { ($0.path, $0.file.collector.name) }, uniquingKeysWith: { a, _ in a })
        do { r = try pipeline.run(files: files.map(\.path), collectors: collectors) } catch { throw WatchError(description: "\(error)") }
        report.ingested += r.ingested.count
        report.elements += r.elements
        report.damagedRecords += r.damagedRecords
        report.unreadableFiles += r.failed.count
        lastIngest = r
    }

    /// The last ingest's report (for following: which events changed).
    public private(set) var lastIngest: IngestReport?

    /// Each country's census (from the newest RIB dump fetched of each collector), its events in
    /// the period, and a summary.
    func summarize(_ report: inout WatchReport, to: UInt32) throws {
        // The newest dump of each collector (following takes several).
        var newest: [String: FetchedFile] = [:]
        for f in report.fetch.files where f.file.kind == .rib && f.file.time >= newest[f.file.collector.name]?.file.time ?? 0 {
            newest[f.file.collector.name] = f
        }
        let ribs = newest.values.sorted { $0.file.collector.name < $1.file.collector.name }.map(\.path)
        var census: Census?
        if !ribs.isEmpty {
            var job = CensusJob(options: options.census, registryDirectory: report.registryDirectory)
            job.onWarning = onWarning
            do { census = try job.run(ribs: ribs).census } catch { onWarning("census: \(error)") }
        }
        do {
            for cc in options.countries {
                let events = try store.events(EventQuery(country: cc, from: options.from, to: to))
                let c = census?.report(for: cc) ?? census.map { _ in CountryReport.empty(cc) }
                report.countries.append(WatchCountry(country: cc, census: c, events: events, summary: WatchRendering.summary(cc, census: c, events: events)))
            }
            for asn in options.asns {
                report.asnEvents += try store.events(EventQuery(asn: asn, from: options.from, to: to))
            }
        } catch {
            throw WatchError(description: "\(error)")
        }
    }
}
