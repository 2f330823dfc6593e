@testable import Brine
import BrineIO
import Foundation
import Testing

/// The non-pickle readers in process: parsers, limits and the CLI paths
/// (Tests/conformance_formats compares them with the real libraries).
@Suite struct FormatsTests {
    static let tiny = Repository.path("fixtures/formats/safetensors/tiny.safetensors")

    /// The header padded with spaces to a multiple of 8, as safetensors' writer pads it, unless `padded` is false.
    func safetensors(_ header: String, data: Int = 0, padded: Bool = true) -> [UInt8] {
        var text = Array(header.utf8)
        if padded { text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8) }
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

    @Test func misalignedDataIsBR813() throws {
        let entries = #""b": {"dtype": "U8", "shape": [3], "data_offsets": [0, 3]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [3, 7]}"#
        let bytes = safetensors("{" + entries + "}", data: 7)
        let shifted = try SafetensorsReader.read(MemorySource(bytes, name: "shifted"), fileBytes: UInt64(bytes.count))
        #expect(shifted.findings.map(\.rule) == ["tensor-alignment"])
        #expect(shifted.findings.first?.name == "w")
        let aligned = #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        // Padded to a multiple of 8 and 3 spaces more: the data starts 3 bytes past a boundary.
        let header = aligned + String(repeating: " ", count: (8 - aligned.utf8.count % 8) % 8 + 3)
        let unpadded = safetensors(header, data: 4, padded: false)
        let start = try SafetensorsReader.read(MemorySource(unpadded, name: "start"), fileBytes: UInt64(unpadded.count))
        #expect((8 + header.utf8.count) % 8 == 3)
        #expect(start.findings.map(\.rule) == ["tensor-alignment"])
        #expect(start.findings.first?.offset == 0)
        let padded = safetensors(aligned, data: 4)
        #expect(try SafetensorsReader.read(MemorySource(padded, name: "padded"), fileBytes: UInt64(padded.count)).findings.isEmpty)
        #expect(LayoutRules.rule(named: "tensor-alignment")?.code == "BR813")
    }

    /// ModelProto{graph{initializer{name, raw_data}}} built from tags and varints.
    func delimited(_ field: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var length = payload.count
        var bytes: [UInt8] = [field << 3 | 2]
        repeat {
            bytes.append(UInt8(length & 0x7F) | (length >= 0x80 ? 0x80 : 0))
            length >>= 7
        } while length > 0
        return bytes + payload
    }

    func places(_ bytes: [UInt8]) throws(InputError) -> [ONNXTensorOffsets.Data] {
        try ONNXTensorOffsets.tensors(bytes, name: "wire", maximumDepth: 4)
    }

    @Test func onnxWireWalkPlacesRawDataAndMergesGraphs() throws {
        let raw = [UInt8](repeating: 7, count: 200)
        let first = delimited(5, delimited(8, Array("a".utf8)) + delimited(9, [1, 2]) + delimited(9, raw))
        let second = delimited(5, [0x08, 0x01] + delimited(4, [0, 0, 0x80, 0x3F]))
        let model: [UInt8] = [0x08, 0x09] + delimited(7, first) + [0x12, 0x00] + delimited(7, second)
        let found = try places(model)
        #expect(found.count == 2)
        // The last raw_data wins, as protobuf decodes it; typed data at its packed payload.
        #expect(found[0].bytes == 200 && found[0].raw)
        #expect(Array(model[Int(found[0].offset)..<Int(found[0].offset) + 200]) == raw)
        #expect(found[1] == ONNXTensorOffsets.Data(offset: UInt64(model.count - 4), bytes: 4, raw: false))
    }

    @Test func onnxWireWalkIsBounded() throws {
        let hostile: [(String, [UInt8])] = [
            ("10 bytes", [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01]),
            ("length-delimited", [0x3A, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00]),
            ("length-delimited", delimited(7, [0x2A, 0x05, 0x4A])),
            ("wire type", [0x0F]),
            ("field number", [0x02, 0x00]),
            ("deep", [UInt8](repeating: 0x0B, count: 6)),
            ("end of group 1", [0x0B, 0x14]),
            ("never started", [0x0C]),
        ]
        for (expected, bytes) in hostile {
            do {
                _ = try places(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
                #expect(!error.description.contains("\n"))
            }
        }
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
