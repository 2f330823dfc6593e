import Foundation
import Testing
@testable import Brine

/// `brine decompile` and `brine sbom` through the CLI, in process. That the --full output
/// rebuilds each fixture when run is Tests/conformance/test_decompile.py's job (it needs
/// Python and the real libraries); the SBOM's schema validity is test_sbom.py's.
@Suite struct DecompileTests {
    /// Output with the repository's absolute prefix removed, as the goldens were written
    /// from the repository root.
    private func relative(_ text: String) -> String {
        text.replacingOccurrences(of: Repository.root.path + "/", with: "")
    }

    @Test(arguments: [
        (["decompile", "--help"], "decompile-help.txt"),
        (["sbom", "--help"], "sbom-help.txt"),
        (["--help"], "help.txt"),
    ])
    func helpTextMatchesGolden(arguments: [String], golden: String) throws {
        let result = runBrine(arguments)
        #expect(result.status == 0)
        #expect(result.output == (try Repository.golden(golden)))
    }

    @Test(arguments: [
        (["fixtures/pickle/memo_p2.pkl"], "decompile-memo_p2.py"),
        (["--full", "fixtures/pickle/handwritten_all_opcodes_p5.pkl"], "decompile-all-opcodes-p5-full.py"),
        (["fixtures/models/numpy_model.joblib"], "decompile-numpy_model-joblib.py"),
    ])
    func decompileMatchesGolden(arguments: [String], golden: String) throws {
        let result = runBrine(["decompile"] + arguments.map { $0.hasPrefix("fixtures/") ? Repository.path($0) : $0 })
        #expect(result.status == 0)
        #expect(result.errors.isEmpty)
        #expect(relative(result.output) == (try Repository.golden(golden)))
    }

    @Test func sbomMatchesGolden() throws {
        let result = runBrine(["sbom", Repository.path("fixtures/models/pipeline_tfidf_lr.pkl")])
        #expect(result.status == 0)
        #expect(relative(result.output) == (try Repository.golden("sbom-pipeline_tfidf_lr.json")))
    }

    @Test func memoizedValuesAreNamedOnce() throws {
        let result = runBrine(["decompile", Repository.path("fixtures/pickle/memo_p4.pkl")])
        #expect(result.status == 0)
        // The shared list is built once and referenced twice by name.
        #expect(result.output.contains("_var0 = [1, 2, 3]\n"))
        #expect(result.output.contains("[_var0, _var0, "))
    }

    @Test func dangerousCallsCarryTheirFindingCode() throws {
        let hostile = Repository.fixtures(in: "check/hostile", extensions: ["pkl"])
        try #require(!hostile.isEmpty)
        var marked = 0
        for path in hostile {
            let result = runBrine(["decompile", path])
            #expect(result.status == 0, "\(path): \(result.errors)")
            if result.output.contains("  # BR601 dangerous-global: ") { marked += 1 }
        }
        #expect(marked > 0)
    }

    @Test func osSystemIsMarkedOnItsCall() throws {
        // GLOBAL 'posix system', 'id', TUPLE1, REDUCE, STOP (protocol 2).
        var bytes: [UInt8] = [0x80, 0x02]
        bytes += Array("cposix\nsystem\n".utf8)
        bytes += [0x55, 0x02] + Array("id".utf8) + [0x85, 0x52, 0x2E]
        let path = try temporaryFile(bytes)
        let result = runBrine(["decompile", path])
        #expect(result.status == 0)
        #expect(result.output.contains("from posix import system  # BR601 dangerous-global: posix.system runs a shell command\n"))
        #expect(result.output.contains("_var0 = system('id')  # BR601 dangerous-global: posix.system runs a shell command\n"))
    }

    @Test func longContainersAreSummarisedUnlessFull() throws {
        let path = Repository.path("fixtures/pickle/memo_p3.pkl")
        let summary = runBrine(["decompile", path]).output
        let full = runBrine(["decompile", "--full", path]).output
        #expect(summary.contains("... 280 more str"))
        #expect(!full.contains(" more str"))
        #expect(full.contains("'s299'"))
    }

    /// A fitted vectorizer's state has more than `shownItems` entries; its big attributes
    /// (the learned vocabulary, the discarded stop words, the fitted transformer) still get
    /// their own entry between the counted runs of small ones, at every protocol.
    @Test(arguments: 0...5) func bigAttributesAreNeverSummarisedAway(protocol_: Int) throws {
        let path = Repository.path("fixtures/pickle/proto_tfidf_p\(protocol_).pkl")
        let summary = runBrine(["decompile", path]).output
        let state = try #require(summary.split(separator: "\n").last { $0.hasPrefix("_var") && $0.contains("'input': 'content'") })
        for attribute in ["'vocabulary_': ", "'stop_words_': ", "'_tfidf': "] {
            #expect(state.contains(attribute), "\(attribute) in \(state)")
        }
        #expect(state.contains(" more "))
        #expect(!runBrine(["decompile", "--full", path]).output.contains(" more "))
    }

    @Test func truncatedInputIsOneLineAndExitTwo() throws {
        let path = try temporaryFile([0x80, 0x04, 0x8C, 0x05, 0x61, 0x62])
        let result = runBrine(["decompile", path])
        #expect(result.status == 2)
        #expect(result.errors == "brine: \(path): offset 2 (SHORT_BINUNICODE): declared length 5 runs past the end of input (2 bytes left)\n")
        #expect(result.output.isEmpty)
    }

    @Test func missingFileExitsTwo() {
        let result = runBrine(["decompile", "/nonexistent/model.pkl"])
        #expect(result.status == 2)
        #expect(result.errors == "brine: /nonexistent/model.pkl: cannot open: No such file or directory\n")
        let sbom = runBrine(["sbom", "/nonexistent/model.pkl"])
        #expect(sbom.status == 2)
        #expect(sbom.errors.hasPrefix("brine: /nonexistent/model.pkl: cannot open"))
    }

    @Test func outputFileIsWrittenAndStdoutStaysEmpty() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-decompile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("out.py").path
        let result = runBrine(["decompile", Repository.path("fixtures/pickle/memo_p2.pkl"), "-o", target])
        #expect(result.status == 0)
        #expect(result.output.isEmpty)
        #expect(relative(try String(contentsOfFile: target, encoding: .utf8)) == (try Repository.golden("decompile-memo_p2.py")))
    }

    @Test func torchDataPickleShowsPersistentIds() throws {
        let result = runBrine(["decompile", Repository.path("fixtures/torch/checkpoint.pt")])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("persistent_load(('storage', FloatStorage, '0', 'cpu', "))
        #expect(result.output.contains("_rebuild_tensor_v2("))
    }

    @Test func bundleMemberIsDecompiledUnderItsName() throws {
        let bundle = Repository.path("fixtures/bundles/sagemaker/model.tar.gz")
        let result = runBrine(["decompile", "--member", "word_dict.pkl", bundle])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.isEmpty)
        #expect(relative(result.output) == (try Repository.golden("decompile-sagemaker-word_dict.py")))
        // Without --member: every artifact, each after its own header, the member among them.
        let all = runBrine(["decompile", bundle])
        #expect(all.status == 0, "\(all.errors)")
        #expect(all.output.contains("# brine decompile \(bundle)!checkpoint.pkl: pickle, protocol "))
        #expect(all.output.contains(result.output))
    }

    @Test func torchRecordIsPickedByMember() throws {
        let path = Repository.path("fixtures/torch/checkpoint.pt")
        let whole = runBrine(["decompile", path])
        let record = runBrine(["decompile", "--member", "checkpoint/data.pkl", path])
        #expect(record.status == 0, "\(record.errors)")
        #expect(record.output == whole.output)
        let constants = runBrine(["decompile", "--member", "scripted/constants.pkl", Repository.path("fixtures/torch/scripted.pt")])
        #expect(constants.status == 0, "\(constants.errors)")
        #expect(constants.output.contains(": PyTorch torchscript file, record scripted/constants.pkl, protocol "))
        // The checkpoint inside a tarball: the tar member, then the zip's record.
        let nested = runBrine(["decompile", "--member", "model.pth!checkpoint/data.pkl", Repository.path("fixtures/bundles/sagemaker/model-torch.tar.gz")])
        #expect(nested.status == 0, "\(nested.errors)")
        #expect(nested.output.contains("model-torch.tar.gz!model.pth: PyTorch torch-zip file, record checkpoint/data.pkl"))
        #expect(nested.output.contains("_rebuild_tensor_v2("))
    }

    @Test func memberErrorsAreUsageOrUnreadable() throws {
        let bundle = Repository.path("fixtures/bundles/sagemaker/model.tar.gz")
        let missing = runBrine(["decompile", "--member", "nope.pkl", bundle])
        #expect(missing.status == 64)
        #expect(missing.errors.hasPrefix("brine: \(bundle): no member nope.pkl; it holds checkpoint.pkl, word_dict.pkl, "))
        #expect(missing.output.isEmpty)
        let checkpoint = Repository.path("fixtures/torch/checkpoint.pt")
        let record = runBrine(["decompile", "--member", "checkpoint/nope.pkl", checkpoint])
        #expect(record.status == 64)
        #expect(record.errors.hasPrefix("brine: \(checkpoint): no member checkpoint/nope.pkl; it holds checkpoint/data.pkl, "))
        let storage = runBrine(["decompile", "--member", "checkpoint/data/0", checkpoint])
        #expect(storage.status == 2)
        #expect(storage.errors.hasPrefix("brine: \(checkpoint)!checkpoint/data/0: a tensor storage record ("))
        let plain = Repository.path("fixtures/pickle/memo_p2.pkl")
        let notBundle = runBrine(["decompile", "--member", "x", plain])
        #expect(notBundle.status == 64)
        #expect(notBundle.errors == "brine: \(plain): --member x: not a bundle or a PyTorch zip; give the file alone\n")
        // A member that is no artifact: one line naming it, exit 2.
        let script = runBrine(["decompile", "--member", "code/inference.py", bundle])
        #expect(script.status == 2)
        #expect(script.errors.hasPrefix("brine: \(bundle)!code/inference.py: "))
        #expect(script.errors.split(separator: "\n").count == 1)
    }

    @Test func spdxMatchesGoldenButForItsCreationTime() throws {
        let result = runBrine(["sbom", "--format", "spdx", Repository.path("fixtures/models/pipeline_tfidf_lr.pkl")])
        #expect(result.status == 0, "\(result.errors)")
        let created = try #require(result.output.firstRange(of: #/"created" : "[0-9T:Z-]+"/#))
        let text = result.output.replacingCharacters(in: created, with: #""created" : "<SOURCE_DATE_EPOCH or now>""#)
        #expect(relative(text) == (try Repository.golden("sbom-pipeline_tfidf_lr.spdx.json")))
    }

    @Test func sha256MatchesKnownVectors() {
        func digest(_ text: String) -> String {
            var hash = SHA256Digest()
            Array(text.utf8).withUnsafeBytes { hash.update($0) }
            return hash.finish()
        }
        // FIPS 180-4 examples.
        #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(digest(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func sbomSerialNumberIsAVersion8UUIDOfTheHash() {
        let serial = SBOMBuilder.serialNumber(["1073fe31138890c48f368b4049fa76e315413c2f04ca0fa622a9bed8ea53aba0"])
        #expect(serial == "urn:uuid:1073fe31-1388-80c4-8f36-8b4049fa76e3")
    }
}
