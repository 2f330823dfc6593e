#if canImport(Glibc)
import Glibc
#endif

/// `.slugignore` patterns: roughly `.gitignore` syntax without `!` negation, applied to
/// paths relative to the app root. A pattern with no `/` matches a name at any depth; one
/// with a `/` (or a leading `/`) matches from the root; a trailing `/` matches directories.
public struct IgnorePatterns: Sendable, Equatable {
    public var patterns: [String]

    public init(patterns: [String]) {
        self.patterns = patterns
    }

    /// Reads a `.slugignore`-style file; a missing file gives no patterns.
    public static func load(path: String) -> IgnorePatterns {
        guard let text = readText(path) else { return IgnorePatterns(patterns: []) }
        let lines = text.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: " ") }
        return IgnorePatterns(patterns: lines.filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.hasPrefix("!") })
    }

    /// Whether `relativePath` (no leading `/`) is ignored.
    public func matches(_ relativePath: String, isDirectory: Bool) -> Bool {
        let name = relativePath.split(separator: "/").last.map(String.init) ?? relativePath
        for raw in patterns {
            var pattern = raw
            if pattern.hasSuffix("/") {
                guard isDirectory else { continue }
                pattern.removeLast()
            }
            if pattern.contains("/") {
                if pattern.hasPrefix("/") { pattern.removeFirst() }
                if fnmatch(pattern, relativePath, FNM_PATHNAME) == 0 { return true }
            } else if fnmatch(pattern, name, 0) == 0 {
                return true
            }
        }
        return false
    }
}

/// A small text file read whole (configuration, ignore lists, RECORD files).
func readText(_ path: String, maximumBytes: Int = 64 << 20) -> String? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let got = fread(&chunk, 1, chunk.count, file)
        if got <= 0 { break }
        bytes += chunk[..<got]
        if bytes.count > maximumBytes { return nil }
    }
    return String(decoding: bytes, as: UTF8.self)
}
