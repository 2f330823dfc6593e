import ArgumentParser
import Brine
import BrineIO
import Foundation

extension FindingFormat: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}

/// Output options shared by commands that report findings (`check`, `budget`).
struct FindingOutputOptions: ParsableArguments {
    @Option(help: "Output format: text, json, sarif, junit, github or markdown.")
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
        guard let output else {
            io.output.write(text)
            return true
        }
        do {
            let sink = try AtomicFileSink(path: output)
            do {
                var bytes = Array(text.utf8)
                try bytes.withUnsafeMutableBytes { buffer throws(OutputError) in try sink.write(UnsafeRawBufferPointer(buffer)) }
                try sink.finish()
            } catch {
                sink.discard()
                throw error
            }
            return true
        } catch {
            io.report("\(output): \(error)")
            return false
        }
    }
}
