import Foundation
import Testing
@testable import Brine
import BrineIO

/// `brine convert`'s parts and the command in process. That torch and numpy load what it
/// writes and get the same tensors is Tests/conformance_torch/test_convert.py's job.
@Suite struct ConvertTests {
    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("brine-convert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func helpTextMatchesGolden() throws {
        let result = runBrine(["convert", "--help"])
        #expect(result.status == 0)
        #expect(result.output == (try Repository.golden("convert-help.txt")))
    }

    // MARK: safetensors header

    @Test func headerIsPaddedWithSpacesToEightAndReadsBack() throws {
        let entries = [
            SafetensorsHeader.Entry(name: "mask", dtype: "BOOL", itemSize: 1, shape: [3], bytes: 3),
            SafetensorsHeader.Entry(name: "a.weight", dtype: "F32", itemSize: 4, shape: [2, 3], bytes: 24),
            SafetensorsHeader.Entry(name: "ids", dtype: "I64", itemSize: 8, shape: [], bytes: 8),
            SafetensorsHeader.Entry(name: "quote\"d", dtype: "BF16", itemSize: 2, shape: [1], bytes: 2),
        ]
        let header = try SafetensorsHeader(entries: entries, metadata: ["format": "pt", "sha256": "abc"], placeholderKeys: ["sha256"])
        let bytes = header.bytes
        let length = bytes[..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(Int(length) == bytes.count - 8)
        #expect(length % 8 == 0)
        let json = String(decoding: bytes[8...], as: UTF8.self)
        #expect(json.hasPrefix("{\"__metadata__\":{\"format\":\"pt\",\"sha256\":\"abc\"},\"a.weight\""))
        #expect(json.trimmingCharacters(in: .whitespaces).hasSuffix("}"))
        #expect(json.reversed().prefix { $0 != "}" }.allSatisfy { $0 == " " })
        // Data order: element size descending, then name, so each starts aligned to its size.
        #expect(header.ordered.map(\.entry.name) == ["ids", "a.weight", "quote\"d", "mask"])
        for (entry, begin, _) in header.ordered { #expect(begin % UInt64(entry.itemSize) == 0) }
        let at = try #require(header.placeholders["sha256"])
        #expect(Array(bytes[at..<(at + 3)]) == Array("abc".utf8))
        // Brine's own safetensors reader agrees on every entry.
        let file = try temporaryFile(bytes + [UInt8](repeating: 7, count: Int(header.dataBytes)), name: "h.safetensors")
        let layout = try SafetensorsReader.read(FileSource(path: file), fileBytes: UInt64(bytes.count) + header.dataBytes)
        #expect(Set(layout.tensors.map(\.name)) == Set(entries.map(\.name)))
        #expect(layout.metadata["format"] == "pt")
        #expect(layout.findings.isEmpty, "\(layout.findings)")
    }

    /// The digest recorded in `__metadata__` (FIPS 180-4 test vectors, and one spanning blocks).
    @Test func sha256MatchesTheStandardVectors() {
        func digest(_ bytes: [UInt8], chunk: Int) -> String {
            var hash = SHA256Digest()
            var index = 0
            while index < bytes.count {
                let end = min(bytes.count, index + chunk)
                bytes[index..<end].withUnsafeBytes { hash.update($0) }
                index = end
            }
            return hash.finish()
        }
        #expect(digest([], chunk: 1) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest(Array("abc".utf8), chunk: 1) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        for chunk in [1, 7, 64, 1000] {
            #expect(digest(long, chunk: chunk) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        }
    }

    // MARK: dtypes

    @Test func everyTorchDTypeMapsToASafetensorsTypeOfTheSameSize() {
        for (torch, name) in SafetensorsDType.fromTorch {
            let mapped = SafetensorsDType.of(torch: torch)
            #expect(mapped?.name == name)
            #expect(UInt64(mapped?.itemSize ?? 0) == TorchDType.itemSize(torch), "\(torch)")
        }
        #expect(SafetensorsDType.of(torch: "bfloat16")?.name == "BF16")
        #expect(SafetensorsDType.of(torch: "float8_e4m3fn")?.name == "F8_E4M3")
        #expect(SafetensorsDType.of(torch: "float8_e5m2")?.name == "F8_E5M2")
        #expect(SafetensorsDType.of(torch: "complex128") == nil)
        #expect(SafetensorsDType.of(torch: "qint8") == nil)
        // Every byte-sized safetensors dtype is reachable from some torch dtype.
        let reachable = Set(SafetensorsDType.fromTorch.values)
        for (name, bits) in SafetensorsReader.dtypeBits where bits % 8 == 0 { #expect(reachable.contains(name), "\(name)") }
    }

    // MARK: stride gather

    /// A storage of `count` UInt32s whose value is their index, in a file after `lead` bytes.
    private func storageFile(count: Int, lead: Int) throws -> String {
        var bytes = [UInt8](repeating: 0xEE, count: lead)
        for value in 0..<UInt32(count) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        return try temporaryFile(bytes, name: "storage.bin")
    }

    /// C-order elements of a view, computed index by index.
    private func expected(shape: [Int64], stride: [Int64], offset: Int64) -> [UInt32] {
        var out: [UInt32] = []
        var index = [Int64](repeating: 0, count: shape.count)
        if shape.contains(0) { return [] }
        repeat {
            out.append(UInt32(offset + zip(index, stride).map { $0 * $1 }.reduce(0, +)))
            var dimension = shape.count - 1
            while dimension >= 0 {
                index[dimension] += 1
                if index[dimension] < shape[dimension] { break }
                index[dimension] = 0
                dimension -= 1
            }
            if dimension < 0 { break }
        } while true
        return out
    }

    @Test(arguments: [
        ([64, 64], [1, 64], 0),          // a transpose, bigger than the window
        ([8, 3], [64, 2], 5),            // rows of every other element, offset
        ([4, 4, 4], [256, 1, 16], 3),    // a permuted 3-d view
        ([2, 1, 5], [1000, 77, 1], 100), // a size-1 dimension with any stride is still contiguous
        ([4096], [1], 7),                // contiguous, longer than the window
        ([3, 2], [0, 1], 9),             // an expanded (stride 0) view
        ([], [], 11),                    // a 0-d tensor
        ([0, 5], [5, 1], 0),             // empty
    ] as [([Int64], [Int64], Int64)])
    func gathersViewsInCOrder(shape: [Int64], stride: [Int64], offset: Int64) throws {
        let count = 64 * 64 + 200
        let path = try storageFile(count: count, lead: 13)
        let view = StridedCopy.View(shape: shape, stride: stride, offset: offset, itemSize: 4)
        let end = try #require(view.storageEnd())
        #expect(end <= UInt64(count * 4))
        let sink = MemorySink()
        try StridedCopy(windowBytes: 4096).copy(view, from: FileSource(path: path), base: 13, storageBytes: UInt64(count * 4), to: sink)
        let got = sink.bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }.map { UInt32(littleEndian: $0) }
        #expect(got == expected(shape: shape, stride: stride, offset: offset))
    }

    @Test func viewsPastTheirStorageAreRefused() {
        #expect(StridedCopy.View(shape: [2, 3], stride: [3, 1], offset: -1, itemSize: 4).storageEnd() == nil)
        #expect(StridedCopy.View(shape: [2], stride: [-1], offset: 4, itemSize: 4).storageEnd() == nil)
        #expect(StridedCopy.View(shape: [2, 3], stride: [3, 1], offset: 2, itemSize: 4).storageEnd() == 32)
        #expect(StridedCopy.View(shape: [Int64.max, 2], stride: [Int64.max, 1], offset: 0, itemSize: 4).storageEnd() == nil)
    }

    // MARK: shards

    @Test func shardsFollowHuggingFaceNamingAndIndex() throws {
        let tensors: [(name: String, bytes: UInt64)] = [("a", 40), ("b", 70), ("c", 200), ("d", 10), ("e", 30)]
        let layout = ShardLayout(tensors: tensors, output: "out/model.safetensors", maximumBytes: 100)
        #expect(layout.files.map(\.path) == [
            "out/model-00001-of-00004.safetensors", "out/model-00002-of-00004.safetensors",
            "out/model-00003-of-00004.safetensors", "out/model-00004-of-00004.safetensors",
        ])
        #expect(layout.files.map(\.names) == [["a"], ["b"], ["c"], ["d", "e"]])
        #expect(layout.indexPath == "out/model.safetensors.index.json")
        let index = try JSONParser.parse(layout.indexJSON())
        func members(_ value: JSONValue?) -> [String: JSONValue] {
            guard case .object(let pairs)? = value else { return [:] }
            return Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
        let top = members(index)
        let metadata = members(top["metadata"]), map = members(top["weight_map"])
        #expect(metadata["total_size"] == .number("350"))
        #expect(map["c"] == .string("model-00003-of-00004.safetensors"))
        #expect(map.count == 5)
        let single = ShardLayout(tensors: tensors, output: "model.safetensors", maximumBytes: 1 << 30)
        #expect(single.files.map(\.path) == ["model.safetensors"])
        #expect(single.indexPath == nil)
    }

    // MARK: the command

    @Test func convertsSharedViewsWithTiedNamesWrittenOnce() throws {
        let directory = try temporaryDirectory()
        let output = directory + "/views.safetensors"
        let input = Repository.path("fixtures/torch/shared_views.pt")
        let result = runBrine(["convert", input, "-o", output, "--format", "json"])
        #expect(result.status == 0, "\(result.errors)")
        let report = try JSONDecoder().decode(ConvertResult.self, from: Data(result.output.utf8))
        #expect(report.aliases == ["same": "base"])
        #expect(report.tensors.map(\.name).contains("row_view"))
        #expect(report.sha256 == (try SHA256Digest.file(input)))
        let layout = try SafetensorsReader.read(FileSource(path: output), fileBytes: UInt64(try readFile(output).count))
        #expect(layout.metadata["same"] == "base")
        #expect(layout.metadata["sha256"] == report.sha256)
        #expect(layout.metadata["converted_from"] == "shared_views.pt")
        #expect(layout.tensors.first { $0.name == "bf16" }?.dtype == "BF16")
        #expect(layout.findings.isEmpty, "\(layout.findings)")
    }

    @Test func keyStrictAndShardsThroughTheCommand() throws {
        let directory = try temporaryDirectory()
        let input = Repository.path("fixtures/torch/checkpoint.pt")
        let strict = runBrine(["convert", input, "-o", directory + "/all.safetensors", "--strict"])
        #expect(strict.status == 1)
        #expect(strict.errors.contains("--strict") && strict.errors.contains("['epoch']"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/all.safetensors"))
        let missing = runBrine(["convert", input, "-o", directory + "/x.safetensors", "--key", "model"])
        #expect(missing.status == 64)
        #expect(missing.errors.contains("'model_state_dict'"))
        let sharded = runBrine(["convert", input, "-o", directory + "/model.safetensors", "--key", "model_state_dict", "--strict",
                                "--shard-size", "100KB"])
        #expect(sharded.status == 0, "\(sharded.errors)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"])
        let same = runBrine(["convert", input, "-o", input.replacingOccurrences(of: ".pt", with: ".safetensors"), "--key", "nope"])
        #expect(same.status == 64)
    }

    @Test func truncatedInputIsAnErrorWithAnOffset() throws {
        let directory = try temporaryDirectory()
        for name in ["checkpoint.pt", "checkpoint_legacy.pt"] {
            let bytes = try readFile(Repository.path("fixtures/torch/\(name)"))
            let cut = try temporaryFile(Array(bytes[..<(bytes.count * 2 / 3)]), name: name)
            let result = runBrine(["convert", cut, "-o", directory + "/cut.safetensors"])
            #expect(result.status == 2, "\(name): \(result.output)")
            #expect(result.errors.hasPrefix("brine: \(cut): ") && result.errors.contains("offset "), "\(result.errors)")
            #expect(result.errors.split(separator: "\n").count == 1)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func dangerousInputIsRefusedUnlessAllowed() throws {
        let directory = try temporaryDirectory()
        let hostile = Repository.path("fixtures/check/hostile/os_system_reduce_p2.pkl")
        let refused = runBrine(["convert", hostile, "-o", directory + "/x.npz"])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("BR601") && refused.errors.contains("--allow-unsafe-input"))
        let allowed = runBrine(["convert", hostile, "-o", directory + "/x.npz", "--allow-unsafe-input"])
        #expect(allowed.status == 1)
        #expect(allowed.errors.contains("nothing to convert"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func joblibArraysBecomeNpzMembersWithNumpyHeaders() throws {
        let directory = try temporaryDirectory()
        let output = directory + "/arrays.npz"
        let result = runBrine(["convert", Repository.path("fixtures/models/numpy_model.joblib.gz"), "-o", output])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("dropped ['labels']"))
        let layout = try NpzReader.read(path: output, pickles: nil)
        let weights = try #require(layout.tensors.first { $0.name.hasPrefix("weights") })
        #expect(weights.dtype == "<f8" && weights.shape == [200, 50])
        let bytes = try readFile(output)
        // Member data (after the local header) starts with numpy's magic, version 1.0, and
        // the header ends at a multiple of 64 with a newline.
        let magic = bytes.firstRange(of: [0x93] + Array("NUMPY".utf8))
        let start = try #require(magic?.lowerBound)
        #expect(bytes[start + 6] == 1 && bytes[start + 7] == 0)
        let length = Int(bytes[start + 8]) | Int(bytes[start + 9]) << 8
        #expect((10 + length) % 64 == 0)
        #expect(bytes[start + 10 + length - 1] == 0x0A)
    }

    @Test func npyHeadersSwitchToVersionTwoWhenLong() {
        let short = NpyHeader.bytes(descr: "<f4", fortranOrder: true, shape: [3])
        #expect(String(decoding: short[10...], as: UTF8.self).hasPrefix("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }"))
        #expect(short.count % 64 == 0)
        let long = NpyHeader.bytes(descr: "<i8", fortranOrder: false, shape: [Int64](repeating: 123_456_789, count: 6000))
        #expect(long[6] == 2 && long.count % 64 == 0)
        #expect(NpyHeader.isPlain("<M8[ns]") && NpyHeader.isPlain("|b1") && !NpyHeader.isPlain("|V64") && !NpyHeader.isPlain("|O"))
    }
}
