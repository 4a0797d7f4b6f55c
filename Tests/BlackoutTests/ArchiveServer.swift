import Foundation
import ScenarioSupport
import TestSupport

/// `Tests/Servers/archive_server.py` on 127.0.0.1: a directory in the projects' layouts over
/// HTTP with byte ranges, and faults on chosen paths (see the script). Stopped by `stop()`.
final class ArchiveServer {
    let process: Process
    let port: Int
    let log: String
    var url: String { "http://127.0.0.1:\(port)" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Servers/archive_server.py").path

    /// Serves `root`; `faults` maps a path (below the root) to a fault of the script's.
    init(root: String, faults: [String: String] = [:]) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("archive-server-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-u", Self.script, root, "--log", log] + faults.sorted { $0.key < $1.key }.flatMap { ["--fault", "\($0.key)=\($0.value)"] }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            p.terminate()
            throw CLI.Failure("archive_server.py did not start: '\(line)'")
        }
        process = p
        self.port = port
    }

    /// The requests served so far: `GET PATH RANGE STATUS BYTES`, one per line.
    var requests: [String] {
        (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
    }

    func stop() {
        // SIGKILL: a test process may block SIGTERM, and a child inherits the mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
    }
}

/// The North Korea 2014 archives (`KP2014Scenario`), written once per test process.
enum KP2014Archives {
    static let shared: Result<String, Error> = Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-kp2014-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try KP2014Scenario.write(directory: dir)
        return dir
    }

    /// A copy of the archives that a test may change (hard links: the files are not copied).
    static func copy() throws -> String {
        let source = try shared.get()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-kp2014-\(UUID().uuidString)").path
        let fm = FileManager.default
        var links: [String] = []
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for rel in try fm.subpathsOfDirectory(atPath: source).sorted() where !links.contains(where: { rel.hasPrefix($0 + "/") }) {
            let from = "\(source)/\(rel)", to = "\(dir)/\(rel)"
            var isDir: ObjCBool = false
            if let target = try? fm.destinationOfSymbolicLink(atPath: from) {
                links.append(rel)
                try fm.createSymbolicLink(atPath: to, withDestinationPath: target)
            } else if fm.fileExists(atPath: from, isDirectory: &isDir), isDir.boolValue {
                try fm.createDirectory(atPath: to, withIntermediateDirectories: true)
            } else {
                try fm.linkItem(atPath: from, toPath: to)
            }
        }
        return dir
    }
}
