@testable import Brine
import BrineIO
import Foundation
import Testing

@Suite struct MemoRenumberingTests {
    @Test func removalsShiftLaterIndicesDown() {
        var map = MemoRenumbering()
        for old in Int64(5)...9 { map.remove(old) }
        map.remove(20)
        #expect(map.newIndex(3) == 3)
        #expect(map.newIndex(10) == 5)
        #expect(map.newIndex(19) == 14)
        #expect(map.newIndex(21) == 15)
        #expect(map.isRemoved(7))
        #expect(!map.isRemoved(10))
    }

    @Test func rematerializedEntriesGetTheirNewIndexAndShiftLaterOnes() {
        var map = MemoRenumbering()
        for old in Int64(2)...4 { map.remove(old) }
        // Entry 3 is written again as new index 5, before the input's entry 8 is defined.
        map.insertBefore(8, rematerializing: 3, as: 5)
        #expect(map.newIndex(3) == 5)
        #expect(map.newIndex(7) == 4)
        #expect(map.newIndex(8) == 6)
    }
}

@Suite struct StripTests {
    func scratch(_ name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-strip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    static let vectorizers = [
        "fixtures/pickle/sklearn_tfidf_p2.pkl", "fixtures/pickle/sklearn_tfidf_p5.pkl", "fixtures/pickle/sklearn_pipeline_p3.pkl",
        "fixtures/joblib/pipeline.joblib", "fixtures/joblib/pipeline.joblib.zlib", "fixtures/joblib/pipeline.joblib.gz",
        "fixtures/joblib/pipeline.joblib.bz2", "fixtures/joblib/pipeline.joblib.xz", "fixtures/joblib/pipeline.joblib.lzma",
        "fixtures/joblib/pipeline.joblib.lz4",
    ]

    @Test(arguments: vectorizers)
    func deployPresetRemovesStopWordsKeepingFormat(relative: String) throws {
        let input = Repository.path(relative)
        let before = try readFile(input)
        let output = try scratch((relative as NSString).lastPathComponent)
        let result = try Stripper.strip(input: input, output: output, options: StripOptions(selectors: [.deployPreset]))
        #expect(result.removed.map(\.path).allSatisfy { $0.hasSuffix("stop_words_") })
        #expect(try readFile(input) == before, "the input changed")
        let original = ReportBuilder.build(try Inspector.inspect(path: input))
        let stripped = ReportBuilder.build(try Inspector.inspect(path: output))
        #expect(stripped.compression == original.compression)
        #expect(stripped.protocol_ == original.protocol_)
        #expect(stripped.trainingOnly.isEmpty)
        #expect(stripped.streamBytes < original.streamBytes)
        #expect(stripped.root.bytes + stripped.overheadBytes == stripped.streamBytes)
    }

    /// A cut is skipped unread only on the strength of the memo range the inspection recorded:
    /// it must be exactly the memo stores a full decode of those bytes meets.
    @Test(arguments: vectorizers)
    func memoRangeOfEachCutMatchesTheStoresInside(relative: String) throws {
        let input = Repository.path(relative)
        let inspection = try Inspector.inspect(path: input)
        let cuts = StripPlanner.cuts(for: [.deployPreset], in: inspection)
        #expect(!cuts.isEmpty)
        for cut in cuts {
            let memo = try #require(cut.memo, "\(cut.path) has no memo range")
            let stream = try ArtifactStream.open(path: input)
            let reader = PickleReader(source: stream.source)
            var stores: Int64 = 0, valueStores: Int64 = 0
            let raw = Dictionary(inspection.rawSpans.map { ($0.span.offset, $0.span.count) }, uniquingKeysWith: max)
            while true {
                if let count = raw[reader.offset] { try reader.skipRaw(count, expected: "joblib data") }
                guard let instruction = try reader.readInstruction(), instruction.offset < cut.range.upperBound else { break }
                guard instruction.offset >= cut.range.lowerBound, instruction.opcode.isMemoPut else { continue }
                stores += 1
                if instruction.offset >= cut.valueStart { valueStores += 1 }
            }
            #expect(Int64(memo.count) == stores, "\(relative) \(cut.path)")
            #expect(memo.upperBound - (cut.valueMemoStart ?? -1) == valueStores, "\(relative) \(cut.path)")
        }
    }

    /// Plain frames are copied on the strength of the facts the inspection recorded: each
    /// frame's memo count must be the stores a full decode meets before it, and a frame
    /// called plain must hold no instruction that writes a memo index.
    @Test(arguments: vectorizers.filter { !$0.hasSuffix("_p2.pkl") && !$0.hasSuffix("_p3.pkl") })
    func frameFactsMatchAFullDecode(relative: String) throws {
        let input = Repository.path(relative)
        let inspection = try Inspector.inspect(path: input)
        #expect(!inspection.frames.isEmpty, "\(relative) has no frames")
        let stream = try ArtifactStream.open(path: input)
        let reader = PickleReader(source: stream.source)
        let raw = Dictionary(inspection.rawSpans.map { ($0.span.offset, $0.span.count) }, uniquingKeysWith: max)
        var stores = 0
        var frame = -1
        while true {
            if let count = raw[reader.offset] { try reader.skipRaw(count, expected: "joblib data") }
            guard let instruction = try reader.readInstruction() else { break }
            if instruction.opcode == .frame {
                frame += 1
                let fact = inspection.frames[frame]
                #expect(fact.offset == instruction.offset && fact.memoStart == stores, "\(relative) frame \(frame)")
                continue
            }
            if instruction.opcode.isMemoPut { stores += 1 }
            let writesIndex = [.get, .binget, .longBinget, .put, .binput, .longBinput, .stop, .proto].contains(instruction.opcode)
            if writesIndex, frame >= 0, instruction.offset < inspection.frames[frame].end {
                #expect(!inspection.frames[frame].plain, "\(relative): \(instruction.opcode) in plain frame \(frame)")
            }
            if instruction.opcode == .stop { stores = 0 }
        }
        #expect(frame + 1 == inspection.frames.count)
    }

    @Test func setNoneKeepsTheKey() throws {
        let output = try scratch("none.pkl")
        var options = StripOptions(selectors: [.classAttribute(className: "TfidfVectorizer", attribute: "stop_words_")])
        options.setNone = true
        _ = try Stripper.strip(input: Repository.path("fixtures/pickle/sklearn_tfidf_p4.pkl"), output: output, options: options)
        let report = ReportBuilder.build(try Inspector.inspect(path: output))
        let node = try #require(report.root.children.first { $0.path == "stop_words_" })
        #expect(node.type == "NoneType")
    }

    @Test func dryRunWritesNothing() throws {
        let output = try scratch("dry.pkl")
        var options = StripOptions(selectors: [.deployPreset])
        options.dryRun = true
        let result = try Stripper.strip(input: Repository.path("fixtures/pickle/sklearn_tfidf_p4.pkl"), output: output, options: options)
        #expect(result.outputStreamBytes < result.streamBytes)
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func nothingMatchedAndUnwritableOutputExitAsDocumented() throws {
        let none = runBrine(["strip", "--preset", "deploy", Repository.path("fixtures/pickle/ints_p4.pkl"), "-o", try scratch("x.pkl")])
        #expect(none.status == 1)
        let unwritable = runBrine(["strip", "--preset", "deploy", Repository.path("fixtures/pickle/sklearn_tfidf_p4.pkl"),
                                   "-o", "/nonexistent-dir/x.pkl"])
        #expect(unwritable.status == 2)
        #expect(unwritable.errors.hasPrefix("brine: ") && unwritable.errors.filter { $0 == "\n" }.count == 1)
    }

    @Test func sharedObjectInsideACutIsRefusedAndNothingIsWritten() throws {
        // {'a': [x], 'b': GET x} where x is a list defined inside 'a'.
        let bytes: [UInt8] = [0x80, 0x04, 0x7D, 0x94, 0x28,
                              0x8C, 0x01, 0x61, 0x94, 0x5D, 0x94, 0x28, 0x5D, 0x94, 0x65,  // 'a': [[]] (inner list memo 3)
                              0x8C, 0x01, 0x62, 0x94, 0x68, 0x03,                        // 'b': GET 3
                              0x75, 0x2E]
        let input = try temporaryFile(bytes)
        let output = try scratch("shared.pkl")
        #expect(throws: StripError.self) {
            _ = try Stripper.strip(input: input, output: output, options: StripOptions(selectors: [.path("['a']")]))
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (output as NSString).deletingLastPathComponent)
        #expect(siblings.isEmpty, "left behind: \(siblings)")
    }

    @Test func sharedStringInsideACutIsWrittenAgain() throws {
        // {'a': ['s'], 'b': GET 's'}: the string can be written again where 'b' needs it.
        let bytes: [UInt8] = [0x80, 0x04, 0x7D, 0x94, 0x28,
                              0x8C, 0x01, 0x61, 0x94, 0x5D, 0x94, 0x8C, 0x01, 0x73, 0x94, 0x61,  // 'a': ['s'] ('s' memo 3)
                              0x8C, 0x01, 0x62, 0x94, 0x68, 0x03,                                // 'b': GET 3
                              0x75, 0x2E]
        let input = try temporaryFile(bytes)
        let output = try scratch("string.pkl")
        _ = try Stripper.strip(input: input, output: output, options: StripOptions(selectors: [.path("['a']")]))
        let report = ReportBuilder.build(try Inspector.inspect(path: output))
        #expect(report.root.children.map(\.path) == ["['b']"])
        #expect(report.root.children.first?.value == "'s'")
    }
}
