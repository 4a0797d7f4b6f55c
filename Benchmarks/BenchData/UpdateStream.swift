import Foundation
import MRT
import ScenarioSupport
import TestSupport

/// `benchdata updates`: days of a RouteViews collector with several full-feed peers, as the
/// collector would archive them (a RIB, then bzip2 update files of 15 minutes under
/// `<out>/route-views.bench/bgpdata/YYYY.MM/{RIBS,UPDATES}/`), written by the tests'
/// `ScenarioWriter` on top of the real jinx table.
///
/// What happens in it, deterministically:
/// - every peer carries the jinx RIB's fullest table, its own ASN prepended (AS4200000000
///   and up, 198.18.0.1 and up: RFC 6996 and RFC 2544 ranges);
/// - background churn all along: `--path-changes` routes a minute announced again by one
///   peer with another path, `--withdrawals` routes a minute withdrawn by one peer and
///   announced again 20-60 s later, and every 5 minutes `--duplicates` routes announced
///   again unchanged by one peer;
/// - a flapping country: Burundi's three largest origin ASes (23 of its 44 prefixes) flap
///   at every peer every 4 minutes for 3 hours from 26 hours after the start (2014-06-01 00:00);
/// - an outage: Djibouti (AS30990, all 49 of its prefixes) withdrawn by every peer from
///   40 hours 15 minutes after the start (2014-06-01 14:15) for 6 hours (both only when the
///   days reach them).
func runUpdates(_ args: [String]) throws {
    let peerCount = Int(try option("--peers", in: args) ?? "8") ?? 0
    guard (1...1000).contains(peerCount) else { throw UsageError(description: "--peers must be 1 to 1000") }
    guard let days = Double(try option("--days", in: args) ?? "2.5"), days > 0, days <= 60 else {
        throw UsageError(description: "--days must be more than 0 and at most 60")
    }
    let out = try required("--out", in: args)
    let source = try option("--source", in: args) ?? BaseTable.jinxRIB
    let pathChanges = Int(try option("--path-changes", in: args) ?? "150") ?? -1
    let withdrawals = Int(try option("--withdrawals", in: args) ?? "30") ?? -1
    let duplicates = Int(try option("--duplicates", in: args) ?? "50") ?? -1
    guard pathChanges >= 0, withdrawals >= 0, duplicates >= 0 else {
        throw UsageError(description: "--path-changes, --withdrawals and --duplicates take counts")
    }
    let clock = Date()

    let base = try BaseTable.load(source)
    let start = BaseTable.jinxTime / 900 * 900
    let end = start + UInt32(days * 86_400) / 900 * 900
    let collector = "route-views.bench"
    let peers = ScenarioPeer.synthetic(collector: collector, count: peerCount, firstASN: 4_200_000_000,
                                       firstAddress: IPAddress("198.18.0.1")!)
    let writer = try ScenarioWriter(base: base, peers: peers, start: start, end: end, directory: out)
    writer.writeRIB(time: start, collector: collector)

    let origin = { (i: Int) in base.paths[Int(base.pathIDs[i])].last ?? 0 }
    let flapping = base.prefixes.indices.filter { [25429, 37545, 37469].contains(origin($0)) }.map { base.prefixes[$0] }
    let lost = base.prefixes.indices.filter { origin($0) == 30990 }.map { base.prefixes[$0] }
    let day: UInt32 = 86_400
    if start + day + 5 * 3600 <= end {
        writer.flap(flapping, from: start + day + 2 * 3600, to: start + day + 5 * 3600, every: 240, down: 60)
    }
    if start + day + 22 * 3600 + 900 <= end {
        writer.withdraw(lost, at: start + day + 16 * 3600 + 900)
        writer.announce(lost, at: start + day + 22 * 3600 + 900)
    }
    // Duplicates: the same route again from one peer, a few per 5 minutes.
    var random = SplitMix64(seed: 2014)
    var t = start + 300
    while duplicates > 0, t < end {
        let chosen = (0..<duplicates).map { _ in base.prefixes[Int(random.next() % UInt64(base.count))] }
        writer.announce(chosen, peers: [peers[Int(random.next() % UInt64(peers.count))]], at: t + UInt32(random.next() % 300))
        t += 300
    }
    writer.background(churn: Churn(pathChangesPerMinute: pathChanges, withdrawalsPerMinute: withdrawals,
                                   excluding: flapping + lost, seed: 2014))
    let files = try writer.finish()
    let records = files.reduce(0) { $0 + $1.records }
    FileHandle.standardError.write(Data(String(format: "benchdata: %@: %d files (%d records) for %d peers over %.1f days in %.1f s\n",
                                               out, files.count, records, peerCount, days, Date().timeIntervalSince(clock)).utf8))
    for f in files { print(f.path) }
}
