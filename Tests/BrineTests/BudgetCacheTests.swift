import Foundation
@testable import Brine
import BrineIO
import Testing

/// `brine budget`'s parallel packing and its cache of compressed sizes: the figures are
/// the ones one stream of every file gives (within the stated bound), the same for any
/// number of threads, and the same from the cache as from a cold run.
@Suite struct BudgetCacheTests {
    /// A venv-like site-packages of real files from this repository (Swift sources as a
    /// text-heavy distribution, fixtures as a binary one) and a small app beside it.
    struct Layout {
        var root: String
        var app: String { root + "/app" }
        var site: String { root + "/venv/lib/python3.11/site-packages" }
        var cache: String { root + "/cache" }
    }

    static func layout() throws -> Layout {
        let manager = FileManager.default
        let layout = Layout(root: manager.temporaryDirectory.appendingPathComponent("brine-budget-cache-\(UUID().uuidString)").path)
        try manager.createDirectory(atPath: layout.app + "/models", withIntermediateDirectories: true)
        try manager.copyItem(atPath: Repository.path("fixtures/bundles/repo/models/vectorizer.joblib"), toPath: layout.app + "/models/vectorizer.joblib")
        try manager.copyItem(atPath: Repository.path("fixtures/bundles/repo/app.py"), toPath: layout.app + "/app.py")
        let sources = try manager.subpathsOfDirectory(atPath: Repository.path("Sources/Brine")).filter { $0.hasSuffix(".swift") }.sorted()
        try distribution(in: layout.site, "alpha", "1.0", files: sources.map { ("alpha/" + $0, Repository.path("Sources/Brine/" + $0)) })
        let binaries = try manager.subpathsOfDirectory(atPath: Repository.path("fixtures/torch")).filter { $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }.sorted()
        try distribution(in: layout.site, "beta", "2.0", files: binaries.map { ("beta/" + $0, Repository.path("fixtures/torch/" + $0)) })
        return layout
    }

    /// Copies `files` (name inside site-packages, source) and writes METADATA and RECORD.
    static func distribution(in site: String, _ name: String, _ version: String, files: [(String, String)]) throws {
        let manager = FileManager.default
        let info = "\(site)/\(name)-\(version).dist-info"
        try manager.createDirectory(atPath: info, withIntermediateDirectories: true)
        try "Metadata-Version: 2.1\nName: \(name)\nVersion: \(version)\n".write(toFile: info + "/METADATA", atomically: true, encoding: .utf8)
        var record = ""
        for (path, source) in files {
            let target = site + "/" + path
            try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if !manager.fileExists(atPath: target) { try manager.copyItem(atPath: source, toPath: target) }
            let size = try manager.attributesOfItem(atPath: target)[.size] as! UInt64
            record += "\(path),sha256=\(try SHA256Digest.file(target)),\(size)\n"
        }
        record += "\(name)-\(version).dist-info/METADATA,,\n\(name)-\(version).dist-info/RECORD,,\n"
        try record.write(toFile: info + "/RECORD", atomically: true, encoding: .utf8)
    }

    static func run(_ layout: Layout, cache: BudgetCache?, jobs: Int = 2) throws -> BudgetResult {
        var request = BudgetRequest(paths: [layout.app], limit: SizeLimit.parse("heroku-slug"))
        request.pythonEnvironment = layout.root + "/venv"
        request.jobs = jobs
        request.cache = cache
        return try BudgetRunner.run(request)
    }

    @Test func cuttingIntoRunsStaysWithinHalfAPercentOfOneStreamAndDoesNotDependOnThreads() throws {
        let layout = try Self.layout()
        var app = FileSet()
        try app.add(path: layout.app)
        let environment = try #require(PythonEnvironment.scan(layout.site))
        var all = app
        var distributions: [(installed: PythonEnvironment.Installed, entries: [FileSet.Entry])] = []
        for installed in environment.installed {
            var own = FileSet()
            for path in installed.filePaths {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                own.add(diskPath: path, name: "site-packages/" + path.dropFirst(layout.site.count + 1), info: info)
            }
            all.entries += own.entries
            distributions.append((installed, own.entries))
        }
        for (measure, sizer) in [(BudgetMeasure.gzipTar, GzipSizer.fast), (.gzipTar, .zlib), (.zip, .zlib)] {
            // The reference: every file in one archive, sized the same way (what cutting costs;
            // how close the fast sizer is to zlib is GzipSizeSinkTests' business).
            let whole = try PackMeasure.pack(all, container: measure == .zip ? .zip : .tar, filter: measure == .zip ? nil : .gzip, sizer: sizer)
            // Small runs: many more cuts per byte than the 128 MB runs of a real venv.
            let plan = PackPlan(app: app, distributions: distributions, runBytes: 256 << 10, appGroupBytes: 128 << 10)
            #expect(plan.groups.count >= 3)
            let serial = try plan.measure(measure, jobs: 1, cache: nil, sizer: sizer, progress: nil)
            let parallel = try plan.measure(measure, jobs: 4, cache: nil, sizer: sizer, progress: nil)
            #expect(serial == parallel)
            let error = abs(Double(parallel) - Double(whole)) / Double(whole)
            #expect(error <= 0.005, "\(measure) \(sizer): \(parallel) bytes in runs vs \(whole) in one stream")
        }
    }

    @Test func cachedFiguresEqualAColdRunAndFollowRecordAndAppChanges() throws {
        let layout = try Self.layout()
        let cold = try Self.run(layout, cache: nil)
        let first = BudgetCache(directory: layout.cache)
        let filled = try Self.run(layout, cache: first)
        #expect(filled.measuredBytes == cold.measuredBytes)
        #expect(first.hits == 0 && first.misses >= 3)

        let second = BudgetCache(directory: layout.cache)
        let warm = try Self.run(layout, cache: second, jobs: 1)
        #expect(warm.measuredBytes == cold.measuredBytes)
        #expect(warm.snapshot == cold.snapshot)
        #expect(second.misses == 0 && second.hits == first.misses)

        // A distribution reinstalled with one more file: a new RECORD, measured afresh.
        try Self.distribution(in: layout.site, "alpha", "1.0", files: [
            ("alpha/extra/Package.swift", Repository.path("Package.swift")),
        ] + (try FileManager.default.subpathsOfDirectory(atPath: Repository.path("Sources/Brine")).filter { $0.hasSuffix(".swift") }.sorted()
            .map { ("alpha/" + $0, Repository.path("Sources/Brine/" + $0)) }))
        let third = BudgetCache(directory: layout.cache)
        let changed = try Self.run(layout, cache: third)
        let changedCold = try Self.run(layout, cache: nil)
        #expect(changed.measuredBytes == changedCold.measuredBytes)
        #expect(changed.measuredBytes != cold.measuredBytes)
        #expect(third.misses == 1)

        // An app file rewritten with other bytes of the same size.
        let script = layout.app + "/app.py"
        var bytes = try readFile(script)
        bytes.reverse()
        try Data(bytes).write(to: URL(fileURLWithPath: script))
        let fourth = BudgetCache(directory: layout.cache)
        let edited = try Self.run(layout, cache: fourth)
        // Its group, and its own compressed size (it is one of the largest app files).
        #expect(fourth.misses == 2)
        #expect(edited.contributors == (try Self.run(layout, cache: nil)).contributors)
        #expect(edited.measuredBytes == (try Self.run(layout, cache: nil)).measuredBytes)
    }

    @Test func damagedEntriesAreMeasuredAgainNotFatal() throws {
        let layout = try Self.layout()
        let cold = try Self.run(layout, cache: nil)
        _ = try Self.run(layout, cache: BudgetCache(directory: layout.cache))
        let entries = try FileManager.default.subpathsOfDirectory(atPath: layout.cache).filter { $0.count > 64 }
        #expect(!entries.isEmpty)
        for (index, entry) in entries.enumerated() {
            let path = layout.cache + "/" + entry
            // Cut short, garbage, and a figure under another key.
            let damaged = index % 3 == 0 ? "brine-budget-cache 1\n" : index % 3 == 1 ? "\u{0}\u{1}garbage" : "brine-budget-cache 1\n\(String(repeating: "0", count: 64))\n5 1\n"
            try damaged.write(toFile: path, atomically: false, encoding: .utf8)
        }
        let cache = BudgetCache(directory: layout.cache)
        let again = try Self.run(layout, cache: cache)
        #expect(again.measuredBytes == cold.measuredBytes)
        #expect(cache.hits == 0)
        // Rewritten whole: the next run finds every entry.
        let next = BudgetCache(directory: layout.cache)
        #expect(try Self.run(layout, cache: next).measuredBytes == cold.measuredBytes)
        #expect(next.misses == 0)
    }

    @Test func noCacheNeitherReadsNorWrites() throws {
        let layout = try Self.layout()
        setenv("BRINE_BUDGET_CACHE", layout.cache, 1)
        defer { unsetenv("BRINE_BUDGET_CACHE") }
        let arguments = ["budget", layout.app, "--limit", "heroku-slug", "--python-env", layout.root + "/venv", "--format", "json"]
        let bypassed = runBrine(arguments + ["--no-cache"])
        #expect(bypassed.status == 0)
        #expect(!FileManager.default.fileExists(atPath: layout.cache))
        let cached = runBrine(arguments)
        #expect(cached.output == bypassed.output)
        #expect(FileManager.default.fileExists(atPath: layout.cache + "/v1"))
        // A cache holding a wrong figure for every key shows --no-cache does not read it.
        for entry in try FileManager.default.subpathsOfDirectory(atPath: layout.cache) where entry.count > 64 {
            let key = String(entry.suffix(64))
            try "brine-budget-cache 1\n\(key)\n7 1\n".write(toFile: layout.cache + "/" + entry, atomically: false, encoding: .utf8)
        }
        #expect(runBrine(arguments).output != bypassed.output)
        #expect(runBrine(arguments + ["--no-cache"]).output == bypassed.output)
    }

    /// libarchive's `archive_version_details()` reallocates one static buffer on every call:
    /// two threads asking for the cache key's compressor version at once corrupted the heap
    /// (this test aborted with "realloc(): invalid next size" before it was read only once).
    @Test func compressorVersionIsSafeToReadFromManyThreads() {
        let versions = ParallelWork.map(count: 20_000, jobs: 4) { _ in ArchiveWriter.libraryVersions }
        #expect(Set(versions).count == 1)
        #expect(versions[0].hasPrefix("libarchive "))
    }

    /// A figure cached by one sizer is never served to the other: `--exact-gzip` after a
    /// default run measures again, and gets zlib's figure, not libdeflate's.
    @Test func eachGzipSizerHasItsOwnCacheEntries() throws {
        let layout = try Self.layout()
        let cache = BudgetCache(directory: layout.cache)
        var request = BudgetRequest(paths: [layout.app], limit: SizeLimit.parse("heroku-slug"))
        request.pythonEnvironment = layout.root + "/venv"
        request.cache = cache
        let fast = try BudgetRunner.run(request)
        request.gzipSizer = .zlib
        let missesBefore = cache.misses
        let exact = try BudgetRunner.run(request)
        #expect(cache.misses > missesBefore)
        request.cache = nil
        let exactCold = try BudgetRunner.run(request)
        #expect(exact.measuredBytes == exactCold.measuredBytes)
        #expect(fast.measuredBytes != exact.measuredBytes)
        #expect(abs(Double(fast.measuredBytes) - Double(exact.measuredBytes)) / Double(exact.measuredBytes) <= GzipSizeSinkTests.tolerance)
    }
}
