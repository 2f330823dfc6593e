#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable table of bytes meant for tens of millions of entries (the memo of a large
/// vectorizer holds one per string). Small tables are an ordinary array. Past
/// `mappingThreshold` bytes the table moves once into a reserved range of address space
/// (`reservedBytes`, backed by memory only as it fills) with transparent huge pages asked
/// for: growing never copies again, and filling 13 MB takes a few faults of 2 MB instead of
/// the 8,700 page faults and repeated copies of a doubling array. Where the system refuses
/// the reservation (an address-space limit, strict overcommit) the table stays an array.
/// Copies share storage until one of them is changed.
public struct PageBackedBytes {
    private var array: [UInt8] = []
    private var mapping: Mapping?
    public let reservedBytes: Int
    public static let mappingThreshold = 1 << 20

    /// `reservedBytes`: the most the table will ever hold (appends past it trap).
    public init(reservedBytes: Int) {
        self.reservedBytes = reservedBytes
    }

    public var count: Int { mapping?.count ?? array.count }

    public subscript(index: Int) -> UInt8 {
        get {
            guard let mapping else { return array[index] }
            precondition(index >= 0 && index < mapping.count, "index out of range")
            return mapping.base[index]
        }
        set {
            guard mapping != nil else { array[index] = newValue; return }
            makeUnique()
            precondition(index >= 0 && index < mapping!.count, "index out of range")
            mapping!.base[index] = newValue
        }
    }

    public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty else { return }
        reserve(adding: bytes.count)
        guard let mapping else { array.append(contentsOf: bytes); return }
        (mapping.base + mapping.count).update(from: bytes.baseAddress!, count: bytes.count)
        mapping.count += bytes.count
    }

    public mutating func append(repeating value: UInt8, count added: Int) {
        guard added > 0 else { return }
        reserve(adding: added)
        guard let mapping else { array.append(contentsOf: repeatElement(value, count: added)); return }
        (mapping.base + mapping.count).update(repeating: value, count: added)
        mapping.count += added
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        guard let mapping else { return try array.withUnsafeBufferPointer(body) }
        return try body(UnsafeBufferPointer(start: mapping.base, count: mapping.count))
    }

    /// Makes room for `added` more bytes: moves into a mapping once the array would pass the
    /// threshold, and copies a shared mapping before it is changed.
    private mutating func reserve(adding added: Int) {
        let (total, overflow) = count.addingReportingOverflow(added)
        precondition(!overflow && total <= reservedBytes, "PageBackedBytes past its reservation")
        if mapping != nil {
            makeUnique()
        } else if total > Self.mappingThreshold, let moved = Mapping(reserving: reservedBytes) {
            array.withUnsafeBufferPointer { moved.base.update(from: $0.baseAddress!, count: $0.count) }
            moved.count = array.count
            mapping = moved
            array = []
        }
    }

    private mutating func makeUnique() {
        guard !isKnownUniquelyReferenced(&mapping) else { return }
        let original = mapping!
        if let copy = Mapping(reserving: reservedBytes) {
            copy.base.update(from: original.base, count: original.count)
            copy.count = original.count
            mapping = copy
        } else {
            // No second reservation: the copy becomes an array (slower to grow, never wrong).
            array = Array(UnsafeBufferPointer(start: original.base, count: original.count))
            mapping = nil
        }
    }

    /// One private anonymous mapping, unmapped when the last table using it goes.
    private final class Mapping {
        let base: UnsafeMutablePointer<UInt8>
        let reserved: Int
        var count = 0

        init?(reserving bytes: Int) {
            guard bytes > 0, let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | mapNoReserve, -1, 0),
                  raw != MAP_FAILED else { return nil }
            #if canImport(Glibc)
            // Best effort: without transparent huge pages the table still never copies.
            _ = madvise(raw, bytes, MADV_HUGEPAGE)
            #endif
            base = raw.assumingMemoryBound(to: UInt8.self)
            reserved = bytes
        }

        deinit { munmap(base, reserved) }
    }
}

#if canImport(Glibc)
private let mapNoReserve = MAP_NORESERVE
#else
private let mapNoReserve: Int32 = 0
#endif
