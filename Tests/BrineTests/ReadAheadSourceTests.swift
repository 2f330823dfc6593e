import BrineIO
import Foundation
import Testing

@Suite struct ReadAheadSourceTests {
    /// A file of pseudo-random bytes, several times larger than the ring.
    static func makeFile(count: Int) throws -> (String, [UInt8]) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<count).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("brine-readahead-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test(arguments: [1, 7, 4096, 12_289, 100_000])
    func readsAndSkipsGiveTheFilesBytesInOrder(step: Int) throws {
        let (path, bytes) = try Self.makeFile(count: 300_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = ReadAheadSource(file: try FileSource(path: path), chunkSize: 4096, chunkCount: 3)
        var expected = 0, round = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: step, alignment: 1)
        defer { buffer.deallocate() }
        while expected < bytes.count {
            round += 1
            if round % 5 == 0 {
                // Skips within the ring and far beyond it.
                let distance = UInt64(round % 10 == 0 ? 20_000 : 100)
                let skipped = try source.skip(distance)
                #expect(skipped == min(distance, UInt64(bytes.count - expected)))
                expected += Int(skipped)
                #expect(source.position == UInt64(expected))
                continue
            }
            let got = try source.read(into: buffer)
            #expect(got > 0)
            #expect(Array(buffer[..<got]) == Array(bytes[expected..<(expected + got)]), "at \(expected)")
            expected += got
        }
        #expect(try source.read(into: buffer) == 0)
        #expect(try source.skip(10) == 0)
    }

    @Test func aWindowOverItSeesTheWholeFile() throws {
        let (path, bytes) = try Self.makeFile(count: 50_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let window = ByteWindow(source: ReadAheadSource(file: try FileSource(path: path), chunkSize: 4096, chunkCount: 2),
                                initialCapacity: 1000)
        var seen: [UInt8] = []
        while let byte = try window.readByte() { seen.append(byte) }
        #expect(seen == bytes)
    }
}
