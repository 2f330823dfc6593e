import Brine
import BrineIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An input named on the command line, opened the same way by every command, so a missing,
/// empty, unreadable or wrong-kind input is the same one-line error and exit 2 everywhere.
///
/// `-` is standard input, spooled to a scratch file of the temporary directory (zip, tar and
/// PyTorch readers need to seek; one path for every format keeps the readers unaware of it).
/// The spool is bounded by `--max-decompressed`, registered with `InterruptCleanup` so a
/// signal cannot leave it behind, and removed when the command ends.
final class CommandInput {
    /// What reports and errors call standard input.
    static let standardInputName = "<stdin>"
    static let standardInputArgument = "-"

    enum Accepts {
        /// A regular file: a pickle, joblib or PyTorch file.
        case artifact
        /// A regular file (artifact, tar or zip bundle) or a directory.
        case artifactOrBundle

        var expected: String {
            switch self {
            case .artifact: "a pickle, joblib or PyTorch file"
            case .artifactOrBundle: "a pickle, joblib or PyTorch file, or a tar or zip bundle"
            }
        }
    }

    /// What the readers open: the argument, or the spool file.
    let path: String
    /// What the user is shown: the argument, or `<stdin>`.
    let name: String
    /// Standard input's copy, removed with this input.
    private let spool: TemporaryFile?

    var isStandardInput: Bool { spool != nil }
    private var isSpool: Bool { spool != nil }

    private init(path: String, name: String, spool: TemporaryFile?) {
        self.path = path
        self.name = name
        self.spool = spool
    }

    /// Validates `argument` (or spools standard input for `-`); throws the input layer's
    /// error, naming the argument as typed.
    static func open(_ argument: String, accepts: Accepts, io: CommandIO, limit: UInt64) throws(InputError) -> CommandInput {
        if argument == standardInputArgument {
            return try spool(io.input, limit: limit, expected: accepts.expected)
        }
        var info = stat()
        guard stat(argument, &info) == 0 else { throw InputError(path: argument, offset: 0, reason: .cannotOpen(errno: errno)) }
        if info.st_mode & S_IFMT == S_IFDIR, accepts == .artifactOrBundle {
            guard access(argument, R_OK | X_OK) == 0 else { throw InputError(path: argument, offset: 0, reason: .cannotOpen(errno: errno)) }
            return CommandInput(path: argument, name: argument, spool: nil)
        }
        let size = try validateReadableFile(argument)
        guard size > 0 else { throw InputError(path: argument, offset: 0, reason: .emptyFile(expected: accepts.expected)) }
        return CommandInput(path: argument, name: argument, spool: nil)
    }

    /// A regular file that can be opened for reading (its size returned). Directories where
    /// a file is expected, FIFOs (a read could block forever) and devices (one could be
    /// endless) are refused.
    @discardableResult
    static func validateReadableFile(_ path: String) throws(InputError) -> UInt64 {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw InputError(path: path, offset: 0, reason: .cannotOpen(errno: errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw InputError(path: path, offset: 0, reason: .notARegularFile)
        }
        return UInt64(max(0, info.st_size))
    }

    /// `text` (an error line, a report field) with the spool file's path replaced by `<stdin>`.
    func naming(_ text: String) -> String {
        isSpool ? text.replacing(path, with: name) : text
    }

    /// Whether `output` is this input under another name: the same file by device and inode,
    /// so `./a.pkl`, `a.pkl`, a symbolic link to it and a hard link all count.
    func isSameFile(as output: String) -> Bool {
        guard !isSpool else { return false }
        return Self.sameFile(path, output)
    }

    static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    private static func spool(_ descriptor: Int32, limit: UInt64, expected: String) throws(InputError) -> CommandInput {
        let name = standardInputName
        let spool: TemporaryFile
        do { spool = try TemporaryFile(prefix: "brine-stdin") } catch let code {
            throw InputError(path: name, offset: 0, reason: .cannotOpen(errno: code.value))
        }
        let file = spool.descriptor
        let input = CommandInput(path: spool.path, name: name, spool: spool)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        var total: UInt64 = 0
        while true {
            let got = read(descriptor, buffer.baseAddress!, buffer.count)
            if got < 0 {
                if errno == EINTR { continue }
                throw InputError(path: name, offset: total, reason: .readFailed(errno: errno))
            }
            if got == 0 { break }
            let (next, overflow) = total.addingReportingOverflow(UInt64(got))
            guard !overflow, next <= limit else {
                throw InputError(path: name, offset: total, reason: .limitExceeded(
                    limit: "standard input size limit", value: limit, option: "--max-decompressed"))
            }
            var written = 0
            while written < got {
                let result = write(file, buffer.baseAddress! + written, got - written)
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { throw InputError(path: name, offset: total, reason: .readFailed(errno: errno)) }
                written += result
            }
            total = next
        }
        guard total > 0 else { throw InputError(path: name, offset: 0, reason: .emptyFile(expected: expected)) }
        spool.closeDescriptor()
        return input
    }
}

/// A scratch file of the temporary directory, named by Brine (mkstemp), removed when
/// released and, through `InterruptCleanup`, when a signal ends the process first.
final class TemporaryFile {
    struct Failure: Error { let value: Int32 }

    let path: String
    private(set) var descriptor: Int32
    private let cleanup: InterruptCleanup.Token?

    init(prefix: String) throws(Failure) {
        var template = Array((Self.directory() + "/\(prefix)-XXXXXX").utf8CString)
        let file = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard file >= 0 else { throw Failure(value: errno) }
        descriptor = file
        path = String(cString: template.map { $0 })
        cleanup = InterruptCleanup.register(path)
    }

    func closeDescriptor() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit {
        closeDescriptor()
        unlink(path)
        InterruptCleanup.unregister(cleanup)
    }

    private static func directory() -> String {
        if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty { return text }
        return "/tmp"
    }
}

extension CommandIO {
    /// Opens every input, or reports the first that cannot be opened and throws the exit
    /// status. Standard input can be read once: `-` twice is a usage error.
    func open(_ arguments: [String], accepts: CommandInput.Accepts, limit: UInt64) throws(ExitStatus) -> [CommandInput] {
        if arguments.count(where: { $0 == CommandInput.standardInputArgument }) > 1 {
            report("standard input (-) can be named once")
            throw .usage
        }
        var inputs: [CommandInput] = []
        for argument in arguments {
            do { inputs.append(try CommandInput.open(argument, accepts: accepts, io: self, limit: limit)) } catch {
                report(error.description)
                throw .unreadableInput
            }
        }
        return inputs
    }

    func open(_ argument: String, accepts: CommandInput.Accepts, limit: UInt64) throws(ExitStatus) -> CommandInput {
        try open([argument], accepts: accepts, limit: limit)[0]
    }

    /// A command that reads one artifact, given a tar or zip bundle (a wheel, an sdist, a
    /// model tarball): reports what the file is, what `command` reads and which commands read
    /// bundles, in one line (exit 2), instead of the pickle reader's "not a pickle opcode".
    func refusesBundle(_ input: CommandInput, command: String, reads: String = "one pickle, joblib or PyTorch file",
                       decompression: DecompressionLimits) -> Bool {
        do {
            try BundleChecker.refuseBundle(path: input.path, name: input.name, command: command, reads: reads,
                                           options: BundleOptions(decompression: decompression))
        } catch {
            report(input.naming(error.description))
            return true
        }
        return false
    }

    /// The rule `--in-place` exists for: an output that is the input itself is refused.
    /// `remedy` ends the line: what the command offers instead.
    func refusesOverwriting(_ input: CommandInput, with output: String?,
                            remedy: String = "the input is never changed without --in-place") -> Bool {
        guard let output, input.isSameFile(as: output) else { return false }
        report("\(output): -o is the input \(input.name) itself; \(remedy)")
        return true
    }
}
