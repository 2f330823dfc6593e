import ArgumentParser
import BrineIO

/// `--jobs N`: how many files are read at once (check) or packed at once (budget).
/// Results are merged in input order, so the output is the same for any N.
struct JobsOption: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp(
        "Files read or packed at once (default: the processors online; 1 reads one file at a time). The output is the same for any N.",
        valueName: "n"))
    var jobs: Int?

    var count: Int { jobs ?? ParallelWork.activeProcessors }

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }
}
