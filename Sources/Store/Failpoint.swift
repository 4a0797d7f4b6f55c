import Foundation

/// Test hooks in the stores' write paths, off unless the environment asks.
public enum Failpoint {
    /// With `BLACKOUT_FAILPOINT=NAME`, waits 120 s where `pause("NAME")` is called, so that a
    /// test can kill the process there ("hold-commit": inside a save's transaction, after the
    /// bins and events, before the checkpoint and the commit). It first creates the file that
    /// `BLACKOUT_FAILPOINT_READY` names, if any.
    public static func pause(_ name: String) {
        let env = ProcessInfo.processInfo.environment
        guard env["BLACKOUT_FAILPOINT"] == name else { return }
        if let ready = env["BLACKOUT_FAILPOINT_READY"] { FileManager.default.createFile(atPath: ready, contents: nil) }
        Thread.sleep(forTimeInterval: 120)
    }
}
