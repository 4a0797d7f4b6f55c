import Pipeline

/// Times on the command line: `TimeText` (Unix seconds or ISO 8601), the HTTP API's rule too.
enum TimeArgument {
    static func parse(_ text: String) -> UInt32? { TimeText.parse(text) }
}
