@testable import Brine
import BrineIO
import Foundation
import Testing

/// Issue 26, items 4, 7, 12, 13 and 14. Tests/conformance/test_issue26_misc.py compares the
/// same files with joblib, pickle, importlib.metadata and the wheels' own metadata.
@Suite struct Issue26MiscTests {
    static let misc = "fixtures/misc/joblib/"

    // Item 4: scikit-learn's vendored joblib and joblib < 0.10.

    @Test func wrapperNamesAreOneListCoveringBothModules() {
        #expect(JoblibArrayWrapper.isInline("joblib.numpy_pickle.NumpyArrayWrapper"))
        #expect(JoblibArrayWrapper.isInline("sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"))
        #expect(!JoblibArrayWrapper.isInline("sklearn.externals.joblib.numpy_pickle.NDArrayWrapper"))
        #expect(JoblibArrayWrapper.isWrapper("sklearn.externals.joblib.numpy_pickle.NDArrayWrapper"))
        #expect(JoblibArrayWrapper.isWrapper("joblib.numpy_pickle.ZNDArrayWrapper"))
        #expect(!JoblibArrayWrapper.isWrapper("numpy.ndarray"))
    }

    @Test(arguments: (0...4).map { "sklearn020_arrays_p\($0).joblib" } + ["sklearn020_calibrated.joblib", "sklearn020_calibrated.joblib.z"])
    func vendoredJoblibIsReadToItsEnd(name: String) throws {
        let inspection = try Inspector.inspect(path: Repository.path(Self.misc + name))
        #expect(inspection.format == "joblib")
        // Every raw array span skipped, the stream read to its last byte.
        #expect(!inspection.rawSpans.isEmpty)
        let result = runBrine(["check", Repository.path(Self.misc + name)])
        #expect(result.status == 0, "\(result.errors)")
    }

    @Test(arguments: ["joblib094_arrays.pkl", "sklearn017_arrays.pkl"])
    func sideFileWrappersMakeAJoblibFile(name: String) throws {
        let inspection = try Inspector.inspect(path: Repository.path(Self.misc + name))
        #expect(inspection.format == "joblib")
        #expect(inspection.rawSpans.isEmpty)
    }

    // Item 7: Python 2 STRING with non-ASCII bytes.

    @Test func decompileReadsPython2StringAsLatin1() throws {
        // S'caf\xc3\xa9' (as Python 2's pickle.dumps('caf\xc3\xa9', 0) writes it), then a raw byte.
        let path = try temporaryFile(Array("S'caf\\xc3\\xa9 \u{00}'\np0\n.".utf8).map { $0 == 0 ? 0xE9 : $0 })
        let result = runBrine(["decompile", "--full", path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("'cafÃ© é'"), "\(result.output)")
        // dis matches pickletools, which decodes STRING as ASCII and refuses it.
        #expect(runBrine(["dis", path]).status == 2)
    }

    // Item 12: the import-name table.

    @Test func everyImportRowNamesAVersionedSourceOnce() {
        var seen = Set<String>()
        for row in Distributions.importTable {
            #expect(seen.insert(row.importName).inserted, "\(row.importName) twice")
            #expect(!row.distributions.isEmpty)
            #expect(row.source.contains("top_level.txt") || row.source.contains("RECORD") || row.source.contains("setup.py"), "\(row.source)")
            let namesVersion = row.source.contains { $0.isNumber }
            #expect(namesVersion, "\(row.importName): \(row.source) names no version")
        }
        #expect(Distributions.candidates(forImport: "pycrfsuite") == ["python-crfsuite"])
        var requirements = LoadRequirements()
        #expect(requirements.resolve("pycrfsuite").distribution == "python-crfsuite")
        #expect(requirements.resolve("nosuchthing").guessed)
        requirements.environment = nil
    }

    @Test func installedTopLevelModulesComeFromTopLevelTxtElseRecord() throws {
        let site = (try temporaryFile([], name: "placeholder") as NSString).deletingLastPathComponent + "/site-packages"
        func distribution(_ name: String, _ version: String, record: [String], topLevel: String?) throws {
            let info = "\(site)/\(name.replacingOccurrences(of: "-", with: "_"))-\(version).dist-info"
            try FileManager.default.createDirectory(atPath: info, withIntermediateDirectories: true)
            try "Metadata-Version: 2.1\nName: \(name)\nVersion: \(version)\n".write(toFile: info + "/METADATA", atomically: true, encoding: .utf8)
            let lines = record + ["\((info as NSString).lastPathComponent)/RECORD,,", "../../bin/tool,sha256=x,10"]
            try lines.map { $0 + "\n" }.joined().write(toFile: info + "/RECORD", atomically: true, encoding: .utf8)
            if let topLevel { try topLevel.write(toFile: info + "/top_level.txt", atomically: true, encoding: .utf8) }
        }
        try distribution("python-crfsuite", "0.9.11", record: ["pycrfsuite/__init__.py,sha256=x,10"], topLevel: "pycrfsuite\n")
        try distribution("beautifulsoup4", "4.12.3", record: ["bs4/__init__.py,sha256=x,10", "bs4/element.py,sha256=x,10"], topLevel: nil)
        try distribution("six", "1.17.0", record: ["six.py,sha256=x,10", "__pycache__/six.cpython-311.pyc,,"], topLevel: nil)
        let environment = try #require(PythonEnvironment.scan(site))
        #expect(environment.distributions(providing: "pycrfsuite").map(\.name) == ["python-crfsuite"])
        #expect(environment.distributions(providing: "pycrfsuite").first?.topLevelEvidence == "top_level.txt")
        #expect(environment.distributions(providing: "bs4").first?.topLevelEvidence == "RECORD")
        #expect(environment.distributions(providing: "six").map(\.name) == ["six"])
        var requirements = LoadRequirements()
        requirements.environment = environment
        let resolved = requirements.resolve("pycrfsuite")
        #expect(resolved.distribution == "python-crfsuite" && resolved.installedVersion == "0.9.11")
        #expect(resolved.source == "installed: python_crfsuite-0.9.11.dist-info/top_level.txt")
    }

    // Item 13: classes a known library's models hold.

    @Test func crfsuiteLogParserIsKnown() throws {
        #expect(SecurityLists.classify(module: "pycrfsuite._logparser", name: "TrainLogParser") == .known)
        #expect(SecurityLists.classify(module: "pynndescent.pynndescent_", name: "NNDescent") == .known)
        let result = runBrine(["check", Repository.path(Self.misc + "crfsuite_crf.pkl")])
        #expect(result.status == 0)
        #expect(!result.output.contains("BR602"), "\(result.output)")
    }

    // Item 14: a bundle given to a command that reads one artifact.

    @Test func singleArtifactCommandsNameABundle() throws {
        let zipPath = try temporaryFile([], name: "pkg-1.0-py3-none-any.whl")
        let sink = try AtomicFileSink(path: zipPath)
        let writer = try ArchiveWriter(downstream: sink, container: .zip)
        for (name, text) in [("pkg/__init__.py", "x = 1\n"), ("pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\n")] {
            let bytes = Array(text.utf8)
            try writer.begin(ArchiveEntryInfo(path: name, kind: .file, size: UInt64(bytes.count)))
            try bytes.withUnsafeBytes { try writer.write($0) }
        }
        try writer.finish()
        let output = (zipPath as NSString).deletingLastPathComponent + "/out"
        for (command, extra) in [("strip", ["--preset", "deploy"]), ("convert", [])] {
            let result = runBrine([command, zipPath, "-o", output + (command == "convert" ? ".npz" : ".pkl")] + extra)
            #expect(result.status == 2)
            #expect(result.errors == "brine: \(zipPath): offset 0: a zip bundle of 2 files (a Python wheel: pkg-1.0.dist-info/WHEEL), "
                + "not an artifact: brine \(command) reads one pickle, joblib or PyTorch file; \(BundleChecker.bundleCommands) read bundles\n")
        }
        #expect(!FileManager.default.fileExists(atPath: output + ".pkl"))
    }
}
