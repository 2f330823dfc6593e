/// The header numpy writes before an array's data (numpy/lib/format.py,
/// `_write_array_header`): the magic, a version, the header length, then the repr of
/// `{'descr': …, 'fortran_order': …, 'shape': …, }` padded with spaces and a newline so the
/// data starts at a multiple of 64. Version 1.0 while the header fits a 2-byte length, 2.0 past it.
enum NpyHeader {
    static let alignment = 64

    /// `descr` is numpy's `dtype.str` (`<f8`, `|b1`, `<U10`, `<M8[ns]`): plain ASCII, no quotes.
    static func bytes(descr: String, fortranOrder: Bool, shape: [Int64]) -> [UInt8] {
        let shapeText: String = switch shape.count {
        case 0: "()"
        case 1: "(\(shape[0]),)"
        default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dictionary = "{'descr': '\(descr)', 'fortran_order': \(fortranOrder ? "True" : "False"), 'shape': \(shapeText), }"
        func padded(prefix: Int) -> [UInt8] {
            let length = dictionary.utf8.count + 1
            let padding = alignment - (prefix + length) % alignment
            return Array(dictionary.utf8) + [UInt8](repeating: 0x20, count: padding == alignment ? 0 : padding) + [0x0A]
        }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        let short = padded(prefix: 10)
        if short.count <= Int(UInt16.max) {
            return magic + [1, 0, UInt8(short.count & 0xFF), UInt8(short.count >> 8)] + short
        }
        let long = padded(prefix: 12)
        return magic + [2, 0] + (0..<4).map { UInt8(truncatingIfNeeded: long.count >> (8 * $0)) } + long
    }

    /// Type strings a header can carry as they are: a byte order, a kind and a size, and a
    /// datetime unit (`<M8[ns]`). Structured (`|V64` without its fields) and object dtypes are not among them.
    static func isPlain(_ descr: String) -> Bool {
        let scalars = Array(descr.unicodeScalars)
        guard scalars.count >= 3, "<>|=".unicodeScalars.contains(scalars[0]), "biufcmMSU?".unicodeScalars.contains(scalars[1]) else { return false }
        var rest = Substring(descr.dropFirst(2))
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return false }
        rest = rest.dropFirst(digits.count)
        if rest.isEmpty { return true }
        return rest.hasPrefix("[") && rest.hasSuffix("]") && rest.dropFirst().dropLast().allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}
