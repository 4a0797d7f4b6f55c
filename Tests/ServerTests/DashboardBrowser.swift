import Foundation

/// Debian's Chromium, headless: loads a page, runs its scripts (virtual time: the page's
/// timers run as fast as they can, and the budget waits for its requests), then prints the
/// DOM or takes a screenshot.
enum Chromium {
    static let executable = "/usr/bin/chromium"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The rendered DOM of `url`, serialised.
    static func dumpDOM(_ url: String) async throws -> String {
        let r = try await run(["--dump-dom", url])
        guard r.status == 0, r.stdout.contains("</html>") else {
            throw Failure(description: "chromium --dump-dom \(url): exit \(r.status), \(r.stdout.count) bytes out; \(r.stderr.suffix(2000))")
        }
        return r.stdout
    }

    /// A PNG of `url` in a window of `windowSize` ("1280,900").
    static func screenshot(_ url: String, to path: String, windowSize: String) async throws {
        let r = try await run(["--screenshot=\(path)", "--window-size=\(windowSize)", url])
        guard r.status == 0, FileManager.default.fileExists(atPath: path) else {
            throw Failure(description: "chromium --screenshot \(url): exit \(r.status); \(r.stderr.suffix(2000))")
        }
    }

    /// Runs Chromium with a profile of its own, killed after `timeout` seconds; without
    /// blocking a thread of the concurrency pool (the server under test answers on it).
    static func run(_ arguments: [String], timeout: Double = 120) async throws -> (status: Int32, stdout: String, stderr: String) {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(description: "\(executable) is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does)")
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let out = tmp.appendingPathComponent("stdout"), err = tmp.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                       "--hide-scrollbars", "--mute-audio", "--user-data-dir=\(tmp.appendingPathComponent("profile").path)",
                       "--virtual-time-budget=20000"] + arguments
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            p.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch {
                p.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            let pid = p.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if p.isRunning { kill(pid, SIGKILL) } }
        }
        return (status, String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
                String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))
    }
}

/// Just enough of HTML to check a DOM that Chromium serialised: start tags with their
/// attributes (double-quoted, entities decoded), an element's text, an element by id.
struct HTMLText {
    let html: String

    init(_ html: String) { self.html = html }

    /// One start tag: its attributes, and where it ends in the text.
    struct Element: CustomStringConvertible {
        var name: String
        var attributes: [String: String]
        var end: String.Index
        subscript(_ key: String) -> String? { attributes[key] }
        var description: String { "<\(name) \(attributes)>" }
    }

    /// The start tags named `name` whose attributes match `filter`: "class" by its tokens
    /// (each given token present), the others exactly.
    func elements(_ name: String, where filter: [String: String]) -> [Element] {
        var found: [Element] = []
        var i = html.startIndex
        let open = "<\(name)"
        while let r = html.range(of: open, range: i..<html.endIndex) {
            i = r.upperBound
            guard let next = html[r.upperBound...].first, next == " " || next == ">" || next == "\n" || next == "/" else { continue }
            guard let e = tag(name, from: r.upperBound) else { continue }
            i = e.end
            let matches = filter.allSatisfy { key, value in
                guard let have = e.attributes[key] else { return false }
                if key == "class" {
                    let tokens = Set(have.split(separator: " "))
                    return value.split(separator: " ").allSatisfy(tokens.contains)
                }
                return have == value
            }
            if matches { found.append(e) }
        }
        return found
    }

    /// Reads the attributes of a start tag from just after its name.
    private func tag(_ name: String, from start: String.Index) -> Element? {
        var attributes: [String: String] = [:]
        var i = start
        func skipSpace() { while i < html.endIndex, html[i].isWhitespace { i = html.index(after: i) } }
        while true {
            skipSpace()
            guard i < html.endIndex else { return nil }
            if html[i] == ">" { return Element(name: name, attributes: attributes, end: html.index(after: i)) }
            if html[i] == "/" { i = html.index(after: i); continue }
            var key = ""
            while i < html.endIndex, !html[i].isWhitespace, html[i] != "=", html[i] != ">", html[i] != "/" {
                key.append(html[i])
                i = html.index(after: i)
            }
            var value = ""
            if i < html.endIndex, html[i] == "=" {
                i = html.index(after: i)
                guard i < html.endIndex, html[i] == "\"" else { return nil }
                i = html.index(after: i)
                guard let close = html[i...].firstIndex(of: "\"") else { return nil }
                value = Self.decode(String(html[i..<close]))
                i = html.index(after: close)
            }
            attributes[key] = value
        }
    }

    /// The attribute `name` of the element whose id is `id`.
    func attribute(_ name: String, ofElementWithID id: String) -> String? {
        guard let r = html.range(of: " id=\"\(id)\"") ?? html.range(of: "<\\w+ id=\"\(id)\"", options: .regularExpression),
              let open = html[..<r.lowerBound].lastIndex(of: "<") else { return nil }
        let nameEnd = html[open...].firstIndex { $0 == " " } ?? r.lowerBound
        let tagName = String(html[html.index(after: open)..<nameEnd])
        return tag(tagName, from: nameEnd)?[name]
    }

    /// The text of the first `<title>` inside the element (an SVG element's tooltip).
    func text(afterElement e: Element) -> String {
        guard let open = html.range(of: "<title>", range: e.end..<html.endIndex),
              let close = html.range(of: "</title>", range: open.upperBound..<html.endIndex) else { return "" }
        return Self.decode(String(html[open.upperBound..<close.lowerBound]))
    }

    /// The markup of the element whose id is `id`, to its matching end tag.
    func section(id: String) -> String {
        guard let r = html.range(of: " id=\"\(id)\""), let open = html[..<r.lowerBound].lastIndex(of: "<") else { return "" }
        let nameEnd = html[open...].firstIndex { $0 == " " } ?? r.lowerBound
        let name = String(html[html.index(after: open)..<nameEnd])
        var depth = 0
        var i = open
        while i < html.endIndex {
            if html[i...].hasPrefix("</\(name)>") {
                depth -= 1
                if depth == 0 { return String(html[open..<html.index(i, offsetBy: name.count + 3)]) }
                i = html.index(i, offsetBy: name.count + 3)
            } else if html[i...].hasPrefix("<\(name)"), let next = html[html.index(i, offsetBy: name.count + 1)...].first,
                      next == " " || next == ">" {
                depth += 1
                i = html.index(i, offsetBy: name.count + 1)
            } else {
                i = html.index(after: i)
            }
        }
        return String(html[open...])
    }

    /// Character references as Chromium writes them in text and attributes.
    static func decode(_ s: String) -> String {
        guard s.contains("&") else { return s }
        return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: "\u{a0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
