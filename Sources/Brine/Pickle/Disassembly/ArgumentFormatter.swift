/// Turns an instruction's argument into the text `pickletools.dis` prints for it:
/// the `repr` of the Python value pickletools' argument reader returns.
/// Errors mirror the cases where pickletools' readers raise.
enum ArgumentFormatter {
    /// The printed argument, or nil for opcodes without one.
    static func text(of instruction: PickleInstruction, reader: PickleReader) throws(PickleError) -> String? {
        let opcode = instruction.opcode
        let offset = instruction.offset
        func invalid(_ error: PythonReprError) -> PickleError {
            PickleError(offset: offset, opcode: opcode, reason: .invalidArgument(error.message))
        }
        switch instruction.argument {
        case .none:
            return nil
        case .integer(let value):
            return String(value)
        case .unsigned(let value):
            return String(value)
        case .float(let value):
            return PythonRepr.reprFloat(value)
        case .data(let span):
            return try reader.withArgumentBytes(span) { bytes throws(PickleError) in
                switch opcode.argumentKind {
                case .long1, .long4:
                    return PythonRepr.decimalFromTwosComplementLittleEndian(bytes)
                case .string1, .string4:
                    // pickletools decodes these as latin-1.
                    return PythonRepr.reprStr(bytes.map { UInt32($0) })
                case .bytes1, .bytes4, .bytes8:
                    return PythonRepr.reprBytes(bytes)
                case .bytearray8:
                    return PythonRepr.reprBytearray(bytes)
                default:
                    do throws(PythonReprError) { return PythonRepr.reprStr(try PythonRepr.utf8DecodeSurrogatePass(bytes)) } catch { throw invalid(error) }
                }
            }
        case .line(let span):
            return try reader.withArgumentBytes(span) { bytes throws(PickleError) in
                do throws(PythonReprError) { return try lineText(bytes, kind: opcode.argumentKind) } catch { throw invalid(error) }
            }
        case .linePair(let module, let name):
            let first = try reader.withArgumentBytes(module) { bytes throws(PickleError) in
                do throws(PythonReprError) { return try asciiLine(bytes) } catch { throw invalid(error) }
            }
            let second = try reader.withArgumentBytes(name) { bytes throws(PickleError) in
                do throws(PythonReprError) { return try asciiLine(bytes) } catch { throw invalid(error) }
            }
            return PythonRepr.reprStr(first + [0x20] + second)
        }
    }

    /// pickletools' readers for newline-terminated arguments.
    private static func lineText(_ bytes: UnsafeRawBufferPointer, kind: PickleArgumentKind) throws(PythonReprError) -> String {
        switch kind {
        case .decimalLineShort:
            return try decimalShort(bytes)
        case .decimalLineLong:
            let digits = bytes.last == UInt8(ascii: "L") ? UnsafeRawBufferPointer(rebasing: bytes.dropLast()) : bytes
            return try PythonRepr.pythonIntFromDecimalText(digits)
        case .floatLine:
            return PythonRepr.reprFloat(try PythonRepr.pythonFloatFromText(bytes))
        case .quotedLine:
            return PythonRepr.reprStr(try quotedString(bytes))
        case .unicodeLine:
            return PythonRepr.reprStr(try PythonRepr.rawUnicodeEscapeDecode(bytes))
        default:
            return PythonRepr.reprStr(try asciiLine(bytes))
        }
    }

    /// INT, GET and PUT: "00" and "01" are False and True; a trailing "L" is refused.
    static func decimalShort(_ bytes: UnsafeRawBufferPointer) throws(PythonReprError) -> String {
        if bytes.last == UInt8(ascii: "L") {
            throw PythonReprError(message: "invalid format; L not allowed", position: bytes.count - 1)
        }
        if bytes.count == 2, bytes[0] == UInt8(ascii: "0") {
            if bytes[1] == UInt8(ascii: "0") { return "False" }
            if bytes[1] == UInt8(ascii: "1") { return "True" }
        }
        return try PythonRepr.pythonIntFromDecimalText(bytes)
    }

    /// STRING's argument as `pickle.loads(data, encoding='latin1')` reads it, the way Python 2
    /// pickles are loaded (numpy, joblib and torch pass that encoding): quotes stripped,
    /// escapes undone, each byte one code point. pickletools (and `text(of:)`) decode ASCII
    /// and refuse other bytes; so does `pickle.loads` with its default encoding='ASCII'.
    static func latin1String(of instruction: PickleInstruction, reader: PickleReader) throws(PickleError) -> String? {
        guard instruction.opcode == .string, case .line(let span) = instruction.argument else { return nil }
        return try reader.withArgumentBytes(span) { bytes throws(PickleError) in
            do throws(PythonReprError) { return PythonRepr.reprStr(try quotedString(bytes, latin1: true)) } catch {
                throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .invalidArgument(error.message))
            }
        }
    }

    /// STRING: quotes stripped, escapes undone, then decoded as ASCII (pickletools) or latin-1.
    private static func quotedString(_ bytes: UnsafeRawBufferPointer, latin1: Bool = false) throws(PythonReprError) -> [UInt32] {
        guard let quote = bytes.first, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw PythonReprError(message: "no string quotes around \(PythonRepr.reprBytes(bytes))", position: 0)
        }
        guard bytes.count >= 2, bytes.last == quote else {
            throw PythonReprError(message: "string quote not found at both ends of \(PythonRepr.reprBytes(bytes))", position: 0)
        }
        let inner = UnsafeRawBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])
        let decoded = try PythonRepr.escapeDecode(inner)
        return latin1 ? decoded.map(UInt32.init) : try ascii(decoded)
    }

    /// PERSID, GLOBAL and INST: escapes undone (no quotes), then decoded as ASCII.
    static func asciiLine(_ bytes: UnsafeRawBufferPointer) throws(PythonReprError) -> [UInt32] {
        let decoded = try PythonRepr.escapeDecode(bytes)
        return try ascii(decoded)
    }

    private static func ascii(_ bytes: [UInt8]) throws(PythonReprError) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(bytes.count)
        for (position, byte) in bytes.enumerated() {
            guard byte < 0x80 else {
                throw PythonReprError(message: "'ascii' codec can't decode byte 0x\(String(byte, radix: 16))", position: position)
            }
            result.append(UInt32(byte))
        }
        return result
    }
}
