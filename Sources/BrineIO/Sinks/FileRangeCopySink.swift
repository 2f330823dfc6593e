#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An uncompressed output that takes unchanged stretches of an uncompressed input by
/// reference: `copy(from:count:)` has the kernel copy them from file to file
/// (`copy_file_range(2)`), so they are neither read into the process nor copied through
/// its buffers. Everything else goes to the file sink as written.
public final class FileRangeCopySink: InputReusingSink {
    private let file: AtomicFileSink
    /// The input, opened read-only for the copies; closed by `deinit`.
    private let input: Int32
    private let inputPath: String
    public private(set) var bytesWritten: UInt64 = 0

    /// Opens `inputPath` for the copies.
    public init(file: AtomicFileSink, inputPath: String) throws(OutputError) {
        let fd = open(inputPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OutputError(path: file.name, offset: 0, reason: .cannotCreate(errno: errno)) }
        self.file = file
        self.input = fd
        self.inputPath = inputPath
    }

    deinit {
        close(input)
    }

    public var name: String { file.name }
    public var reusesInput: Bool { true }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        bytesWritten &+= UInt64(bytes.count)
        try file.write(bytes)
    }

    public func copy(from source: UInt64, count: UInt64) throws(OutputError) {
        try file.copyRange(from: input, at: source, count: count)
        bytesWritten &+= count
    }

    public func finish() throws(OutputError) {
        try file.finish()
    }
}

/// `copy_file_range(2)`, looked up in the C library at run time: Swift's Glibc module does not
/// declare it (it needs _GNU_SOURCE). nil where the C library lacks it (glibc < 2.27, macOS),
/// and callers then read and write.
let systemCopyFileRange: (@convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int)? = {
    #if os(Linux)
    guard let symbol = dlsym(nil, "copy_file_range") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32, UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int).self)
    #else
    return nil
    #endif
}()
