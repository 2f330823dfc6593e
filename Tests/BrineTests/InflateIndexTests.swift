import BrineIO
import Testing

@Suite struct InflateIndexTests {
    /// Compressible but not trivially repetitive bytes, so deflate emits many blocks.
    static func sample(count: Int) -> [UInt8] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        return (0..<count).map { index in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return index % 7 == 0 ? UInt8(truncatingIfNeeded: state >> 40) : UInt8(ascii: "a") + UInt8(index % 13)
        }
    }

    static func compressed(_ bytes: [UInt8], container: ZlibSink.Container, level: Int32 = 3) throws -> [UInt8] {
        let memory = MemorySink()
        let sink = try ZlibSink(downstream: memory, container: container, level: level)
        try bytes.withUnsafeBytes { try sink.write($0) }
        try sink.finish()
        return memory.bytes
    }

    /// Reads the whole stream once, recording; returns the complete index.
    static func record(_ file: [UInt8], name: String, container: ZlibSource.Container) throws -> InflateIndex {
        let index = InflateIndex(sourceName: name, initialSpacing: 1 << 16, maximumPoints: 8)
        let source = try ZlibSource(upstream: MemorySource(file, name: name, chunkLimit: 10_000), container: container, index: index)
        #expect(try source.skipByReading(.max) > 0)
        #expect(index.isComplete)
        return index
    }

    @Test(arguments: [ZlibSource.Container.zlib, .gzip])
    func skipsThroughTheIndexGiveTheSameBytesAsInflatingEverything(container: ZlibSource.Container) throws {
        let plain = Self.sample(count: 3_000_000)
        let file = try Self.compressed(plain, container: container)
        // Eight points at most over 3 MB: the index thinned itself several times.
        let index = try Self.record(file, name: "sample", container: container)

        var expected = 0
        let source = try ZlibSource(upstream: MemorySource(file, name: "sample", chunkLimit: 10_000), container: container, index: index)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 777, alignment: 1)
        defer { buffer.deallocate() }
        for distance in [10, 1_200_000, 5, 1_048_577, 3, 300_000] {
            let skipped = try source.skip(UInt64(distance))
            #expect(skipped == UInt64(min(distance, plain.count - expected)))
            expected += Int(skipped)
            #expect(source.position == UInt64(expected))
            let got = try source.readFully(into: buffer)
            #expect(Array(buffer[..<got]) == Array(plain[expected..<(expected + got)]), "after skipping to \(expected)")
            expected += got
        }
        #expect(try source.skip(.max) == UInt64(plain.count - expected))
        // The long skips jumped: well under the whole stream was inflated.
        #expect(source.bytesInflated < UInt64(plain.count) / 2, "inflated \(source.bytesInflated) of \(plain.count)")
    }

    @Test func anIndexOfAnotherFileIsIgnored() throws {
        let plain = Self.sample(count: 2_000_000)
        let file = try Self.compressed(plain, container: .zlib)
        let index = try Self.record(file, name: "first", container: .zlib)
        let source = try ZlibSource(upstream: MemorySource(file, name: "second"), container: .zlib, index: index)
        #expect(try source.skip(1_500_000) == 1_500_000)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try source.readFully(into: buffer) == 100)
        #expect(Array(buffer) == Array(plain[1_500_000..<1_500_100]))
        #expect(source.bytesInflated == 1_500_100)
    }

    @Test func aDamagedStreamAfterTheJumpIsStillCaughtByTheChecksum() throws {
        let plain = Self.sample(count: 2_000_000)
        var file = try Self.compressed(plain, container: .zlib)
        let index = try Self.record(file, name: "sample", container: .zlib)
        file[file.count - 2] ^= 0xFF  // the Adler-32 trailer
        let source = try ZlibSource(upstream: MemorySource(file, name: "sample"), container: .zlib, index: index)
        #expect(throws: InputError.self) { _ = try source.skip(.max) }
    }
}
