import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// The files a budget measures, as the platform would pack them: archive name, where the
/// bytes are on disk, and their size. Links are recorded, never followed.
public struct FileSet: Sendable {
    public struct Entry: Sendable, Equatable {
        /// Name inside the package (relative to the app root).
        public var name: String
        public var diskPath: String
        public var kind: ArchiveEntryInfo.Kind
        public var size: UInt64
        public var permissions: UInt32
        public var linkTarget: String?
    }

    public var entries: [Entry] = []
    /// Files and directories left out by ignore patterns.
    public var ignored = 0

    public init() {}

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public var totalBytes: UInt64 { entries.reduce(0) { $0 &+ $1.size } }
    public var fileCount: Int { entries.filter { $0.kind == .file }.count }

    /// Adds `path` (a directory, walked, or a single file) under `prefix`.
    public mutating func add(path: String, prefix: String = "", ignore: IgnorePatterns = IgnorePatterns(patterns: [])) throws(InputError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno)) }
        if info.st_mode & S_IFMT == S_IFDIR {
            try addDirectory(path, relative: "", prefix: prefix, ignore: ignore)
        } else {
            let base = path.split(separator: "/").last.map(String.init) ?? path
            add(diskPath: path, name: prefix + base, info: info)
        }
    }

    mutating func add(diskPath: String, name: String, info: stat) {
        let kind: ArchiveEntryInfo.Kind
        switch info.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFREG: kind = .file
        default: return
        }
        var linkTarget: String?
        if kind == .symlink {
            var buffer = [CChar](repeating: 0, count: 4097)
            let count = readlink(diskPath, &buffer, 4096)
            if count >= 0 { linkTarget = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        entries.append(Entry(
            name: name, diskPath: diskPath, kind: kind, size: kind == .file ? UInt64(max(0, info.st_size)) : 0,
            permissions: UInt32(info.st_mode & 0o7777), linkTarget: linkTarget))
    }

    private mutating func addDirectory(_ path: String, relative: String, prefix: String, ignore: IgnorePatterns) throws(InputError) {
        guard let handle = opendir(path) else { throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno)) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        for name in names.sorted() {
            let childPath = path + "/" + name
            let childRelative = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(childPath, &info) == 0 else { continue }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            if ignore.matches(childRelative, isDirectory: isDirectory) {
                ignored += 1
                continue
            }
            add(diskPath: childPath, name: prefix + childRelative, info: info)
            if isDirectory { try addDirectory(childPath, relative: childRelative, prefix: prefix, ignore: ignore) }
        }
    }
}

/// Measures a file set the way a platform does, by really packing it.
public enum PackMeasure {
    public static func measure(_ files: FileSet, as measure: BudgetMeasure, progress: ((UInt64, UInt64) -> Void)? = nil) throws(InputError) -> UInt64 {
        switch measure {
        case .uncompressed: return files.totalBytes
        case .largestFile: return files.entries.map(\.size).max() ?? 0
        case .gzipTar: return try pack(files, container: .tar, filter: .gzip, progress: progress)
        case .zip: return try pack(files, container: .zip, filter: nil, progress: progress)
        }
    }

    /// Bytes of the archive libarchive writes for `files`: a zip, a plain tar, or a gzip'd tar
    /// whose size `sizer` gives (libdeflate's estimate, or zlib at level 6 as `tar czf`).
    static func pack(_ files: FileSet, container: ArchiveWriter.Container, filter: CompressionFormat?, sizer: GzipSizer = .fast,
                     progress: ((UInt64, UInt64) -> Void)? = nil) throws(InputError) -> UInt64 {
        let counter = CountingSink()
        // The fast sizer sees the plain tar (unpadded, as the gzip filter does) and counts what
        // deflate would make of it.
        let estimate = container == .tar && filter == .gzip && sizer == .fast
        var packed: UInt64 = 0
        let total = progress == nil ? 0 : files.totalBytes
        do {
            let sizing = estimate ? try GzipSizeSink(name: files.entries.first?.diskPath ?? "<files>") : nil
            let writer = try sizing.map { try ArchiveWriter(downstream: $0, container: .tar, filter: nil, recordBytes: 0) }
                ?? ArchiveWriter(downstream: counter, container: container, filter: filter)
            for entry in files.entries {
                try writer.begin(ArchiveEntryInfo(
                    path: entry.name + (entry.kind == .directory ? "/" : ""), kind: entry.kind, size: entry.size,
                    permissions: entry.permissions, linkTarget: entry.linkTarget))
                if entry.kind == .file {
                    let source = try FileSource(path: entry.diskPath)
                    if case .failure(let error) = try writer.write(from: source) { throw error }
                    packed &+= entry.size
                    progress?(packed, total)
                }
            }
            try writer.finish()
            if let sizing { return sizing.compressedBytes }
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(path: files.entries.first?.diskPath ?? "<files>", offset: 0, reason: .corruptStream(codec: "archive", detail: "\(error)"))
        }
        return counter.bytesWritten
    }

    /// What one file alone compresses to with gzip (`sizer`'s figure): its share of a
    /// compressed slug.
    public static func gzipSize(of path: String, sizer: GzipSizer = .fast) throws(InputError) -> UInt64 {
        let counter = CountingSink()
        do {
            if sizer == .fast {
                let sizing = try GzipSizeSink(name: path)
                _ = try copyAll(from: try FileSource(path: path), to: sizing)
                try sizing.finish()
                return sizing.compressedBytes
            }
            let sink = try openCompressing(counter, format: .gzip, level: 6)
            _ = try copyAll(from: try FileSource(path: path), to: sink)
            try sink.finish()
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(path: path, offset: 0, reason: .corruptStream(codec: "gzip", detail: "\(error)"))
        }
        return counter.bytesWritten
    }
}

/// How `brine budget` sizes its gzip measure (`--exact-gzip` picks `.zlib`).
public enum GzipSizer: String, Sendable, CaseIterable {
    /// libdeflate in 16 MiB chunks, level 6 for text and 5 for the rest: four to five times
    /// zlib's speed, within 0.5 % of its size (docs/budgets.md, "How exact").
    case fast
    /// zlib at level 6 through libarchive: the very bytes `tar czf` writes, counted.
    case zlib

    /// What decides the figure, for cache keys: the compressor, its version and settings.
    var cacheKey: String {
        switch self {
        case .fast: "libdeflate \(GzipSizeSink.libraryVersion) text 6 binary 5 chunk 16Mi"
        case .zlib: "zlib " + ArchiveWriter.libraryVersions
        }
    }
}
