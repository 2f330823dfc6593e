@testable import Brine
import BrineIO
import Foundation
import Testing

/// The non-pickle readers in process: parsers, limits and the CLI paths
/// (Tests/conformance_formats compares them with the real libraries).
@Suite struct FormatsTests {
    static let tiny = Repository.path("fixtures/formats/safetensors/tiny.safetensors")

    func safetensors(_ header: String, data: Int = 0) -> [UInt8] {
        let text = Array(header.utf8)
        var bytes: [UInt8] = []
        var length = UInt64(text.count)
        for _ in 0..<8 { bytes.append(UInt8(length & 0xFF)); length >>= 8 }
        return bytes + text + [UInt8](repeating: 0, count: data)
    }

    @Test func jsonKeepsDuplicateKeysAndLimitsNesting() throws {
        let value = try JSONParser.parse(Array(#"{"a": 1, "a": "\u00e9\ud83d\ude00", "b": [true, null, -2.5e3]}"#.utf8))
        #expect(value.objectValue?.map(\.key) == ["a", "a", "b"])
        #expect(value.objectValue?[1].value == .string("é😀"))
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(("[" + String(repeating: "[", count: 100) + String(repeating: "]", count: 101)).utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(#"{"a": 01x}"#.utf8)) }
    }

    @Test func pythonLiteralsAreParsedNeverEvaluated() throws {
        let value = try PythonLiteralParser.parse(Array("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }".utf8))
        #expect(value["shape"] == .tuple([.integer(3), .integer(4)]))
        #expect(value["fortran_order"] == .bool(false))
        #expect(try PythonLiteralParser.parse(Array("(7)".utf8)) == .integer(7))
        #expect(throws: PythonLiteralParser.Failure.self) { try PythonLiteralParser.parse(Array("{'descr': __import__('os')}".utf8)) }
    }

    @Test func npyItemSizes() {
        #expect(NpyReader.itemSize("<f4") == 4)
        #expect(NpyReader.itemSize("<U10") == 40)
        #expect(NpyReader.itemSize("|O") == 0)
        #expect(NpyReader.itemSize("<M8[ns]") == 8)
        #expect(NpyReader.itemSize("<f3") == nil)
    }

    /// A header of 0x178 bytes starts 78 01: zlib's magic. It is read as safetensors.
    @Test func headerLengthThatLooksLikeZlibIsSafetensors() throws {
        let entry = #""x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}"#
        var header = "{" + entry + "}"
        header += String(repeating: " ", count: 0x178 - header.utf8.count)
        let path = try temporaryFile(safetensors(header, data: 4), name: "zlibish.safetensors")
        let layout = try #require(try FormatReaders.read(path: path))
        #expect(layout.format == "safetensors")
        #expect(layout.tensors.map(\.name) == ["x"])
        let walked = try BundleWalker().walk(path: path)
        #expect(walked.kind == .tensors)
    }

    @Test func hugeHeaderLengthIsOneLineWithTheLimit() throws {
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0x80, 0] + Array(#"{"a":1}"#.utf8)
        bytes += [UInt8](repeating: 0, count: 16)
        let path = try temporaryFile(bytes, name: "huge.safetensors")
        let run = runBrine(["inspect", path])
        #expect(run.status == 2)
        #expect(run.errors.contains("offset 0: safetensors header length"))
        #expect(run.errors.contains("100000000"))
        #expect(run.errors.split(separator: "\n").count == 1)
    }

    @Test func sizeDisagreeingWithShapeIsBR801() throws {
        let path = try temporaryFile(safetensors(#"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, data: 8), name: "short.safetensors")
        let findings = try BundleChecker.check(path: path, context: CheckContext()).findings
        #expect(findings.map(\.code) == ["BR801"])
        #expect(findings.first?.message.contains("needs 12") == true)
        #expect(runBrine(["check", path]).status == 1)
        #expect(runBrine(["inspect", path]).status == 0)
    }

    @Test func duplicateNamesAndUnknownDtypes() throws {
        let header = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "b": {"dtype": "Q4", "shape": [1], "data_offsets": [8, 9]}}"#
        let path = try temporaryFile(safetensors(header, data: 9), name: "dup.safetensors")
        let codes = try BundleChecker.check(path: path, context: CheckContext()).findings.map(\.code)
        #expect(codes.contains("BR802"))
        #expect(codes.contains("BR803"))
    }

    @Test func inspectTreeAddsUpAndGroups() throws {
        let run = runBrine(["inspect", "--format", "json", Self.tiny])
        #expect(run.status == 0)
        let report = try JSONDecoder().decode(InspectReport.self, from: Data(run.output.utf8))
        let size = try #require(try FileSource(path: Self.tiny).knownLength)
        #expect(report.root.bytes == size)
        #expect(report.root.children.reduce(0) { $0 + $1.bytes } == size)
        #expect(report.root.children.contains { $0.path == "model" && $0.type == "group" })
        #expect(report.layout?.metadata["producer"] == "brine fixtures")
    }

    @Test func disRefusesReadableFormatsInOneLine() throws {
        let run = runBrine(["dis", Self.tiny])
        #expect(run.status == 2)
        #expect(run.errors.contains("a safetensors file, not a pickle; brine inspect"))
    }

    @Test func ggufCountsAreBoundedBeforeUse() throws {
        var bytes = Array("GGUF".utf8) + [3, 0, 0, 0]
        bytes += [0, 0, 0, 0, 0, 0, 0, 0] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        let path = try temporaryFile(bytes, name: "count.gguf")
        let run = runBrine(["inspect", path])
        #expect(run.status == 2)
        #expect(run.errors.contains("offset 16: key/value count"))
    }
}
