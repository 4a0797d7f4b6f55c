import Foundation

/// What every test target needs: where the shared real data is, and Debian's bgpdump.
public enum TestData {
    /// `../shared/data` beside the checkout.
    public static let root: URL = URL(fileURLWithPath: #filePath)  // Tests/TestSupport/TestSupport.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    public static var available: Bool { FileManager.default.fileExists(atPath: root.appendingPathComponent("mrt").path) }

    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    public static var bgpdumpAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/bgpdump") }

    /// Runs Debian's `bgpdump -m` on a file and returns its standard output.
    public static func bgpdump(_ path: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/bgpdump")
        p.arguments = ["-m", "-q", path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }
}

/// A small deterministic generator (SplitMix64), so that random tests are the same on every
/// run and a failure can be replayed.
public struct SplitMix64 {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
