// Exact reimplementations of the CPython 3.11 reprs and decoders that `pickletools.dis`
// relies on, so `brine dis` prints the same bytes as `python3.11 -m pickletools`.
// Every function here was checked against CPython 3.11.7, including its error cases.

/// Why a Python conversion failed, worded as CPython words it.
public struct PythonReprError: Error, Equatable, Sendable {
    /// CPython's `ValueError` text, or the reason of its `UnicodeDecodeError`.
    public var message: String
    /// Byte offset in the input where the offending text starts.
    public var position: Int

    public init(message: String, position: Int) {
        self.message = message
        self.position = position
    }
}

public enum PythonRepr {
    /// CPython's default `sys.get_int_max_str_digits()`. `int(text)` refuses longer
    /// digit strings, and `repr(int)` refuses results with more digits (not counting the sign).
    public static let intMaxStrDigits = 4300

    // MARK: - str

    /// `repr(str)`. Code points rather than a `String` because Python strings may hold
    /// lone surrogates.
    public static func reprStr(_ codePoints: [UInt32]) -> String {
        quotedString(codePoints, escapeAllNonASCII: false)
    }

    /// `ascii(str)`: `repr` with every non-ASCII code point escaped.
    public static func asciiStr(_ codePoints: [UInt32]) -> String {
        quotedString(codePoints, escapeAllNonASCII: true)
    }

    /// `repr(str)` of a long string shown by its first characters, `prefix`: the quote is the
    /// one `repr` chooses for the whole string (which holds a `'`/`"` when `hasSingle`/`hasDouble`),
    /// and `...` marks the cut inside the quotes: `'\'aaa...'`.
    public static func reprStrPrefix(_ prefix: [UInt32], hasSingle: Bool, hasDouble: Bool) -> String {
        quotedString(prefix, escapeAllNonASCII: false, quote: chooseQuote(hasSingle: hasSingle, hasDouble: hasDouble), cut: true)
    }

    private static func quotedString(_ codePoints: [UInt32], escapeAllNonASCII: Bool, quote chosen: UInt8? = nil, cut: Bool = false) -> String {
        let quote = chosen ?? chooseQuote(hasSingle: codePoints.contains(0x27), hasDouble: codePoints.contains(0x22))
        var out: [UInt8] = []
        out.reserveCapacity(codePoints.count + 2)
        out.append(quote)
        for codePoint in codePoints {
            if codePoint < 0x80 {
                appendASCII(UInt8(codePoint), quote: quote, to: &out)
            } else if !escapeAllNonASCII, let scalar = Unicode.Scalar(codePoint), isPrintable(scalar) {
                UTF8.encode(scalar) { out.append($0) }
            } else if codePoint < 0x100 {
                appendHexEscape(codePoint, marker: "x", digits: 2, to: &out)
            } else if codePoint < 0x10000 {
                appendHexEscape(codePoint, marker: "u", digits: 4, to: &out)
            } else {
                appendHexEscape(codePoint, marker: "U", digits: 8, to: &out)
            }
        }
        if cut { out.append(contentsOf: [0x2E, 0x2E, 0x2E]) }
        out.append(quote)
        return String(decoding: out, as: UTF8.self)
    }

    /// CPython's `str.isprintable` for one non-ASCII character.
    ///
    /// CPython 3.11 ships Unicode 14.0.0 data, while Swift's standard library may carry
    /// a newer version. Characters assigned after 14.0 are unassigned (Cn, not printable)
    /// to Python 3.11, so they are treated as such here.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        guard let age = properties.age, age.major < 14 || (age.major == 14 && age.minor == 0) else {
            return false
        }
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    // MARK: - bytes

    /// `repr(bytes)`.
    public static func reprBytes(_ bytes: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = [UInt8(ascii: "b")]
        appendQuotedBytes(bytes, alwaysEscapeSingleQuote: false, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `repr(bytes)` of a long value shown by its first bytes, `prefix`, as `reprStrPrefix`
    /// does for str: the quote chosen for the whole value, `...` inside the quotes.
    public static func reprBytesPrefix(_ prefix: UnsafeRawBufferPointer, hasSingle: Bool, hasDouble: Bool) -> String {
        var out: [UInt8] = [UInt8(ascii: "b")]
        appendQuotedBytes(prefix, alwaysEscapeSingleQuote: false, quote: chooseQuote(hasSingle: hasSingle, hasDouble: hasDouble), cut: true, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `repr(bytearray)`. CPython's bytearray repr escapes `'` even inside double quotes.
    public static func reprBytearray(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = Array("bytearray(b".utf8)
        appendQuotedBytes(bytes, alwaysEscapeSingleQuote: true, to: &out)
        out.append(UInt8(ascii: ")"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendQuotedBytes(_ bytes: UnsafeRawBufferPointer, alwaysEscapeSingleQuote: Bool, quote chosen: UInt8? = nil,
                                          cut: Bool = false, to out: inout [UInt8]) {
        let quote = chosen ?? chooseQuote(hasSingle: bytes.contains(0x27), hasDouble: bytes.contains(0x22))
        // A double quote is only chosen when the data has none, so it never needs escaping.
        let escapedQuote = alwaysEscapeSingleQuote ? UInt8(ascii: "'") : quote
        out.reserveCapacity(out.count + bytes.count + 2)
        out.append(quote)
        for byte in bytes {
            if byte < 0x80 {
                appendASCII(byte, quote: escapedQuote, to: &out)
            } else {
                appendHexEscape(UInt32(byte), marker: "x", digits: 2, to: &out)
            }
        }
        if cut { out.append(contentsOf: [0x2E, 0x2E, 0x2E]) }
        out.append(quote)
    }

    // MARK: - Shared escaping

    /// Python prefers single quotes and switches only when that avoids escaping.
    private static func chooseQuote(hasSingle: Bool, hasDouble: Bool) -> UInt8 {
        hasSingle && !hasDouble ? UInt8(ascii: "\"") : UInt8(ascii: "'")
    }

    /// The ASCII part of the rules, which `str` and `bytes` reprs share; `quote` is the
    /// quote character that gets a backslash.
    private static func appendASCII(_ byte: UInt8, quote: UInt8, to out: inout [UInt8]) {
        switch byte {
        case quote, UInt8(ascii: "\\"):
            out.append(UInt8(ascii: "\\"))
            out.append(byte)
        case UInt8(ascii: "\t"):
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case UInt8(ascii: "\n"):
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case UInt8(ascii: "\r"):
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0..<0x20, 0x7F:
            appendHexEscape(UInt32(byte), marker: "x", digits: 2, to: &out)
        default:
            out.append(byte)
        }
    }

    private static func appendHexEscape(_ value: UInt32, marker: Unicode.Scalar, digits: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: marker))
        for index in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> (index * 4)) & 0xF
            out.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)  // lowercase, as CPython
        }
    }

    // MARK: - float

    /// `repr(float)`: the shortest round-trip digits, laid out as CPython's `'r'` format does.
    public static func reprFloat(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
        let (digits, decimalPoint) = shortestDigits(of: x.magnitude)
        guard let first = digits.first else { return x.description }

        var out: [UInt8] = x.sign == .minus ? [UInt8(ascii: "-")] : []
        // `decimalPoint` follows CPython's convention: value = 0.<digits> × 10^decimalPoint.
        if decimalPoint <= -4 || decimalPoint > 16 {
            out.append(first)
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits.dropFirst())
            }
            let exponent = decimalPoint - 1
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let exponentDigits = Array(String(exponent.magnitude).utf8)
            if exponentDigits.count < 2 { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: exponentDigits)
        } else if decimalPoint <= 0 {
            out.append(contentsOf: [UInt8(ascii: "0"), UInt8(ascii: ".")])
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -decimalPoint))
            out.append(contentsOf: digits)
        } else if decimalPoint < digits.count {
            out.append(contentsOf: digits[..<decimalPoint])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[decimalPoint...])
        } else {
            out.append(contentsOf: digits)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimalPoint - digits.count))
            out.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Swift's `description` already yields the shortest round-trip digits (the same
    /// digits CPython's dtoa mode 0 picks); only its layout differs, so re-parse it.
    private static func shortestDigits(of magnitude: Double) -> (digits: [UInt8], decimalPoint: Int) {
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        var inExponent = false
        var exponent = 0
        var exponentSign = 1
        for byte in magnitude.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent &* 10 &+ Int(byte - UInt8(ascii: "0"))
                } else {
                    digits.append(byte)
                    if !seenPoint { integerDigits += 1 }
                }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): exponentSign = -1
            default: break
            }
        }
        let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
        digits.removeFirst(leadingZeros)
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, integerDigits - leadingZeros + exponentSign * exponent)
    }

    // MARK: - int

    /// The decimal text of a signed two's-complement little-endian integer (LONG1/LONG4).
    /// Unlike `repr(int)` this never refuses long results; callers wanting CPython's
    /// refusal compare the digit count with `intMaxStrDigits`.
    public static func decimalFromTwosComplementLittleEndian(_ bytes: UnsafeRawBufferPointer) -> String {
        guard let lastByte = bytes.last else { return "0" }
        let negative = lastByte & 0x80 != 0

        var limbs = [UInt32](repeating: 0, count: (bytes.count + 3) / 4)
        for (index, byte) in bytes.enumerated() {
            limbs[index / 4] |= UInt32(byte) << ((index % 4) * 8)
        }
        if negative {
            // Sign-extend the top limb, then negate: ~x + 1 is the magnitude.
            let usedInTop = bytes.count % 4
            if usedInTop != 0 { limbs[limbs.count - 1] |= UInt32.max << (usedInTop * 8) }
            var carry: UInt64 = 1
            for index in limbs.indices {
                let sum = UInt64(~limbs[index]) + carry
                limbs[index] = UInt32(truncatingIfNeeded: sum)
                carry = sum >> 32
            }
        }

        // Peel off base-10^9 chunks, least significant first.
        let chunkBase: UInt64 = 1_000_000_000
        var chunks: [UInt32] = []
        var top = limbs.count
        while top > 0 && limbs[top - 1] == 0 { top -= 1 }
        while top > 0 {
            var remainder: UInt64 = 0
            for index in stride(from: top - 1, through: 0, by: -1) {
                let current = remainder << 32 | UInt64(limbs[index])
                limbs[index] = UInt32(truncatingIfNeeded: current / chunkBase)
                remainder = current % chunkBase
            }
            chunks.append(UInt32(truncatingIfNeeded: remainder))
            while top > 0 && limbs[top - 1] == 0 { top -= 1 }
        }
        guard let mostSignificant = chunks.last else { return "0" }

        var text = negative ? "-" : ""
        text.reserveCapacity(chunks.count * 9 + 1)
        text += String(mostSignificant)
        for chunk in chunks.dropLast().reversed() {
            let part = String(chunk)
            text += String(repeating: "0", count: 9 - part.utf8.count) + part
        }
        return text
    }

    /// `int(text)` for a bytes `text`, as canonical decimal text.
    public static func pythonIntFromDecimalText(_ text: UnsafeRawBufferPointer) throws(PythonReprError) -> String {
        func invalid(at position: Int) -> PythonReprError {
            // CPython shows at most 200 bytes, and at most 200 characters of their repr.
            let shown = reprBytes(UnsafeRawBufferPointer(rebasing: text.prefix(200)))
            return PythonReprError(message: "invalid literal for int() with base 10: \(shown.prefix(200))", position: position)
        }
        let end = text.count
        var index = skipSpaces(text, from: 0)
        var negative = false
        if index < end, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        let digitsStart = index
        var digits: [UInt8] = []
        while index < end {
            let byte = text[index]
            if isDigit(byte) {
                digits.append(byte)
            } else if byte == UInt8(ascii: "_"), index > digitsStart, index + 1 < end, isDigit(text[index + 1]) {
                // A single underscore between two digits is allowed; the digit before is
                // guaranteed because a preceding underscore would have stopped the loop.
            } else {
                break
            }
            index += 1
        }
        guard !digits.isEmpty else { throw invalid(at: index) }
        if index < end, text[index] == UInt8(ascii: "_") { throw invalid(at: index) }
        // CPython checks the length before looking at what follows the digits.
        if digits.count > intMaxStrDigits {
            throw PythonReprError(
                message: "Exceeds the limit (\(intMaxStrDigits) digits) for integer string conversion: value has \(digits.count) digits; use sys.set_int_max_str_digits() to increase the limit",
                position: digitsStart)
        }
        index = skipSpaces(text, from: index)
        guard index == end else { throw invalid(at: index) }

        let significant = digits.drop { $0 == UInt8(ascii: "0") }
        if significant.isEmpty { return "0" }
        return (negative ? "-" : "") + String(decoding: significant, as: UTF8.self)
    }

    // MARK: - float parsing

    /// `float(text)` for a bytes `text`.
    public static func pythonFloatFromText(_ text: UnsafeRawBufferPointer) throws(PythonReprError) -> Double {
        func invalid(at position: Int) -> PythonReprError {
            PythonReprError(message: "could not convert string to float: \(reprBytes(text))", position: position)
        }
        // CPython vets underscores over the whole text, whitespace included, before parsing.
        // Once vetted, every underscore sits inside a run of digits, so the scan below
        // can simply step over them.
        var hasUnderscore = false
        for (index, byte) in text.enumerated() where byte == UInt8(ascii: "_") {
            hasUnderscore = true
            guard index > 0, isDigit(text[index - 1]), index + 1 < text.count, isDigit(text[index + 1]) else {
                throw invalid(at: index)
            }
        }

        let start = skipSpaces(text, from: 0)
        var end = text.count
        guard start < end else { throw invalid(at: start) }
        while end > start + 1 && isSpace(text[end - 1]) { end -= 1 }

        var index = start
        var negative = false
        if text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        if let special = specialFloat(text, from: index, to: end, negative: negative) {
            return special
        }

        let integerDigits = skipDigits(text, from: index, to: end) - index
        index += integerDigits
        var fractionDigits = 0
        if index < end && text[index] == UInt8(ascii: ".") {
            fractionDigits = skipDigits(text, from: index + 1, to: end) - (index + 1)
            index += 1 + fractionDigits
        }
        guard integerDigits + fractionDigits > 0 else { throw invalid(at: start) }
        if index < end && (text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E")) {
            var exponentIndex = index + 1
            if exponentIndex < end, text[exponentIndex] == UInt8(ascii: "+") || text[exponentIndex] == UInt8(ascii: "-") {
                exponentIndex += 1
            }
            let exponentEnd = skipDigits(text, from: exponentIndex, to: end)
            // An exponent without digits is not consumed, so the text is then invalid.
            if exponentEnd > exponentIndex { index = exponentEnd }
        }
        guard index == end else { throw invalid(at: index) }

        var literal = Array(text[start..<end])
        if hasUnderscore { literal.removeAll { $0 == UInt8(ascii: "_") } }
        // The grammar is vetted above; Double(String) only does the correctly rounded conversion.
        guard let value = Double(String(decoding: literal, as: UTF8.self)) else { throw invalid(at: start) }
        return value
    }

    /// `inf`, `infinity` and `nan` in any case, which is all CPython accepts besides numbers.
    private static func specialFloat(_ text: UnsafeRawBufferPointer, from start: Int, to end: Int, negative: Bool) -> Double? {
        guard end - start <= 8 else { return nil }
        // Setting bit 5 folds ASCII case; only a letter's two cases fold onto that letter.
        let word = text[start..<end].map { $0 | 0x20 }
        let value: Double
        if word.elementsEqual("inf".utf8) || word.elementsEqual("infinity".utf8) {
            value = .infinity
        } else if word.elementsEqual("nan".utf8) {
            value = .nan
        } else {
            return nil
        }
        return negative ? -value : value
    }

    // MARK: - Decoders

    /// `codecs.escape_decode`: undoes the backslash escapes of a bytes literal.
    public static func escapeDecode(_ bytes: UnsafeRawBufferPointer) throws(PythonReprError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let end = bytes.count
        var index = 0
        while index < end {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let backslash = index
            index += 1
            guard index < end else {
                throw PythonReprError(message: "Trailing \\ in string", position: backslash)
            }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\n"): break
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(escape)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escape - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard index < end, let digit = octalValue(bytes[index]) else { break }
                    value = value * 8 + digit
                    index += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))  // \400 and up wrap, as in CPython
            case UInt8(ascii: "x"):
                guard index + 1 < end, let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                    throw PythonReprError(message: "invalid \\x escape at position \(backslash)", position: backslash)
                }
                out.append(UInt8(high << 4 | low))
                index += 2
            default:
                // Unknown escapes stay as written; the second byte is reread as ordinary text.
                out.append(UInt8(ascii: "\\"))
                index -= 1
            }
        }
        return out
    }

    /// `codecs.raw_unicode_escape_decode`: latin-1, except that `\uXXXX` and `\UXXXXXXXX`
    /// are escapes. A backslash pairs with the byte after it, so only an odd run of
    /// backslashes can start an escape.
    public static func rawUnicodeEscapeDecode(_ bytes: UnsafeRawBufferPointer) throws(PythonReprError) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        let end = bytes.count
        var index = 0
        while index < end {
            let byte = bytes[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < end else {
                out.append(UInt32(byte))
                continue
            }
            let escape = bytes[index]
            index += 1
            let digitCount: Int
            switch escape {
            case UInt8(ascii: "u"): digitCount = 4
            case UInt8(ascii: "U"): digitCount = 8
            default:
                out.append(UInt32(byte))
                out.append(UInt32(escape))
                continue
            }
            let start = index - 2
            var value: UInt32 = 0
            for _ in 0..<digitCount {
                guard index < end, let digit = hexValue(bytes[index]) else {
                    let reason = digitCount == 4 ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape"
                    throw PythonReprError(message: reason, position: start)
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            guard value <= 0x10FFFF else {
                throw PythonReprError(message: "\\Uxxxxxxxx out of range", position: start)
            }
            out.append(value)
        }
        return out
    }

    /// `bytes.decode('utf-8', 'surrogatepass')`: strict UTF-8 that also lets encoded
    /// surrogates (ED A0 80 – ED BF BF) through. Errors carry CPython's reason and start.
    public static func utf8DecodeSurrogatePass(_ bytes: UnsafeRawBufferPointer) throws(PythonReprError) -> [UInt32] {
        if !bytes.contains(where: { $0 >= 0x80 }) {
            return bytes.map { UInt32($0) }
        }
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count)
        let end = bytes.count
        var index = 0
        while index < end {
            let lead = bytes[index]
            if lead < 0x80 {
                out.append(UInt32(lead))
                index += 1
                continue
            }
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xE1...0xEF: length = 3  // ED A0..BF: surrogates, let through by surrogatepass
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default:
                throw PythonReprError(message: "invalid start byte", position: index)
            }
            var value = UInt32(lead) & (0xFF >> (length + 1))
            for offset in 1..<length {
                guard index + offset < end else {
                    // The strict decoder reports a surrogate prefix cut short as a bad
                    // continuation, and surrogatepass only rescues complete surrogates.
                    if lead == 0xED && offset == 2 && bytes[index + 1] >= 0xA0 {
                        throw PythonReprError(message: "invalid continuation byte", position: index)
                    }
                    throw PythonReprError(message: "unexpected end of data", position: index)
                }
                let byte = bytes[index + offset]
                guard offset == 1 ? secondRange.contains(byte) : (byte & 0xC0 == 0x80) else {
                    throw PythonReprError(message: "invalid continuation byte", position: index)
                }
                value = value << 6 | UInt32(byte & 0x3F)
            }
            out.append(value)
            index += length
        }
        return out
    }

    // MARK: - Byte classes

    /// CPython's `Py_ISSPACE`: the ASCII whitespace that `int()` and `float()` strip.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func skipSpaces(_ text: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < text.count && isSpace(text[index]) { index += 1 }
        return index
    }

    /// Skips digits and the (already vetted) underscores between them.
    private static func skipDigits(_ text: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int {
        var index = start
        while index < end && (isDigit(text[index]) || text[index] == UInt8(ascii: "_")) { index += 1 }
        return index
    }

    private static func octalValue(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
