import ArgumentParser

/// The root command: configuration only; each subcommand lives in its own file.
public struct Blackout: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "blackout",
        abstract: "Read BGP routing archives (MRT) and watch countries' Internet connectivity.",
        version: "0.1.0",
        subcommands: [DumpCommand.self, CountriesCommand.self, CountryCommand.self, IngestCommand.self, EventsCommand.self,
                      TimelineCommand.self, RegistryCommand.self, FetchCommand.self, WatchCommand.self, LiveCommand.self,
                      AlertsCommand.self, ServeCommand.self, QueueCommand.self, WorkerCommand.self]
    )
    public init() {}
}

extension Blackout {
    /// The program's entry point. Called from an async function, `main()` resolves to
    /// `AsyncParsableCommand`'s, which runs the asynchronous commands (fetch, watch, live);
    /// top-level code would pick the synchronous one.
    public static func start() async {
        await main()
    }
}
