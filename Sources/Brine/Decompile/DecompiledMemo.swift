/// The decompiler's memo. Real pickles memoize every string, tens of millions in a large
/// vectorizer: an entry made inside a summarised container keeps one byte (its kind), since
/// its text was never decoded; the others keep their expression. The one-byte codes are
/// `MemoTable`'s, so inspect's scanner (`SymbolicMachine.scan`) reads and extends the table.
struct DecompiledMemo {
    private static let unset: UInt8 = 0xFF
    /// An entry with its expression in `values` (never a plain scalar to the scanner).
    private static let kept: UInt8 = 0x80
    private static let denseSlack = 1 << 16
    private var codes: [UInt8] = []
    private var values: [Int64: DecompiledValue] = [:]
    /// Entries beyond the dense table (a hostile PUT of a huge index costs one entry).
    private var sparse: [Int64: UInt8] = [:]
    private(set) var count = 0

    /// Stores `value` under `index`; false when the index is negative.
    mutating func store(_ value: DecompiledValue, at index: Int64) -> Bool {
        guard index >= 0 else { return false }
        let code = value.lazy != nil ? value.kind.valueKind.rawValue : Self.kept
        if value.lazy == nil { values[index] = value } else { values[index] = nil }
        let slot = Int(clamping: index)
        if slot < codes.count || slot < max(2 * count, Self.denseSlack) {
            if slot >= codes.count { codes.append(contentsOf: repeatElement(Self.unset, count: slot + 1 - codes.count)) }
            if codes[slot] == Self.unset { count += 1 }
            codes[slot] = code
        } else {
            if sparse[index] == nil { count += 1 }
            sparse[index] = code
        }
        return true
    }

    /// Stores a literal of a summarised container: one byte, nothing decoded.
    mutating func storeLazy(_ kind: DecompiledValue.Kind, at index: Int64) -> Bool {
        guard index >= 0 else { return false }
        let code = kind.valueKind.rawValue
        if index == Int64(codes.count), codes.count == count {
            codes.append(code)
            count += 1
            return true
        }
        let slot = Int(clamping: index)
        if slot < codes.count, codes[slot] != Self.unset {
            if codes[slot] == Self.kept { values[index] = nil }
            codes[slot] = code
            return true
        }
        var value = DecompiledValue(kind: kind)
        value.lazy = PickleInstruction(offset: 0, opcode: .stop, argument: .none, length: 0)
        return store(value, at: index)
    }

    func load(_ index: Int64) -> DecompiledValue? {
        guard index >= 0 else { return nil }
        let code = index < codes.count ? codes[Int(index)] : sparse[index] ?? Self.unset
        switch code {
        case Self.unset: return nil
        case Self.kept: return values[index]
        default:
            let kind = DecompiledValue.Kind(ValueKind(rawValue: code) ?? .instance)
            var value = DecompiledValue(kind: kind, text: "<\(DecompiledValue(kind: kind).typeName) of a summarised container>")
            value.kind = .other
            return value
        }
    }

    /// True while every index stored so far continued the sequence 0, 1, 2, … (the scanner's condition).
    var acceptsSequentialAppend: Bool { count == codes.count && sparse.isEmpty }

    /// Lends the codes to the scanner, which reads the kinds of memoized scalars a GET fetches.
    func withCodes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        codes.withUnsafeBufferPointer(body)
    }

    /// Appends the scanner's entries (summarised scalars) at the next indices.
    mutating func appendSequential(_ newCodes: ArraySlice<UInt8>) {
        codes.append(contentsOf: newCodes)
        count += newCodes.count
    }
}

/// Standard base64 (RFC 4648), fed in chunks of any size.
struct Base64Encoder {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private var output: [UInt8] = []
    private var carry: [UInt8] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while carry.count > 0, carry.count < 3, index < bytes.count {
            carry.append(bytes[index])
            index += 1
        }
        if carry.count == 3 {
            encode(carry[0], carry[1], carry[2])
            carry.removeAll()
        }
        output.reserveCapacity(output.count + (bytes.count - index) / 3 * 4 + 4)
        while index + 3 <= bytes.count {
            encode(bytes[index], bytes[index + 1], bytes[index + 2])
            index += 3
        }
        while index < bytes.count {
            carry.append(bytes[index])
            index += 1
        }
    }

    private mutating func encode(_ a: UInt8, _ b: UInt8, _ c: UInt8) {
        output.append(Self.alphabet[Int(a >> 2)])
        output.append(Self.alphabet[Int((a & 0x03) << 4 | b >> 4)])
        output.append(Self.alphabet[Int((b & 0x0F) << 2 | c >> 6)])
        output.append(Self.alphabet[Int(c & 0x3F)])
    }

    mutating func finish() -> String {
        if carry.count == 1 {
            output.append(Self.alphabet[Int(carry[0] >> 2)])
            output.append(Self.alphabet[Int((carry[0] & 0x03) << 4)])
            output.append(contentsOf: "==".utf8)
        } else if carry.count == 2 {
            output.append(Self.alphabet[Int(carry[0] >> 2)])
            output.append(Self.alphabet[Int((carry[0] & 0x03) << 4 | carry[1] >> 4)])
            output.append(Self.alphabet[Int((carry[1] & 0x0F) << 2)])
            output.append(UInt8(ascii: "="))
        }
        carry.removeAll()
        return String(decoding: output, as: UTF8.self)
    }
}
