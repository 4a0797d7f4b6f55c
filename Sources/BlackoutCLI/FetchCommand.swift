import ArgumentParser
import Collectors

/// `blackout fetch`: a collector's archive files for a time range, into the cache.
struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download RouteViews and RIPE RIS archive files for a time range (RIB dump and updates).",
        discussion: """
            For each collector: the RIB dump at or before --from (further back when that one is missing, up \
            to a day), then every update file from that dump to --to. RouteViews dumps its RIBs every 2 hours \
            and its updates every 15 minutes (bzip2); RIS every 8 hours (bview) and 5 minutes (gzip). \
            Downloads run in parallel, resume where an interrupted one stopped, are retried with back-off, \
            and are written under a temporary name and renamed only when whole. Files are kept in the cache \
            (--dest, by default ~/.cache/blackout/archives) in the projects' layout and never downloaded \
            twice. A missing file is normal in these archives: it is reported and the fetch goes on.

            Standard output lists the local paths in time order, one per line, for `blackout ingest`.
            Exit status: 0 when every file that exists was fetched, 3 when some failed (reported), 1 when \
            nothing could be fetched, 64 for wrong arguments.

            Examples:
              blackout fetch --collector route-views2 --from 2014-12-22T12:00Z --to 2014-12-22T18:00Z
              blackout fetch --collector rrc00,rrc01 --from 2014-12-22 --to 2014-12-23 --type ribs
              blackout ingest --registry reg/ $(blackout fetch --collector route-views2 --from ... --to ...)
            """
    )

    @OptionGroup var selection: CollectorSelection

    @Option(help: ArgumentHelp("End (update files starting before it).", valueName: "time"))
    var to: String

    @Option(name: .customLong("type"), help: ArgumentHelp("ribs, updates or all.", valueName: "type"))
    var type: String = "all"

    @OptionGroup var archives: ArchiveSourceOptions

    @Flag(help: "No progress and no notes on missing files.")
    var quiet = false

    func validate() throws {
        try requirePeriod(from: selection.from, to: to)
        guard ArchiveSelection(rawValue: type) != nil else { throw ValidationError("--type must be ribs, updates or all; got '\(type)'.") }
    }

    func run() async throws {
        let list = try selection.collectors
        let start = try selection.start, end = try CollectorArguments.time(to, flag: "--to")
        let fetcher = ArchiveFetcher(source: archives.source)
        let display = DownloadDisplay(quiet: quiet)
        let report: FetchReport
        do {
            report = try await fetcher.fetch(collectors: list, from: start, to: end, selection: ArchiveSelection(rawValue: type)!) {
                display.handle($0)
            }
        } catch {
            display.finish()
            await fetcher.shutdown()
            throw CLIError("\(error)")
        }
        display.finish()
        await fetcher.shutdown()
        for f in report.files { print(f.path) }
        let mib = String(format: Double(report.downloadedBytes) / 1_048_576)
        StandardStreams.printError("blackout: \(report.files.count) files (\(report.downloadedFiles) downloaded, \(mib) MiB; "
            + "\(report.files.count - report.downloadedFiles) already here), \(report.missing.count) missing, \(report.failed.count) failed")
        if !report.failed.isEmpty { throw ExitCode(3) }
    }
}
