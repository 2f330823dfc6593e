@testable import Brine
import BrineIO
import Testing

@Suite struct PickleReaderTests {
    func instructions(_ bytes: [UInt8]) throws -> [PickleInstruction] {
        let reader = PickleReader(window: ByteWindow(source: MemorySource(bytes, chunkLimit: 2), initialCapacity: 16))
        var result: [PickleInstruction] = []
        while let instruction = try reader.readInstruction() { result.append(instruction) }
        return result
    }

    @Test func decodesFixedWidthArguments() throws {
        // PROTO 2, BININT -2, BININT2 513, LONG_BINPUT 7, STOP
        let decoded = try instructions([0x80, 2, 0x4A, 0xFE, 0xFF, 0xFF, 0xFF, 0x4D, 1, 2, 0x72, 7, 0, 0, 0, 0x2E])
        #expect(decoded.map(\.opcode) == [.proto, .binint, .binint2, .longBinput, .stop])
        #expect(decoded.map(\.argument) == [.integer(2), .integer(-2), .integer(513), .integer(7), .none])
        #expect(decoded.map(\.offset) == [0, 2, 7, 10, 15])
        #expect(decoded.map(\.length) == [2, 5, 3, 5, 1])
    }

    @Test func linesAndPayloadsAreSpansIntoTheInput() throws {
        let bytes: [UInt8] = Array("cos\nsystem\n".utf8) + [0x8C, 3] + Array("abc".utf8)
        let decoded = try instructions(bytes)
        #expect(decoded[0].argument == .linePair(ByteSpan(offset: 1, count: 2), ByteSpan(offset: 4, count: 6)))
        #expect(decoded[1].argument == .data(ByteSpan(offset: 13, count: 3)))
    }

    @Test func hostileLengthFailsBeforeAllocating() throws {
        // BINUNICODE8 claiming 2^62 bytes in a 12-byte input.
        let bytes: [UInt8] = [0x8D, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x61, 0x62, 0x2E]
        let reader = PickleReader(source: MemorySource(bytes))
        #expect(throws: PickleError(offset: 0, opcode: .binunicode8, reason: .lengthBeyondInput(declared: 1 << 62, remaining: 3))) {
            _ = try reader.readInstruction()
        }
    }

    @Test func negativeBinstringLengthIsRefused() {
        let reader = PickleReader(source: MemorySource([0x54, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(throws: PickleError.self) { _ = try reader.readInstruction() }
    }

    @Test func unknownOpcodeNamesTheByteAndOffset() {
        let reader = PickleReader(source: MemorySource([0x80, 0x04, 0xFF]))
        #expect(throws: PickleError(offset: 2, reason: .unknownOpcode(0xFF))) {
            while try reader.readInstruction() != nil {}
        }
    }

    @Test func missingNewlineIsTruncation() {
        let reader = PickleReader(source: MemorySource(Array("I12".utf8)))
        #expect(throws: PickleError(offset: 0, opcode: .int, reason: .truncated(expected: "newline-terminated argument"))) {
            _ = try reader.readInstruction()
        }
    }

    @Test func largeArgumentsAreSkippedAndRereadFromRandomAccessSources() throws {
        var bytes: [UInt8] = [0x42, 0x00, 0x01, 0x00, 0x00]  // BINBYTES of 256 bytes
        bytes += (0..<256).map { UInt8($0) }
        bytes.append(0x2E)
        let reader = PickleReader(window: ByteWindow(source: MemorySource(bytes, chunkLimit: 16), initialCapacity: 16, maximumCapacity: 64))
        let instruction = try #require(try reader.readInstruction())
        guard case .data(let span) = instruction.argument else { Issue.record("no data"); return }
        let sum = try reader.withArgumentBytes(span) { bytes in bytes.reduce(0) { $0 + Int($1) } }
        #expect(sum == (0..<256).reduce(0, +))
        #expect(try reader.readInstruction()?.opcode == .stop)
    }
}
