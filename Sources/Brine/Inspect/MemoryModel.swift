/// Estimated memory of objects once loaded by 64-bit CPython 3.11+, from the object
/// layouts in CPython's Include/cpython/*.h (what `sys.getsizeof` reports, GC header
/// included). docs/memory-model.md explains the method and its error against tracemalloc.
enum MemoryModel {
    /// `int`: 24 bytes for 0, then 4 bytes per 30-bit digit over a 24-byte header;
    /// -5…256 are preallocated and cost nothing.
    static func int(magnitudeBits bits: Int, smallValue: Int64?) -> UInt64 {
        if let small = smallValue, small >= -5, small <= 256 { return 0 }
        let digits = max(1, (bits + 29) / 30)
        return 24 + 4 * UInt64(digits)
    }

    static let float: UInt64 = 24

    /// `str` of `count` code points whose widest needs `width` bytes (1 ASCII, 1 latin-1, 2, 4).
    static func str(count: UInt64, width: Int, ascii: Bool) -> UInt64 {
        switch width {
        case 1: return (ascii ? 49 : 73) + count
        case 2: return 74 + 2 * count
        default: return 76 + 4 * count
        }
    }

    static func bytes(count: UInt64) -> UInt64 { 33 + count }
    static func bytearray(count: UInt64) -> UInt64 { 57 + count + 1 }

    static func tuple(count: UInt64) -> UInt64 { count == 0 ? 0 : 40 + 8 * count }

    /// A list grown by `extend`/`append` over-allocates about 1/8.
    static func list(count: UInt64) -> UInt64 {
        count == 0 ? 56 : 56 + 8 * (count + count / 8 + 6)
    }

    /// A dict's keys table: a power-of-two index with 2/3 usable entries of 24 bytes
    /// (16 when every key is a str, which is the common case for attribute dicts).
    static func dict(count: UInt64, stringKeys: Bool) -> UInt64 {
        guard count > 0 else { return 64 }
        var size: UInt64 = 8
        while size * 2 / 3 < count { size <<= 1 }
        let usable = size * 2 / 3
        let indexWidth: UInt64 = size <= 128 ? 1 : size <= 1 << 15 ? 2 : size <= 1 << 31 ? 4 : 8
        return 64 + 32 + size * indexWidth + usable * (stringKeys ? 16 : 24)
    }

    /// A set's hash table of 16-byte entries, kept at most 60 % full.
    static func set(count: UInt64) -> UInt64 {
        var size: UInt64 = 8
        while count * 5 >= size * 3 { size <<= 1 }
        return size == 8 ? 216 : 200 + 16 * size
    }

    /// An instance with a `__dict__`: the object; the dict is counted as its attributes.
    static func instance(attributes: UInt64) -> UInt64 {
        attributes == 0 ? 56 : 56 + dict(count: attributes, stringKeys: true)
    }

    /// `numpy.ndarray` owning its data: the array object plus the data buffer.
    static func array(dataBytes: UInt64, dimensions: Int) -> UInt64 {
        112 + 16 * UInt64(dimensions) + dataBytes
    }
}

/// Width facts about UTF-8 text, for the str memory estimate, read 8 bytes at a time.
enum TextWidth {
    /// The same measure of decoded code points.
    static func measure(codePoints: [UInt32]) -> (count: UInt64, width: Int, ascii: Bool) {
        let widest = codePoints.max() ?? 0
        return (UInt64(codePoints.count), widest < 0x100 ? 1 : widest < 0x10000 ? 2 : 4, widest < 0x80)
    }

    /// (code points, widest code point's storage width, all ASCII).
    @inline(__always)
    static func measure(_ bytes: UnsafeRawBufferPointer) -> (count: UInt64, width: Int, ascii: Bool) {
        var index = 0
        let total = bytes.count
        var highBits: UInt64 = 0
        while index + 8 <= total {
            highBits |= bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        if index < total {
            if total >= 8 {
                // The last eight bytes, overlapping what was read: no byte loop.
                highBits |= bytes.loadUnaligned(fromByteOffset: total - 8, as: UInt64.self)
            } else {
                while index < total {
                    highBits |= UInt64(bytes[index])
                    index += 1
                }
            }
        }
        if highBits & 0x8080_8080_8080_8080 == 0 { return (UInt64(total), 1, true) }
        return measureNonASCII(bytes)
    }

    private static func measureNonASCII(_ bytes: UnsafeRawBufferPointer) -> (count: UInt64, width: Int, ascii: Bool) {
        let total = bytes.count
        var count: UInt64 = 0
        var widest: UInt32 = 0
        var position = 0
        while position < total {
            let lead = bytes[position]
            let length: Int
            let scalar: UInt32
            if lead < 0x80 {
                length = 1; scalar = UInt32(lead)
            } else if lead < 0xE0 {
                length = 2; scalar = UInt32(lead & 0x1F) << 6
            } else if lead < 0xF0 {
                length = 3; scalar = UInt32(lead & 0x0F) << 12
            } else {
                length = 4; scalar = UInt32(lead & 0x07) << 18
            }
            // Continuation bits only matter for the 0x100 and 0x10000 thresholds.
            var value = scalar
            if length >= 2, position + 1 < total { value |= UInt32(bytes[position + 1] & 0x3F) << (6 * UInt32(length - 2)) }
            widest = max(widest, value)
            count += 1
            position += length
        }
        let width = widest < 0x100 ? 1 : widest < 0x10000 ? 2 : 4
        return (count, width, false)
    }
}
