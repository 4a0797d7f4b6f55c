import Collectors
import Foundation
import Outages

/// What a live session is asked to do (`blackout live`).
public struct LiveOptions: Sendable {
    /// Directory of RIR statistics files (and AS names, geolocation).
    public var registryDirectory: String
    /// The detection rules; they must be those of the stored state (a mismatch is refused).
    public var detector = DetectorOptions()
    /// The stream: URL, collectors, pings, timeouts, back-off.
    public var client: RISLiveConfiguration
    /// A checkpoint is written after this many bins have closed since the last...
    public var checkpointBins = 6
    /// ... or when this much time has passed since it, whichever comes first (and when the
    /// session ends).
    public var checkpointInterval: Duration = .seconds(600)
    /// Malformed messages reported one by one; the rest are counted.
    public var malformedReported = 5
    /// Forget the stored state, bins, events and files, and start over.
    public var fromScratch = false
    /// Where and how often the collectors' newer RIB dumps are looked for while the stream
    /// runs (nil: never): they bring the peers whose messages were lost back into the count.
    public var ribRefresh: RIBRefreshOptions?

    public init(registryDirectory: String, client: RISLiveConfiguration) {
        self.registryDirectory = registryDirectory
        self.client = client
    }
}

/// How a live session looks for newer RIB dumps (`LiveSession+RIBRefresh`).
public struct RIBRefreshOptions: Sendable {
    /// RIS's archive (or a mirror, or a local copy), through the download cache.
    public var source: ArchiveSource
    /// How often each collector's newest dump is asked for. RIS dumps every 8 hours and
    /// publishes each some minutes to an hour later.
    public var interval: Duration = .seconds(300)
    /// The time whose newest dump is asked for (Unix seconds): by default the clock's.
    public var clock: @Sendable () -> UInt32 = { UInt32(clamping: Int(Date().timeIntervalSince1970)) }

    public init(source: ArchiveSource) {
        self.source = source
    }
}
