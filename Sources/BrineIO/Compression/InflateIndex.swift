import CZlib

/// Places in a zlib or gzip stream where inflating can resume, recorded while one pass reads
/// the whole stream so a later pass can skip what it does not need without inflating it
/// (zlib's zran.c idea, with `inflateCopy` snapshots instead of block-boundary priming).
///
/// A snapshot holds zlib's state and its 32 KiB window, about 40 KB. They are spaced
/// `initialSpacing` bytes of output apart; when `maximumPoints` are taken every other one is
/// dropped and the spacing doubles, so the index stays under ~10 MB whatever the stream's size.
public final class InflateIndex: @unchecked Sendable {
    struct Point {
        /// Offset in the decompressed stream.
        let output: UInt64
        /// Offset in the compressed source of the next byte the snapshot needs.
        let input: UInt64
        let state: UnsafeMutablePointer<z_stream>
    }

    /// Where a deflate block starts, with the stream's checksum of everything before it:
    /// what `SplicingDeflateSink` needs to copy whole blocks of the input unchanged.
    public struct BlockStart: Sendable, Equatable {
        /// Offset in the decompressed stream.
        public let output: UInt64
        /// Bit offset in the compressed source (deflate packs blocks at any bit).
        public let bit: UInt64
        /// Adler-32 (zlib) or CRC-32 (gzip) of the decompressed bytes before `output`.
        public let check: UInt32
    }

    private(set) var points: [Point] = []
    /// Every block start of the stream, in order, when the recording pass kept them all
    /// (empty when there were more than `maximumBlocks`).
    public private(set) var blocks: [BlockStart] = []
    private var blocksOverflowed = false
    let maximumBlocks: Int
    /// Whether block starts are still wanted (false once there were too many).
    var recordsBlocks: Bool { !blocksOverflowed }
    /// The container the stream was read as.
    public internal(set) var container: ZlibSource.Container?
    private(set) var spacing: UInt64
    let maximumPoints: Int
    /// Set when the recording pass reached the stream's end: only then are skips served.
    public internal(set) var isComplete = false
    /// Where the index applies: the compressed file, and the first compressed byte of the stream.
    let sourceName: String

    public init(sourceName: String, initialSpacing: UInt64 = 4 << 20, maximumPoints: Int = 256, maximumBlocks: Int = 1 << 20) {
        self.sourceName = sourceName
        self.maximumBlocks = max(maximumBlocks, 0)
        spacing = max(initialSpacing, 1 << 16)
        self.maximumPoints = max(maximumPoints, 2)
    }

    deinit {
        for point in points { Self.free(point.state) }
    }

    /// Next output offset at which a snapshot is wanted.
    var nextOutput: UInt64 {
        guard let last = points.last else { return spacing }
        let (next, overflow) = last.output.addingReportingOverflow(spacing)
        return overflow ? .max : next
    }

    /// Takes a snapshot of `stream` (between two `inflate` calls). When zlib cannot copy it
    /// (out of memory) the index just has one point fewer.
    func record(_ stream: UnsafeMutablePointer<z_stream>, output: UInt64, input: UInt64) {
        let copy = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        copy.initialize(to: z_stream())
        guard inflateCopy(copy, stream) == Z_OK else {
            copy.deallocate()
            return
        }
        points.append(Point(output: output, input: input, state: copy))
        if points.count >= maximumPoints { thin() }
    }

    func recordBlock(output: UInt64, bit: UInt64, check: UInt32) {
        guard !blocksOverflowed, blocks.last.map({ $0.bit < bit }) ?? true else { return }
        guard blocks.count < maximumBlocks else {
            // A hostile or degenerate stream of tiny blocks: splicing is an optimisation,
            // so give it up rather than grow without bound.
            blocksOverflowed = true
            blocks = []
            return
        }
        blocks.append(BlockStart(output: output, bit: bit, check: check))
    }

    /// The last point at or before `output`.
    func point(atOrBefore output: UInt64) -> Point? {
        var low = 0, high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle].output <= output { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : points[low - 1]
    }

    private func thin() {
        var kept: [Point] = []
        kept.reserveCapacity(points.count / 2 + 1)
        for (index, point) in points.enumerated() {
            if index % 2 == 1 { kept.append(point) } else { Self.free(point.state) }
        }
        points = kept
        spacing = spacing.multipliedReportingOverflow(by: 2).overflow ? .max : spacing * 2
    }

    private static func free(_ state: UnsafeMutablePointer<z_stream>) {
        inflateEnd(state)
        state.deallocate()
    }
}
