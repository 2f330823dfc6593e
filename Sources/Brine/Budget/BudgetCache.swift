import BrineIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Compressed sizes `brine budget` measured before, one small file per installed
/// distribution (keyed by its RECORD) or per group of app files (keyed by each file's name,
/// size, mtime and content), so a second run packs only what changed. Deleting the
/// directory at any time is safe; an entry that cannot be read is measured again.
public final class BudgetCache: Sendable {
    public let directory: String
    private let counts = Mutex<(hits: Int, misses: Int)>((0, 0))

    static let format = "brine-budget-cache 1"

    public init(directory: String) {
        self.directory = directory
    }

    /// `BRINE_BUDGET_CACHE`, else `$XDG_CACHE_HOME/brine/budget`, else `~/.cache/brine/budget`;
    /// nil without a home directory.
    public static func defaultDirectory(environment: [String: String]) -> String? {
        if let given = environment["BRINE_BUDGET_CACHE"], !given.isEmpty { return given }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/brine/budget" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.cache/brine/budget"
    }

    /// Entries found and entries measured afresh in this run.
    public var hits: Int { counts.withLock { $0.hits } }
    public var misses: Int { counts.withLock { $0.misses } }

    /// A cached figure: compressed bytes of a group of files and how many streams they were
    /// packed as.
    public struct Figure: Sendable, Equatable {
        public var bytes: UInt64
        public var units: Int
    }

    /// The figure stored under `key` (64 hex digits), nil when absent or unreadable.
    func lookup(_ key: String) -> Figure? {
        let found = readText(path(for: key), maximumBytes: 4096).flatMap { Self.parse($0, key: key) }
        counts.withLock { found == nil ? ($0.misses += 1) : ($0.hits += 1) }
        return found
    }

    /// Stores a figure: written to a temporary file and renamed, so a reader sees a whole
    /// entry or none. A cache that cannot be written is only slower, never an error.
    func store(_ figure: Figure, under key: String) {
        let target = path(for: key)
        guard makeDirectories(String(target[..<target.lastIndex(of: "/")!])) else { return }
        do throws(OutputError) {
            let sink = try AtomicFileSink(path: target, bufferSize: 4096)
            do throws(OutputError) {
                let text = Array("\(Self.format)\n\(key)\n\(figure.bytes) \(figure.units)\n".utf8)
                var failure: OutputError?
                text.withUnsafeBytes { raw in
                    do throws(OutputError) { try sink.write(raw) } catch { failure = error }
                }
                if let failure { throw failure }
                try sink.finish()
            } catch {
                sink.discard()
            }
        } catch {}
    }

    /// Three lines: the format, the key again (a file renamed or cut short is refused), and
    /// `bytes units`.
    static func parse(_ text: String, key: String) -> Figure? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 4, lines[0] == format, lines[1] == key, lines[3].isEmpty else { return nil }
        let fields = lines[2].split(separator: " ")
        guard fields.count == 2, let bytes = UInt64(fields[0]), let units = Int(fields[1]), units >= 1 else { return nil }
        return Figure(bytes: bytes, units: units)
    }

    func path(for key: String) -> String {
        directory + "/v1/" + key.prefix(2) + "/" + key
    }

    private func makeDirectories(_ path: String) -> Bool {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { return false }
        }
        return true
    }
}
