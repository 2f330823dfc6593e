import Foundation
import Testing
@testable import Brine
import BrineIO

@Suite struct ZipArchiveTests {
    static let checkpoint = Repository.path("fixtures/torch/checkpoint.pt")

    @Test func readsPyTorchArchiveWithAlignedStorageData() throws {
        let archive = try ZipArchive(source: FileSource(path: Self.checkpoint))
        #expect(archive.entries.first?.name == "checkpoint/data.pkl")
        let storages = archive.entries.filter { $0.name.hasPrefix("checkpoint/data/") }
        #expect(storages.count == 20)
        for entry in storages {
            #expect(entry.method == ZipEntry.stored)
            #expect(entry.dataOffset % 64 == 0, "\(entry.name) at \(entry.dataOffset)")
        }
        // Stored members read in place give back their bytes: the byteorder record.
        let byteorder = try #require(archive.entry(named: "checkpoint/byteorder"))
        let source = try archive.open(byteorder)
        var buffer = [UInt8](repeating: 0, count: 16)
        let got = try buffer.withUnsafeMutableBytes { try source.readFully(into: $0) }
        #expect(String(decoding: buffer[..<got], as: UTF8.self) == "little")
        #expect(CRC32.of(Array(buffer[..<got])) == byteorder.crc32)
    }

    @Test func deflatedMembersAreInflated() throws {
        let archive = try ZipArchive(source: FileSource(path: Repository.path("fixtures/torch/scripted.pt")))
        let code = try #require(archive.entries.first { $0.name.hasSuffix("code/__torch__.py") })
        #expect(code.method == ZipEntry.deflated)
        let source = try archive.open(code)
        var bytes = [UInt8](repeating: 0, count: Int(code.uncompressedSize) + 16)
        let got = try bytes.withUnsafeMutableBytes { try source.readFully(into: $0) }
        #expect(UInt64(got) == code.uncompressedSize)
        #expect(CRC32.of(Array(bytes[..<got])) == code.crc32)
    }

    /// A hand-built zip64 archive: sizes and offset in the zip64 extra field, counts in the
    /// zip64 end record found through its locator.
    @Test func readsZip64Records() throws {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * $0) & 0xFF) } }
        func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(v >> (8 * UInt64($0)) & 0xFF) } }
        let name = Array("a/data.pkl".utf8), data: [UInt8] = [0x80, 0x02, 0x4B, 0x07, 0x2E]  // PROTO 2, BININT1 7, STOP
        let crc = CRC32.of(data)
        var file = le32(0x0403_4b50) + le16(45) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
        file += le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(name.count) + le16(20) + name
        file += le16(1) + le16(16) + le64(UInt64(data.count)) + le64(UInt64(data.count)) + data
        let centralOffset = UInt64(file.count)
        var central = le32(0x0201_4b50) + le16(45) + le16(45) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
        central += le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(name.count) + le16(28) + le16(0) + le16(0) + le16(0) + le32(0)
        central += le32(0xFFFF_FFFF) + name + le16(1) + le16(24) + le64(UInt64(data.count)) + le64(UInt64(data.count)) + le64(0)
        file += central
        let zip64Offset = UInt64(file.count)
        file += le32(0x0606_4b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0) + le64(1) + le64(1)
        file += le64(UInt64(central.count)) + le64(centralOffset)
        file += le32(0x0706_4b50) + le32(0) + le64(zip64Offset) + le32(1)
        file += le32(0x0605_4b50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le16(0)
        let archive = try ZipArchive(source: MemorySource(file))
        #expect(archive.entries.count == 1)
        let entry = try #require(archive.entries.first)
        #expect(entry.compressedSize == 5 && entry.uncompressedSize == 5 && entry.headerOffset == 0)
        #expect(entry.dataOffset == UInt64(30 + name.count + 20))
    }

    /// Every cut of a PyTorch zip ends with exit 2 and one line naming the file and an offset.
    @Test func truncationAtManyOffsetsIsOneLineExitTwo() throws {
        let bytes = try readFile(Repository.path("fixtures/torch/checkpoint_cuda.pt"))
        for cut in stride(from: 0, to: bytes.count, by: 37) {
            let path = try temporaryFile(Array(bytes[..<cut]), name: "cut.pt")
            let result = runBrine(["inspect", path])
            #expect(result.status == 2, "cut at \(cut)")
            let lines = result.errors.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(path) && lines[0].contains("offset"), "cut at \(cut): \(result.errors)")
        }
    }

    /// Damaged signatures in the central directory and local headers are refused with their offset.
    @Test func corruptStructuresAreRefusedWithTheirOffset() throws {
        let bytes = try readFile(Repository.path("fixtures/torch/checkpoint_cuda.pt"))
        let archive = try ZipArchive(source: MemorySource(bytes))
        var offsets = archive.entries.map { Int($0.centralOffset) } + archive.entries.map { Int($0.headerOffset) }
        offsets.append(Int(archive.endRecordsRange.lowerBound) + 16)  // central directory offset field
        offsets.append(Int(archive.endRecordsRange.lowerBound) + 10)  // entry count
        for offset in offsets {
            var damaged = bytes
            damaged[offset] ^= 0x5A
            let path = try temporaryFile(damaged, name: "damaged.pt")
            let result = runBrine(["inspect", path])
            #expect(result.status == 2, "byte \(offset)")
            #expect(result.errors.split(separator: "\n").count == 1 && result.errors.contains("offset"), "byte \(offset): \(result.errors)")
        }
    }

    /// Any single damaged byte either still reads or is refused in one line: never a crash.
    @Test func everyDamagedByteIsHandled() throws {
        let bytes = try readFile(Repository.path("fixtures/torch/checkpoint_cuda.pt"))
        for offset in stride(from: 0, to: bytes.count, by: 13) {
            var damaged = bytes
            damaged[offset] ^= 0xFF
            let result = runBrine(["inspect", "--format", "json", try temporaryFile(damaged, name: "flip.pt")])
            #expect(result.status == 0 || result.status == 2, "byte \(offset)")
            if result.status == 2 { #expect(result.errors.split(separator: "\n").count == 1, "byte \(offset)") }
        }
    }

    /// Member names come from the file: a newline or terminal escape in one must not split
    /// the error line (found by FuzzTorch, fixtures/malformed/fuzz-crashes/FuzzTorch).
    @Test func controlCharactersInMemberNamesAreEscaped() throws {
        let error = ZipError(offset: 7, reason: .corrupt("member a\nb\u{1b}[2J: bad local header signature"))
        #expect(error.description == "offset 7: corrupt zip archive: member a\\nb\\u{1b}[2J: bad local header signature")
        let layout = TorchError.layout(offset: 0, "byteorder record says \"lit\ntle\"")
        #expect(!layout.description.contains("\n") && layout.description.contains("lit\\ntle"))
        let crashes = Repository.path("fixtures/malformed/fuzz-crashes/FuzzTorch")
        let found = try FileManager.default.contentsOfDirectory(atPath: crashes).filter { !$0.hasPrefix(".") }.sorted()
        #expect(!found.isEmpty)
        for name in found {
            let input = crashes + "/" + name
            let output = try temporaryFile([], name: "out.pt")
            for arguments in [["inspect", input], ["strip", input, "--preset", "torch-inference", "-o", output]] {
                let result = runBrine(arguments)
                #expect([0, 1, 2].contains(result.status), "\(arguments)")
                #expect(result.errors.split(separator: "\n", omittingEmptySubsequences: false).count <= 2, "\(arguments): \(result.errors)")
            }
        }
    }

    @Test func overlappingMembersAreRefused() throws {
        var bytes = try readFile(Repository.path("fixtures/torch/checkpoint_cuda.pt"))
        let archive = try ZipArchive(source: MemorySource(bytes))
        // Point the second member's central record at the first member's local header.
        let second = Int(archive.entries[1].centralOffset) + 42
        for index in 0..<4 { bytes[second + index] = 0 }
        #expect(throws: ZipError.self) { try ZipArchive(source: MemorySource(bytes)) }
    }
}

@Suite struct TorchInspectTests {
    @Test(arguments: ["checkpoint.pt", "state_dict_legacy.pt", "scripted.pt", "module_main.pt", "checkpoint_cuda.pt",
                      "shared_views.pt", "fastai_export.pkl"])
    func totalsAddUpToTheFileSize(name: String) throws {
        let path = Repository.path("fixtures/torch/\(name)")
        let inspection = try TorchInspector.inspect(path: path)
        let report = TorchReportBuilder.build(inspection)
        #expect(report.root.bytes + report.overheadBytes == report.fileBytes)
        #expect(report.fileBytes == UInt64(try readFile(path).count))
        #expect(!inspection.tensors.isEmpty)
    }

    @Test func checkpointShowsOptimizerShareAndEmbedding() throws {
        let report = TorchReportBuilder.build(try TorchInspector.inspect(path: Repository.path("fixtures/torch/checkpoint.pt")))
        let text = TextRenderer(maximumDepth: 3).render(report)
        #expect(text.contains("66.4%") || text.contains("66.5%") || text.contains("66.6%"))
        #expect(text.contains("640.1 KB") && text.contains("['model_state_dict']['embedding.weight']"))
        #expect(report.trainingOnly.map(\.path) == ["['optimizer_state_dict']", "['scheduler']"])
    }

    @Test func locationsAreExposedForCheck() throws {
        let inspection = try TorchInspector.inspect(path: Repository.path("fixtures/torch/checkpoint_cuda.pt"))
        #expect(inspection.nonCPUTensors.count == inspection.tensors.count)
        #expect(Set(inspection.tensors.map(\.location)) == ["cuda:0"])
    }

    @Test func plainPicklesAreNotTorch() throws {
        #expect(try TorchInspector.detect(path: Repository.path("fixtures/models/random_forest.pkl")) == nil)
    }
}

@Suite struct TorchLegacyAndStripTests {
    /// The legacy layout cut anywhere (inside the pickles, the key list, a count or the data) is one error line, exit 2.
    @Test func legacyTruncationIsOneLineExitTwo() throws {
        let bytes = try readFile(Repository.path("fixtures/torch/state_dict_legacy.pt"))
        var cuts = Array(stride(from: 1, to: 1_000, by: 23))
        cuts += [bytes.count - 1, bytes.count - 8, bytes.count / 2, 905, 912, 913]
        for cut in cuts {
            let path = try temporaryFile(Array(bytes[..<cut]), name: "legacy.pt")
            let result = runBrine(["inspect", path])
            #expect(result.status == 2, "cut at \(cut)")
            #expect(result.errors.split(separator: "\n").count == 1 && result.errors.contains("offset"), "cut at \(cut): \(result.errors)")
        }
    }

    @Test func metadataRecordsAreRead() throws {
        let inspection = try TorchInspector.inspect(path: Repository.path("fixtures/torch/checkpoint.pt"))
        #expect(inspection.metadata["byteorder"] == "little")
        #expect(inspection.metadata[".storage_alignment"] == "64")
        #expect(inspection.metadata[".data/serialization_id"]?.count == 40)
    }

    @Test func stripKeepsTheModelAndDropsOptimizerStorages() throws {
        let input = Repository.path("fixtures/torch/checkpoint.pt")
        let output = try temporaryFile([], name: "out.pt")
        let result = try TorchStripper.strip(input: input, output: output, options: StripOptions(selectors: [.torchInferencePreset]))
        #expect(result.removed.map(\.path) == ["['optimizer_state_dict']", "['scheduler']"])
        let before = try TorchInspector.inspect(path: input), after = try TorchInspector.inspect(path: output)
        #expect(after.tensors.map(\.path) == before.tensors.filter { $0.path.hasPrefix("['model_state_dict']") }.map(\.path))
        #expect(after.overhead.unreferencedStorages == 0)
        #expect(after.entries.filter { $0.name.contains("/data/") }.allSatisfy { $0.dataOffset % 64 == 0 })
        #expect(after.metadata[".data/serialization_id"] != before.metadata[".data/serialization_id"])
        let optimizerBytes = before.tensors.filter { $0.path.hasPrefix("['optimizer_state_dict']") }.reduce(0) { $0 + $1.chargedBytes }
        #expect(before.fileBytes - after.fileBytes >= optimizerBytes)
    }

    @Test func dryRunWritesNothing() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("brine-dry-\(UUID().uuidString).pt").path
        var options = StripOptions(selectors: [.torchInferencePreset])
        options.dryRun = true
        let result = try TorchStripper.strip(input: Repository.path("fixtures/torch/checkpoint.pt"), output: output, options: options)
        #expect(result.dryRun && !FileManager.default.fileExists(atPath: output))
        #expect(result.removed.first?.bytes ?? 0 > 1_367_652)
    }
}
