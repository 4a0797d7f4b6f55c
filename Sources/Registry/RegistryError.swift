/// Problems with registry inputs.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// A line that could not be read, which was skipped; the rest of the file still loads.
/// Line 0 is about the whole file (such as a damaged compiled cache).
public struct RegistryWarning: Sendable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(path): line \(line): \(message)" : "\(path): \(message)" }
}
