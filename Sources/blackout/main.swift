import BlackoutCLI

await Blackout.main()
