import LineageCommands

LineageMain.main()
