import Collectors
import Outages

/// Following the archives as they grow: files appear 15 to 40 minutes after their period, in
/// order, now and then one never does.
extension WatchJob {
    /// Fetches and ingests from the RIB dump at or before `from` to now, then every
    /// `pollSeconds` the files published since, until `stop()` says so; events are reported
    /// through `onEvent` as they open and close.
    ///
    /// The files are taken in time order, RIB dumps among the update files (so that peers
    /// whose sessions reset count again): one not there yet holds back every later one, of
    /// every collector (a replay is in time order), until it is `giveUpSeconds` behind the
    /// newest file found, when it is reported missing and passed over.
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
        // Each collector's RIB dump at or before --from; it and the files after it are then taken
        // by the looks below, all in one time order.
        var cursors: [Cursor] = []
        for c in options.collectors {
            let rib: FetchedFile
            do {
                rib = try await fetcher.latestRIB(collector: c, atOrBefore: options.from, onEvent: onFetch)
            } catch {
                throw WatchError(description: "\(error)")
            }
            let p = c.project
            cursors.append(Cursor(collector: c, update: rib.file.time / p.updateInterval * p.updateInterval, rib: rib.file.time))
        }
        report.registryDirectory = try await registry()
        var announced: [String: Bool] = [:]  // event key -> closed
        var looks = 0
        while !stop(), looks < options.maxPolls ?? Int.max {
            // The first look at once, the next ones every pollSeconds.
            var waited = looks == 0 ? options.pollSeconds : 0.0
            looks += 1
            while waited < options.pollSeconds, !stop() {
                try? await Task.sleep(nanoseconds: 200_000_000)
                waited += 0.2
            }
            if stop() { break }
            let now = clock()
            var wanted: [ArchiveFile] = []
            // Each collector's first update file not due yet: nothing at or after it can be
            // replayed before it (RouteViews' 15-minute file covers three of RIS's).
            var holds: [UInt32] = []
            for c in cursors {
                let p = c.collector.project
                var t = c.update
                // An update file is published once its period is over.
                while t + p.updateInterval <= now, wanted.count < 10_000 {
                    wanted.append(ArchiveFile(collector: c.collector, kind: .updates, time: t))
                    t += p.updateInterval
                }
                holds.append(t)
                var r = c.rib
                while r <= now {
                    wanted.append(ArchiveFile(collector: c.collector, kind: .rib, time: r))
                    r += p.ribInterval
                }
            }
            guard !wanted.isEmpty else { continue }
            let got = await fetcher.fetchAll(wanted, onEvent: onFetch)
            let present = Dictionary(got.files.map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
            // Per collector, its files in time order (a dump before the update file of its
            // time) up to the first one not there yet; files long missing are passed over.
            var passable: [[ArchiveFile]] = []
            let newest = got.files.map(\.file.time).max() ?? 0
            for c in cursors {
                let mine = wanted.filter { $0.collector == c.collector }
                    .sorted { ($0.time, $0.kind == .rib ? 0 : 1) < ($1.time, $1.kind == .rib ? 0 : 1) }
                var run: [ArchiveFile] = []
                for f in mine {
                    guard present[f] != nil || newest >= f.time + options.giveUpSeconds else {
                        holds.append(f.time)
                        break
                    }
                    run.append(f)
                }
                passable.append(run)
            }
            // The replay is in time order across collectors: one collector's file not there yet
            // holds back every collector's later files.
            let limit = holds.min() ?? .max
            var ready: [FetchedFile] = []
            for i in cursors.indices {
                let p = cursors[i].collector.project
                for f in passable[i] where f.time < limit {
                    if let fetched = present[f] {
                        ready.append(fetched)
                    } else {
                        onWarning("\(f): still missing \(options.giveUpSeconds / 3600) h after its time; passed over")
                    }
                    if f.kind == .updates { cursors[i].update = f.time + p.updateInterval } else { cursors[i].rib = f.time + p.ribInterval }
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
