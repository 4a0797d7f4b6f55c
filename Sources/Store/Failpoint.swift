import Foundation

/// Test hooks in the stores' write paths, off unless the environment asks.
public enum Failpoint {
    /// With `BLACKOUT_FAILPOINT=NAME`, waits 120 s (or `BLACKOUT_FAILPOINT_SECONDS`) where
    /// `pause("NAME")` is called, so that a test can kill the process there, or act while it
    /// waits ("hold-commit": inside a save's transaction, after the bins and events, before the
    /// checkpoint and the commit; "hold-task": in a worker's task, after its files are read,
    /// before it is marked done). It first creates the file that `BLACKOUT_FAILPOINT_READY`
    /// names, if any; when that file exists already, it does not wait (a worker holds its
    /// first task only).
    public static func pause(_ name: String) {
        let env = ProcessInfo.processInfo.environment
        guard env["BLACKOUT_FAILPOINT"] == name else { return }
        if let ready = env["BLACKOUT_FAILPOINT_READY"] {
            if FileManager.default.fileExists(atPath: ready) { return }
            FileManager.default.createFile(atPath: ready, contents: nil)
        }
        Thread.sleep(forTimeInterval: env["BLACKOUT_FAILPOINT_SECONDS"].flatMap(Double.init) ?? 120)
    }
}
