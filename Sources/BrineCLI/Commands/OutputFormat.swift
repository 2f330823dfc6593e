import ArgumentParser
import Foundation

/// `--format`: what reports are written as.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
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
