/// Protocols 0-2 have no opcode for bytes. A pickler writes `_codecs.encode(text, 'latin1')`,
/// one character per byte (every bytes value, numpy scalars' raw data among them), `bytes()`
/// for b'', and protocols 0-4 `bytearray(bytes)`. The argument tuple is folded into one
/// bytes value while it is built, with the text's span still at hand, so the value reads
/// as the bytes it is at protocol 3+: its length, its preview, never a str.
extension SymbolicMachine {
    /// The items `stack[start...]` about to become a tuple, as one bytes value when they are
    /// the arguments of `_codecs.encode` (`(text, 'latin1')`) or of `bytearray` (`(bytes,)`).
    func foldedCallArguments(from start: Int) -> StackValue? {
        guard start > (marks.last?.stackIndex ?? 0), stack[start - 1].kind == .global, let callable = globalName(stack[start - 1]) else { return nil }
        switch (callable, stack.count - start) {
        case ("_codecs.encode", 2):
            let text = stack[start], encoding = stack[start + 1]
            guard text.kind == .str, encoding.kind == .str,
                  let name = self.text(of: encoding, limit: 16), name == "latin1" || name == "latin-1" else { return nil }
            if text.isReference {
                // The text was pickled before (CPython caches one-character strings, and
                // `str(b, 'latin1')` returns them): its bytes are the memo's text.
                guard let string = self.text(of: text), string.unicodeScalars.allSatisfy({ $0.value < 0x100 }) else { return nil }
                let bytes = string.unicodeScalars.map { UInt8($0.value) }
                var value = StackValue.scalar(.bytes, bytes: text.bytes &+ encoding.bytes, memory: MemoryModel.bytes(count: UInt64(bytes.count)))
                value.isEncodedText = true
                value.payload = Int64(bytes.count)
                foldedReprs[stack[start - 1].start] = bytes.withUnsafeBytes { PythonRepr.reprBytes($0) }
                return value
            }
            guard let count = characterCount(text) else { return nil }
            var value = StackValue.scalar(.bytes, bytes: text.bytes &+ encoding.bytes, memory: MemoryModel.bytes(count: count))
            value.span = text.span
            value.spelling = text.spelling
            value.isEncodedText = true
            value.payload = Int64(count)
            return value
        case ("builtins.bytearray", 1), ("__builtin__.bytearray", 1):
            guard stack[start].kind == .bytes, !stack[start].isReference else { return nil }
            return stack[start]
        default:
            return nil
        }
    }

    /// Characters of a str value: code points of its text (bytes of the encoded value).
    private func characterCount(_ text: StackValue) -> UInt64? {
        if text.span.count == 0 { return 0 }
        guard text.span.count <= UInt64(reader.window.maximumCapacity) else {
            return text.spelling == .utf8 ? nil : text.span.count
        }
        return try? reader.withArgumentBytes(text.span) { bytes in
            text.spelling == .utf8 ? TextWidth.measure(bytes).count : text.spelling.codePoints(bytes).map { UInt64($0.count) }
        } ?? nil
    }

    /// A REDUCE whose arguments were folded: the bytes (or bytearray) value itself.
    func reduceFolded(_ name: String?, arguments: StackValue, ownBytes: UInt64, _ instruction: PickleInstruction,
                      from origin: StreamPoint) throws(PickleError) -> Bool {
        guard arguments.kind == .bytes, !arguments.isNode, !arguments.isReference else { return false }
        var value = arguments
        value.bytes &+= ownBytes
        switch name {
        case "_codecs.encode" where arguments.isEncodedText:
            break
        case "builtins.bytearray", "__builtin__.bytearray":
            let count = UInt64(max(0, arguments.isEncodedText ? arguments.payload : Int64(clamping: arguments.span.count)))
            value = .scalar(.bytearray, bytes: value.bytes, memory: MemoryModel.bytearray(count: count))
        default:
            return false
        }
        try push(value, instruction, from: origin)
        return true
    }

    /// Whether the str about to be pushed is the text of `_codecs.encode(text, 'latin1')`:
    /// bytes, not a string (the global sits right below it, under a MARK at protocols 0-1).
    var isPushingEncodedText: Bool {
        guard let top = stack.last, top.kind == .global else { return false }
        return globalName(top) == "_codecs.encode"
    }
}

extension TextSpelling {
    /// The code points `bytes` spell; nil when they are malformed.
    func codePoints(_ bytes: UnsafeRawBufferPointer) -> [UInt32]? {
        switch self {
        case .utf8:
            return try? PythonRepr.utf8DecodeSurrogatePass(bytes)
        case .rawUnicodeEscape:
            return try? PythonRepr.rawUnicodeEscapeDecode(bytes)
        case .latin1:
            return bytes.map(UInt32.init)
        case .quotedLiteral:
            guard bytes.count >= 2, let quote = bytes.first, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\""),
                  bytes.last == quote else { return nil }
            return (try? PythonRepr.escapeDecode(UnsafeRawBufferPointer(rebasing: bytes[1..<(bytes.count - 1)])))?.map(UInt32.init)
        }
    }
}
