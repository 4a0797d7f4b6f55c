import ArgumentParser
import MRT
import Outages
import Registry
import Store

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List the outages and instability found by `blackout ingest`.",
        discussion: """
            One line per event, its summary; with --json an array of objects with country, asn (null for a \
            country), kind, severity, start, end (ISO 8601 UTC; null while open), fraction_lost, baseline, \
            prefixes_lost, origins_affected, origins_unaffected, providers_lost, peers and summary. \
            --from and --to select the events that overlap that period.
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

    @Flag(help: "JSON array, one object per event.")
    var json = false

    func validate() throws {
        if let country, CountryCode(country.uppercased()) == nil { throw ValidationError("--country: expected a two-letter code such as KP.") }
        if let kind, Event.Kind(rawValue: kind) == nil { throw ValidationError("--kind: outage or instability.") }
        if let from, TimeArgument.parse(from) == nil { throw ValidationError("--from: expected ISO 8601 or Unix seconds.") }
        if let to, TimeArgument.parse(to) == nil { throw ValidationError("--to: expected ISO 8601 or Unix seconds.") }
    }

    func run() throws {
        let store = try database.open()
        let query = EventQuery(country: country.flatMap { CountryCode($0.uppercased()) }, asn: asn,
                               kind: kind.flatMap(Event.Kind.init(rawValue:)),
                               from: from.flatMap(TimeArgument.parse), to: to.flatMap(TimeArgument.parse))
        let events: [Event]
        do { events = try store.events(query) } catch { throw CLIError("\(error)") }
        if json {
            print("[" + events.map(EventJSON.object).joined(separator: ",\n") + "]")
        } else {
            for e in events { print(e.summary) }
        }
    }
}

/// The JSON form of an event (field names are a contract: see `blackout events --help`).
enum EventJSON {
    static func iso(_ t: UInt32) -> String { utcMinute(t).replacingSpace() + ":" + two(Int(t) % 60) + "Z" }
    static func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
    static func string(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where c.value < 0x20: out += "\\u00" + (c.value < 16 ? "0" : "") + String(c.value, radix: 16)
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
    static func numbers(_ xs: [UInt32]) -> String { "[" + xs.map(String.init).joined(separator: ",") + "]" }

    static func object(_ e: Event) -> String {
        "{\"country\":\"\(e.country)\",\"asn\":\(e.asn.map(String.init) ?? "null"),\"kind\":\"\(e.kind.rawValue)\","
            + "\"severity\":\"\(e.severity.rawValue)\",\"start\":\"\(iso(e.start))\","
            + "\"end\":\(e.end.map { "\"\(iso($0))\"" } ?? "null"),\"fraction_lost\":\(e.fractionLost),"
            + "\"baseline\":\(e.baseline),\"prefixes_lost\":[\(e.prefixesLost.map { "\"\($0)\"" }.joined(separator: ","))],"
            + "\"origins_affected\":\(numbers(e.originsAffected)),\"origins_unaffected\":\(numbers(e.originsUnaffected)),"
            + "\"providers_lost\":\(numbers(e.providersLost)),\"peers\":[\(e.peers.map(string).joined(separator: ","))],"
            + "\"summary\":\(string(e.summary))}"
    }
}

extension String {
    func replacingSpace() -> String { String(map { $0 == " " ? "T" : $0 }) }
}
