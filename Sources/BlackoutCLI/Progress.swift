/// A one-line progress display on a terminal's standard error; silent when piped.
final class Progress {
    let enabled: Bool
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(file: Int, of files: Int, elements: Int, bytes: UInt64, since start: ContinuousClock.Instant) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let last = lastDraw, now - last < .milliseconds(500) { return }
        lastDraw = now
        let seconds = Double((now - start).components.attoseconds) / 1e18 + Double((now - start).components.seconds)
        let rate = seconds > 0 ? Double(elements) / seconds : 0
        let line = "\r\u{1B}[Kfile \(file)/\(files)  \(elements) elements  \(bytes >> 20) MiB  \(Int(rate)) elements/s"
        StandardStreams.printErrorRaw(line)
        drawn = true
    }

    /// Draws a line of the caller's making, at most twice a second.
    func update(line text: String, since start: ContinuousClock.Instant) {
        guard enabled else { return }
        let now = ContinuousClock.now
        if let last = lastDraw, now - last < .milliseconds(500) { return }
        lastDraw = now
        StandardStreams.printErrorRaw("\r\u{1B}[K" + text)
        drawn = true
    }

    func clear() {
        guard enabled, drawn else { return }
        StandardStreams.printErrorRaw("\r\u{1B}[K")
        drawn = false
    }
}

extension StandardStreams {
    static func printErrorRaw(_ text: String) {
        var t = text
        t.withUTF8 { _ = write($0, to: 2) }
    }
}
