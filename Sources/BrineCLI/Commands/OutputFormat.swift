import ArgumentParser
import Foundation

/// `--format`: what reports are written as.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// `--format` of `inspect`: the text and JSON reports, or the self-contained HTML page.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case html
}

/// `--format` of `diff`: also a pull-request comment.
enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case markdown
    case html
}

/// Writes a report to `-o` (atomically) or stdout; false, after reporting, when the file
/// cannot be written.
func writeReport(_ text: String, to output: String?, io: CommandIO) -> Bool {
    guard let output else {
        io.output.write(text)
        return true
    }
    do {
        try writeAtomically(Array(text.utf8), to: output)
        return true
    } catch {
        // The output layer's error names the file already.
        io.report(error.description)
        return false
    }
}

/// Deterministic JSON: sorted keys, two-space indent, a final newline.
func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
}

/// Whether a file descriptor is a terminal: colour and progress only go to one.
func isTerminal(_ descriptor: Int32) -> Bool {
    isatty(descriptor) != 0
}
