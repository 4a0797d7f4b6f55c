import Collectors
import Outages

/// Following the archives as they grow: files appear 15 to 40 minutes after their period, in
/// order, now and then one never does.
extension WatchJob {
    /// Fetches and ingests from `from` to now, then every `pollSeconds` the files published
    /// since, until `stop()` says so; events are reported through `onEvent` as they open and close.
    ///
    /// Per collector, the files are taken in order: one not there yet holds back the ones
    /// after it (a replay needs time order), until it is `giveUpSeconds` behind the newest
    /// file found, when it is reported missing and passed over. New RIB dumps are taken too,
    /// so that peers whose sessions reset count again.
    public func follow(until stop: @escaping @Sendable () -> Bool) async throws -> WatchReport {
        let fetcher = ArchiveFetcher(source: options.archives)
        do {
            let report = try await follow(with: fetcher, until: stop)
            await fetcher.shutdown()
            return report
        } catch {
            await fetcher.shutdown()
            throw error
        }
    }

    private func follow(with fetcher: ArchiveFetcher, until stop: @escaping @Sendable () -> Bool) async throws -> WatchReport {
        var report = WatchReport()
        let start = clock()
        do {
            report.fetch = try await fetcher.fetch(collectors: options.collectors, from: options.from, to: max(start, options.from),
                                                   selection: .all, onEvent: onFetch)
        } catch {
            throw WatchError(description: "\(error)")
        }
        report.registryDirectory = try await registry()
        try ingest(report.fetch.files, into: &report)
        var announced: [String: Bool] = [:]  // event key -> closed
        announce(&announced)

        // The next update file and RIB dump wanted from each collector.
        var cursors: [Cursor] = options.collectors.map { c in
            let mine = report.fetch.files.filter { $0.file.collector == c }
            let lastUpdate = mine.filter { $0.file.kind == .updates }.map(\.file.time).max()
            let lastRIB = mine.filter { $0.file.kind == .rib }.map(\.file.time).max() ?? options.from
            let p = c.project
            return Cursor(collector: c, update: lastUpdate.map { $0 + p.updateInterval } ?? (options.from / p.updateInterval * p.updateInterval),
                          rib: (lastRIB / p.ribInterval + 1) * p.ribInterval)
        }
        var looks = 0
        while !stop(), looks < options.maxPolls ?? Int.max {
            looks += 1
            var waited = 0.0
            while waited < options.pollSeconds, !stop() {
                try? await Task.sleep(nanoseconds: 200_000_000)
                waited += 0.2
            }
            if stop() { break }
            let now = clock()
            var wanted: [ArchiveFile] = []
            for c in cursors {
                let p = c.collector.project
                var t = c.update
                // An update file is published once its period is over.
                while t + p.updateInterval <= now, wanted.count < 10_000 {
                    wanted.append(ArchiveFile(collector: c.collector, kind: .updates, time: t))
                    t += p.updateInterval
                }
                var r = c.rib
                while r <= now {
                    wanted.append(ArchiveFile(collector: c.collector, kind: .rib, time: r))
                    r += p.ribInterval
                }
            }
            guard !wanted.isEmpty else { continue }
            let got = await fetcher.fetchAll(wanted, onEvent: onFetch)
            let present = Dictionary(got.files.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
            var ready: [FetchedFile] = []
            for i in cursors.indices {
                let c = cursors[i]
                let mine = wanted.filter { $0.collector == c.collector }
                let newest = mine.filter { present[$0] != nil }.map(\.time).max() ?? 0
                // Updates in order, holding back behind a file not there yet.
                for f in mine where f.kind == .updates {
                    if let fetched = present[f] {
                        ready.append(fetched)
                    } else if newest >= f.time + options.giveUpSeconds {
                        onWarning("\(f): still missing \(options.giveUpSeconds / 3600) h after its time; passed over")
                    } else {
                        break
                    }
                    cursors[i].update = f.time + c.collector.project.updateInterval
                }
                for f in mine where f.kind == .rib {
                    if let fetched = present[f] { ready.append(fetched) } else if newest < f.time + options.giveUpSeconds { break }
                    cursors[i].rib = f.time + c.collector.project.ribInterval
                }
            }
            guard !ready.isEmpty else { continue }
            report.fetch.files += ready
            try ingest(ready, into: &report)
            announce(&announced)
        }
        try summarize(&report, to: clock())
        return report
    }

    struct Cursor {
        var collector: Collector
        var update: UInt32
        var rib: UInt32
    }

    /// Reports the events of the last ingest that opened or closed, for the countries and ASes watched.
    private func announce(_ announced: inout [String: Bool]) {
        guard let events = lastIngest?.events else { return }
        for e in events where watches(e) {
            let closed = e.end != nil
            let before = announced[e.key]
            if before == nil { onEvent(e, false) }  // also one that opened and closed between two looks
            if closed, before != true { onEvent(e, true) }
            announced[e.key] = closed
        }
    }

    func watches(_ e: Event) -> Bool {
        if let cc = e.country, options.countries.contains(cc) { return true }
        if let asn = e.asn, options.asns.contains(asn) { return true }
        return false
    }
}
