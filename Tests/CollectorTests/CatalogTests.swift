import Collectors
import Foundation
import Routing
import Testing
import TestSupport

/// The collector catalog, the archive layouts and which files a period needs.
struct CatalogTests {
    /// 2014-12-22 12:30 UTC.
    static let t: UInt32 = 1_419_251_400

    @Test func namesAsUsersWriteThem() throws {
        #expect(CollectorCatalog.collector(named: "rrc21.ripe.net")?.name == "rrc21")
        #expect(CollectorCatalog.collector(named: "JINX")?.name == "route-views.jinx")
        #expect(CollectorCatalog.collector(named: "route-views2")?.project == .routeViews)
        #expect(CollectorCatalog.collector(named: "rrc17") == nil && CollectorCatalog.collector(named: "route-views99") == nil)
        #expect(throws: CollectorError.unknownCollector("nowhere")) { try CollectorCatalog.require("nowhere") }
        #expect("\(CollectorError.unknownCollector("x"))".contains("route-views2, route-views3"))
        // Every RIS collector of the issue's list, and RouteViews' main ones.
        for n in (0...26).filter({ $0 != 17 }) {
            #expect(CollectorCatalog.collector(named: String(format: "rrc%02d", n)) != nil, "rrc\(n)")
        }
        for n in ["route-views2", "route-views8", "route-views.amsix", "route-views.chicago", "route-views.eqix", "route-views.isc",
                  "route-views.linx", "route-views.sydney", "route-views.wide"] {
            #expect(CollectorCatalog.collector(named: n) != nil, "\(n)")
        }
        #expect(Set(CollectorCatalog.all.map(\.name)).count == CollectorCatalog.all.count)
    }

    @Test func collectorsOutsideTheirTimeAreRefused() throws {
        #expect(throws: CollectorError.notArchived(collector: "rrc26", span: "2020-02 to now")) {
            try CollectorCatalog.require("rrc26", from: Self.t, to: Self.t + 86_400)
        }
        // Retired in 2008.
        #expect(throws: CollectorError.self) { try CollectorCatalog.require("rrc02", from: 1_262_304_000, to: 1_262_390_400) }
        // A period that ends inside the archive is accepted.
        #expect(try CollectorCatalog.require("rrc02", from: 1_199_145_600, to: 1_230_681_600).name == "rrc02")
    }

    @Test func layoutsOfBothProjects() throws {
        let rv2 = try CollectorCatalog.require("route-views2"), jinx = try CollectorCatalog.require("route-views.jinx")
        let rrc = try CollectorCatalog.require("rrc00")
        let f = ArchiveFile(collector: rv2, kind: .rib, time: Self.t - 1800)
        #expect(f.fileName == "rib.20141222.1200.bz2")
        #expect(f.remotePaths == ["bgpdata/2014.12/RIBS/rib.20141222.1200.bz2", "route-views2/bgpdata/2014.12/RIBS/rib.20141222.1200.bz2"])
        #expect(f.localPath == "route-views2/bgpdata/2014.12/RIBS/rib.20141222.1200.bz2")
        #expect(ArchiveFile(collector: jinx, kind: .updates, time: Self.t + 900).remotePaths
            == ["route-views.jinx/bgpdata/2014.12/UPDATES/updates.20141222.1245.bz2"])
        let u = ArchiveFile(collector: rrc, kind: .updates, time: Self.t + 300)
        #expect(u.localPath == "rrc00/2014.12/updates.20141222.1235.gz" && u.remotePaths == [u.localPath])
        #expect(ArchiveFile(collector: rrc, kind: .rib, time: 1_419_206_400).fileName == "bview.20141222.0000.gz")
        // The replay reads back the collector and the time from every local path.
        for file in [f, u] {
            #expect(collectorName(forPath: "/cache/\(file.localPath)") == file.collector.name)
            #expect(archiveTime(forPath: file.localPath) == file.time)
        }
        #expect(utcText(Self.t) == "2014-12-22 12:30 UTC")
    }

    /// The RIB at or before the start, then further back a day; updates from that RIB to the end.
    @Test func plansTheFilesOfAPeriod() throws {
        let rv2 = try CollectorCatalog.require("route-views2"), rrc = try CollectorCatalog.require("rrc00")
        let p = ArchivePlan(collector: rv2, from: Self.t, to: Self.t + 3600, selection: .all)
        #expect(p.ribCandidates.map(\.fileName).prefix(2) == ["rib.20141222.1200.bz2", "rib.20141222.1000.bz2"])
        #expect(p.ribCandidates.count == 13 && p.ribCandidates.last?.fileName == "rib.20141221.1200.bz2")
        let after = p.updates(after: Self.t - 1800)
        #expect(after.map(\.fileName) == ["updates.20141222.1200.bz2", "updates.20141222.1215.bz2", "updates.20141222.1230.bz2",
                                          "updates.20141222.1245.bz2", "updates.20141222.1300.bz2", "updates.20141222.1315.bz2"])
        let q = ArchivePlan(collector: rrc, from: Self.t, to: Self.t + 600, selection: .all)
        #expect(q.ribCandidates.map(\.fileName) == ["bview.20141222.0800.gz", "bview.20141222.0000.gz", "bview.20141221.1600.gz",
                                                    "bview.20141221.0800.gz"])
        let only = ArchivePlan(collector: rrc, from: Self.t, to: Self.t + 600, selection: .updates)
        #expect(only.ribCandidates.isEmpty && only.updates.map(\.fileName) == ["updates.20141222.1230.gz", "updates.20141222.1235.gz"])
        let ribs = ArchivePlan(collector: rrc, from: Self.t, to: Self.t + 600, selection: .ribs)
        #expect(ribs.updates.isEmpty)
    }

    /// What a download may be: gzip, bzip2 or MRT; never a web page.
    @Test(.enabled(if: TestData.available)) func contentChecks() throws {
        func head(_ rel: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: TestData.path(rel))).prefix(512)) }
        #expect(ArchiveContent.checkMRT(try head("mrt/routeviews/routeviews.route-views.jinx.updates.1401493500.bz2")) == nil)
        #expect(ArchiveContent.checkMRT(try head("mrt/ris/ris.rrc06.updates.1401488100.gz")) == nil)
        #expect(ArchiveContent.checkMRT(try head("mrt/routeviews/route-views2.updates.20130101.part0.mrt")) == nil)
        let page = Array("\n  <!DOCTYPE html><html><head><title>403 Forbidden</title>".utf8)
        #expect(ArchiveContent.checkMRT(page) == "the server sent a web page, not the file (\"403 Forbidden\")")
        #expect(ArchiveContent.checkMRT(Array("delegated|apnic|...\n".utf8))?.hasPrefix("not an MRT archive") == true)
        #expect(ArchiveContent.checkNotHTML(try head("registry/delegated-apnic-latest.20140630")) == nil)
    }
}
