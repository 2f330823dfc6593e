/// The bit-level end of `SplicingDeflateSink`: whole bytes of compressed output gathered
/// for the downstream sink, and the 0...7 bits after them. Deflate packs bits from the least
/// significant end of each byte and starts blocks at any bit, so a copied block lands
/// shifted by however many bits are pending.
///
/// The bit loops cannot throw; a downstream error met inside them is kept and thrown by the
/// next `check()` or `flush()`.
final class DeflateBitWriter {
    private let downstream: ByteSink
    private let output: UnsafeMutableRawBufferPointer
    private var outputCount = 0
    private var bitBuffer: UInt64 = 0
    private var bitCount = 0
    private var deferredError: OutputError?

    init(downstream: ByteSink, capacity: Int = 1 << 20) {
        self.downstream = downstream
        output = .allocate(byteCount: max(capacity, 16), alignment: 16)
    }

    deinit {
        output.deallocate()
    }

    /// Appends `count` bits of `bytes`, after its first `skip` bits.
    func append(_ bytes: UnsafeRawBufferPointer, skipping skip: Int, count: Int) {
        var index = 0
        var remaining = count
        if skip > 0 {
            let take = min(8 - skip, remaining)
            push(UInt64(bytes[0] >> UInt8(skip)) & ((1 << UInt64(take)) - 1), bits: take)
            remaining -= take
            index = 1
        }
        // Whole bytes: each lands across the pending bits, one output byte per input byte.
        let whole = remaining / 8
        var done = 0
        while done < whole {
            if outputCount == output.count { flushKeepingError() }
            let room = min(whole - done, output.count - outputCount)
            let target = output.baseAddress!.assumingMemoryBound(to: UInt8.self) + outputCount
            let source = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + index + done
            let shift = UInt64(bitCount)
            var carry = bitBuffer
            for offset in 0..<room {
                let value = carry | UInt64(source[offset]) << shift
                target[offset] = UInt8(truncatingIfNeeded: value)
                carry = value >> 8
            }
            bitBuffer = carry
            outputCount += room
            done += room
        }
        index += whole
        remaining -= whole * 8
        if remaining > 0 { push(UInt64(bytes[index]) & ((1 << UInt64(remaining)) - 1), bits: remaining) }
    }

    /// Whole bytes (the output is on a byte boundary: a header, a trailer).
    func append(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { appendByte(byte) }
    }

    func appendByte(_ byte: UInt8) {
        precondition(bitCount == 0, "a whole byte written off a byte boundary")
        if outputCount == output.count { flushKeepingError() }
        output[outputCount] = byte
        outputCount += 1
    }

    /// The pending bits, handed to a deflater to emit first (`deflatePrime`); nil if none.
    func takePendingBits() -> (count: Int32, value: Int32)? {
        guard bitCount > 0 else { return nil }
        defer { bitBuffer = 0; bitCount = 0 }
        return (Int32(bitCount), Int32(bitBuffer))
    }

    /// Lends the free space after the whole bytes to `body` (a deflater writing its output,
    /// which starts with any bits it was primed with), which returns how much it filled.
    func fillWhole(_ body: (UnsafeMutableRawBufferPointer) -> Int) throws(OutputError) {
        precondition(bitCount == 0, "deflate output written off a byte boundary")
        if outputCount == output.count { try flush() }
        let filled = body(UnsafeMutableRawBufferPointer(rebasing: output[outputCount...]))
        outputCount += filled
    }

    /// Throws the error a bit loop met, if any.
    func check() throws(OutputError) {
        if let deferredError { throw deferredError }
    }

    /// Writes the whole bytes downstream.
    func flush() throws(OutputError) {
        try check()
        guard outputCount > 0 else { return }
        do {
            try downstream.write(UnsafeRawBufferPointer(rebasing: output[..<outputCount]))
        } catch {
            deferredError = error
            throw error
        }
        outputCount = 0
    }

    private func push(_ value: UInt64, bits: Int) {
        bitBuffer |= value << UInt64(bitCount)
        bitCount += bits
        while bitCount >= 8 {
            if outputCount == output.count { flushKeepingError() }
            output[outputCount] = UInt8(truncatingIfNeeded: bitBuffer)
            outputCount += 1
            bitBuffer >>= 8
            bitCount -= 8
        }
    }

    private func flushKeepingError() {
        do { try flush() } catch {
            // Kept in `deferredError`; the bytes are dropped, the sink is failed anyway.
            outputCount = 0
        }
    }
}
