import ArgumentParser
import MRT
import Outages
import Registry
import Store

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "A country's series from the database: visible prefixes and /24s, churn, per bin.",
        discussion: """
            Columns: time (ISO 8601 UTC, the bin's start), visible_prefixes, slash24s, announcements, withdrawals, \
            path_changes, flaps, full_feed_peers. With --bin 1h the stored bins are merged: visible prefixes and \
            /24s are the hour's lowest (a dip stays visible), the counts are summed. --png draws the visible \
            prefixes with outages shaded red and instability shaded yellow.
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

    @Option(help: ArgumentHelp("Also draw the series into this PNG file.", valueName: "file"))
    var png: String?

    func validate() throws {
        if CountryCode(country.uppercased()) == nil { throw ValidationError("--country: expected a two-letter code such as KP.") }
        if json && csv { throw ValidationError("Choose one of --json and --csv.") }
        if let bin, BinWidth.parse(bin) == nil { throw ValidationError("--bin: expected 5m, 1h or a number of seconds.") }
        if let from, TimeArgument.parse(from) == nil { throw ValidationError("--from: expected ISO 8601 or Unix seconds.") }
        if let to, TimeArgument.parse(to) == nil { throw ValidationError("--to: expected ISO 8601 or Unix seconds.") }
    }

    func run() throws {
        if let asn { return try runOrigin(asn) }
        let cc = CountryCode(country.uppercased())!
        let store = try database.open()
        var bins: [CountryBin]
        let events: [Event]
        do {
            bins = try store.bins(country: cc, from: from.flatMap(TimeArgument.parse), to: to.flatMap(TimeArgument.parse))
            events = try store.events(EventQuery(country: cc))
        } catch {
            throw CLIError("\(error)")
        }
        if bins.isEmpty { throw CLIError("\(cc): no bins in \(database.db) (ingest data first)") }
        if let bin, let width = BinWidth.parse(bin) { bins = Self.merge(bins, width: width) }
        try show(bins, asn: nil, events: events)
    }

    /// An origin AS's series: its stored rows (where something changed) carried over every bin.
    func runOrigin(_ asn: UInt32) throws {
        let store = try database.open()
        let from = from.flatMap(TimeArgument.parse), to = to.flatMap(TimeArgument.parse)
        var filled: [CountryBin] = []
        let events: [Event]
        do {
            let rows = try store.asnBins(asn: asn, from: from, to: to)
            events = try store.events(EventQuery(asn: asn))
            var i = 0
            var current: ASNBin?
            for t in try store.binTimes(from: from, to: to) {
                var counts = (0, 0, 0, 0)
                while i < rows.count, rows[i].time <= t {
                    current = rows[i]
                    if rows[i].time == t { counts = (rows[i].announcements, rows[i].withdrawals, rows[i].pathChanges, rows[i].flaps) }
                    i += 1
                }
                guard let c = current else { continue }
                filled.append(CountryBin(time: t, visiblePrefixes: c.visiblePrefixes, slash24s: c.slash24s, announcements: counts.0,
                                         withdrawals: counts.1, pathChanges: counts.2, flaps: counts.3, fullFeedPeers: 0))
            }
        } catch {
            throw CLIError("\(error)")
        }
        if filled.isEmpty { throw CLIError("AS\(asn): no bins in \(database.db) (not an origin in the ingested data?)") }
        if let bin, let width = BinWidth.parse(bin) { filled = Self.merge(filled, width: width) }
        try show(filled, asn: asn, events: events)
    }

    /// Prints bins as JSON, CSV or a table, and draws the PNG. An origin AS's rows carry
    /// `asn` and no `full_feed_peers` (a country-wide figure).
    func show(_ bins: [CountryBin], asn: UInt32?, events: [Event]) throws {
        let key = asn == nil ? "" : ",asn"
        if json {
            print("[" + bins.map { b in
                "{\"time\":\"\(EventJSON.iso(b.time))\"" + (asn.map { ",\"asn\":\($0)" } ?? "")
                    + ",\"visible_prefixes\":\(b.visiblePrefixes),\"slash24s\":\(b.slash24s),"
                    + "\"announcements\":\(b.announcements),\"withdrawals\":\(b.withdrawals),\"path_changes\":\(b.pathChanges),"
                    + "\"flaps\":\(b.flaps)" + (asn == nil ? ",\"full_feed_peers\":\(b.fullFeedPeers)}" : "}")
            }.joined(separator: ",\n") + "]")
        } else if csv {
            print("time\(key),visible_prefixes,slash24s,announcements,withdrawals,path_changes,flaps" + (asn == nil ? ",full_feed_peers" : ""))
            for b in bins {
                print("\(EventJSON.iso(b.time))" + (asn.map { ",\($0)" } ?? "") + ",\(b.visiblePrefixes),\(b.slash24s),"
                      + "\(b.announcements),\(b.withdrawals),\(b.pathChanges),\(b.flaps)" + (asn == nil ? ",\(b.fullFeedPeers)" : ""))
            }
        } else if png == nil {
            printTable(bins)
        }
        if let png {
            do { try TimelineChart(bins: bins, events: events).write(to: png) } catch { throw CLIError("\(png): \(error)") }
        }
    }

    func printTable(_ bins: [CountryBin]) {
        print("time (UTC)         visible   /24s      A      W  paths  flaps")
        for b in bins {
            print(utcMinute(b.time) + "  " + [String(b.visiblePrefixes), String(Int(b.slash24s)), String(b.announcements),
                   String(b.withdrawals), String(b.pathChanges), String(b.flaps)]
                .enumerated().map { i, s in String(repeating: " ", count: max(0, [8, 7, 7, 7, 7, 7][i] - s.count)) + s }
                .joined())
        }
    }

    /// Merges bins into wider ones: lowest visibility, summed counts.
    static func merge(_ bins: [CountryBin], width: UInt32) -> [CountryBin] {
        var out: [CountryBin] = []
        for b in bins {
            let t = b.time / width * width
            if var last = out.last, last.time == t {
                last.visiblePrefixes = min(last.visiblePrefixes, b.visiblePrefixes)
                last.slash24s = min(last.slash24s, b.slash24s)
                last.announcements += b.announcements
                last.withdrawals += b.withdrawals
                last.pathChanges += b.pathChanges
                last.flaps += b.flaps
                last.fullFeedPeers = b.fullFeedPeers
                out[out.count - 1] = last
            } else {
                var first = b
                first.time = t
                out.append(first)
            }
        }
        return out
    }
}
