import BrineIO
import Foundation
import Testing

@Suite struct MappedFileSourceTests {
    /// A file of pseudo-random bytes, several windows long.
    static func makeFile(count: Int) throws -> (String, [UInt8]) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<count).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("brine-mapped-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    static func window(_ path: String) throws -> ByteWindow {
        ByteWindow(source: MappedFileSource(file: try FileSource(path: path), windowSize: 1 << 16), maximumCapacity: 1 << 20)
    }

    @Test func aWindowOverItSeesTheWholeFileByteByByte() throws {
        let (path, bytes) = try Self.makeFile(count: 300_001)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let window = try Self.window(path)
        var seen: [UInt8] = []
        seen.reserveCapacity(bytes.count)
        while let byte = try window.readByte() { seen.append(byte) }
        #expect(seen == bytes)
        #expect(window.offset == UInt64(bytes.count))
        #expect(try window.isAtEnd())
    }

    @Test(arguments: [1, 7, 4095, 70_000, 200_000])
    func contiguousSpansAcrossWindowsAndSkipsGiveTheFilesBytes(step: Int) throws {
        let (path, bytes) = try Self.makeFile(count: 400_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let window = try Self.window(path)
        var expected = 0, round = 0
        while expected < bytes.count {
            round += 1
            if round % 4 == 0 {
                // Skips within the mapped window and far beyond it.
                let distance = round % 8 == 0 ? 150_000 : 100
                let complete = try window.skip(UInt64(distance))
                #expect(complete == (expected + distance <= bytes.count))
                expected = min(bytes.count, expected + distance)
                #expect(window.offset == UInt64(expected))
                continue
            }
            let count = min(step, bytes.count - expected)
            #expect(try window.ensureContiguous(count))
            window.withPeekedBytes(count) { #expect(Array($0) == Array(bytes[expected..<(expected + count)]), "at \(expected)") }
            // What was just consumed is still addressable while it is mapped.
            window.consume(count)
            let retained = window.withRetainedBytes(at: UInt64(expected), count: count) { Array($0) }
            #expect(retained == nil || retained! == Array(bytes[expected..<(expected + count)]))
            expected += count
        }
        #expect(try window.ensureContiguous(1) == false)
        #expect(try window.skip(10) == false)
    }

    @Test func aSpanLongerThanTheRestOfTheFileIsReportedMissing() throws {
        let (path, bytes) = try Self.makeFile(count: 100_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let window = try Self.window(path)
        #expect(try window.skip(UInt64(bytes.count - 10)))
        #expect(try window.ensureContiguous(11) == false)
        #expect(try window.ensureContiguous(10))
        #expect(throws: InputError.self) { try window.ensureContiguous(2 << 20) }
    }

    @Test func aFileThatShrinksBetweenWindowsIsATypedError() throws {
        let (path, _) = try Self.makeFile(count: 400_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let window = try Self.window(path)
        #expect(try window.ensureContiguous(10))
        #expect(truncate(path, 1000) == 0)
        // The next window is refused before anything beyond the new end is touched.
        #expect(try window.skip(300_000))
        do {
            _ = try window.ensureContiguous(10)
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == .changedWhileReading)
            #expect(error.description.contains("shrank while it was being read"))
        }
    }

    @Test func directReadsStillWork() throws {
        let (path, bytes) = try Self.makeFile(count: 10_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = MappedFileSource(file: try FileSource(path: path))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4000, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try source.read(into: buffer) == 4000)
        #expect(Array(buffer) == Array(bytes[0..<4000]))
        #expect(try source.skip(5000) == 5000)
        #expect(try source.read(into: buffer) == 1000)
        #expect(Array(buffer[..<1000]) == Array(bytes[9000...]))
        #expect(try source.read(at: 10, into: buffer) == 4000)
        #expect(Array(buffer) == Array(bytes[10..<4010]))
    }
}
