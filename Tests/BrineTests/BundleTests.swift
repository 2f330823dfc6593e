import Foundation
import Testing
@testable import Brine
import BrineIO

@Suite struct BundleTests {
    static let sagemaker = Repository.path("fixtures/bundles/sagemaker/model.tar.gz")

    @Test func sagemakerTarballMembersAreIdentifiedByContent() throws {
        let bundle = try BundleWalker().walk(path: Self.sagemaker)
        #expect(bundle.kind == .tar)
        #expect(bundle.compression == "gzip")
        let byName = Dictionary(uniqueKeysWithValues: bundle.children.map { ($0.path.split(separator: "!").last.map(String.init) ?? "", $0) })
        #expect(byName["checkpoint.pkl"]?.kind == .pickle)
        #expect(byName["word_dict.pkl"]?.kind == .pickle)
        #expect(byName["code/inference.py"]?.kind == .file)
        #expect(byName["code/serve.sh"]?.permissions == 0o755)
        // The checkpoint's optimizer state is visible as an attribute of the member.
        let attributes = byName["checkpoint.pkl"]?.attributes ?? []
        #expect(attributes.contains { $0.path == "['optimizer_state_dict']" && $0.bytes > 0 })
        // Uncompressed content is the sum of the members; stored is the file on disk.
        #expect(bundle.bytes == bundle.children.reduce(0) { $0 + $1.bytes })
        #expect(bundle.storedBytes == (try readFile(Self.sagemaker)).count.magnitude)
        #expect(bundle.bytes > bundle.storedBytes)
    }

    /// A zip holding a directory's tarball: the pickle two archives down is still inspected.
    @Test func nestedBundlesAreWalkedAndNestingIsLimited() throws {
        let zipPath = try temporaryFile([], name: "outer.zip")
        let tarball = try readFile(Self.sagemaker)
        let sink = try AtomicFileSink(path: zipPath)
        let writer = try ArchiveWriter(downstream: sink, container: .zip)
        try writer.begin(ArchiveEntryInfo(path: "inner/model.tar.gz", kind: .file, size: UInt64(tarball.count)))
        try tarball.withUnsafeBytes { try writer.write($0) }
        try writer.finish()

        let outer = try BundleWalker().walk(path: zipPath)
        #expect(outer.kind == .zip)
        let inner = try #require(outer.children.first)
        #expect(inner.kind == .tar)
        #expect(inner.children.contains { $0.path.hasSuffix("!word_dict.pkl") && $0.kind == .pickle })

        #expect(throws: InputError.self) { try BundleWalker(options: BundleOptions(maximumNesting: 1)).walk(path: zipPath) }
        #expect(throws: InputError.self) { try BundleWalker(options: BundleOptions(maximumMembers: 3)).walk(path: zipPath) }
    }

    @Test func decompressionBombStopsAtTheRatioLimit() throws {
        let bomb = Repository.path("fixtures/bundles/hostile/bomb.tar.bz2")
        do {
            _ = try BundleWalker().walk(path: bomb)
            Issue.record("the bomb was read to its end")
        } catch {
            guard case .limitExceeded(_, _, let option) = error.reason else { Issue.record("\(error)"); return }
            #expect(option == "--max-ratio")
            #expect(error.offset <= 128 << 20)
        }
    }

    @Test func membersLeadingOutsideAreFlagged() throws {
        let bundle = try BundleWalker().walk(path: Repository.path("fixtures/bundles/hostile/escape.tar"))
        let unsafe = Set(bundle.children.filter { $0.unsafePath == true }.map { String($0.path.split(separator: "!", maxSplits: 1)[1]) })
        #expect(unsafe == ["../../escaped.pkl", "/tmp/brine-absolute.txt", "ok/passwd", "ok/hard"])
    }

    @Test(arguments: [
        ("a/b.pkl", nil as String?, false), ("../b", nil, true), ("a/../../b", nil, true), ("a/../b", nil, false),
        ("/etc/x", nil, true), ("C:/x", nil, true), ("a/link", "../x", false), ("a/link", "../../x", true), ("link", "/etc", true),
    ])
    func escapeDetection(path: String, target: String?, escapes: Bool) {
        let entry = ArchiveEntryInfo(path: path, kind: target == nil ? .file : .symlink, size: 0, linkTarget: target)
        #expect(entry.escapesRoot == escapes)
    }

    @Test func diffShowsWhatGrew() throws {
        let old = try BundleWalker().walk(path: Self.sagemaker)
        let new = try BundleWalker().walk(path: Repository.path("fixtures/bundles/sagemaker/model-v2.tar.gz"))
        let changes = SizeDiff.compare(SizeSnapshot.of(old), SizeSnapshot.of(new))
        let first = try #require(changes.first)
        #expect(first.key == "!word_dict.pkl")
        #expect(first.delta > 0)
        #expect(!changes.contains { $0.key == "!checkpoint.pkl" })
    }

    /// A tar member's name is attacker-chosen: a newline in it must not split the error line.
    @Test func memberPathsWithControlCharactersStayOnOneLine() {
        let error = InputError(path: "model.tar!a\nb\u{1b}[2J", offset: 3, reason: .corruptStream(codec: "gzip", detail: "bad header"))
        #expect(error.description == "model.tar!a\\nb\\u{1b}[2J: offset 3: corrupt gzip stream: bad header")
        #expect(error.descriptionWithoutPath == "offset 3: corrupt gzip stream: bad header")
    }

    /// Inputs FuzzBundle found (fixtures/malformed/fuzz-crashes/FuzzBundle): each is walked
    /// or refused with one line, never a crash.
    @Test func fuzzFindingsAreWalkedOrRefusedInOneLine() throws {
        let crashes = Repository.path("fixtures/malformed/fuzz-crashes/FuzzBundle")
        let found = try FileManager.default.contentsOfDirectory(atPath: crashes).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!found.isEmpty)
        for name in found {
            let path = crashes + "/" + name
            do {
                _ = try BundleWalker().walk(path: path)
            } catch {
                #expect(!error.description.contains("\n"), "\(name): \(error)")
            }
            let result = runBrine(["budget", "--limit", "1TB", path])
            #expect(result.status == 0 || result.status == 2, "\(name)")
            #expect(result.errors.split(separator: "\n", omittingEmptySubsequences: false).count <= 2, "\(name): \(result.errors)")
        }
    }
}

@Suite struct BudgetTests {
    @Test(arguments: [
        ("300MB", UInt64(300_000_000) as UInt64?), ("1.5GiB", 1_610_612_736), ("512k", 512_000), ("1000", 1000),
        ("2 MiB", 2_097_152), ("lots", nil), ("-3MB", nil), ("3XB", nil),
    ])
    func sizesParse(text: String, bytes: UInt64?) {
        #expect(SizeLimit.parseBytes(text) == bytes)
    }

    @Test func presetsCarryWhatThePlatformMeasures() throws {
        let heroku = try #require(SizeLimit.parse("heroku-slug"))
        #expect(heroku.measure == .gzipTar)
        #expect(heroku.warnBytes == 300_000_000)
        #expect(SizeLimit.parse("lambda-unzipped")?.bytes == 262_144_000)
        #expect(SizeLimit.parse("lambda-zip")?.measure == .zip)
        for preset in PlatformPreset.all {
            #expect(preset.source.hasPrefix("https://"))
            #expect(!preset.checked.isEmpty)
        }
    }

    @Test func slugignorePatterns() {
        let ignore = IgnorePatterns(patterns: ["/docs", "*.ipynb", "data/raw/"])
        #expect(ignore.matches("docs", isDirectory: true))
        #expect(!ignore.matches("src/docs", isDirectory: true))
        #expect(ignore.matches("notebooks/explore.ipynb", isDirectory: false))
        #expect(ignore.matches("data/raw", isDirectory: true))
        #expect(!ignore.matches("data/raw", isDirectory: false))
        #expect(!ignore.matches("app.py", isDirectory: false))
    }

    @Test func herokuAppIsMeasuredCompressedWithoutIgnoredFiles() throws {
        let app = Repository.path("fixtures/bundles/heroku-app")
        let result = try BudgetRunner.run(BudgetRequest(paths: [app], limit: SizeLimit.parse("heroku-slug")))
        #expect(result.ignored == 3)
        #expect(result.measuredBytes < result.uncompressedBytes)
        #expect(!result.failed)
        #expect(result.contributors.map(\.path).prefix(2) == ["static/noise.bin", "models/vocab.pkl"])
        #expect(result.contributors[1].kind == .pickle)
        #expect(!result.contributors.contains { $0.path.hasPrefix("docs/") || $0.path.hasPrefix("data/") })
        let tight = try BudgetRunner.run(BudgetRequest(paths: [app], limit: SizeLimit.parse("50KB", measure: .gzipTar)))
        #expect(tight.failed)
        #expect(tight.findings.first?.code == "budget-over")
    }

    @Test func pythonEnvironmentIsMeasuredFromRecordFilesAndHeavyChoicesFlagged() throws {
        let site = try temporaryFile([], name: "placeholder")
        let root = (site as NSString).deletingLastPathComponent + "/site-packages"
        func distribution(_ name: String, _ version: String, files: [(String, Int)]) throws {
            let info = "\(root)/\(name.replacingOccurrences(of: "-", with: "_"))-\(version).dist-info"
            try FileManager.default.createDirectory(atPath: info, withIntermediateDirectories: true)
            try "Metadata-Version: 2.1\nName: \(name)\nVersion: \(version)\n".write(toFile: info + "/METADATA", atomically: true, encoding: .utf8)
            var record = ""
            for (path, size) in files { record += "\(path),sha256=x,\(size)\n" }
            record += "\((info as NSString).lastPathComponent)/RECORD,,\n"
            try record.write(toFile: info + "/RECORD", atomically: true, encoding: .utf8)
        }
        try distribution("torch", "2.3.0+cu121", files: [("torch/__init__.py", 1000), ("torch/lib/libtorch_cuda.so", 700_000_000)])
        try distribution("nvidia-cudnn-cu12", "8.9.2.26", files: [("nvidia/cudnn/lib/libcudnn.so.8", 600_000_000)])
        try distribution("opencv-python", "4.10.0.84", files: [("cv2/cv2.abi3.so", 60_000_000)])
        try distribution("six", "1.17.0", files: [("six.py", 34_000)])

        let environment = try #require(PythonEnvironment.scan(root))
        #expect(environment.distributions.count == 4)
        #expect(environment.distributions.first?.name == "torch")
        // RECORD lists itself without a size: its size on disk counts.
        let records = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasSuffix(".dist-info") }
            .map { try FileManager.default.attributesOfItem(atPath: "\(root)/\($0)/RECORD")[.size] as! UInt64 }.reduce(0, +)
        #expect(environment.bytes == 1000 + 700_000_000 + 600_000_000 + 60_000_000 + 34_000 + records)

        var request = BudgetRequest(paths: [Repository.path("fixtures/bundles/heroku-app/app.py")], limit: SizeLimit.parse("1GB"))
        request.pythonEnvironment = root
        let result = try BudgetRunner.run(request)
        #expect(result.failed)  // 1.36 GB of declared files against 1 GB
        let codes = Set(result.findings.map(\.code))
        #expect(codes.isSuperset(of: ["budget-over", "heavy-torch-cuda", "heavy-opencv-gui"]))
        #expect(!codes.contains("heavy-tensorflow"))
    }

    @Test func repositoryGateFailsThenPassesAfterRepack() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("brine-repo-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Repository.path("fixtures/bundles/repo"), toPath: copy)
        let config = try BrineConfig.parse(String(contentsOfFile: copy + "/brine.toml", encoding: .utf8))
        let rule = try #require(config.files.first)
        func gate() throws -> BudgetResult {
            var request = BudgetRequest(paths: [copy], limit: config.limit)
            request.files = config.files
            request.findings = config.findings
            return try BudgetRunner.run(request)
        }
        let before = try gate()
        #expect(before.failed)
        #expect(before.findings.first { $0.severity == .error }?.code == "budget-file-over")
        #expect(before.findings.contains { $0.code == "training-only" && $0.treePath == "stop_words_" })

        let artifact = copy + "/models/vectorizer.joblib"
        let plan = try Repacker.repack(input: artifact, output: artifact, options: RepackOptions(limitBytes: rule.limit.bytes))
        #expect(plan.fits)
        #expect(plan.steps.map(\.action) == ["strip --preset deploy", "recompress xz:6"])
        // zlib and bz2 were tried first and did not fit: only xz meets this budget.
        #expect(plan.candidates.filter(\.fits).allSatisfy { $0.codec.hasPrefix("xz") })
        #expect(!(try gate()).failed)
    }

    @Test func repackThatCannotFitWritesNothingAndNamesWhatDominates() throws {
        let output = try temporaryFile([], name: "out.tar.gz")
        try FileManager.default.removeItem(atPath: output)
        let plan = try Repacker.repack(input: BundleTests.sagemaker, output: output, options: RepackOptions(limitBytes: 50_000))
        #expect(!plan.fits)
        #expect(plan.dominant.first?.path.hasSuffix("!word_dict.pkl") == true)
        #expect(!FileManager.default.fileExists(atPath: output))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (output as NSString).deletingLastPathComponent)
        #expect(leftovers.isEmpty)
    }
}

@Suite struct ConfigTests {
    @Test func configReadsTablesArraysOfTablesAndComments() throws {
        let config = try BrineConfig.parse("""
            # comment
            [budget]
            paths = ["app", 'models'] # trailing
            limit = "heroku-slug"
            [[budget.file]]
            glob = "*.joblib"
            limit = 1_000
            [[budget.file]]
            glob = "a#b"
            limit = "2MB"
            [findings]
            warning = 3
            """)
        #expect(config.paths == ["app", "models"])
        #expect(config.limit?.preset == "heroku-slug")
        #expect(config.files.map(\.glob) == ["*.joblib", "a#b"])
        #expect(config.files[0].limit == SizeLimit(bytes: 1000, measure: .uncompressed, text: "1000"))
        #expect(config.findings == [.warning: 3])
        let small = try BrineConfig.parse("[budget]\nlimit = \"lambda-zip\"\n[[budget.file]]\nglob = \"*.pkl\"\nlimit = 1000\n[findings]\nwarning = 2\n")
        #expect(small.limit?.preset == "lambda-zip")
        #expect(small.files == [BrineConfig.FileBudget(glob: "*.pkl", limit: SizeLimit(bytes: 1000, measure: .uncompressed, text: "1000"))])
        #expect(small.findings == [.warning: 2])
    }

    /// TOML 1.0 as TOMLKit reads it: arrays over several lines, inline tables, escapes.
    @Test func configAcceptsMultiLineArraysInlineTablesAndEscapes() throws {
        let config = try BrineConfig.parse("""
            findings = { warning = 1 }
            [budget]
            paths = [
              "app",   # the code
              "models\\\\v2",
            ]
            file = [{ glob = "*.pkl", limit = "1MB" }]
            """)
        #expect(config.paths == ["app", "models\\v2"])
        #expect(config.files.map(\.glob) == ["*.pkl"])
        #expect(config.findings == [.warning: 1])
    }

    /// Syntax errors come from TOMLKit with the line (and column) where the text goes wrong.
    @Test(arguments: [("[budget\n", 1), ("a = 1\nkey\n", 2), ("x = 1\na = \"open\n", 2),
                      ("[budget]\nlimit = 1\nlimit = 2\n", 3), ("[budget]\n\npaths = [1,\n", 3)])
    func malformedTomlNamesTheLine(text: String, line: Int) {
        #expect(throws: TOMLError.self) { try BrineConfig.parse(text) }
        do {
            _ = try BrineConfig.parse(text)
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column != nil)
        }
    }
}

@Suite struct TorchBundleTests {
    @Test func torchMemberInsideATarballIsInspected() throws {
        let bundle = try BundleWalker().walk(path: Repository.path("fixtures/bundles/sagemaker/model-torch.tar.gz"))
        let model = try #require(bundle.children.first { $0.path.hasSuffix("!model.pth") })
        #expect(model.kind == .torch)
        #expect(model.attributes?.contains { $0.path == "['optimizer_state_dict']" } == true)
        #expect(model.trainingOnly?.contains { $0.path == "['optimizer_state_dict']" } == true)
        // The scratch copy the zip reader needed is gone.
        let scratch = try FileManager.default.contentsOfDirectory(atPath: ArtifactReaders.temporaryDirectory())
        #expect(!scratch.contains { $0.hasPrefix("brine-member-") })
    }

    @Test func torchCheckpointIsRepackedByRemovingOptimizerState() throws {
        let output = try temporaryFile([], name: "model.pt")
        let plan = try Repacker.repack(input: Repository.path("fixtures/torch/checkpoint.pt"), output: output,
                                       options: RepackOptions(limitBytes: 1_000_000))
        #expect(plan.fits)
        #expect(plan.steps.map(\.action) == ["strip --preset torch-inference"])
        #expect(try TorchInspector.detect(path: output) == .zip)
    }

    @Test func budgetFindingsMapToSharedFindingCodes() throws {
        var request = BudgetRequest(paths: [Repository.path("fixtures/torch/checkpoint.pt")], limit: SizeLimit.parse("1MB"))
        request.topContributors = 1
        let report = try BudgetRunner.run(request).findingReport()
        #expect(report.findings.map(\.code).sorted() == ["BR701", "BR731", "BR731"])
        #expect(report.fails)
        for finding in report.findings { #expect(report.inputs.contains(finding.location.file)) }
    }
}
