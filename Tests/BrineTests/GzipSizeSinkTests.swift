import Foundation
@testable import BrineIO
import Testing

/// libdeflate's size estimate against what zlib at level 6 really writes for the same bytes
/// (the reference computed in the same run, never a recorded figure).
@Suite struct GzipSizeSinkTests {
    /// How far from zlib's size a sample of a few MB may land. Measured: +0.46 % on this
    /// repository's Swift sources, +0.48 % on the torch fixtures, -0.05 % on a 6.4 GB venv
    /// (docs/budgets.md, "How exact"); the margin keeps the test from breaking as the sources
    /// it reads change, while level 5 alone (+1.7 % on text) still fails it.
    static let tolerance = 0.0075

    /// Text (this repository's Swift sources), binary fixtures, random bytes, and zeros.
    static func samples() throws -> [(String, [UInt8])] {
        let manager = FileManager.default
        var text: [UInt8] = []
        for path in try manager.subpathsOfDirectory(atPath: Repository.path("Sources/Brine")).sorted() where path.hasSuffix(".swift") {
            text += try Array(Data(contentsOf: URL(fileURLWithPath: Repository.path("Sources/Brine/" + path))))
        }
        var binary: [UInt8] = []
        for path in try manager.subpathsOfDirectory(atPath: Repository.path("fixtures/torch")).sorted() where path.hasSuffix(".pt") {
            binary += try Array(Data(contentsOf: URL(fileURLWithPath: Repository.path("fixtures/torch/" + path))))
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return [("text", text), ("binary", binary), ("random", random), ("zeros", [UInt8](repeating: 0, count: 5 << 20))]
    }

    static func zlibGzipSize(_ bytes: [UInt8]) throws -> UInt64 {
        let counter = ByteCounter()
        let sink = try openCompressing(counter, format: .gzip, level: 6)
        try sink.write(bytes)
        try sink.finish()
        return counter.bytesWritten
    }

    static func estimate(_ bytes: [UInt8], chunkBytes: Int = 16 << 20, writes: Int = 1 << 20) throws -> UInt64 {
        let sink = try GzipSizeSink(chunkBytes: chunkBytes)
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + writes)
            try sink.write(Array(bytes[start..<end]))
            start = end
        }
        try sink.finish()
        #expect(sink.bytesWritten == UInt64(bytes.count))
        return sink.compressedBytes
    }

    @Test func estimateIsCloseToZlibLevelSix() throws {
        for (name, bytes) in try Self.samples() {
            let exact = try Self.zlibGzipSize(bytes)
            let estimate = try Self.estimate(bytes)
            let error = abs(Double(estimate) - Double(exact)) / Double(exact)
            // Zeros compress to a few KB, where a handful of bytes is already a percent.
            #expect(error <= (name == "zeros" ? 0.05 : Self.tolerance), "\(name): \(estimate) estimated vs \(exact) from zlib")
        }
    }

    @Test func chunksCostLittleAndWritesDoNotMatter() throws {
        let text = try Self.samples()[0].1
        let whole = try Self.estimate(text)
        // Many small chunks restart the window often; the cost per chunk stays small.
        let chunked = try Self.estimate(text, chunkBytes: 256 << 10)
        #expect(chunked >= whole && Double(chunked - whole) / Double(whole) <= 0.02)
        // How the bytes arrive (one at a time in stretches of 7) does not change the figure.
        #expect(try Self.estimate(Array(text.prefix(300_000)), writes: 7) == Self.estimate(Array(text.prefix(300_000))))
    }

    @Test func emptyInputIsGzipsEmptyFile() throws {
        let sink = try GzipSizeSink()
        try sink.finish()
        #expect(sink.compressedBytes == (try Self.zlibGzipSize([])))
        try sink.finish()  // again: nothing changes
        #expect(sink.compressedBytes == (try Self.zlibGzipSize([])))
        #expect(throws: OutputError.self) { try sink.write([1, 2, 3]) }
    }

    @Test(arguments: [Int32(0), 13, -1])
    func levelsOutsideLibdeflatesRangeAreRefused(level: Int32) {
        #expect(throws: OutputError.self) { _ = try GzipSizeSink(textLevel: level) }
        #expect(throws: OutputError.self) { _ = try GzipSizeSink(binaryLevel: level) }
    }

    /// Text gets level 6 and the rest level 5: one level for both is measurably farther
    /// from zlib on one kind or the other.
    @Test func textAndBinaryChunksGetTheirOwnLevel() throws {
        let samples = try Self.samples()
        let text = samples[0].1, binary = samples[1].1
        #expect(GzipSizeSink.looksLikeText(UnsafeRawBufferPointer(start: text, count: text.count)) == true)
        #expect(binary.withUnsafeBytes { GzipSizeSink.looksLikeText($0) } == false)
        let sink = try GzipSizeSink(chunkBytes: 1 << 20)
        try sink.write(text)
        try sink.write(binary)
        try sink.finish()
        // The chunk where text turns into binary may go either way; every other is classified right.
        #expect(sink.textBytes > 0 && abs(Int64(sink.textBytes) - Int64(text.count)) <= 1 << 20)
        // Level 5 alone on source text lands farther from zlib than the text level does.
        let exact = try Self.zlibGzipSize(text)
        let five = try GzipSizeSink(textLevel: 5, binaryLevel: 5)
        try five.write(text)
        try five.finish()
        let chosen = try Self.estimate(text)
        #expect(abs(Double(chosen) - Double(exact)) < abs(Double(five.compressedBytes) - Double(exact)))
    }
}

/// Counts what a compressor writes.
private final class ByteCounter: ByteSink {
    private(set) var bytesWritten: UInt64 = 0
    func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) { bytesWritten += UInt64(bytes.count) }
    func finish() throws(OutputError) {}
}
