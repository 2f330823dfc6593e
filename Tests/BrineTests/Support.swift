import Foundation
@testable import Brine
import BrineCLI
import BrineIO

/// Paths inside the repository, found from this file so tests run from any directory.
enum Repository {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// Every file under `fixtures/<folder>` with one of `extensions`, sorted.
    static func fixtures(in folder: String, extensions: Set<String>) -> [String] {
        let directory = root.appendingPathComponent("fixtures").appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { extensions.contains(($0 as NSString).pathExtension) }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    static func golden(_ name: String) throws -> String {
        try String(contentsOfFile: path("Tests/BrineTests/Golden/\(name)"), encoding: .utf8)
    }
}

/// Disassembles bytes in process, returning the text and the error if any.
func disassemble(_ bytes: [UInt8], options: DisassemblyOptions = DisassemblyOptions(), chunkLimit: Int = .max) -> (text: String, error: PickleError?) {
    let reader = PickleReader(window: ByteWindow(source: MemorySource(bytes, chunkLimit: chunkLimit), initialCapacity: 16))
    var text = ""
    do {
        try Disassembler(options: options).disassembleAll(reader, to: &text)
        return (text, nil)
    } catch {
        return (text, error)
    }
}

/// Runs the CLI in process.
func runBrine(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
    let io = CommandIO.capturing()
    let status = BrineMain.run(arguments, io: io)
    return (status, io.output.captured, io.errors.captured)
}

func readFile(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String = "input.pkl") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}
