import BrineIO
import CZlib
import Testing

@Suite struct SplicingDeflateSinkTests {
    typealias Container = ZlibSource.Container

    /// A compressed file on disk with its complete index (block starts recorded).
    static func recordedFile(_ plain: [UInt8], container: Container, level: Int32 = 3) throws
        -> (path: String, index: InflateIndex, compressed: Int) {
        let file = try InflateIndexTests.compressed(plain, container: container, level: level)
        let path = try temporaryFile(file, name: container == .gzip ? "input.gz" : "input.z")
        let index = InflateIndex(sourceName: path)
        let source = try ZlibSource(upstream: try FileSource(path: path), container: container, index: index)
        #expect(try source.skipByReading(.max) == UInt64(plain.count))
        #expect(index.isComplete)
        return (path, index, file.count)
    }

    static func inflate(_ bytes: [UInt8], container: Container) throws -> [UInt8] {
        try ParallelDeflateSinkTests.inflate(bytes, container: container)
    }

    enum Step {
        case copy(Range<Int>)
        /// Copied by reference: the sink reads the input again if it needs the bytes.
        case reference(Range<Int>)
        case new([UInt8])
    }

    /// Writes `steps` through a splicing sink (copies in chunks of `chunk`), returns what it
    /// wrote, what it should decompress to, and how much it reused.
    static func splice(_ plain: [UInt8], _ steps: [Step], container: Container, chunk: Int = 50_000, level: Int32 = 3)
        throws -> (output: [UInt8], expected: [UInt8], spliced: UInt64) {
        let (path, index, _) = try recordedFile(plain, container: container, level: level)
        let memory = MemorySink()
        let sink = try #require(try SplicingDeflateSink(downstream: memory, inputPath: path, index: index, level: 3))
        var expected: [UInt8] = []
        for step in steps {
            switch step {
            case .copy(let range):
                for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                    let piece = Array(plain[start..<min(start + chunk, range.upperBound)])
                    try piece.withUnsafeBytes { try sink.write($0, copiedFrom: UInt64(start)) }
                    expected += piece
                }
            case .reference(let range):
                try sink.copy(from: UInt64(range.lowerBound), count: UInt64(range.count))
                expected += plain[range]
            case .new(let bytes):
                try bytes.withUnsafeBytes { try sink.write($0) }
                expected += bytes
            }
        }
        try sink.finish()
        #expect(sink.bytesWritten == UInt64(expected.count))
        return (memory.bytes, expected, sink.bytesSpliced)
    }

    @Test(arguments: [Container.zlib, .gzip])
    func aCutAndAnInsertReuseTheBlocksAroundThem(container: Container) throws {
        let plain = InflateIndexTests.sample(count: 4_000_000)
        let result = try Self.splice(plain, [.copy(0..<1_000_003), .new(Array("a changed frame header".utf8)),
                                             .copy(2_500_000..<4_000_000)], container: container)
        #expect(try Self.inflate(result.output, container: container) == result.expected)
        // Only the stretches next to the changes were deflated again.
        #expect(result.spliced > 2_000_000, "spliced \(result.spliced) of \(result.expected.count)")
    }

    @Test(arguments: [Container.zlib, .gzip])
    func anUnchangedCopyIsTheInputsBlocksAlmostWhole(container: Container) throws {
        let plain = InflateIndexTests.sample(count: 3_000_000)
        let (_, _, compressed) = try Self.recordedFile(plain, container: container)
        let result = try Self.splice(plain, [.copy(0..<plain.count)], container: container, chunk: 65_536)
        #expect(try Self.inflate(result.output, container: container) == plain)
        #expect(result.spliced > 2_800_000)
        #expect(abs(result.output.count - compressed) < 2_000, "\(result.output.count) vs \(compressed)")
    }

    @Test func copiesThatJumpAroundOrStopShortAreDeflatedAndStillDecodeRight() throws {
        let plain = InflateIndexTests.sample(count: 2_000_000)
        // Short copies (under 32 KiB of run) can never reuse a block; out-of-order ones break runs.
        let steps: [Step] = [.copy(1_500_000..<1_520_000), .copy(10..<20), .new([1, 2, 3]), .copy(0..<600_000),
                             .copy(600_001..<1_400_000), .new([]), .copy(1_999_990..<2_000_000)]
        let result = try Self.splice(plain, steps, container: .zlib, chunk: 7_777)
        #expect(try Self.inflate(result.output, container: .zlib) == result.expected)
    }

    @Test(arguments: [Container.zlib, .gzip])
    func copiesByReferenceMixWithCopiedAndNewBytes(container: Container) throws {
        let plain = InflateIndexTests.sample(count: 6_000_000)
        // A reference run broken by new bytes (its tail is inflated again), one continued by
        // copied bytes, one too short to reuse anything, and a jump backwards.
        let steps: [Step] = [.reference(0..<1_000_000), .new([9, 9, 9]), .reference(1_000_100..<2_000_000),
                             .copy(2_000_000..<2_100_000), .reference(2_100_000..<4_000_000), .reference(4_100_000..<4_110_000),
                             .reference(100..<900_000), .copy(900_000..<950_000), .reference(5_000_000..<6_000_000)]
        let result = try Self.splice(plain, steps, container: container)
        #expect(try Self.inflate(result.output, container: container) == result.expected)
        #expect(result.spliced > 4_000_000, "spliced \(result.spliced) of \(result.expected.count)")
    }

    /// Stored blocks (level 0), the fast and the slow strategies: blocks of every kind.
    @Test(arguments: [Int32(0), 1, 6, 9])
    func blocksOfEveryLevelSplice(level: Int32) throws {
        let plain = InflateIndexTests.sample(count: 3_000_000)
        let steps: [Step] = [.reference(0..<1_000_000), .new([7]), .copy(1_200_000..<2_000_000), .reference(2_000_000..<3_000_000)]
        let result = try Self.splice(plain, steps, container: .zlib, level: level)
        #expect(try Self.inflate(result.output, container: .zlib) == result.expected)
        #expect(result.spliced > 2_000_000, "level \(level): spliced \(result.spliced)")
    }

    @Test func onlyNewBytesMakeAnOrdinaryStream() throws {
        let plain = InflateIndexTests.sample(count: 200_000)
        let result = try Self.splice(plain, [.new(Array(plain.reversed()))], container: .gzip)
        #expect(try Self.inflate(result.output, container: .gzip) == Array(plain.reversed()))
        #expect(result.spliced == 0)
    }

    @Test(arguments: [Container.zlib, .gzip])
    func aSegmentsCheckIsTheCheckOfItsBytes(container: Container) throws {
        let bytes = InflateIndexTests.sample(count: 300_000)
        func check(_ range: Range<Int>) -> UInt32 {
            bytes[range].withUnsafeBytes { raw in
                let base = raw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                return UInt32(container == .gzip ? crc32(crc32(0, nil, 0), base, uInt(raw.count)) : adler32(adler32(0, nil, 0), base, uInt(raw.count)))
            }
        }
        for (split, end) in [(0, 10), (1, 65_521), (77_777, 300_000), (150_000, 150_000), (65_520, 131_042)] {
            let segment = SplicingDeflateSink.segmentCheck(container: container, whole: check(0..<end), prefix: check(0..<split),
                                                           length: UInt64(end - split))
            #expect(UInt32(segment) == check(split..<end), "split \(split) end \(end)")
        }
    }

    @Test func anIndexWithoutBlockStartsIsDeclined() throws {
        let plain = InflateIndexTests.sample(count: 100_000)
        let file = try InflateIndexTests.compressed(plain, container: .zlib)
        let path = try temporaryFile(file, name: "input.z")
        let incomplete = InflateIndex(sourceName: path)
        #expect(try SplicingDeflateSink(downstream: MemorySink(), inputPath: path, index: incomplete, level: 3) == nil)
        // Complete, but for another file.
        let (_, other, _) = try Self.recordedFile(plain, container: .zlib)
        #expect(try SplicingDeflateSink(downstream: MemorySink(), inputPath: path, index: other, level: 3) == nil)
    }
}
