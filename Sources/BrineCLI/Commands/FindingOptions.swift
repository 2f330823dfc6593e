import ArgumentParser
import Brine
import BrineIO
import Foundation

extension FindingFormat: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}

/// Output options shared by commands that report findings (`check`, `budget`).
struct FindingOutputOptions: ParsableArguments {
    @Option(help: "Output format: text, json, jsonl (one JSON object per artifact per line), sarif, junit, github or markdown.")
    var format: FindingFormat = .text

    @Option(name: .customLong("fail-on"), help: ArgumentHelp(
        "Exit 1 when a finding is at or above this severity: error, warning or info.", valueName: "severity"))
    var failOn: Severity = .error

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to this file (atomically) instead of stdout.", valueName: "file"))
    var output: String?

    /// Writes the rendered report to `-o` or stdout; false (after reporting) when the file cannot be written.
    func write(_ report: FindingReport, io: CommandIO) -> Bool {
        let text = format.render(report, toolVersion: BrineVersion.current,
                                 repositoryRoot: FileManager.default.currentDirectoryPath)
        return writeReport(text, to: output, io: io)
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
func writeAtomically(_ bytes: [UInt8], to path: String) throws(OutputError) {
    let sink = try AtomicFileSink(path: path)
    do {
        try write(bytes, to: sink)
        try sink.finish()
    } catch {
        sink.discard()
        throw error
    }
}

private func write(_ bytes: [UInt8], to sink: AtomicFileSink) throws(OutputError) {
    var failure: OutputError?
    bytes.withUnsafeBytes { buffer in
        do throws(OutputError) { try sink.write(buffer) } catch { failure = error }
    }
    if let failure { throw failure }
}
