/// A sliding window over a `ByteSource`: the borrowed cursor every parser reads through.
///
/// The window owns one buffer, allocated once and grown only when a single argument
/// must be contiguous, so parsing allocates nothing per opcode and peak memory is the
/// window size, not the file size. `read…` methods consume bytes; `peek…` methods do not.
public final class ByteWindow {
    public let source: ByteSource
    /// The largest span `ensureContiguous` will make room for.
    public let maximumCapacity: Int

    private var storage: UnsafeMutableRawBufferPointer
    /// Index in `storage` of the next unread byte.
    private var head = 0
    /// Index in `storage` one past the last valid byte.
    private var tail = 0
    /// Absolute stream offset of `storage[0]`.
    private var storageOffset: UInt64
    private var sourceExhausted = false
    /// Set when the source lends its bytes in place (a mapped file): `storage` is then the
    /// source's read-only mapping, never written, moved or freed by the window.
    private let lender: MappedFileSource?

    public init(source: ByteSource, initialCapacity: Int = 1 << 20, maximumCapacity: Int = 64 << 20) {
        self.source = source
        self.maximumCapacity = max(maximumCapacity, 16)
        lender = source as? MappedFileSource
        storage = lender == nil ? .allocate(byteCount: max(16, min(initialCapacity, self.maximumCapacity)), alignment: 16) : .init(start: nil, count: 0)
        storageOffset = source.position
    }

    deinit { if lender == nil { storage.deallocate() } }

    /// Absolute offset of the next unread byte.
    public var offset: UInt64 { storageOffset + UInt64(head) }

    /// Bytes buffered and not yet consumed.
    public var bufferedCount: Int { tail - head }

    /// Bytes left before the end of the source, when the source knows its length.
    public var remainingInSource: UInt64? {
        guard let length = source.knownLength else { return nil }
        return length >= offset ? length - offset : 0
    }

    /// True when every byte of the source has been consumed.
    public func isAtEnd() throws(InputError) -> Bool {
        try !ensureContiguous(1)
    }

    /// Makes at least `count` bytes available contiguously at the cursor.
    /// Returns false when the source ends first; throws when `count` exceeds `maximumCapacity`.
    @discardableResult
    public func ensureContiguous(_ count: Int) throws(InputError) -> Bool {
        if tail - head >= count { return true }
        guard count <= maximumCapacity else {
            throw InputError(
                path: source.name, offset: offset,
                reason: .limitExceeded(limit: "read window", value: UInt64(count), option: "--max-window"))
        }
        if let lender { return try borrow(count, from: lender) }
        if count > storage.count { grow(to: count) }
        if head + count > storage.count { compact() }
        while tail - head < count {
            if sourceExhausted { return false }
            let got = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[tail...]))
            if got == 0 {
                sourceExhausted = true
                return false
            }
            tail += got
        }
        return true
    }

    /// The byte at the cursor plus `ahead`, without consuming; nil at the end of the source.
    @inline(__always)
    public func peekByte(ahead: Int = 0) throws(InputError) -> UInt8? {
        if head + ahead < tail { return storage[head + ahead] }
        guard try ensureContiguous(ahead + 1) else { return nil }
        return storage[head + ahead]
    }

    /// Consumes one byte; nil at the end of the source.
    @inline(__always)
    public func readByte() throws(InputError) -> UInt8? {
        if head < tail {
            defer { head += 1 }
            return storage[head]
        }
        guard try ensureContiguous(1) else { return nil }
        defer { head += 1 }
        return storage[head]
    }

    /// Consumes `count` bytes and reads them as a little-endian unsigned integer
    /// (`count` ≤ 8); nil when the source ends first.
    @inline(__always)
    public func readLittleEndian(byteCount count: Int) throws(InputError) -> UInt64? {
        guard try ensureContiguous(count) else { return nil }
        var value: UInt64 = 0
        for index in 0..<count {
            value |= UInt64(storage[head + index]) << (8 * UInt64(index))
        }
        head += count
        return value
    }

    /// Consumes 8 bytes as a big-endian UInt64 (BINFLOAT's layout).
    public func readBigEndianUInt64() throws(InputError) -> UInt64? {
        guard try ensureContiguous(8) else { return nil }
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(storage[head + index]) }
        head += 8
        return value
    }

    /// Finds `byte` at or after the cursor, growing the window up to `limit` bytes.
    /// Returns its distance from the cursor, or nil when the source ends first.
    /// Throws when no such byte appears within `limit` bytes.
    public func peekDistance(to byte: UInt8, limit: Int) throws(InputError) -> Int? {
        var searched = 0
        while true {
            let available = tail - head
            var index = searched
            while index < available {
                if storage[head + index] == byte { return index }
                index += 1
            }
            searched = available
            if searched >= limit {
                throw InputError(
                    path: source.name, offset: offset,
                    reason: .limitExceeded(limit: "line length", value: UInt64(searched), option: "--max-window"))
            }
            let want = min(limit, max(available * 2, available + 4096))
            if try !ensureContiguous(min(want, maximumCapacity)) {
                // The source ended: scan what arrived, then give up.
                let arrived = tail - head
                while index < arrived {
                    if storage[head + index] == byte { return index }
                    index += 1
                }
                return nil
            }
        }
    }

    /// Calls `body` with the `count` bytes at the cursor, without consuming them.
    /// The caller must have made them contiguous with `ensureContiguous`.
    public func withPeekedBytes<R, E: Error>(
        _ count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        precondition(count <= tail - head, "withPeekedBytes beyond ensureContiguous")
        return try body(UnsafeRawBufferPointer(rebasing: storage[head..<(head + count)]))
    }

    /// Calls `body` with bytes already consumed, addressed by absolute offset, if they are
    /// still in the window; nil otherwise (the caller then re-reads them from the source).
    public func withRetainedBytes<R, E: Error>(
        at absoluteOffset: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R? {
        guard absoluteOffset >= storageOffset else { return nil }
        let start = absoluteOffset - storageOffset
        guard start <= UInt64(tail), UInt64(count) <= UInt64(tail) - start else { return nil }
        let lower = Int(start)
        return try body(UnsafeRawBufferPointer(rebasing: storage[lower..<(lower + count)]))
    }

    /// Calls `body` with every buffered, unconsumed byte (at least `minimum` unless the
    /// source ends first), for scanners that decode many small items in one pass and then
    /// `consume` what they used.
    public func withBufferedBytes<R>(minimum: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if tail - head < minimum { _ = try ensureContiguous(min(minimum, maximumCapacity)) }
        return try body(UnsafeRawBufferPointer(rebasing: storage[head..<tail]))
    }

    /// Consumes `count` bytes that are already buffered.
    @inline(__always)
    public func consume(_ count: Int) {
        precondition(count <= tail - head, "consume beyond buffered bytes")
        head += count
    }

    /// Consumes `count` bytes, buffered or not, seeking past what is not buffered.
    /// Returns false when the source ends first.
    public func skip(_ count: UInt64) throws(InputError) -> Bool {
        let buffered = UInt64(tail - head)
        if count <= buffered {
            head += Int(count)
            return true
        }
        let rest = count - buffered
        if let lender {
            // Nothing to read past: the next `ensureContiguous` maps from the new offset.
            let end = lender.knownLength ?? 0
            let (target, overflow) = offset.addingReportingOverflow(count)
            storageOffset = overflow ? end : min(target, end)
            head = 0
            tail = 0
            if overflow || target > end {
                sourceExhausted = true
                return false
            }
            return true
        }
        // Drop the window; the source moves on by itself.
        storageOffset = offset + buffered
        head = 0
        tail = 0
        let skipped = try source.skip(rest)
        storageOffset += skipped
        if skipped < rest {
            sourceExhausted = true
            return false
        }
        return true
    }

    /// Lending mode: maps a window starting at the cursor instead of copying into `storage`.
    private func borrow(_ count: Int, from lender: MappedFileSource) throws(InputError) -> Bool {
        let end = lender.knownLength ?? 0
        // The mapping already reaches the end of the file: mapping again would lend no more.
        if storageOffset + UInt64(tail) >= end, tail > 0 || offset >= end { return false }
        let cursor = offset
        let lent = try lender.lend(from: cursor, atLeast: count)
        storage = UnsafeMutableRawBufferPointer(mutating: lent.bytes)
        storageOffset = lent.start
        head = Int(cursor - lent.start)
        tail = lent.bytes.count
        return tail - head >= count
    }

    private func compact() {
        let live = tail - head
        if live > 0, head > 0, let base = storage.baseAddress {
            (base).copyMemory(from: base + head, byteCount: live)
        }
        storageOffset += UInt64(head)
        head = 0
        tail = live
    }

    private func grow(to count: Int) {
        var capacity = storage.count
        while capacity < count { capacity = min(maximumCapacity, capacity.multipliedReportingOverflow(by: 2).overflow ? maximumCapacity : capacity * 2) }
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        let live = tail - head
        if live > 0, let base = bigger.baseAddress, let old = storage.baseAddress {
            base.copyMemory(from: old + head, byteCount: live)
        }
        storage.deallocate()
        storage = bigger
        storageOffset += UInt64(head)
        head = 0
        tail = live
    }
}
