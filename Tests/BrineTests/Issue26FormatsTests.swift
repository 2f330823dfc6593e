import Foundation
import Testing
@testable import Brine
import BrineIO

/// Issue 26's format items: files the real libraries read that Brine misread or refused.
/// Each fixture comes from its library through a committed generator (fixtures/README.md);
/// the Python conformance suites compare the same files with the libraries themselves.
@Suite struct Issue26FormatsTests {
    static let zfile = "fixtures/joblib/zfile/"

    // MARK: item 5: joblib's ZF container, 21-byte (joblib 0.9) and 22-byte (joblib ≤ 0.8.4, Python 2) headers

    @Test(arguments: ["joblib094.pkl", "joblib084_py2.pkl"])
    func joblibZFFilesOfBothHeaderWidthsAreInspected(name: String) throws {
        let inspection = try Inspector.inspect(path: Repository.path(Self.zfile + name))
        #expect(inspection.compression == .joblibZF)
        // The same pickle in both files: joblib 0.9.4 wrote one, the 0.8.4 writer re-wrapped it.
        let other = try Inspector.inspect(path: Repository.path(Self.zfile + "joblib094.pkl"))
        #expect(inspection.streamBytes == other.streamBytes)
        #expect(inspection.graph[inspection.roots[0]].edges.count == 4)
    }

    /// The header byte after the 21 is looked at both through random access (a file) and
    /// through a forward stream (an archive member), without losing the zlib stream's first
    /// byte: joblib 0.9.4's file, and the same with the 22-byte header of joblib ≤ 0.8.4.
    @Test func zfHeaderWidthOnForwardAndRandomAccessSources() throws {
        let file = try readFile(Repository.path(Self.zfile + "joblib094.pkl"))
        let wide = Array(file[..<21]) + [0x20] + Array(file[21...])
        var outputs: [[UInt8]] = []
        for bytes in [file, wide] {
            let path = try temporaryFile(bytes, name: "m.pkl")
            for source in [try FileSource(path: path) as ByteSource, MemorySource(bytes, chunkLimit: 3)] {
                let stream = try openDecompressed(source, format: .joblibZF)
                var out = [UInt8](repeating: 0, count: 4096)
                let got = try out.withUnsafeMutableBytes { try stream.readFully(into: $0) }
                outputs.append(Array(out[..<got]))
            }
        }
        #expect(outputs.allSatisfy { $0 == outputs[0] })
        #expect(outputs[0].first == 0x80)  // PROTO: the pickle joblib 0.9.4 wrote
        #expect(outputs[0].count == 0x210)
    }

    @Test func joblibZFHasANameUsersUnderstandAndKeepsItsJSONValue() throws {
        let result = runBrine(["inspect", Repository.path(Self.zfile + "joblib084_py2.pkl")])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("joblib 0.9 zfile (zlib)"))
        #expect(!result.output.contains("joblibZF"))
        let json = runBrine(["inspect", "--format", "json", Repository.path(Self.zfile + "joblib084_py2.pkl")])
        #expect(json.output.contains("\"compression\" : \"joblibZF\"") || json.output.contains("\"compression\":\"joblibZF\""))
    }

    // MARK: item 14: joblib's .npy.z side files are said to be what they are

    @Test func joblibSideFileIsRecognised() throws {
        let result = runBrine(["inspect", Repository.path(Self.zfile + "sidefile.pkl_01.npy.z")])
        #expect(result.status == 2)
        #expect(result.errors.contains("side file"))
        #expect(!result.errors.contains("not a pickle opcode"))
        // Its pickle, beside it, is read.
        #expect(runBrine(["inspect", Repository.path(Self.zfile + "sidefile.pkl")]).status == 0)
    }

    // MARK: item 14: budget names a compressed plain pickle a pickle

    @Test func bzip2PlainPickleIsAPickleInBundles() throws {
        let pickle = try readFile(try #require(Repository.fixtures(in: "pickle", extensions: ["pkl"]).first))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-issue26-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let compressed = directory.appendingPathComponent("plain.pkl.bz2").path
        try Data(pickle).write(to: URL(fileURLWithPath: directory.appendingPathComponent("raw.pkl").path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "bzip2 -c '\(directory.path)/raw.pkl' > '\(compressed)' && rm '\(directory.path)/raw.pkl'"]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let walker = BundleWalker(options: BundleOptions())
        let root = try walker.walk(path: directory.path, followsLink: true)
        let member = try #require(root.children.first { $0.path.hasSuffix("plain.pkl.bz2") })
        #expect(member.kind == .pickle)
        #expect(member.compression == "bzip2")
        // A joblib file with numpy arrays stays joblib.
        let joblib = try walker.walk(path: Repository.path("fixtures/joblib/pipeline.joblib.bz2"), followsLink: true)
        #expect(joblib.kind == .joblib)
    }

    // MARK: item 11: GGUF files without tensors

    @Test func ggufVocabularyOnlyFileIsRead() throws {
        let path = Repository.path("fixtures/formats/gguf/vocab-only.gguf")
        let layout = try #require(try FormatReaders.read(path: path))
        #expect(layout.tensors.isEmpty)
        #expect(layout.facts["vocabulary"] == "37")
        #expect(layout.regionBytes == layout.fileBytes)
        #expect(runBrine(["inspect", path]).status == 0)
    }

    // MARK: item 10 and 14: ONNX tensors outside the initializers, and lone TensorProtos

    @Test func onnxConstantsAndAttributeTensorsAreCounted() throws {
        let layout = try #require(try FormatReaders.read(path: Repository.path("fixtures/formats/onnx/constants.onnx")))
        let names = Set(layout.tensors.map(\.name))
        for name in ["fc.weight", "fc.bias", "scale.tensor", "mask", "mask (indices)", "sparse_init", "sparse_init (indices)",
                     "fill_node.value", "lookup.tables[0]", "lookup.tables[1]", "then_out", "else_out"] {
            #expect(names.contains(name), "\(name) in \(names.sorted())")
        }
        #expect(layout.tensorBytes + layout.regionBytes == layout.fileBytes)
        #expect(layout.tensors.first { $0.name == "fc.weight" }?.bytes == 64)
    }

    @Test func onnxTensorProtoFileIsRecognisedAndRead() throws {
        let path = Repository.path("fixtures/formats/onnx/test_data_set_0/input_0.pb")
        let head = try readFile(path)
        #expect(FormatSniffer.foreign(head: head, size: UInt64(head.count))?.name == "onnx-tensor")
        let layout = try #require(try FormatReaders.read(path: path))
        #expect(layout.tensors.map(\.name) == ["x"])
        #expect(layout.tensors.first?.shape == [2, 4])
        #expect(layout.tensors.first?.bytes == 32)
        let dis = runBrine(["dis", path])
        #expect(dis.status == 2)
        #expect(dis.errors.contains("TensorProto"))
        #expect(!dis.errors.contains("not a pickle opcode"))
    }

    /// No pickle, text or ONNX model starts like a TensorProto.
    @Test func tensorProtoSnifferClaimsNoPickleOrModel() throws {
        for path in Repository.fixtures(in: "pickle", extensions: ["pkl"]) + [Repository.path("fixtures/formats/onnx/mlp.onnx")] {
            let head = Array(try readFile(path).prefix(FormatSniffer.headLength))
            #expect(!FormatSniffer.isONNXTensor(head), "\(path)")
        }
    }

    /// A cut TensorProto is still named by content, and its reader says where it stops.
    @Test func cutTensorProtoIsReportedByTheONNXReader() throws {
        let whole = try readFile(Repository.path("fixtures/formats/onnx/test_data_set_0/input_0.pb"))
        let path = try temporaryFile(Array(whole.prefix(whole.count - 10)), name: "input_0.pb")
        let result = runBrine(["inspect", path])
        #expect(result.status == 2)
        #expect(result.errors.contains("TensorProto"), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1)
    }

    // MARK: item 6: Python 2's OrderedDict([[k, v], ...]) in legacy torch files

    /// The keys are the generator's model's state-dict keys (fixtures/torch/generate_py2_legacy.py);
    /// Tests/conformance_torch/test_issue26_py2_legacy.py compares them with torch.load's.
    @Test func python2StateDictKeysNameTheTensors() throws {
        let inspection = try TorchInspector.inspect(path: Repository.path("fixtures/torch/py2_legacy/state_dict_py2.pt"))
        let paths = Set(inspection.tensors.map(\.path))
        for key in ["embedding.weight", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias", "norm.running_mean",
                    "norm.running_var", "norm.num_batches_tracked", "out.weight"] {
            #expect(paths.contains("['\(key)']"), "\(key) in \(paths.sorted())")
        }
        #expect(!paths.contains { $0.contains("__reduce_args__") })
        let report = ReportBuilder.build(inspection.pickle)
        #expect(report.root.bytes + report.overheadBytes == inspection.pickle.streamBytes)
    }

    // MARK: item 9: compressed npz members: array bytes and stored bytes apart

    @Test func compressedNpzReportsArrayBytesAndStoredBytes() throws {
        let layout = try #require(try FormatReaders.read(path: Repository.path("fixtures/formats/numpy/compressed.npz")))
        let weights = try #require(layout.tensors.first { $0.name == "weights" })
        #expect(weights.bytes == 30 * 4 * 4)
        // What the deflated member takes in the zip (`unzip -v`: 575 for weights.npy, 480 B of
        // float32 with its header; so tiny an array compresses to more than its data).
        #expect(weights.storedBytes == 575)
        #expect(layout.tensorBytes + layout.regionBytes == layout.fileBytes)
        let text = runBrine(["inspect", Repository.path("fixtures/formats/numpy/compressed.npz")])
        #expect(text.output.contains("520 B of data, stored as 731 B compressed"), "\(text.output)")
        let plain = try #require(try FormatReaders.read(path: Repository.path("fixtures/formats/numpy/stored.npz")))
        #expect(plain.tensors.allSatisfy { $0.storedBytes == nil })
    }

    // MARK: item 8: an .npy object array with bytes after its pickle (Python 2's numpy)

    @Test func npyObjectArrayWithANewlineAfterItsPickleIsChecked() throws {
        let path = Repository.path("fixtures/formats/numpy/object_py2.npy")
        let result = runBrine(["check", path])
        #expect(result.status != 2, "\(result.errors)")
        #expect(!result.errors.contains("not a pickle opcode"))
    }

    // MARK: item 14: convert and sbom of tensor formats

    @Test(arguments: ["fixtures/formats/onnx/mlp.onnx", "fixtures/formats/safetensors/tiny.safetensors", "fixtures/formats/numpy/stored.npz"])
    func convertSaysATensorFormatIsOneAlready(file: String) throws {
        for output in ["out.npz", "out.safetensors"] {
            let target = FileManager.default.temporaryDirectory.appendingPathComponent("brine-\(UUID().uuidString)-\(output)").path
            let result = runBrine(["convert", Repository.path(file), "-o", target])
            #expect(result.status == 2)
            #expect(result.errors.contains("already a tensor format"), "\(result.errors)")
            #expect(!result.errors.contains("numpy arrays convert to"))
        }
    }

    @Test func sbomReadsNpyAsItReadsNpz() throws {
        for file in ["fixtures/formats/numpy/object.npy", "fixtures/formats/numpy/object_member.npz"] {
            let result = runBrine(["sbom", Repository.path(file)])
            #expect(result.status == 0, "\(file): \(result.errors)")
        }
    }
}
