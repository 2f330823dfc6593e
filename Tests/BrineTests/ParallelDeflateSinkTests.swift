import BrineIO
import Testing

@Suite struct ParallelDeflateSinkTests {
    static func inflate(_ bytes: [UInt8], container: ZlibSource.Container) throws -> [UInt8] {
        let source = try ZlibSource(upstream: MemorySource(bytes), container: container)
        var out: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let got = try source.read(into: buffer)
            if got == 0 { break }
            out.append(contentsOf: buffer[..<got])
        }
        return out
    }

    static func deflate(_ plain: [UInt8], container: ZlibSource.Container, writeSize: Int, threads: Int) throws -> [UInt8] {
        let memory = MemorySink()
        let sink = try ParallelDeflateSink(downstream: memory, container: container, level: 3, threads: threads,
                                           blockSize: 40_000, parallelThreshold: 100_000)
        var offset = 0
        while offset < plain.count {
            let end = min(plain.count, offset + writeSize)
            try sink.write(Array(plain[offset..<end]))
            offset = end
        }
        try sink.finish()
        return memory.bytes
    }

    @Test(arguments: [(ZlibSource.Container.zlib, 1), (.zlib, 2), (.gzip, 2), (.gzip, 3)])
    func blocksDeflatedApartInflateToTheInput(container: ZlibSource.Container, threads: Int) throws {
        let plain = InflateIndexTests.sample(count: 1_234_567)
        for writeSize in [1, 4_099, 300_000] where writeSize > 1 || threads == 2 {
            let input = writeSize == 1 ? Array(plain[..<150_001]) : plain
            let compressed = try Self.deflate(input, container: container, writeSize: writeSize, threads: threads)
            // zlib's inflate checks the combined Adler-32 / CRC-32 and gzip's length.
            #expect(try Self.inflate(compressed, container: container) == input)
            #expect(compressed.count < input.count / 2)
        }
    }

    @Test(arguments: [ZlibSource.Container.zlib, .gzip])
    func smallOutputIsExactlyWhatASerialDeflateWrites(container: ZlibSource.Container) throws {
        let plain = InflateIndexTests.sample(count: 90_000)
        let parallel = try Self.deflate(plain, container: container, writeSize: 7_000, threads: 2)
        let memory = MemorySink()
        let serial = try ZlibSink(downstream: memory, container: container, level: 3)
        try serial.write(plain)
        try serial.finish()
        #expect(parallel == memory.bytes)
    }

    @Test func theHeaderCarriesTheLevelHintZlibWouldWrite() throws {
        let plain = InflateIndexTests.sample(count: 500_000)
        for (level, expected) in [(Int32(1), [UInt8](arrayLiteral: 0x78, 0x01)), (3, [0x78, 0x5E]), (6, [0x78, 0x9C]), (9, [0x78, 0xDA])] {
            let memory = MemorySink()
            let sink = try ParallelDeflateSink(downstream: memory, container: .zlib, level: level, blockSize: 40_000, parallelThreshold: 100_000)
            try sink.write(plain)
            try sink.finish()
            #expect(Array(memory.bytes[..<2]) == expected, "level \(level)")
            #expect(try Self.inflate(memory.bytes, container: .zlib) == plain)
        }
    }
}
