import BrineCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A closed pipe must end the output quietly, not kill the process with SIGPIPE.
signal(SIGPIPE, SIG_IGN)
BrineMain.installSignalHandlers()
exit(BrineMain.run(Array(CommandLine.arguments.dropFirst()), io: .standard()))
