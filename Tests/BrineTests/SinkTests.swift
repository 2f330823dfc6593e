import Brine
import BrineIO
import Foundation
import Testing

/// A class so `deinit` can remove each test's scratch directories.
@Suite final class SinkTests {
    static let writable: [CompressionFormat] = [.zlib, .gzip, .bzip2, .xz, .lzma, .lz4, .zstd]
    private var scratch: [String] = []

    deinit {
        for directory in scratch { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: Round trips

    @Test(arguments: writable)
    func everyCodecRoundTripsThroughTheReader(format: CompressionFormat) throws {
        let directory = try scratchDirectory()
        let path = directory + "/out.bin"
        let data = variedBytes(3_000_000)
        let file = try AtomicFileSink(path: path)
        let sink = try openCompressing(file, format: format, level: nil)
        try writeInUnevenChunks(data, to: sink)
        try sink.finish()
        #expect(sink.bytesWritten == UInt64(data.count))
        #expect(try entries(directory) == ["out.bin"])

        let written = try readFile(path)
        #expect(written.withUnsafeBytes { CompressionFormat.detect($0) } == format)
        let stream = try ArtifactStream.open(path: path)
        #expect(stream.compression == format)
        #expect(try drain(stream.source) == data)
    }

    @Test(arguments: writable)
    func lowestAndHighestLevelsRoundTrip(format: CompressionFormat) throws {
        let range = try #require(format.writeLevels)
        let data = variedBytes(200_000)
        for level in [range.lowerBound, range.upperBound] {
            let path = try scratchDirectory() + "/out.bin"
            let sink = try openCompressing(try AtomicFileSink(path: path), format: format, level: level)
            try sink.write(data)
            try sink.finish()
            let decompressed = try openDecompressed(try FileSource(path: path), format: format)
            #expect(try drain(decompressed) == data, "level \(level)")
        }
    }

    /// libarchive 3.6 crashes closing an lz4 stream that never got data; the sink writes the
    /// empty frame itself. ArchiveFilterSource cannot read back an empty stream (libarchive's
    /// raw format wants one byte of content), so only zlib and gzip are decoded here.
    @Test(arguments: writable)
    func anEmptyStreamIsAWellFormedStream(format: CompressionFormat) throws {
        let path = try scratchDirectory() + "/out.bin"
        let sink = try openCompressing(try AtomicFileSink(path: path), format: format, level: nil)
        try sink.finish()
        let written = try readFile(path)
        #expect(written.withUnsafeBytes { CompressionFormat.detect($0) } == format)
        if format == .zlib || format == .gzip {
            #expect(try drain(try openDecompressed(try FileSource(path: path), format: format)) == [])
        }
        if format == .lz4 {
            #expect(written == [0x04, 0x22, 0x4D, 0x18, 0x64, 0x70, 0xB9, 0, 0, 0, 0, 0x05, 0x5D, 0xCC, 0x02])
        }
    }

    @Test func noFormatMeansTheDownstreamItself() throws {
        let file = try AtomicFileSink(path: try scratchDirectory() + "/out.bin")
        #expect(try openCompressing(file, format: nil, level: nil) === file)
    }

    @Test func joblibZFIsNotWritten() throws {
        let file = try AtomicFileSink(path: try scratchDirectory() + "/out.bin")
        let error = try #require(throws: OutputError.self) { try openCompressing(file, format: .joblibZF, level: nil) }
        #expect(error.description.hasSuffix("joblib ZF format is not written; choose another codec"))
    }

    @Test(arguments: [(CompressionFormat.zlib, Int32(10)), (.gzip, -1), (.bzip2, 0), (.xz, 10), (.lzma, -2), (.lz4, 0), (.zstd, 23)])
    func levelsOutsideTheCodecRangeAreRefused(format: CompressionFormat, level: Int32) throws {
        let directory = try scratchDirectory()
        do {
            let file = try AtomicFileSink(path: directory + "/out.bin")
            let error = try #require(throws: OutputError.self) { try openCompressing(file, format: format, level: level) }
            guard case .compressionFailed(let codec, let detail) = error.reason else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(codec == format.rawValue)
            #expect(detail.contains("level \(level) is outside"))
        }
        #expect(try entries(directory) == [])
    }

    // MARK: Atomicity

    @Test func aSinkDroppedBeforeFinishLeavesNothing() throws {
        let directory = try scratchDirectory()
        do {
            let sink = try AtomicFileSink(path: directory + "/out.bin", bufferSize: 4096)
            try sink.write(variedBytes(100_000))
            withExtendedLifetime(sink) {
                let names = (try? entries(directory)) ?? []
                #expect(names.count == 1 && names[0].hasPrefix(".out.bin.brine-tmp-\(getpid())-"), "\(names)")
            }
        }
        #expect(try entries(directory) == [])
    }

    @Test(arguments: writable)
    func aCompressorDroppedBeforeFinishLeavesNothing(format: CompressionFormat) throws {
        let directory = try scratchDirectory()
        do {
            let sink = try openCompressing(try AtomicFileSink(path: directory + "/out.bin"), format: format, level: nil)
            try sink.write(variedBytes(2_000_000))
        }
        #expect(try entries(directory) == [])
    }

    @Test func discardRemovesTheTemporaryFileAndEndsTheSink() throws {
        let directory = try scratchDirectory()
        let sink = try AtomicFileSink(path: directory + "/out.bin")
        try sink.write([1, 2, 3])
        sink.discard()
        #expect(try entries(directory) == [])
        let error = try #require(throws: OutputError.self) { try sink.write([4]) }
        #expect(error.reason == .writeFailed(errno: EBADF))
        #expect(throws: OutputError.self) { try sink.finish() }
        #expect(try entries(directory) == [])
    }

    @Test func finishReplacesAnExistingFileKeepingItsPermissions() throws {
        let directory = try scratchDirectory()
        let path = directory + "/out.bin"
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, 0o600) == 0)

        let sink = try AtomicFileSink(path: path)
        try sink.write(Array("new content".utf8))
        // Nothing reaches the target before finish, even once the buffer is flushed.
        #expect(try readFile(path) == Array("old".utf8))
        try sink.finish()
        #expect(try readFile(path) == Array("new content".utf8))
        #expect(try permissions(path) == 0o600)
        #expect(try entries(directory) == ["out.bin"])
    }

    @Test func aNewFileIsReadableAndNotExecutable() throws {
        let path = try scratchDirectory() + "/out.bin"
        let sink = try AtomicFileSink(path: path)
        try sink.finish()
        let mode = try permissions(path)
        #expect(mode & 0o600 == 0o600)
        #expect(mode & 0o111 == 0)
    }

    @Test func aTargetInAMissingDirectoryCannotBeCreated() throws {
        let path = try scratchDirectory() + "/missing/out.bin"
        let error = try #require(throws: OutputError.self) { try AtomicFileSink(path: path) }
        #expect(error.reason == .cannotCreate(errno: ENOENT))
        #expect(error.description == "\(path): cannot create: No such file or directory")
    }

    @Test func aDirectoryTargetIsRefused() throws {
        let parent = try scratchDirectory()
        let target = parent + "/dir"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        for path in [target, target + "/", parent + "/absent/"] {
            let error = try #require(throws: OutputError.self) { try AtomicFileSink(path: path) }
            #expect(error.description == "\(path): cannot create: Is a directory")
        }
        #expect(try entries(parent) == ["dir"])
        #expect(try entries(target) == [])
    }

    @Test func aLongTargetNameStillGetsATemporaryFile() throws {
        let directory = try scratchDirectory()
        let name = String(repeating: "é", count: 120) + ".pkl"  // 244 bytes
        let sink = try AtomicFileSink(path: directory + "/" + name)
        try sink.write([1, 2, 3])
        try sink.finish()
        #expect(try entries(directory) == [name])
    }

    @Test func finishingTwiceIsHarmlessAndLaterWritesThrow() throws {
        let path = try scratchDirectory() + "/out.bin"
        let sink = try openCompressing(try AtomicFileSink(path: path), format: .gzip, level: nil)
        try sink.write([1, 2, 3])
        try sink.finish()
        try sink.finish()
        #expect(throws: OutputError.self) { try sink.write([4]) }
        #expect(try drain(try ArtifactStream.open(path: path).source) == [1, 2, 3])
    }

    // MARK: Errors from downstream

    @Test(arguments: writable)
    func downstreamErrorsComeBackUnchanged(format: CompressionFormat) throws {
        let failing = FailingSink(capacity: 10_000)
        let sink = try openCompressing(failing, format: format, level: nil)
        let data = variedBytes(1_000_000)
        let error = try #require(throws: OutputError.self) {
            try writeInUnevenChunks(data, to: sink)
            try sink.finish()
        }
        #expect(error == failing.error)
        // The sink stays failed: its compressor has lost output.
        #expect(throws: failing.error) { try sink.write([1]) }
        #expect(throws: failing.error) { try sink.finish() }
        #expect(!failing.finished)
    }

    // MARK: Helpers

    /// Refuses bytes beyond `capacity`, as a full disk would.
    final class FailingSink: ByteSink {
        let capacity: UInt64
        private(set) var bytesWritten: UInt64 = 0
        private(set) var finished = false
        let error = OutputError(path: "<failing>", offset: 0, reason: .writeFailed(errno: ENOSPC))
        init(capacity: UInt64) { self.capacity = capacity }

        func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
            guard bytesWritten + UInt64(bytes.count) <= capacity else { throw error }
            bytesWritten += UInt64(bytes.count)
        }

        func finish() throws(OutputError) { finished = true }
    }

    /// Text, zeros, a counter and noise in turn: like a pickle, neither trivial nor random.
    func variedBytes(_ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        let text = Array("sklearn.pipeline Pipeline steps memory verbose numpy.core.multiarray _reconstruct ".utf8)
        var segment = 0
        while result.count < count {
            let length = min(count - result.count, 1000 + (segment * 7919) % 60_000)
            switch segment % 4 {
            case 0: result += (0..<length).map { text[($0 + segment) % text.count] }
            case 1: result += repeatElement(0, count: length)
            case 2: result += (0..<length).map { UInt8(truncatingIfNeeded: $0 / 4 + segment) }
            default:
                for _ in 0..<length {
                    seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    result.append(UInt8(truncatingIfNeeded: seed >> 56))
                }
            }
            segment += 1
        }
        return result
    }

    /// Writes in sizes from 1 byte to past the file sink's buffer, to reach every path.
    func writeInUnevenChunks(_ data: [UInt8], to sink: ByteSink) throws {
        let sizes = [1, 100, 4095, 65_537, 7, 1_100_000, 300_000]
        var start = 0
        var turn = 0
        try data.withUnsafeBytes { all in
            while start < all.count {
                let end = min(all.count, start + sizes[turn % sizes.count])
                try sink.write(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
                turn += 1
            }
        }
    }

    func drain(_ source: ByteSource) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if got == 0 { return result }
            result += chunk[..<got]
        }
    }

    func scratchDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("brine-sinks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        scratch.append(url.path)
        return url.path
    }

    /// Every name in `directory`, hidden ones included, sorted.
    func entries(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    func permissions(_ path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile) }
        return info.st_mode & 0o777
    }
}
