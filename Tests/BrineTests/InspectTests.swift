@testable import Brine
import BrineIO
import Foundation
import Testing

@Suite struct InspectTests {
    static let artifacts = Repository.fixtures(in: "pickle", extensions: ["pkl"])
        + Repository.fixtures(in: "joblib", extensions: ["joblib", "zlib", "gz", "bz2", "xz", "lzma", "lz4"])
        + Repository.fixtures(in: "models", extensions: ["pkl", "joblib", "zlib", "gz", "bz2", "xz", "lzma", "lz4"])

    func inspectBytes(_ bytes: [UInt8], options: InspectOptions = InspectOptions()) throws(PickleError) -> Inspection {
        try Inspector.inspect(source: MemorySource(bytes), name: "<test>", fileBytes: UInt64(bytes.count), options: options)
    }

    /// No node claims more than its parts: bytes of children and summaries fit in the parent.
    func checkAttribution(_ node: ReportNode, sourceLocation: SourceLocation = #_sourceLocation) {
        let parts = node.children.reduce(0) { $0 + $1.bytes } + (node.other?.bytes ?? 0)
        #expect(parts <= node.bytes, "\(node.path): parts \(parts) > \(node.bytes)", sourceLocation: sourceLocation)
        for child in node.children { checkAttribution(child, sourceLocation: sourceLocation) }
    }

    @Test(arguments: artifacts)
    func everyByteIsAttributedOnce(path: String) throws {
        let report = ReportBuilder.build(try Inspector.inspect(path: path))
        #expect(report.root.bytes + report.overheadBytes == report.streamBytes)
        if report.compression == nil { #expect(report.streamBytes == report.fileBytes) }
        checkAttribution(report.root)
    }

    @Test func vectorizerStopWordsAreTrainingOnlyAndCounted() throws {
        let report = ReportBuilder.build(try Inspector.inspect(path: Repository.path("fixtures/pickle/sklearn_pipeline_p4.pkl")))
        let finding = try #require(report.trainingOnly.first)
        #expect(finding.path == "steps[0][1].stop_words_")
        let stopWords = try #require(find("steps[0][1].stop_words_", in: report.root))
        #expect(stopWords.type == "set")
        #expect(stopWords.trainingOnly == finding)
        #expect(finding.saving == stopWords.bytes)
        let coefficients = try #require(find("steps[1][1].coef_", in: report.root))
        #expect(coefficients.array?.dtype == "<f8")
        #expect(coefficients.array?.shape.first == 1)
    }

    @Test func compressedJoblibAttributesTheUncompressedStream() throws {
        let plain = ReportBuilder.build(try Inspector.inspect(path: Repository.path("fixtures/joblib/pipeline.joblib")))
        for codec in ["zlib", "gz", "bz2", "xz", "lzma", "lz4"] {
            let packed = ReportBuilder.build(try Inspector.inspect(path: Repository.path("fixtures/joblib/pipeline.joblib.\(codec)")))
            #expect(packed.format == "joblib")
            #expect(packed.compression != nil)
            #expect(packed.streamBytes == plain.streamBytes)
            #expect(packed.root == plain.root, "\(codec)")
        }
        #expect(all(plain.root).contains { $0.array?.storage == "joblib" && $0.array?.dtype == "<f8" })
    }

    @Test func reportsAreDeterministicAndGolden() throws {
        let path = Repository.path("fixtures/pickle/sklearn_pipeline_p4.pkl")
        let first = runBrine(["inspect", path, "--format", "json"])
        let second = runBrine(["inspect", path, "--format", "json"])
        #expect(first.status == 0)
        #expect(first.output == second.output)
        let relative = runBrineInRepository(["inspect", "fixtures/pickle/sklearn_pipeline_p4.pkl", "--depth", "3"])
        #expect(relative.output == (try Repository.golden("inspect-pipeline.txt")))
        let json = runBrineInRepository(["inspect", "fixtures/joblib/pipeline.joblib.gz", "--format", "json"])
        #expect(json.output == (try Repository.golden("inspect-pipeline-joblib-gz.json")))
    }

    @Test(arguments: ["fixtures/pickle/sklearn_pipeline_p2.pkl", "fixtures/pickle/numpy_arrays_p5.pkl", "fixtures/joblib/pipeline.joblib"])
    func everyTruncationFailsCleanly(relative: String) throws {
        let bytes = try readFile(Repository.path(relative))
        for cut in 0..<bytes.count {
            do {
                _ = try inspectBytes(Array(bytes[..<cut]))
                Issue.record("\(relative) cut at \(cut) was accepted")
            } catch {
                // A PickleError naming the offset: what a cut file must produce.
            }
        }
    }

    @Test func nestingBombHitsTheDepthLimit() {
        let bomb = [UInt8](repeating: 0x28, count: 2_000_000) + [0x2E]
        do {
            _ = try inspectBytes(bomb)
            Issue.record("accepted")
        } catch {
            guard case .limitExceeded(_, _, let option) = error.reason else { Issue.record("\(error)"); return }
            #expect(option == "--max-depth")
        }
    }

    @Test func billionLaughsStaysSmall() throws {
        // A list holding itself nine times, nested through the memo: references cost bytes, not copies.
        var bytes: [UInt8] = [0x80, 0x04, 0x5D, 0x94, 0x30]  // PROTO 4, EMPTY_LIST, MEMOIZE 0, POP
        for level in 1...20 {
            bytes += [0x5D, 0x94, 0x28]  // EMPTY_LIST, MEMOIZE level, MARK
            for _ in 0..<9 { bytes += [0x68, UInt8(level - 1)] }  // BINGET the previous level
            bytes += [0x65, 0x30]  // APPENDS, POP
        }
        bytes += [0x68, 20, 0x2E]  // BINGET the last level, STOP
        let inspection = try inspectBytes(bytes)
        #expect(inspection.graph.nodes.count < 100)
        let report = ReportBuilder.build(inspection)
        #expect(report.root.bytes + report.overheadBytes == UInt64(bytes.count))
    }

    @Test func hostileGlobalIsNamedNotRun() throws {
        // cos\nsystem\n(S'touch /tmp/brine-canary'\ntR.
        let path = "/tmp/brine-canary-\(UUID().uuidString)"
        let bytes = Array("cos\nsystem\n(S'touch \(path)'\ntR.".utf8)
        let report = ReportBuilder.build(try inspectBytes(bytes))
        #expect(report.root.type == "os.system")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    func all(_ node: ReportNode) -> [ReportNode] {
        [node] + node.children.flatMap(all)
    }

    func find(_ path: String, in node: ReportNode) -> ReportNode? {
        if node.path == path { return node }
        for child in node.children { if let found = find(path, in: child) { return found } }
        return nil
    }
}

/// Runs the CLI on repository paths and shows them relative in the output, as goldens do.
/// (Changing the working directory would race with tests running in parallel.)
func runBrineInRepository(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
    let prefix = Repository.root.path + "/"
    let absolute = arguments.map { $0.hasPrefix("fixtures/") ? prefix + $0 : $0 }
    let result = runBrine(absolute)
    return (result.status, result.output.replacingOccurrences(of: prefix, with: ""), result.errors)
}
