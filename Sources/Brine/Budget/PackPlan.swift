import BrineIO
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A compressed measure (gzip'd tar, zip) computed on every core: the files are cut into
/// runs packed as archives of their own, in parallel, and the figures added up, less the
/// end-of-archive bytes each extra archive adds. Deflate only looks 32 KB back, so a cut
/// costs at most the few hundred bytes a fresh window loses; docs/budgets.md states the
/// bound and a test holds it against one stream of all the files.
///
/// Runs are grouped as the cache keys them: each installed distribution is one group (keyed
/// by its RECORD), app files in groups of about `appGroupBytes` (keyed by every file's name,
/// size, mtime and content).
public struct PackPlan: Sendable {
    /// Files packed as one stream: a group is cached as a whole and cut into runs of about
    /// `runBytes` so one large distribution still spreads over the threads.
    struct Group: Sendable {
        var entries: [FileSet.Entry]
        /// Describes the group for its cache key; nil for app groups (hashed from content).
        var record: String?
    }

    var groups: [Group] = []
    let runBytes: UInt64

    /// App files (as `brine budget` packs them) and, when given, each distribution's files.
    init(app: FileSet, distributions: [(installed: PythonEnvironment.Installed, entries: [FileSet.Entry])],
         runBytes: UInt64 = 128 << 20, appGroupBytes: UInt64 = 64 << 20) {
        self.runBytes = runBytes
        var current: [FileSet.Entry] = []
        var bytes: UInt64 = 0
        for entry in app.entries {
            if !current.isEmpty, bytes &+ entry.size > appGroupBytes {
                groups.append(Group(entries: current))
                current = []
                bytes = 0
            }
            current.append(entry)
            bytes &+= entry.size
        }
        if !current.isEmpty { groups.append(Group(entries: current)) }
        for (installed, entries) in distributions where !entries.isEmpty {
            groups.append(Group(entries: entries, record: installed.infoDirectory + "\n" + installed.recordDigest))
        }
    }

    /// The measure of every group's files together, with `jobs` threads, reading and
    /// filling `cache` when given.
    func measure(_ measure: BudgetMeasure, jobs: Int, cache: BudgetCache?, sizer: GzipSizer = .fast,
                 progress: (@Sendable (UInt64, UInt64) -> Void)?) throws(InputError) -> UInt64 {
        let container: ArchiveWriter.Container = measure == .zip ? .zip : .tar
        let filter: CompressionFormat? = measure == .zip ? nil : .gzip
        let groups = self.groups
        let keys: [String?] = cache == nil ? groups.map { _ in nil } : ParallelWork.map(count: groups.count, jobs: jobs) { index in
            Self.key(groups[index], measure: measure, sizer: sizer)
        }
        var figures: [BudgetCache.Figure?] = keys.map { key in key.flatMap { cache?.lookup($0) } }

        // What is left to pack, cut into runs; the largest run first keeps the threads busy to the end.
        var runs: [(group: Int, entries: ArraySlice<FileSet.Entry>, bytes: UInt64)] = []
        for (index, group) in groups.enumerated() where figures[index] == nil {
            var start = group.entries.startIndex
            var bytes: UInt64 = 0
            for position in group.entries.indices {
                let size = group.entries[position].size
                if position > start, bytes &+ size > runBytes {
                    runs.append((index, group.entries[start..<position], bytes))
                    start = position
                    bytes = 0
                }
                bytes &+= size
            }
            runs.append((index, group.entries[start...], bytes))
        }
        let total = runs.reduce(UInt64(0)) { $0 &+ $1.bytes }
        let packed = Atomic<UInt64>(0)
        let order = runs.indices.sorted { runs[$0].bytes != runs[$1].bytes ? runs[$0].bytes > runs[$1].bytes : $0 < $1 }
        let frozen = runs
        let results = ParallelWork.map(count: runs.count, jobs: jobs, order: order) { index -> Result<UInt64, InputError> in
            let files = FileSet(entries: Array(frozen[index].entries))
            let result = Result(catching: { () throws(InputError) -> UInt64 in try PackMeasure.pack(files, container: container, filter: filter, sizer: sizer) })
            let done = packed.add(frozen[index].bytes, ordering: .relaxed).newValue
            progress?(done, total)
            return result
        }
        for (run, result) in zip(runs, results) {
            let bytes = try result.get()
            let figure = figures[run.group] ?? BudgetCache.Figure(bytes: 0, units: 0)
            figures[run.group] = BudgetCache.Figure(bytes: figure.bytes &+ bytes, units: figure.units + 1)
        }
        if let cache {
            let measured = Set(runs.map(\.group))
            for (index, key) in keys.enumerated() where measured.contains(index) {
                guard let key, let figure = figures[index] else { continue }
                cache.store(figure, under: key)
            }
        }
        let all = figures.compactMap { $0 }
        let units = all.reduce(0) { $0 + $1.units }
        let sum = all.reduce(UInt64(0)) { $0 &+ $1.bytes }
        guard units > 1 else { return units == 1 ? sum : try PackMeasure.pack(FileSet(), container: container, filter: filter, sizer: sizer) }
        // Each archive past the first brings its own end (tar's zero blocks, gzip's header and
        // trailer; zip's end of central directory): what an empty archive measures.
        let end = try PackMeasure.pack(FileSet(), container: container, filter: filter, sizer: sizer)
        return sum &- UInt64(units - 1) &* end
    }

    /// What one file alone compresses to with gzip (`PackMeasure.gzipSize`), cached by
    /// the SHA-256 of its content and the sizer with its version.
    static func gzipSize(of path: String, cache: BudgetCache?, sizer: GzipSizer = .fast) throws(InputError) -> UInt64 {
        guard let cache, let content = try? SHA256Digest.file(path) else { return try PackMeasure.gzipSize(of: path, sizer: sizer) }
        var digest = SHA256Digest()
        Array("\(BudgetCache.format)\u{0}gzip-file\u{0}\(sizer.cacheKey)\u{0}\(content)".utf8).withUnsafeBytes { digest.update($0) }
        let key = digest.finish()
        if let known = cache.lookup(key) { return known.bytes }
        let bytes = try PackMeasure.gzipSize(of: path, sizer: sizer)
        cache.store(BudgetCache.Figure(bytes: bytes, units: 1), under: key)
        return bytes
    }

    /// SHA-256 over what decides a group's packed size: the measure, the compressor (the
    /// gzip sizer) and its version, every entry's name, kind, size, mode and link target, and the distribution's
    /// RECORD digest or, for app files, each file's mtime and content. nil when a file cannot
    /// be read (it is then measured, and the error reported, by packing).
    static func key(_ group: Group, measure: BudgetMeasure, sizer: GzipSizer = .fast) -> String? {
        var digest = SHA256Digest()
        func add(_ text: String) {
            var bytes = Array(text.utf8)
            bytes.append(0)
            bytes.withUnsafeBytes { digest.update($0) }
        }
        add(BudgetCache.format)
        add(measure.rawValue)
        add(measure == .gzipTar ? sizer.cacheKey : ArchiveWriter.libraryVersions)
        add(group.record ?? "app")
        for entry in group.entries {
            add("\(entry.name)\u{1}\(entry.kind)\u{1}\(entry.size)\u{1}\(entry.permissions)\u{1}\(entry.linkTarget ?? "")")
            guard group.record == nil, entry.kind == .file else { continue }
            var info = stat()
            guard stat(entry.diskPath, &info) == 0, UInt64(max(0, info.st_size)) == entry.size else { return nil }
            add("\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)")
            guard let content = try? SHA256Digest.file(entry.diskPath) else { return nil }
            add(content)
        }
        return digest.finish()
    }
}
