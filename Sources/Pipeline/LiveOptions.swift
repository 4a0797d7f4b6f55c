import Collectors
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

    public init(registryDirectory: String, client: RISLiveConfiguration) {
        self.registryDirectory = registryDirectory
        self.client = client
    }
}
