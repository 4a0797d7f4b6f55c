// benchdata: writes synthetic MRT files for benchmarks from the real archives.
//
//     benchdata rib --peers N --source RIB --out FILE.mrt [--keep]
//     benchdata updates --out DIR [--peers 8] [--days 2.5] [--path-changes 150] [--withdrawals 30] [--duplicates 50]
//     benchdata kp2014 --out DIR [--sample 200]
//
// One subcommand per file; add a case below and a `run...` function in its own file.
import Foundation
import ScenarioSupport

let usage = """
    usage: benchdata rib --peers N --source RIB --out FILE [--keep]
           (a TABLE_DUMP_V2 RIB whose N synthetic peers each carry the source's fullest peer's routes,
            their own ASN prepended; --keep keeps the source's peers too)
           benchdata updates --out DIR [--peers 8] [--days 2.5] [--path-changes 150] [--withdrawals 30] [--duplicates 50]
           (a RouteViews collector's RIB and 15-minute update files over the jinx table: churn, a flapping
            country, an outage; prints the files written)
           benchdata kp2014 --out DIR [--sample 200]
           (North Korea 21-23 December 2014 as route-views2 and rrc00 archives in the projects' layouts, for
            `blackout watch KP --archive-dir DIR` and a local archive server; see KP2014Scenario)
    """

/// A command-line error: printed with the usage, exit 64.
struct UsageError: Error, CustomStringConvertible {
    var description: String
}

/// The value of `--name` in `args`, if given.
func option(_ name: String, in args: [String]) throws -> String? {
    guard let i = args.firstIndex(of: name) else { return nil }
    guard i + 1 < args.count else { throw UsageError(description: "\(name) needs a value") }
    return args[i + 1]
}

func required(_ name: String, in args: [String]) throws -> String {
    guard let v = try option(name, in: args) else { throw UsageError(description: "missing \(name)") }
    return v
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "rib":
        try runRIB(Array(arguments.dropFirst()))
    case "updates":
        try runUpdates(Array(arguments.dropFirst()))
    case "kp2014":
        let args = Array(arguments.dropFirst())
        let sample = try option("--sample", in: args).map { v -> Int in
            guard let n = Int(v), n >= 1 else { throw UsageError(description: "--sample must be a positive integer") }
            return n
        } ?? 200
        let files = try KP2014Scenario.write(directory: try required("--out", in: args), sampleOneIn: sample)
        FileHandle.standardError.write(Data("benchdata: \(files.count) files in \(try required("--out", in: args))\n".utf8))
    default:
        throw UsageError(description: arguments.first.map { "unknown subcommand \($0)" } ?? "no subcommand")
    }
} catch let e as UsageError {
    FileHandle.standardError.write(Data("benchdata: \(e)\n\(usage)\n".utf8))
    exit(64)
} catch {
    FileHandle.standardError.write(Data("benchdata: \(error)\n".utf8))
    exit(1)
}
