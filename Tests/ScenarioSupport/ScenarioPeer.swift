import Collectors
import MRT
import MRTArchive

/// A synthetic BGP session of a collector: a full-feed peer whose table is the base table
/// with its own ASN prepended to every path, so that each peer's paths differ.
///
/// The session is IPv4 (`address`) and carries IPv6 routes too (multiprotocol BGP), with
/// `ipv6NextHop` as their next hop.
public struct ScenarioPeer: Hashable, Sendable, CustomStringConvertible {
    /// The collector's name as it appears in archive paths: `route-views.<name>` (or
    /// `route-views<N>`) for RouteViews, `rrcNN` for RIPE RIS.
    public var collector: String
    public var asn: UInt32
    public var address: IPAddress
    public var ipv6NextHop: IPAddress

    public init(collector: String, asn: UInt32, address: IPAddress, ipv6NextHop: IPAddress? = nil) {
        self.collector = collector
        self.asn = asn
        self.address = address
        // 2001:db8::/32 with the IPv4 address in the last 32 bits.
        self.ipv6NextHop = ipv6NextHop ?? IPAddress(v6High: 0x2001_0DB8_0000_0000, low: UInt64(address.v4))
    }

    /// BGP identifier: the IPv4 address.
    public var bgpID: UInt32 { address.v4 }

    /// How the monitor's peer descriptions read: `AS64496 198.51.100.1 (route-views.synth)`.
    public var description: String { "AS\(asn) \(address) (\(collector))" }

    /// `count` peers of `collector` with ASNs from `firstASN` and IPv4 addresses from `firstAddress` up.
    public static func synthetic(collector: String, count: Int, firstASN: UInt32, firstAddress: IPAddress) -> [ScenarioPeer] {
        (0..<count).map { i in
            ScenarioPeer(collector: collector, asn: firstASN + UInt32(i), address: IPAddress(v4: firstAddress.v4 + UInt32(i)))
        }
    }

    /// Four peers of "route-views.synth" (AS64496-64499, 198.51.100.1-4) and three of
    /// "rrc99" (AS64500-64502, 203.0.113.1-3): ASNs and addresses of the documentation ranges
    /// (RFC 5398, RFC 5737).
    public static let standard: [ScenarioPeer] =
        synthetic(collector: "route-views.synth", count: 4, firstASN: 64496, firstAddress: IPAddress("198.51.100.1")!)
        + synthetic(collector: "rrc99", count: 3, firstASN: 64500, firstAddress: IPAddress("203.0.113.1")!)
}

/// How a collector's archive is laid out, by project: file names, update-file period,
/// compression, and the collector's own side of its sessions.
public enum CollectorLayout: Sendable, Hashable {
    /// `<collector>/bgpdata/YYYY.MM/RIBS/rib.YYYYMMDD.HHMM.bz2` and
    /// `<collector>/bgpdata/YYYY.MM/UPDATES/updates.YYYYMMDD.HHMM.bz2`, 15-minute update files.
    case routeViews
    /// `<rrcNN>/YYYY.MM/bview.YYYYMMDD.HHMM.gz` and `<rrcNN>/YYYY.MM/updates.YYYYMMDD.HHMM.gz`,
    /// 5-minute update files.
    case ris

    /// RIS for `rrc` and two digits, RouteViews for a name starting `route-views`; nil otherwise
    /// (the replay would not recognise the collector in the paths).
    public init?(collector: String) {
        if collector.count == 5, collector.hasPrefix("rrc"), collector.dropFirst(3).allSatisfy(\.isNumber) {
            self = .ris
        } else if collector.hasPrefix("route-views"), !collector.contains("/") {
            self = .routeViews
        } else {
            return nil
        }
    }

    /// Seconds covered by one update file.
    public var updatePeriod: UInt32 { self == .ris ? 300 : 900 }

    public var compression: Compression { self == .ris ? .gzip : .bzip2 }

    /// The collector's ASN in BGP4MP records (RouteViews AS6447, RIS AS12654).
    public var localASN: UInt32 { self == .ris ? 12654 : 6447 }

    /// The collector's address in BGP4MP records and its BGP identifier.
    public var localAddress: IPAddress { self == .ris ? IPAddress("193.0.4.28")! : IPAddress("128.223.51.15")! }

    /// The project whose layout this is (`Collectors.ArchiveFile` holds the layouts).
    var project: CollectorProject { self == .ris ? .ris : .routeViews }

    /// Where a RIB dump of `time` goes under `directory`.
    public func ribPath(directory: String, collector: String, time: UInt32) -> String {
        "\(directory)/\(ArchiveFile(collector: Collector(name: collector, project: project), kind: .rib, time: time).localPath)"
    }

    /// Where the update file starting at `time` goes under `directory`.
    public func updatesPath(directory: String, collector: String, time: UInt32) -> String {
        "\(directory)/\(ArchiveFile(collector: Collector(name: collector, project: project), kind: .updates, time: time).localPath)"
    }
}
