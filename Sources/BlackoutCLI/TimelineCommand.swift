import ArgumentParser
import MRT
import MRTArchive
import Outages
import Pipeline
import Registry
import Store

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "A country's series from the database: visible prefixes and /24s, churn, per bin.",
        discussion: """
            Columns: time (ISO 8601 UTC, the bin's start); for IPv4 visible_prefixes, slash24s, announcements, \
            withdrawals, path_changes, flaps; full_feed_peers (0: a gap in the data, nothing is judged), \
            unstable_prefixes (flapped or changed path), peers and collectors counted; then the IPv6 figures with \
            _v6 (slash48s_v6: /48 equivalents). With --bin 1h the stored bins are merged: visible prefixes and address \
            space are the hour's lowest (a dip stays visible), the counts are summed. --svg and --png draw the chart \
            (the dashboard's): visible IPv4 prefixes, /24s and IPv6 prefixes in panels over a time axis in UTC, \
            the subject's own outages shaded red and instability amber, bins with no data hatched. With a chart \
            file and neither --json nor --csv, the table is not printed.
            """
    )

    @OptionGroup var database: DatabaseOption

    @Option(help: "The country (ISO 3166 code, such as KP); with --asn, the AS's country (only checked for form).")
    var country: String

    @Option(help: "This origin AS's series instead of the country's (the same columns, with asn and without full_feed_peers).")
    var asn: UInt32?

    @Option(help: ArgumentHelp("Bin width to show: the stored width (default) or a multiple such as 1h.", valueName: "width"))
    var bin: String?

    @Option(help: ArgumentHelp("From this time (ISO 8601 or Unix seconds).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("Before this time.", valueName: "time"))
    var to: String?

    @Flag(help: "JSON array, one object per bin.")
    var json = false

    @Flag(help: "CSV with a header line.")
    var csv = false

    @Option(help: ArgumentHelp("Draw the chart into this PNG file.", valueName: "file"))
    var png: String?

    @Option(help: ArgumentHelp("Draw the chart into this SVG file.", valueName: "file"))
    var svg: String?

    /// The charts' size: three panels of about 110 pixels each.
    static let chartWidth = 960, chartHeight = 480

    func validate() throws {
        if CountryCode(country.uppercased()) == nil { throw ValidationError("--country: expected a two-letter code such as KP.") }
        if json && csv { throw ValidationError("Choose one of --json and --csv.") }
        if let asn { try requireFlag("--asn", asn, in: "1...4294967295 (AS 0 is never an origin)", asn > 0) }
        if let bin {
            let width = BinWidth.parse(bin)
            try requireFlag("--bin", "'\(bin)'", in: "1m...1d, a whole number of minutes (such as 5m, 1h or 3600 seconds)",
                            width.map { $0 >= 60 && $0 <= 86_400 && $0 % 60 == 0 } ?? false)
        }
        try requirePeriod(from: from, to: to)
    }

    func run() throws {
        let cc = CountryCode(country.uppercased())!
        let subject: SeriesSubject = asn.map { .asn($0) } ?? .country(cc)
        let store = try database.open()
        let from = from.flatMap(TimeArgument.parse), to = to.flatMap(TimeArgument.parse)
        var rows: [TimelineRow]
        let events: [Event]
        do {
            guard try store.hasSeries(subject) else {
                throw CLIError(asn == nil ? "no data for \(cc) in \(database.shown) (no bins stored for it; ingest data first)"
                               : "no data for \(subject) in \(database.shown) (not an origin in the ingested data)")
            }
            let v4 = try store.bins(SeriesID(subject, .ipv4), from: from, to: to)
            let v6 = try store.bins(SeriesID(subject, .ipv6), from: from, to: to)
            rows = SeriesRendering.rows(times: try store.binTimes(from: from, to: to), ipv4: v4, ipv6: v6, carryOver: asn != nil)
            events = try store.events(asn.map { EventQuery(asn: $0) } ?? EventQuery(country: cc)).filter { $0.asn == asn }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError("\(error)")
        }
        if rows.isEmpty {
            throw CLIError("\(subject): no bins in \(database.shown) from \(self.from ?? "the start") to \(self.to ?? "the end")")
        }
        if let bin, let width = BinWidth.parse(bin) { rows = SeriesRendering.merge(rows, width: width) }
        if json {
            print(SeriesRendering.json(rows, asn: asn), terminator: "")
        } else if csv {
            print(SeriesRendering.csv(rows, asn: asn), terminator: "")
        } else if png == nil && svg == nil {
            print(SeriesRendering.table(rows), terminator: "")
        }
        guard png != nil || svg != nil, let chart = TimelineChart.standard(subject: "\(subject)", rows: rows, events: events).first else {
            return
        }
        if let svg { try write(Array(chart.svg(width: Self.chartWidth, height: Self.chartHeight).utf8), to: svg) }
        if let png { try write(chart.png(width: Self.chartWidth, height: Self.chartHeight), to: png) }
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        do {
            let out = try OutputFile(path: path, compression: .none)
            try bytes.withUnsafeBytes { try out.write($0) }
            try out.close()
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }
}
