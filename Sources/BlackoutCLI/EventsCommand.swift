import ArgumentParser
import MRT
import Outages
import Pipeline
import Registry
import Store

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List the outages and instability found by `blackout ingest`.",
        discussion: """
            One line per event, its summary; with --json an array of objects with country (null for an origin AS \
            no registry lists), asn (null for a country), family (ipv4 or ipv6), kind, severity, start, end (ISO \
            8601 UTC; null while ongoing), ongoing, duration_seconds (so far, while ongoing), fraction_lost, \
            baseline, prefixes_lost, origins_affected, origins_unaffected, providers_lost, peers, collectors, \
            flaps and dips (instability), and summary. --from and --to select the events that overlap that period.
            """
    )

    @OptionGroup var database: DatabaseOption

    @Option(help: "Only this country (ISO 3166 code, such as KP).")
    var country: String?

    @Option(help: "Only events of this origin AS.")
    var asn: UInt32?

    @Option(help: "outage or instability.")
    var kind: String?

    @Option(help: ArgumentHelp("Events overlapping this time or later (ISO 8601 or Unix seconds).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("Events starting before this time.", valueName: "time"))
    var to: String?

    @Option(help: "ipv4 or ipv6.")
    var family: String?

    @Flag(help: "JSON array, one object per event.")
    var json = false

    func validate() throws {
        if let country, CountryCode(country.uppercased()) == nil { throw ValidationError("--country: expected a two-letter code such as KP.") }
        if let kind, Event.Kind(rawValue: kind) == nil { throw ValidationError("--kind: outage or instability.") }
        if let family, Family(rawValue: family) == nil { throw ValidationError("--family: ipv4 or ipv6.") }
        if let asn { try requireFlag("--asn", asn, in: "1...4294967295 (AS 0 is never an origin)", asn > 0) }
        try requirePeriod(from: from, to: to)
    }

    func run() throws {
        let store = try database.open()
        let query = EventQuery(country: country.flatMap { CountryCode($0.uppercased()) }, asn: asn,
                               kind: kind.flatMap(Event.Kind.init(rawValue:)), family: family.flatMap(Family.init(rawValue:)),
                               from: from.flatMap(TimeArgument.parse), to: to.flatMap(TimeArgument.parse))
        let events: [Event]
        do {
            events = try store.events(query)
            // No events for a country or AS the database holds nothing about is a mistake
            // (a typo, another database), not a quiet period.
            if events.isEmpty, let cc = query.country, try !store.hasSeries(.country(cc)) {
                throw CLIError("no data for \(cc) in \(database.shown) (no bins stored for it; ingest data first)")
            }
            if events.isEmpty, let asn, try !store.hasSeries(.asn(asn)) {
                throw CLIError("no data for AS\(asn) in \(database.shown) (not an origin in the ingested data)")
            }
        } catch let e as CLIError {
            throw e
        } catch {
            throw CLIError("\(error)")
        }
        print(json ? EventRendering.json(events) : EventRendering.text(events), terminator: json ? "\n" : "")
    }
}
