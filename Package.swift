// swift-tools-version:6.1
import PackageDescription

// Module layout (data flows one way, see README "Architecture"):
//   MRT         wire formats: framing, records, BGP UPDATE, route elements, writer. No dependencies.
//   MRTFormat   text renderings of elements: bgpdump -m, JSON lines, PSV.       -> MRT
//   MRTArchive  byte sources: plain, gzip, bzip2 (by magic), stdin, prefetching. -> MRT, zlib, libbz2
//   Registry    RIR delegations, geolocation, AS names; prefix/ASN -> country.   -> MRT, MRTArchive
//   Connectivity  the census of a routing table: countries, providers, risk.    -> MRT, Registry
//   Routing     every peer's table over time, replay of files in time order.    -> MRT, MRTArchive
//   Outages     series per country and origin AS, outage and instability detection. -> MRT, Registry, Connectivity, Routing
//   Store       results in SQLite (GRDB) behind a Store protocol.               -> Outages, GRDB
//   StorePostgres  the same protocol over PostgreSQL (postgres-nio), and the work queue of `blackout worker`.
//                                                  -> Outages, Store, PostgresNIO
//   Collectors  the public sources: collector catalog and archive layouts, RIR statistics by date,
//               downloads with a cache (async-http-client), RIS Live (WebSocket). -> MRT, MRTArchive, Registry, Routing
//   Pipeline    what the CLI and a server share: the ingest pipeline, renderings (text, JSON, CSV, PNG).
//                                                  -> MRT, Registry, Connectivity, Outages, Store, Collectors
//   Alerts      webhooks: deliveries queued in the store, POSTed with retries.    -> Outages, Store, async-http-client
//   Server      `blackout serve`: the HTTP API, /metrics and the dashboard (Hummingbird).
//                                                  -> Pipeline, Store, Outages, Connectivity, Registry
//   BlackoutCLI the commands (swift-argument-parser), thin calls into the libraries
//   blackout    the executable: main.swift only
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Blackout",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "blackout", targets: ["blackout"]),
        .library(name: "MRT", targets: ["MRT"]),
        .library(name: "MRTArchive", targets: ["MRTArchive"]),
        .library(name: "MRTFormat", targets: ["MRTFormat"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBzip2", path: "Sources/CBzip2", providers: [.apt(["libbz2-dev"])]),
        // Exclusivity checks are dynamic on class properties and cost ~10% on the decoding
        // hot path; both targets are checked in debug builds and by the test suite.
        .target(name: "MRT", swiftSettings: hotPath),
        .target(name: "MRTFormat", dependencies: ["MRT"], swiftSettings: hotPath),
        .target(name: "MRTArchive", dependencies: ["MRT", "CZlib", "CBzip2"]),
        .target(name: "Registry", dependencies: ["MRT", "MRTArchive"], swiftSettings: hotPath),
        .target(name: "Connectivity", dependencies: ["MRT", "Registry"], swiftSettings: hotPath),
        .target(name: "Routing", dependencies: ["MRT", "MRTArchive"], swiftSettings: hotPath),
        .target(name: "Outages", dependencies: ["MRT", "Registry", "Connectivity", "Routing"], swiftSettings: hotPath),
        .target(name: "Store", dependencies: ["MRT", "MRTArchive", "Registry", "Outages", .product(name: "GRDB", package: "GRDB.swift"),
                                             .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        .target(name: "StorePostgres", dependencies: ["MRT", "Registry", "Outages", "Store",
                                                     .product(name: "PostgresNIO", package: "postgres-nio"),
                                                     .product(name: "NIOCore", package: "swift-nio"),
                                                     .product(name: "NIOPosix", package: "swift-nio"),
                                                     .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                     .product(name: "Logging", package: "swift-log")]),
        .target(name: "Collectors", dependencies: ["MRT", "MRTArchive", "Registry", "Routing",
                                                  .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                  .product(name: "WSClient", package: "swift-websocket"),
                                                  .product(name: "NIOCore", package: "swift-nio"),
                                                  .product(name: "NIOPosix", package: "swift-nio"),
                                                  .product(name: "NIOHTTP1", package: "swift-nio"),
                                                  .product(name: "Logging", package: "swift-log")]),
        .target(name: "Pipeline", dependencies: ["MRT", "MRTArchive", "CZlib", "Registry", "Connectivity", "Routing", "Outages", "Store", "StorePostgres", "Collectors"], path: "Sources/Pipeline"),
        .target(name: "Alerts", dependencies: ["Outages", "Store",
                                              .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                              .product(name: "NIOCore", package: "swift-nio"),
                                              .product(name: "NIOHTTP1", package: "swift-nio"),
                                              .product(name: "Logging", package: "swift-log")]),
        .target(name: "Server", dependencies: ["MRT", "Registry", "Connectivity", "Outages", "Store", "Pipeline",
                                              .product(name: "Hummingbird", package: "hummingbird"),
                                              .product(name: "Metrics", package: "swift-metrics"),
                                              .product(name: "Prometheus", package: "swift-prometheus"),
                                              .product(name: "Logging", package: "swift-log")],
                resources: [.copy("Dashboard")]),
        .target(
            name: "BlackoutCLI",
            dependencies: [
                "MRT", "MRTFormat", "MRTArchive", "Registry", "Connectivity", "Routing", "Outages", "Store", "Pipeline", "CZlib", "Collectors",
                "Alerts", "Server", "StorePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "blackout", dependencies: ["BlackoutCLI"]),
        // The fuzz harness: libFuzzer with Fuzz/run.sh; otherwise it replays input files.
        .executableTarget(name: "FuzzMRT", dependencies: ["MRT", "MRTFormat"]),
        // Synthetic benchmark inputs built from the real archives (Benchmarks/memory.py).
        .executableTarget(name: "benchdata", dependencies: ["MRT", "MRTArchive", "ScenarioSupport", "TestSupport"], path: "Benchmarks/BenchData"),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .target(name: "ScenarioSupport", dependencies: ["MRT", "MRTArchive", "Collectors", "TestSupport"], path: "Tests/ScenarioSupport"),
        .testTarget(name: "MRTTests", dependencies: ["MRT", "MRTFormat", "MRTArchive", "TestSupport"]),
        .testTarget(name: "CensusTests", dependencies: ["MRT", "MRTArchive", "Registry", "Connectivity", "TestSupport"]),
        .testTarget(name: "OutageTests", dependencies: ["MRT", "MRTArchive", "Registry", "Connectivity", "Routing", "Outages", "Store", "Pipeline", "TestSupport", "ScenarioSupport"]),
        .testTarget(name: "CollectorTests", dependencies: ["MRT", "MRTArchive", "Registry", "Routing", "Collectors", "TestSupport", "ScenarioSupport"]),
        .testTarget(name: "ServerTests", dependencies: ["MRT", "Registry", "Connectivity", "Outages", "Store", "Pipeline", "Server", "Alerts",
                                                        "BlackoutCLI", "TestSupport", "ScenarioSupport",
                                                        .product(name: "Hummingbird", package: "hummingbird"),
                                                        .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                        .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                        .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "BlackoutTests", dependencies: ["MRT", "MRTFormat", "MRTArchive", "BlackoutCLI", "Registry", "Outages", "Store", "StorePostgres", "Pipeline", "Collectors", "Alerts", "TestSupport", "ScenarioSupport",
                                                          .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
