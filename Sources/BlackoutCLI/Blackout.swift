import ArgumentParser

/// The root command: configuration only; each subcommand lives in its own file.
public struct Blackout: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "blackout",
        abstract: "Read BGP routing archives (MRT) and watch countries' Internet connectivity.",
        version: "0.1.0",
        subcommands: [DumpCommand.self, CountriesCommand.self, CountryCommand.self, IngestCommand.self, EventsCommand.self,
                      TimelineCommand.self, RegistryCommand.self]
    )
    public init() {}
}
