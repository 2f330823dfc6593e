extension PickleReader {
    /// Consumes `count` bytes that are not instructions (joblib's array data), handing them
    /// to `body` in chunks no larger than the read window, so any size streams through.
    public func readRaw(
        _ count: UInt64, expected: String, _ body: (UnsafeRawBufferPointer) throws(PickleError) -> Void
    ) throws(PickleError) {
        let offset = window.offset
        if let remaining = window.remainingInSource, count > remaining {
            throw PickleError(offset: offset, reason: .lengthBeyondInput(declared: count, remaining: remaining))
        }
        var left = count
        let chunkLimit = UInt64(max(1, min(window.maximumCapacity, 1 << 20)))
        while left > 0 {
            let chunk = Int(min(left, chunkLimit))
            let complete: Bool
            do { complete = try window.ensureContiguous(chunk) } catch { throw PickleError(error) }
            guard complete else { throw PickleError(offset: offset, reason: .truncated(expected: expected)) }
            try window.withPeekedBytes(chunk, body)
            window.consume(chunk)
            left -= UInt64(chunk)
        }
    }
}
