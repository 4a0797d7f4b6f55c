import Registry

/// The projects that archive what their route collectors hear.
public enum CollectorProject: String, Sendable, Hashable, CaseIterable {
    /// University of Oregon RouteViews (archive.routeviews.org): bzip2 files.
    case routeViews = "routeviews"
    /// RIPE NCC Routing Information Service (data.ris.ripe.net): gzip files.
    case ris

    /// The project's public archive.
    public var defaultBaseURL: String {
        switch self {
        case .routeViews: "https://archive.routeviews.org"
        case .ris: "https://data.ris.ripe.net"
        }
    }

    /// Seconds between RIB dumps: RouteViews every 2 hours, RIS `bview` every 8 hours.
    public var ribInterval: UInt32 { self == .ris ? 8 * 3600 : 2 * 3600 }

    /// Seconds covered by one update file: RouteViews 15 minutes, RIS 5 minutes.
    public var updateInterval: UInt32 { self == .ris ? 300 : 900 }
}

/// One public route collector, and the months its archive covers.
public struct Collector: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var project: CollectorProject
    /// The first month of its archive (`YYYYMM`), as the project's archive index lists it.
    public var firstMonth: Int
    /// The last month of a retired collector (`YYYYMM`); nil while it runs.
    public var lastMonth: Int?
    /// Where it is, for `--help` and errors.
    public var location: String

    public var description: String { name }

    /// A collector of `project` (the catalog's, or one a test or a private collector names).
    public init(name: String, project: CollectorProject, firstMonth: Int = 0, lastMonth: Int? = nil, location: String = "") {
        self.name = name
        self.project = project
        self.firstMonth = firstMonth
        self.lastMonth = lastMonth
        self.location = location
    }

    /// Whether its archive can hold data of some time in `from...to`.
    public func covers(from: UInt32, to: UInt32) -> Bool {
        func month(_ t: UInt32) -> Int { let (y, m, _) = civilDate(t); return y * 100 + m }
        return month(to) >= firstMonth && month(from) <= (lastMonth ?? Int.max)
    }

    /// The months it archived, for errors: "2001-10 to now", "2001-02 to 2008-10".
    public var span: String {
        func show(_ m: Int) -> String { "\(m / 100)-\(m % 100 < 10 ? "0" : "")\(m % 100)" }
        return "\(show(firstMonth)) to \(lastMonth.map(show) ?? "now")"
    }
}

/// Every public collector of RouteViews and RIPE RIS: the one place that names them.
///
/// First months are those of the projects' archive indexes (RouteViews' collector list at
/// routeviews.org, RIPE's "RIS Raw Data" page), rounded to the month; a request before a
/// collector's first month or after a retired collector's last is refused with its span, so
/// that a typo in a date is not taken for an archive full of missing files.
public enum CollectorCatalog {
    public static let all: [Collector] = routeViews + ris

    static let routeViews: [Collector] = [
        c("route-views2", .routeViews, 200110, nil, "University of Oregon, Eugene (archived at bgpdata/)"),
        c("route-views3", .routeViews, 200805, nil, "University of Oregon, Eugene"),
        c("route-views4", .routeViews, 200803, nil, "University of Oregon, Eugene"),
        c("route-views5", .routeViews, 202106, nil, "University of Oregon, Eugene"),
        c("route-views6", .routeViews, 201910, nil, "University of Oregon, Eugene (IPv6)"),
        c("route-views7", .routeViews, 202208, nil, "University of Oregon, Eugene"),
        c("route-views8", .routeViews, 202305, nil, "University of Oregon, Eugene"),
        c("route-views.amsix", .routeViews, 201911, nil, "AMS-IX, Amsterdam"),
        c("route-views.bdix", .routeViews, 202012, nil, "BDIX, Dhaka"),
        c("route-views.bknix", .routeViews, 201910, nil, "BKNIX, Bangkok"),
        c("route-views.chicago", .routeViews, 201907, nil, "Equinix Chicago"),
        c("route-views.chile", .routeViews, 201906, nil, "PIT Chile, Santiago"),
        c("route-views.eqix", .routeViews, 200406, nil, "Equinix Ashburn"),
        c("route-views.flix", .routeViews, 201910, nil, "FL-IX, Miami"),
        c("route-views.fortaleza", .routeViews, 201909, nil, "IX.br Fortaleza"),
        c("route-views.gixa", .routeViews, 201910, nil, "GIXA, Accra"),
        c("route-views.gorex", .routeViews, 201903, nil, "GOREX, Guam"),
        c("route-views.isc", .routeViews, 200310, nil, "PAIX, Palo Alto"),
        c("route-views.jinx", .routeViews, 201111, nil, "JINX, Johannesburg"),
        c("route-views.kixp", .routeViews, 200510, nil, "KIXP, Nairobi"),
        c("route-views.linx", .routeViews, 200410, nil, "LINX, London"),
        c("route-views.mwix", .routeViews, 201702, nil, "MWIX, Indianapolis"),
        c("route-views.napafrica", .routeViews, 201906, nil, "NAPAfrica, Johannesburg"),
        c("route-views.nwax", .routeViews, 200910, nil, "NWAX, Portland"),
        c("route-views.ny", .routeViews, 202005, nil, "DE-CIX New York"),
        c("route-views.perth", .routeViews, 201105, nil, "WAIX, Perth"),
        c("route-views.peru", .routeViews, 202005, nil, "Peru IX, Lima"),
        c("route-views.phoix", .routeViews, 202003, nil, "PhoIX, Phoenix"),
        c("route-views.rio", .routeViews, 201907, nil, "IX.br Rio de Janeiro"),
        c("route-views.saopaulo", .routeViews, 201112, nil, "IX.br São Paulo"),
        c("route-views.sfmix", .routeViews, 201605, nil, "SFMIX, San Francisco"),
        c("route-views.sg", .routeViews, 201401, nil, "Equinix Singapore"),
        c("route-views.soxrs", .routeViews, 201312, nil, "SOX, Belgrade"),
        c("route-views.sydney", .routeViews, 201312, nil, "Equinix Sydney"),
        c("route-views.telxatl", .routeViews, 201105, nil, "TELX, Atlanta"),
        c("route-views.uaeix", .routeViews, 202006, nil, "UAE-IX, Dubai"),
        c("route-views.wide", .routeViews, 200303, nil, "DIX-IE, Tokyo"),
    ]

    static let ris: [Collector] = [
        c("rrc00", .ris, 199910, nil, "RIPE NCC, Amsterdam (multihop)"),
        c("rrc01", .ris, 200007, nil, "LINX, London"),
        c("rrc02", .ris, 200103, 200810, "SFINX, Paris (retired)"),
        c("rrc03", .ris, 200102, nil, "AMS-IX, Amsterdam"),
        c("rrc04", .ris, 200104, nil, "CIXP, Geneva"),
        c("rrc05", .ris, 200106, nil, "VIX, Vienna"),
        c("rrc06", .ris, 200107, nil, "DIX-IE, Tokyo"),
        c("rrc07", .ris, 200204, nil, "Netnod, Stockholm"),
        c("rrc08", .ris, 200205, 200409, "MAE-West, San Jose (retired)"),
        c("rrc09", .ris, 200303, 200402, "TIX, Zurich (retired)"),
        c("rrc10", .ris, 200311, nil, "MIX, Milan"),
        c("rrc11", .ris, 200402, nil, "NYIIX, New York"),
        c("rrc12", .ris, 200407, nil, "DE-CIX, Frankfurt"),
        c("rrc13", .ris, 200503, nil, "MSK-IX, Moscow"),
        c("rrc14", .ris, 200412, nil, "PAIX, Palo Alto"),
        c("rrc15", .ris, 200603, nil, "PTTMetro, São Paulo"),
        c("rrc16", .ris, 200802, nil, "NOTA, Miami"),
        c("rrc18", .ris, 201505, nil, "CATNIX, Barcelona"),
        c("rrc19", .ris, 201506, nil, "NAP Africa, Johannesburg"),
        c("rrc20", .ris, 201512, nil, "SwissIX, Zurich"),
        c("rrc21", .ris, 201601, nil, "France-IX, Paris"),
        c("rrc22", .ris, 201604, nil, "InterLAN, Bucharest"),
        c("rrc23", .ris, 201609, nil, "Equinix Singapore"),
        c("rrc24", .ris, 201902, nil, "LACNIC region (multihop), Montevideo"),
        c("rrc25", .ris, 201904, nil, "RIPE NCC, Amsterdam (multihop)"),
        c("rrc26", .ris, 202002, nil, "UAE-IX, Dubai"),
    ]

    private static func c(_ name: String, _ project: CollectorProject, _ first: Int, _ last: Int?, _ location: String) -> Collector {
        Collector(name: name, project: project, firstMonth: first, lastMonth: last, location: location)
    }

    /// The collector named `name`: as the projects name them (`route-views2`, `rrc21`), case
    /// insensitive, also with RIS's host suffix (`rrc21.ripe.net`) and RouteViews' short
    /// forms (`jinx` for `route-views.jinx`, `route-views.routeviews.org` hosts).
    public static func collector(named name: String) -> Collector? {
        var n = name.lowercased()
        for suffix in [".ripe.net", ".routeviews.org"] where n.hasSuffix(suffix) { n.removeLast(suffix.count) }
        if let hit = all.first(where: { $0.name == n }) { return hit }
        return all.first { $0.name == "route-views." + n }
    }

    /// The collector named `name`, or an error that lists the names it knows.
    public static func require(_ name: String) throws(CollectorError) -> Collector {
        guard let c = collector(named: name) else { throw .unknownCollector(name) }
        return c
    }

    /// Like `require`, and the collector must have existed during `from...to`.
    public static func require(_ name: String, from: UInt32, to: UInt32) throws(CollectorError) -> Collector {
        let c = try require(name)
        guard c.covers(from: from, to: to) else {
            throw .notArchived(collector: c.name, span: c.span)
        }
        return c
    }
}
