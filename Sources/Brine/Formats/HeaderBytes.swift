import BrineIO

/// Exact reads of a format's header from a forward source: the source is left right after
/// what was read (an npy object array's pickle follows its header), and nothing past the
/// header is ever read. Every count comes from a caller that bounded it first.
enum HeaderBytes {
    static func read(_ source: ByteSource, count: Int, at offset: UInt64, what: String) throws(InputError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: InputError?
        let got = bytes.withUnsafeMutableBytes { buffer -> Int in
            do throws(InputError) { return try source.readFully(into: buffer) } catch { failure = error; return 0 }
        }
        if let failure { throw failure }
        guard got == count else {
            throw InputError(path: source.name, offset: offset &+ UInt64(got), reason: .malformed(
                detail: "the file ends inside \(what) (\(count) bytes expected from offset \(offset), \(got) present)"))
        }
        return bytes
    }

    static func malformed(_ name: String, _ offset: UInt64, _ detail: String) -> InputError {
        InputError(path: name, offset: offset, reason: .malformed(detail: detail))
    }

    static func littleEndian(_ bytes: [UInt8], _ start: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (start..<(start + count)).reversed() { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// Product of dimensions and bits per element, in bytes; nil on overflow or when the
    /// bits do not make whole bytes.
    static func byteCount(shape: [UInt64], bitsPerElement: UInt64) -> UInt64? {
        var bits = bitsPerElement
        for dimension in shape {
            let (product, overflow) = bits.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            bits = product
        }
        guard bits % 8 == 0 else { return nil }
        return bits / 8
    }
}
