import CZlib

/// Writes a zlib or gzip stream that reuses the input's own compressed blocks wherever the
/// output repeats the input, and deflates only what changed (gzjoin's and zran's ideas put
/// together). A strip that removes one attribute changes a few kilobytes around the cut;
/// deflating the other hundred megabytes again would cost seconds of CPU for the same bits.
///
/// A deflate block can be copied bit for bit when the output holds the input's bytes from
/// 32 KiB before the block's start (the farthest a match reaches back) through its end: it
/// then decodes to the same bytes. Everything else (the changed bytes, and the stretches
/// before the next usable block start) goes through a fresh deflater whose dictionary is the
/// output's previous 32 KiB, primed with the pending bits so it continues at any bit offset,
/// and ending with `Z_SYNC_FLUSH` so copied blocks follow on a byte boundary. The trailer's
/// checksum joins the islands' checksums with the copied stretches', derived from the checks
/// the recording pass noted at every block start (`InflateIndex.BlockStart`).
///
/// Callers mark reused bytes with `write(_:copiedFrom:)`; plain `write` bytes are new.
public final class SplicingDeflateSink: InputReusingSink {
    public typealias Container = ZlibSource.Container

    public let name: String
    public private(set) var bytesWritten: UInt64 = 0
    /// Output bytes whose compressed form was copied from the input rather than deflated.
    public private(set) var bytesSpliced: UInt64 = 0

    private let downstream: ByteSink
    private let container: Container
    private let level: Int32
    private let blocks: [InflateIndex.BlockStart]
    private let input: FileSource
    private let inputPath: String
    private let index: InflateIndex
    /// Inflates the input again where bytes copied by reference are needed after all (an
    /// island's dictionary, a run's end), jumping through `index`; forward only.
    private var fetcher: ZlibSource?
    private var state = SinkState.open
    private var checksum: UInt

    private let bits: DeflateBitWriter
    /// Compressed bits read from the input, or decompressed bytes fetched from it.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

    /// The current run of bytes copied from the input: `[runStart, runEnd)` there, and the
    /// output's most recent bytes.
    private var runStart: UInt64?
    private var runEnd: UInt64 = 0
    /// While copying blocks: the index in `blocks` up to which bits are out, and the bytes
    /// received since (held back: if the run breaks before the next block start, they are
    /// deflated instead).
    private var splicedThrough: Int?
    private var tail: [UInt8] = []
    /// Whether `tail` holds every byte since the last copied block start (false once a copy
    /// by reference came in: those bytes are inflated again only if they are needed).
    private var tailKnown = true
    /// The deflater of the current island, if one is open.
    private var island: UnsafeMutablePointer<z_stream>?
    /// The output's last 32 KiB before the island or the tail: the next island's dictionary.
    private var window: [UInt8] = []

    static let reach: UInt64 = 32 << 10
    /// Held-back bytes beyond this (a block that never ends, in a hostile stream) are deflated.
    let maximumTail: Int

    /// `index` must be complete and hold the block starts of `inputPath`'s stream; returns
    /// nil when it does not (the caller deflates everything instead).
    public init?(downstream: ByteSink, inputPath: String, index: InflateIndex, level: Int32,
                 maximumTail: Int = 16 << 20) throws(OutputError) {
        guard index.isComplete, index.sourceName == inputPath, let container = index.container, container != .rawDeflate,
              let first = index.blocks.first, first.output == 0, first.bit % 8 == 0, first.bit > 0, first.bit <= 1 << 16
        else { return nil }
        let format: CompressionFormat = container == .gzip ? .gzip : .zlib
        try format.validateWriteLevel(level, path: downstream.name)
        do {
            input = try FileSource(path: inputPath)
        } catch {
            return nil
        }
        self.downstream = downstream
        self.inputPath = inputPath
        self.index = index
        self.container = container
        self.level = level
        self.maximumTail = maximumTail
        blocks = index.blocks
        name = downstream.name
        checksum = container == .gzip ? crc32(0, nil, 0) : adler32(0, nil, 0)
        bits = DeflateBitWriter(downstream: downstream)
        // The input's own header: same container, same level hint, same gzip fields.
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(first.bit / 8), alignment: 1)
        defer { header.deallocate() }
        guard (try? input.read(at: 0, into: header)) == header.count,
              container == .gzip || header[1] & 0x20 == 0  // a zlib preset dictionary: not ours to copy
        else { return nil }
        bits.append(UnsafeRawBufferPointer(header))
    }

    deinit {
        if let island { deflateEnd(island); island.deallocate() }
        scratch.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        try fail { () throws(OutputError) in
            if splicedThrough != nil { try endCopying() }
            runStart = nil
            try deflateIsland(bytes)
        }
        bytesWritten += UInt64(bytes.count)
    }

    public func write(_ bytes: UnsafeRawBufferPointer, copiedFrom source: UInt64) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        try fail { () throws(OutputError) in
            if runStart == nil || source != runEnd {
                if splicedThrough != nil { try endCopying() }
                runStart = source
                runEnd = source
            }
            try take(bytes)
        }
        bytesWritten += UInt64(bytes.count)
    }

    public var reusesInput: Bool { true }

    public func copy(from source: UInt64, count: UInt64) throws(OutputError) {
        try state.requireOpen(path: name, offset: bytesWritten)
        guard count > 0 else { return }
        try fail { () throws(OutputError) in
            if runStart == nil || source != runEnd {
                if splicedThrough != nil { try endCopying() }
                runStart = source
                runEnd = source
            }
            let end = source + count
            if splicedThrough == nil {
                let next = firstBlock(atOrAfter: max(runStart! + Self.reach, runEnd)).flatMap { blocks[$0].output <= end ? $0 : nil }
                let islandEnd = next.map { blocks[$0].output } ?? end
                try fetch(runEnd..<islandEnd) { bytes throws(OutputError) in try deflateIsland(bytes) }
                runEnd = islandEnd
                guard let next else { return }
                try drive(Z_SYNC_FLUSH)
                closeIsland()
                splicedThrough = next
            }
            tail.removeAll(keepingCapacity: true)
            tailKnown = false
            runEnd = end
            try copyCompletedBlocks()
        }
        bytesWritten += count
    }

    public func finish() throws(OutputError) {
        if state.isFinished { return }
        try state.requireOpen(path: name, offset: bytesWritten)
        try fail { () throws(OutputError) in
            if splicedThrough != nil { try endCopying() }
            if island == nil { try startIsland() }
            try drive(Z_FINISH)
            closeIsland()
            let check = UInt32(truncatingIfNeeded: checksum)
            if container == .gzip {
                let size = UInt32(truncatingIfNeeded: bytesWritten)
                for shift in stride(from: 0, to: 32, by: 8) { bits.appendByte(UInt8(truncatingIfNeeded: check >> UInt32(shift))) }
                for shift in stride(from: 0, to: 32, by: 8) { bits.appendByte(UInt8(truncatingIfNeeded: size >> UInt32(shift))) }
            } else {
                for shift in stride(from: 24, through: 0, by: -8) { bits.appendByte(UInt8(truncatingIfNeeded: check >> UInt32(shift))) }
            }
            try bits.flush()
            try downstream.finish()
        }
        state = .finished
    }

    // MARK: - Runs of input bytes

    /// Bytes continuing the run at `runEnd`: held while blocks are being copied, deflated
    /// otherwise, switching to copying at the first block start with 32 KiB of run behind it.
    private func take(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        guard let runStart else { return }
        let end = runEnd + UInt64(bytes.count)
        if splicedThrough == nil {
            let earliest = runStart + Self.reach
            guard let next = firstBlock(atOrAfter: max(earliest, runEnd)), blocks[next].output <= end else {
                try deflateIsland(bytes)
                runEnd = end
                return
            }
            let before = Int(blocks[next].output - runEnd)
            try deflateIsland(UnsafeRawBufferPointer(rebasing: bytes[..<before]))
            try drive(Z_SYNC_FLUSH)
            closeIsland()
            splicedThrough = next
            tail.removeAll(keepingCapacity: true)
            tailKnown = true
            tail.append(contentsOf: bytes[before...])
        } else if tailKnown {
            tail.append(contentsOf: bytes)
        }
        runEnd = end
        try copyCompletedBlocks()
        if tailKnown, tail.count > maximumTail { try endCopying() }
    }

    /// Copies the compressed bits of every block the run now covers to its end.
    private func copyCompletedBlocks() throws(OutputError) {
        guard let from = splicedThrough else { return }
        var through = from
        while through + 1 < blocks.count, blocks[through + 1].output <= runEnd { through += 1 }
        guard through > from else { return }
        let start = blocks[from], stop = blocks[through]
        try copyBits(from: start.bit, to: stop.bit)
        let length = stop.output - start.output
        checksum = combine(checksum, segmentCheck(whole: stop.check, prefix: start.check, length: length), length)
        bytesSpliced += length
        if tailKnown {
            remember(tail, count: Int(length))
            tail.removeFirst(Int(length))
        }
        splicedThrough = through
    }

    /// The run broke (or the tail grew too long): what was held back since the last copied
    /// block start is deflated after all.
    private func endCopying() throws(OutputError) {
        guard let spliced = splicedThrough else { return }
        splicedThrough = nil
        if tailKnown {
            let held = tail
            tail.removeAll(keepingCapacity: true)
            try withBytes(held) { bytes throws(OutputError) in try deflateIsland(bytes) }
            return
        }
        // Copied by reference: the island's dictionary and its bytes come from the input.
        tailKnown = true
        let tailStart = blocks[spliced].output
        window.removeAll(keepingCapacity: true)
        try fetch((tailStart - Self.reach)..<tailStart) { bytes throws(OutputError) in remember(bytes) }
        try fetch(tailStart..<runEnd) { bytes throws(OutputError) in try deflateIsland(bytes) }
    }

    /// Hands the input's decompressed bytes `range` to `body`, a chunk at a time.
    private func fetch(_ range: Range<UInt64>, _ body: (UnsafeRawBufferPointer) throws(OutputError) -> Void) throws(OutputError) {
        guard !range.isEmpty else { return }
        let chunk = scratch
        let source = try positionedFetcher(at: range.lowerBound)
        var remaining = range.count
        while remaining > 0 {
            let wanted = UnsafeMutableRawBufferPointer(rebasing: chunk[..<Int(min(UInt64(chunk.count), UInt64(remaining)))])
            let got: Int
            do { got = try source.readFully(into: wanted) } catch { throw failure("re-reading the input: \(error)") }
            guard got > 0 else { throw failure("the input ended before byte \(range.upperBound) it had when read") }
            try body(UnsafeRawBufferPointer(rebasing: chunk[..<got]))
            remaining -= got
        }
    }

    /// The fetcher, at `offset` of the decompressed input (a new one to go backwards).
    private func positionedFetcher(at offset: UInt64) throws(OutputError) -> ZlibSource {
        do {
            if fetcher.map({ $0.position > offset }) ?? true {
                fetcher = try ZlibSource(upstream: try FileSource(path: inputPath), container: container, index: index)
            }
            let source = fetcher!
            let gap = offset - source.position
            guard try source.skip(gap) == gap else { throw failure("the input ended before byte \(offset) it had when read") }
            return source
        } catch let error as OutputError {
            throw error
        } catch {
            throw failure("re-reading the input: \(error)")
        }
    }

    private func firstBlock(atOrAfter output: UInt64) -> Int? {
        var low = 0, high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if blocks[middle].output < output { low = middle + 1 } else { high = middle }
        }
        return low < blocks.count ? low : nil
    }

    // MARK: - Islands

    private func deflateIsland(_ bytes: UnsafeRawBufferPointer) throws(OutputError) {
        guard !bytes.isEmpty else { return }
        if island == nil { try startIsland() }
        checksum = container == .gzip
            ? crc32(checksum, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
            : adler32(checksum, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
        island!.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        island!.pointee.avail_in = uInt(bytes.count)
        try drive(Z_NO_FLUSH)
        remember(bytes)
    }

    private func startIsland() throws(OutputError) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw failure("zlib refused to start")
        }
        island = stream
        if !window.isEmpty {
            _ = window.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
        }
        // The bits after the last whole byte go first into the island's stream.
        if let pending = bits.takePendingBits() {
            guard deflatePrime(stream, pending.count, pending.value) == Z_OK else { throw failure("deflatePrime failed") }
        }
    }

    /// Runs the island's deflater with `flush`, moving its output into `output`.
    private func drive(_ flush: Int32) throws(OutputError) {
        guard let island else { return }
        while true {
            var status = Z_OK
            try bits.fillWhole { space in
                island.pointee.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
                island.pointee.avail_out = uInt(space.count)
                status = CZlib.deflate(island, flush)
                return space.count - Int(island.pointee.avail_out)
            }
            if status == Z_STREAM_END { return }
            guard status == Z_OK || status == Z_BUF_ERROR else { throw failure("deflate failed (\(status))") }
            // Done once zlib took all input and, for a flush, had room to spare.
            if island.pointee.avail_in == 0 && island.pointee.avail_out > 0 { return }
        }
    }

    private func closeIsland() {
        guard let island else { return }
        deflateEnd(island)
        island.deallocate()
        self.island = nil
    }

    /// Keeps the output's last 32 KiB: `bytes`, or the first `count` of them.
    private func remember(_ bytes: UnsafeRawBufferPointer) {
        let reach = Int(Self.reach)
        if bytes.count >= reach {
            window.removeAll(keepingCapacity: true)
            window.append(contentsOf: bytes[(bytes.count - reach)...])
            return
        }
        window.append(contentsOf: bytes)
        if window.count > 2 * reach { window.removeFirst(window.count - reach) }
    }

    private func remember(_ bytes: [UInt8], count: Int) {
        bytes.withUnsafeBytes { remember(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }

    // MARK: - Bits

    /// Appends the input's compressed bits `[start, end)`, shifted to the output's bit offset.
    private func copyBits(from start: UInt64, to end: UInt64) throws(OutputError) {
        let chunk = scratch
        var bit = start
        while bit < end {
            let byte = bit / 8
            let wanted = Int(min(UInt64(chunk.count), (end - byte * 8 + 7) / 8))
            let got: Int
            do { got = try input.read(at: byte, into: UnsafeMutableRawBufferPointer(rebasing: chunk[..<wanted])) } catch {
                throw failure("reading the input's compressed blocks: \(error)")
            }
            guard got == wanted else { throw failure("the input ended inside a compressed block it had when read") }
            let count = min(UInt64(got) * 8 - (bit % 8), end - bit)
            self.bits.append(UnsafeRawBufferPointer(rebasing: chunk[..<got]), skipping: Int(bit % 8), count: Int(count))
            bit += count
        }
    }

    // MARK: - Checksums

    /// The check of the bytes between two block starts, from the checks of everything
    /// before each (the inverse of `adler32_combine` / `crc32_combine`).
    private func segmentCheck(whole: UInt32, prefix: UInt32, length: UInt64) -> UInt {
        Self.segmentCheck(container: container, whole: whole, prefix: prefix, length: length)
    }

    public static func segmentCheck(container: Container, whole: UInt32, prefix: UInt32, length: UInt64) -> UInt {
        if container == .gzip {
            return UInt(whole) ^ crc32_combine(UInt(prefix), 0, off_t(length))
        }
        let base: UInt64 = 65521
        let rem = length % base
        let s1Prefix = UInt64(prefix & 0xFFFF), s2Prefix = UInt64(prefix >> 16)
        let s1Whole = UInt64(whole & 0xFFFF), s2Whole = UInt64(whole >> 16)
        let s1 = (s1Whole + base - s1Prefix + 1) % base
        // s2Whole = s2Prefix + s2 + rem·(s1Prefix − 1), all mod base.
        let s2 = (s2Whole + 2 * base * base - s2Prefix - rem * ((s1Prefix + base - 1) % base)) % base
        return UInt(s1 | s2 << 16)
    }

    private func combine(_ first: UInt, _ second: UInt, _ length: UInt64) -> UInt {
        container == .gzip ? crc32_combine(first, second, off_t(length)) : adler32_combine(first, second, off_t(length))
    }

    // MARK: - Errors

    private func failure(_ detail: String) -> OutputError {
        OutputError(path: name, offset: bytesWritten, reason: .compressionFailed(codec: container == .gzip ? "gzip" : "zlib", detail: detail))
    }

    /// Runs a step whose error ends the sink: output already written cannot be taken back.
    private func fail(_ step: () throws(OutputError) -> Void) throws(OutputError) {
        do throws(OutputError) {
            try step()
            try bits.check()
        } catch {
            state = .failed(error)
            throw error
        }
    }
}
