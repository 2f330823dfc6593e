@testable import Brine
import BrineIO
import Foundation
import Testing

/// The shortcuts of the inspector's and strip's hot paths give what the plain code gives.
@Suite final class FastPathTests {
    private var scratch: [String] = []

    deinit {
        for directory in scratch { try? FileManager.default.removeItem(atPath: directory) }
    }

    // MARK: Padded strings (brine check, BR401)

    /// What `Padding.isPadded` computed before it decoded the end scalars in place.
    static func paddedByDecoding(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return false }
        if Padding.isASCIISpace(first) || Padding.isASCIISpace(last) { return true }
        let text = String(decoding: bytes, as: UTF8.self)
        if let head = text.unicodeScalars.first, head.properties.isWhitespace { return true }
        if let tail = text.unicodeScalars.last, tail.properties.isWhitespace { return true }
        return false
    }

    /// Every sequence of up to four bytes over an alphabet of spaces, letters, lead and
    /// continuation bytes of multi-byte spaces (NBSP C2 A0, U+3000 E3 80 80, U+FEFF EF BB BF,
    /// U+2028 E2 80 A8), an overlong space (E0 80 A0 / C0 A0) and a stray continuation byte.
    @Test func paddingMatchesDecodingTheWholeString() {
        let alphabet: [UInt8] = [0x20, 0x61, 0x09, 0xC2, 0xA0, 0xE3, 0x80, 0xE2, 0xA8, 0xEF, 0xBB, 0xBF, 0xE0, 0xC0, 0xF0, 0x90]
        var mismatches: [[UInt8]] = []
        var sequence: [UInt8] = []
        func visit(_ length: Int) {
            if sequence.count == length {
                let fast = sequence.withUnsafeBytes { Padding.isPadded($0) }
                if fast != Self.paddedByDecoding(sequence), mismatches.count < 10 { mismatches.append(sequence) }
                return
            }
            for byte in alphabet {
                sequence.append(byte)
                visit(length)
                sequence.removeLast()
            }
        }
        for length in 0...4 { visit(length) }
        #expect(mismatches.isEmpty, "\(mismatches.map { $0.map { String($0, radix: 16) } })")
    }

    @Test func realMultiByteSpacesArePadding() {
        for text in ["\u{3000}word", "word\u{00A0}", "\u{FEFF}x", "x\u{2028}", "\u{1680}y", "é", "日本", "naïve "] {
            let expected = Self.paddedByDecoding(Array(text.utf8))
            #expect(Array(text.utf8).withUnsafeBytes { Padding.isPadded($0) } == expected, "\(text)")
        }
    }

    // MARK: ASCII test of short strings

    /// Strings of 0 to 40 bytes at every offset of a buffer, some with one byte >= 0x80 at each
    /// position: `isShortASCII` is never wrong when it answers true, and answers for all ASCII
    /// strings of at most 32 bytes that start 8 bytes or more into the buffer or are 8 or longer.
    @Test func shortASCIITestAgreesWithTheMeasure() {
        var buffer = [UInt8](repeating: 0x61, count: 96)
        for index in buffer.indices where index % 11 == 0 { buffer[index] = 0x8C }  // opcodes around the text
        var wrong: [String] = []
        for start in 0..<48 {
            for count in 0...40 where start + count <= buffer.count {
                for highAt in [-1] + Array(0..<count) {
                    var bytes = buffer
                    for index in start..<(start + count) where bytes[index] >= 0x80 { bytes[index] = 0x62 }
                    if highAt >= 0 { bytes[start + highAt] = 0xC3 }
                    bytes.withUnsafeBytes { raw in
                        let quick = SymbolicMachine.isShortASCII(raw, from: start, to: start + count)
                        let measured = TextWidth.measure(UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)])).ascii
                        let answers = count <= 32 && (count >= 8 || start + count >= 8)
                        if quick && !measured || (answers && quick != measured) {
                            wrong.append("start \(start) count \(count) high at \(highAt): \(quick) vs \(measured)")
                        }
                    }
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }

    // MARK: Kernel copies into an atomic file

    @Test func copiedRangesLandBetweenWritesInOrder() throws {
        let directory = try scratchDirectory()
        let inputPath = directory + "/in.bin"
        let input = (0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        try Data(input).write(to: URL(fileURLWithPath: inputPath))
        let output = directory + "/out.bin"
        let file = try AtomicFileSink(path: output)
        let sink = try FileRangeCopySink(file: file, inputPath: inputPath)
        #expect(sink.reusesInput)
        var expected: [UInt8] = []
        let head: [UInt8] = Array("head".utf8)
        try sink.write(head)
        expected += head
        // More than one copy step (4 MiB), from an offset that is not page aligned.
        try sink.copy(from: 12_345, count: 5 << 20)
        expected += input[12_345..<(12_345 + (5 << 20))]
        let middle = [UInt8](repeating: 0xAB, count: 70_000)
        try sink.write(middle)
        expected += middle
        try sink.copy(from: 0, count: 1)
        expected += input[0..<1]
        try sink.finish()
        #expect(sink.bytesWritten == UInt64(expected.count))
        #expect(file.bytesWritten == UInt64(expected.count))
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: output))) == expected)
    }

    @Test func aRangePastTheInputsEndIsAWriteErrorAndLeavesNoFile() throws {
        let directory = try scratchDirectory()
        let inputPath = directory + "/in.bin"
        try Data([UInt8](repeating: 7, count: 1000)).write(to: URL(fileURLWithPath: inputPath))
        let output = directory + "/out.bin"
        let sink = try FileRangeCopySink(file: try AtomicFileSink(path: output), inputPath: inputPath)
        #expect(throws: OutputError.self) { try sink.copy(from: 900, count: 200) }
        #expect(throws: OutputError.self) { try sink.finish() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["in.bin"])
    }

    private func scratchDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("brine-fastpath-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        scratch.append(url.path)
        return url.path
    }
}
