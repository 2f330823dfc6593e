import Foundation
import Testing
import BrineCLI

/// One contract across subcommands: the same input checks and wording everywhere, inputs
/// never overwritten without --in-place, `-` for standard input.
@Suite struct ContractCLITests {
    /// A command and how it is given one input.
    struct Command: CustomStringConvertible, Sendable {
        var name: String
        var arguments: @Sendable (String) -> [String]
        /// A directory is a bundle for it (check, budget, diff), so no bad input.
        var readsDirectories = false
        /// It reads the artifact's content (budget only measures bytes).
        var parses = true
        var description: String { name }
    }

    static let good = Repository.path("fixtures/models/pipeline_tfidf_lr.pkl")

    static let commands: [Command] = [
        // dis and inspect read a directory as a bundle, as check, budget and diff do.
        Command(name: "dis", arguments: { ["dis", $0] }, readsDirectories: true),
        Command(name: "inspect", arguments: { ["inspect", $0] }, readsDirectories: true),
        Command(name: "strip") { ["strip", $0, "--preset", "deploy", "--dry-run"] },
        Command(name: "check", arguments: { ["check", $0] }, readsDirectories: true),
        Command(name: "budget", arguments: { ["budget", $0, "--limit", "1GB"] }, readsDirectories: true, parses: false),
        Command(name: "repack") { ["repack", $0, "--limit", "1GB", "--dry-run"] },
        Command(name: "diff", arguments: { ["diff", good, $0] }, readsDirectories: true),
    ]

    /// Bad inputs, made once: what each is called and its path.
    static let badInputs: [(String, String)] = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brine-contract-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: directory + "/empty.pkl", contents: Data())
        try! FileManager.default.createDirectory(atPath: directory + "/dir", withIntermediateDirectories: true)
        mkfifo(directory + "/fifo", 0o644)
        var inputs = [("missing", directory + "/nosuch.pkl"), ("empty", directory + "/empty.pkl"), ("directory", directory + "/dir"),
                      ("device", "/dev/null"), ("fifo", directory + "/fifo")]
        // A pickle cut in half, at every protocol.
        for proto in 0...5 {
            let bytes = try! readFile(Repository.path("fixtures/pickle/containers_p\(proto).pkl"))
            let path = directory + "/truncated_p\(proto).pkl"
            FileManager.default.createFile(atPath: path, contents: Data(bytes.prefix(bytes.count / 2)))
            inputs.append(("truncated", path))
        }
        return inputs
    }()

    struct Case: CustomStringConvertible, Sendable {
        var command: Command
        var kind: String
        var path: String
        var description: String { "\(command.name) \(kind) \((path as NSString).lastPathComponent)" }
    }

    static let badCases: [Case] = commands.flatMap { command in
        badInputs.compactMap { kind, path in
            if kind == "directory", command.readsDirectories { return nil }
            if kind == "truncated", !command.parses { return nil }
            return Case(command: command, kind: kind, path: path)
        }
    }

    @Test(arguments: badCases)
    func unreadableInputIsOneLineNamingTheFileAndExitTwo(_ bad: Case) {
        let result = runBrine(bad.command.arguments(bad.path))
        #expect(result.status == 2, "\(bad): \(result.errors)")
        #expect(result.errors.hasPrefix("brine: \(bad.path): "), "\(bad): \(result.errors)")
        #expect(result.errors.hasSuffix("\n") && result.errors.dropLast().contains("\n") == false, "\(bad): \(result.errors)")
        switch bad.kind {
        case "missing": #expect(result.errors.hasSuffix(": cannot open: No such file or directory\n"))
        case "empty": #expect(result.errors.contains(": offset 0: empty file, expected a pickle"))
        case "directory", "device", "fifo": #expect(result.errors.hasSuffix(": not a regular file\n"))
        default: #expect(result.errors.contains("offset "))
        }
    }

    // MARK: inputs are never changed without --in-place

    /// `-o` spellings that all name the input: itself, `./` it, a symbolic and a hard link.
    static func aliases(of name: String, in directory: String) throws -> [String] {
        try FileManager.default.createSymbolicLink(atPath: directory + "/link-" + name, withDestinationPath: name)
        try FileManager.default.linkItem(atPath: directory + "/" + name, toPath: directory + "/hard-" + name)
        return [directory + "/" + name, directory + "/./" + name, directory + "/link-" + name, directory + "/hard-" + name]
    }

    @Test(arguments: ["strip", "repack"])
    func outputThatIsTheInputIsRefused(command: String) throws {
        let path = try temporaryFile(try readFile(Repository.path("fixtures/models/pipeline_tfidf_lr.joblib.gz")), name: "model.joblib")
        let directory = (path as NSString).deletingLastPathComponent
        let before = try readFile(path)
        for alias in try Self.aliases(of: "model.joblib", in: directory) {
            let arguments = command == "strip"
                ? ["strip", path, "--preset", "deploy", "-o", alias] : ["repack", path, "--limit", "5KB", "-o", alias]
            let result = runBrine(arguments)
            #expect(result.status == 64, "\(alias): \(result.errors)")
            #expect(result.errors == "brine: \(alias): -o is the input \(path) itself; the input is never changed without --in-place\n")
            #expect(try readFile(path) == before)
        }
    }

    @Test func reportsAreNeverWrittenOverAnInput() throws {
        let path = try temporaryFile(try readFile(Self.good))
        let before = try readFile(path)
        let check = runBrine(["check", path, "-o", path])
        #expect(check.status == 64)
        let budget = runBrine(["budget", path, "--limit", "1GB", "--write-baseline", path])
        #expect(budget.status == 64)
        #expect(try readFile(path) == before)
    }

    @Test func repackInPlaceReplacesTheInputAtomically() throws {
        let path = try temporaryFile(try readFile(Repository.path("fixtures/models/pipeline_tfidf_lr.joblib.gz")), name: "model.joblib")
        let before = try readFile(path)
        #expect(runBrine(["repack", path, "--in-place", "-o", path, "--limit", "8.5KB"]).status == 64)
        let result = runBrine(["repack", path, "--in-place", "--limit", "8.5KB"])
        #expect(result.status == 0, "\(result.errors)")
        let after = try readFile(path)
        #expect(after != before && after.count <= 8_500)
        let directory = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.joblib"])
    }

    // MARK: check's summary and error lines

    @Test func checkNeverCountsAnUnreadableInputAsChecked() {
        let alone = runBrine(["check", "/nonexistent/model.pkl"])
        #expect(alone.status == 2)
        #expect(alone.errors == "brine: /nonexistent/model.pkl: cannot open: No such file or directory\n")
        #expect(alone.output == "0 files checked, 1 unreadable: 0 errors, 0 warnings, 0 notes\n")
        let mixed = runBrine(["check", "/nonexistent/model.pkl", Self.good])
        #expect(mixed.status == 2)
        #expect(mixed.output.hasSuffix("1 file checked, 1 unreadable: 0 errors, 2 warnings, 0 notes\n"))
    }

    @Test func outputErrorsAreOneCleanLine() throws {
        let check = runBrine(["check", Self.good, "--format", "sarif", "-o", "/nonexistent-dir/x.sarif"])
        #expect(check.status == 2)
        #expect(check.errors == "brine: /nonexistent-dir/x.sarif: cannot create: No such file or directory\n")
        let strip = runBrine(["strip", Self.good, "--preset", "deploy", "-o", "/nonexistent-dir/x.pkl"])
        #expect(strip.errors == "brine: /nonexistent-dir/x.pkl: cannot create: No such file or directory\n")
        // Through the strip step and through recompression: never repack's scratch file.
        for limit in ["10KB", "1KB"] {
            let repack = runBrine(["repack", Repository.path("fixtures/models/pipeline_tfidf_lr.joblib.gz"), "-o", "/nonexistent-dir/x.joblib", "--limit", limit])
            #expect(repack.status == 2)
            #expect(repack.errors == "brine: /nonexistent-dir/x.joblib: cannot create: No such file or directory\n")
        }
    }

    // MARK: dis -l as pickletools

    @Test func disIndentLevelIsDashLAsInPickletools() {
        let file = Repository.path("fixtures/pickle/containers_p0.pkl")
        let long = runBrine(["dis", file, "--indentlevel", "1"])
        #expect(long.status == 0)
        #expect(long.output != runBrine(["dis", file]).output)
        #expect(runBrine(["dis", file, "-l", "1"]).output == long.output)
        #expect(runBrine(["dis", file, "-i", "1"]).output == long.output)
    }

    // MARK: standard input

    @Test(arguments: 0...5)
    func disOfStandardInputIsTheFilesDisassembly(proto: Int) throws {
        let file = Repository.path("fixtures/pickle/containers_p\(proto).pkl")
        let piped = runBrine(["dis", "-"], stdin: try readFile(file))
        #expect(piped.status == 0)
        #expect(piped.output == runBrine(["dis", file]).output)
    }

    @Test func inspectAndCheckNameStandardInput() throws {
        let joblib = try readFile(Repository.path("fixtures/models/pipeline_tfidf_lr.joblib.gz"))
        let inspect = runBrine(["inspect", "-", "--format", "json"], stdin: joblib)
        #expect(inspect.status == 0)
        #expect(inspect.output.contains("\"file\" : \"<stdin>\""))
        let hostile = runBrine(["check", "-"], stdin: try readFile(Repository.path("fixtures/check/hostile/os_system_reduce_p0.pkl")))
        #expect(hostile.status == 1)
        #expect(hostile.output.hasPrefix("<stdin>\n  error   BR601"))
        // A tarball needs seeking: it is spooled, and its members are named under <stdin>.
        let tarball = runBrine(["check", "-", "--format", "json"], stdin: try readFile(Repository.path("fixtures/bundles/sagemaker/model.tar.gz")))
        #expect(tarball.status == 0)
        #expect(tarball.output.contains("\"<stdin>!"))
        #expect(!tarball.output.contains("brine-stdin"))
    }

    @Test func stripFromStandardInputToAFileAndToStandardOutput() throws {
        let bytes = try readFile(Self.good)
        let reference = try temporaryFile([], name: "reference.pkl")
        #expect(runBrine(["strip", Self.good, "--preset", "deploy", "-o", reference]).status == 0)
        let out = try temporaryFile([], name: "out.pkl")
        let toFile = runBrine(["strip", "-", "--preset", "deploy", "-o", out], stdin: bytes)
        #expect(toFile.status == 0)
        #expect(toFile.output.contains("<stdin>: 17.5 KB -> \(out)"))
        #expect(try readFile(out) == (try readFile(reference)))
        let toStandardOutput = runBrine(["strip", "-", "--preset", "deploy", "-o", "-"], stdin: bytes)
        #expect(toStandardOutput.status == 0)
        #expect(toStandardOutput.outputBytes == (try readFile(reference)))
        #expect(toStandardOutput.errors.contains("-> <stdout>"))
        #expect(runBrine(["strip", "-", "--preset", "deploy", "--in-place"], stdin: bytes).status == 64)
    }

    @Test func diffAndRepackReadStandardInput() throws {
        let joblib = try readFile(Repository.path("fixtures/models/pipeline_tfidf_lr.joblib.gz"))
        let diff = runBrine(["diff", Self.good, "-"], stdin: joblib)
        #expect(diff.status == 0)
        #expect(diff.output.hasPrefix("\(Self.good) -> <stdin> (sizes uncompressed)\n"))
        #expect(runBrine(["diff", "-", "-"], stdin: joblib).status == 64)
        let repack = runBrine(["repack", "-", "--limit", "1GB", "--dry-run"], stdin: joblib)
        #expect(repack.status == 0)
        #expect(repack.output.hasPrefix("<stdin>: 9.1 KB (joblib)"))
    }

    @Test func badStandardInputIsOneLine() throws {
        let empty = runBrine(["dis", "-"], stdin: [])
        #expect(empty.status == 2)
        #expect(empty.errors == "brine: <stdin>: offset 0: empty file, expected a pickle, joblib or PyTorch file, or a tar or zip bundle\n")
        let large = runBrine(["inspect", "-", "--max-decompressed", "1000"], stdin: try readFile(Self.good))
        #expect(large.status == 2)
        #expect(large.errors == "brine: <stdin>: offset 0: standard input size limit exceeded (1000); raise it with --max-decompressed\n")
    }

    // MARK: wording

    @Test func countsAgreeWithTheirNouns() {
        let budget = runBrine(["budget", Repository.path("fixtures/bundles/sagemaker/model.tar.gz"), "--limit", "1GB"])
        #expect(budget.status == 0)
        let first = budget.output.split(separator: "\n")[0]
        #expect(first.hasPrefix("measured: ") && first.hasSuffix(" uncompressed — 1 file"), "\(first)")
        let gzip = runBrine(["budget", Repository.path("fixtures/bundles/sagemaker/model.tar.gz"), "--limit", "1GB", "--measure", "gzip-tar"])
        #expect(gzip.output.split(separator: "\n")[0].hasSuffix(" — 1 file, 151.0 KB uncompressed"))
    }

    @Test func dangerousGlobalFixShowsWhereItIs() {
        let result = runBrine(["check", Repository.path("fixtures/check/hostile/os_system_reduce_p0.pkl"), "--format", "json"])
        #expect(result.status == 1)
        #expect(!result.output.contains("at the path shown"))
        #expect(result.output.contains("find which object pickles `posix.system` (the file's top-level object, its opcode at offset "))
    }
}

/// Runs the CLI in process with `bytes` on its standard input (a pipe, as a shell gives).
func runBrine(_ arguments: [String], stdin bytes: [UInt8]) -> (status: Int32, output: String, errors: String, outputBytes: [UInt8]) {
    let pipe = Pipe()
    let writer = pipe.fileHandleForWriting
    let data = Data(bytes)
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        writer.write(data)
        try? writer.close()
        done.signal()
    }
    let io = CommandIO.capturing(input: pipe.fileHandleForReading.fileDescriptor)
    let status = BrineMain.run(arguments, io: io)
    // A command refused before reading leaves the writer blocked on a full pipe: drain it.
    _ = pipe.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    return (status, io.output.captured, io.errors.captured, io.output.capturedBytes)
}
