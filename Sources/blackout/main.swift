import BlackoutCLI

await Blackout.start()
