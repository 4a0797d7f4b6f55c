import BlackoutCLI

Blackout.main()
