import Foundation
import Testing
@testable import Brine
import BrineIO

/// Issue 26 items 1-3 (and the oracle's D6, D9, D12) on pickles CPython's pickle module wrote
/// (fixtures/pickle/issue26/generate.py), at every protocol. Each of these failed before the
/// fix: exit 2 at TUPLE1 after item 1,000, `<memo N>` in paths, `STACK_GLOBAL needs two strings`.
@Suite struct Issue26PickleTests {
    static let files = Repository.fixtures(in: "pickle/issue26", extensions: ["pkl"])

    func report(_ path: String, fastPath: Bool = true) throws -> InspectReport {
        var options = InspectOptions()
        options.usesFastPath = fastPath
        return ReportBuilder.build(try Inspector.inspect(path: path, options: options))
    }

    func nodes(_ node: ReportNode) -> [ReportNode] { [node] + node.children.flatMap(nodes) }

    func node(_ path: String, in report: InspectReport) -> ReportNode? { nodes(report.root).first { $0.path == path } }

    @Test func theGeneratorWroteEveryFile() {
        #expect(Self.files.count == 11 * 6 + 3)
    }

    /// One semantics: the fast path is a faster way to the same report.
    @Test(arguments: files) func theFastPathAgreesWithTheGeneralMachine(path: String) throws {
        #expect(try report(path) == report(path, fastPath: false))
    }

    /// Batches split across reads of any size (the scan's buffer ends mid-batch) read the same.
    @Test(arguments: files.filter { $0.hasSuffix("_p4.pkl") || $0.hasSuffix("_p1.pkl") })
    func smallReadsGiveTheSameReport(path: String) throws {
        let bytes = try readFile(path)
        let whole = ReportBuilder.build(try Inspector.inspect(source: MemorySource(bytes), name: path, fileBytes: UInt64(bytes.count)))
        let chunked = ReportBuilder.build(try Inspector.inspect(source: MemorySource(bytes, chunkLimit: 7), name: path,
                                                                fileBytes: UInt64(bytes.count), maximumWindow: 1 << 12))
        #expect(whole.root == chunked.root)
    }

    @Test(arguments: files) func everyPickleCommandReadsIt(path: String) {
        // pickletools refuses a memo key stored twice ("memo key 3 already defined"); dis is pickletools.
        let dis = path.contains("memo_overwrite") ? [] : [["dis", path]]
        for arguments in dis + [["inspect", path], ["check", path], ["decompile", path], ["sbom", path],
                          ["diff", path, path], ["strip", "--dry-run", "--preset", "deploy", path, "-o", path + ".out"]] {
            let result = runBrine(arguments)
            #expect(result.status < 2, "\(arguments.joined(separator: " ")): \(result.errors)")
        }
    }

    @Test(arguments: 0...5) func tuplesPastTheFirstBatchAreItems(protocol_: Int) throws {
        let tuples = try report(Repository.path("fixtures/pickle/issue26/tuples1_p\(protocol_).pkl"))
        #expect(tuples.root.count == 1001)
        #expect(tuples.root.elements == ["tuple": 1001] || tuples.root.other?.elements == ["tuple": 1001 - UInt64(tuples.root.children.count)])
        let pairs = try report(Repository.path("fixtures/pickle/issue26/tuples2_p\(protocol_).pkl"))
        #expect(pairs.root.count == 2500)
        let set = try report(Repository.path("fixtures/pickle/issue26/tupleset_p\(protocol_).pkl"))
        #expect(set.root.count == 2000)
        let mark = try report(Repository.path("fixtures/pickle/issue26/marktuple_p\(protocol_).pkl"))
        #expect(mark.root.count == 66)
        for name in ["tuples1", "tuples2", "tuples3", "tuplekeys", "tupleset", "marktuple"] {
            let report = try report(Repository.path("fixtures/pickle/issue26/\(name)_p\(protocol_).pkl"))
            #expect(report.root.bytes + report.overheadBytes == report.streamBytes, "\(name)")
        }
    }

    @Test(arguments: 0...5) func memoizedStringsKeepTheirText(protocol_: Int) throws {
        let memo = try report(Repository.path("fixtures/pickle/issue26/memokeys_p\(protocol_).pkl"))
        #expect(node("['dec']['rnn']['weight']", in: memo) != nil)
        #expect(!nodes(memo.root).contains { $0.path.contains("<memo") })
        let fromSet = try report(Repository.path("fixtures/pickle/issue26/setkeys_p\(protocol_).pkl"))
        #expect(node("['named']['w5']", in: fromSet) != nil)
        #expect(node("['named']['w7']", in: fromSet) != nil)
        let bytesKeys = try report(Repository.path("fixtures/pickle/issue26/byteskeys_p\(protocol_).pkl"))
        #expect(node("[b'k'][b'k']", in: bytesKeys) != nil)
        #expect(node("[b'z\\xff']", in: bytesKeys) != nil)
        let names = try report(Repository.path("fixtures/pickle/issue26/globalnames_p\(protocol_).pkl"))
        #expect(node("[2]", in: names)?.type == "collections.OrderedDict")
    }

    @Test func stackGlobalOperandsFromTheMemo() throws {
        #expect(try report(Repository.path("fixtures/pickle/issue26/stack_global_memo.pkl")).root.type == "collections.OrderedDict")
        #expect(try report(Repository.path("fixtures/pickle/issue26/memo_overwrite_global.pkl")).root.type == "collections.OrderedDict")
        let list = try report(Repository.path("fixtures/pickle/issue26/memo_overwrite_list.pkl"))
        #expect(["[0]", "[1]", "[2]"].map { node($0, in: list)?.value } == ["'rnn'", "'x'", "'x'"])
    }

    /// realworld R3: numpy's sdist holds a meson.build starting `x = …`; "x " passes zlib's
    /// header checksum with the preset-dictionary bit set, and the whole bundle was unreadable.
    @Test func textStartingWithXSpaceIsNotZlib() throws {
        for text in ["x = find_program(1)\n", "x?", "x}"] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { CompressionFormat.detect($0) } == nil, "\(text)")
        }
        for level: Int32 in [1, 6, 9] {
            let header: [UInt8] = [0x78, level == 1 ? 0x01 : level == 6 ? 0x9C : 0xDA]
            #expect(header.withUnsafeBytes { CompressionFormat.detect($0) } == .zlib)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-r3-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("x = find_program(1)\n".utf8).write(to: directory.appendingPathComponent("meson.build"))
        try Data(readFile(Repository.path("fixtures/pickle/issue26/memokeys_p4.pkl"))).write(to: directory.appendingPathComponent("m.pkl"))
        for arguments in [["inspect"], ["check"], ["budget", "--limit", "1GB"], ["sbom"]] {
            let result = runBrine(arguments + [directory.path])
            #expect(result.status < 2, "\(arguments): \(result.errors)")
        }
    }

    /// realworld R1: basic-pitch's wheel ships a TensorFlow `saved_model.pb` (schema version 1,
    /// then meta_graphs: the head an ONNX IR-1 model would have); it made the wheel unreadable.
    @Test func aSavedModelInABundleIsAFileNotABrokenONNX() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-r1-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data([0x08, 0x01, 0x12, 0x03, 0xFF, 0xFE, 0xFD]).write(to: directory.appendingPathComponent("saved_model.pb"))
        try Data(readFile(Repository.path("fixtures/pickle/issue26/memokeys_p4.pkl"))).write(to: directory.appendingPathComponent("m.pkl"))
        for arguments in [["inspect"], ["check"], ["budget", "--limit", "1GB"], ["sbom"]] {
            let result = runBrine(arguments + [directory.path])
            #expect(result.status < 2, "\(arguments): \(result.errors)")
        }
    }
}
