import BrineIO
import Testing

@Suite struct PrefetchingSourceTests {
    static let bytes = InflateIndexTests.sample(count: 300_000)

    @Test(arguments: [1, 7, 4096, 12_289, 100_000])
    func readsAndSkipsGiveTheStreamsBytesInOrder(step: Int) throws {
        let source = PrefetchingSource(upstream: MemorySource(Self.bytes, chunkLimit: 3_000), chunkSize: 4096, chunkCount: 3)
        var expected = 0, round = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: step, alignment: 1)
        defer { buffer.deallocate() }
        while expected < Self.bytes.count {
            round += 1
            if round % 5 == 0 {
                // Skips within the ring and far beyond it.
                let distance = UInt64(round % 10 == 0 ? 20_000 : 100)
                let skipped = try source.skip(distance)
                #expect(skipped == min(distance, UInt64(Self.bytes.count - expected)))
                expected += Int(skipped)
                #expect(source.position == UInt64(expected))
                continue
            }
            let got = try source.read(into: buffer)
            #expect(got > 0)
            #expect(Array(buffer[..<got]) == Array(Self.bytes[expected..<(expected + got)]), "at \(expected)")
            expected += got
        }
        #expect(try source.read(into: buffer) == 0)
        #expect(try source.skip(10) == 0)
    }

    @Test func aSkipPastTheEndStopsAtTheEnd() throws {
        let source = PrefetchingSource(upstream: MemorySource(Self.bytes), chunkSize: 4096, chunkCount: 2)
        #expect(try source.skip(1_000) == 1_000)
        #expect(try source.skip(.max) == UInt64(Self.bytes.count - 1_000))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try source.read(into: buffer) == 0)
    }

    @Test func anUpstreamErrorReachesTheReaderWhereItHappened() throws {
        var file = try InflateIndexTests.compressed(Self.bytes, container: .zlib)
        file[file.count - 2] ^= 0xFF  // the Adler-32 trailer: inflate fails at the very end
        let inflater = try ZlibSource(upstream: MemorySource(file), container: .zlib)
        let source = PrefetchingSource(upstream: inflater, chunkSize: 4096, chunkCount: 3)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 5_000, alignment: 1)
        defer { buffer.deallocate() }
        var delivered = 0
        do {
            while true {
                let got = try source.read(into: buffer)
                if got == 0 { break }
                delivered += got
            }
            Issue.record("expected the checksum error")
        } catch {
            #expect(error.description.contains("corrupt zlib stream"))
        }
        #expect(delivered <= Self.bytes.count)
    }
}
