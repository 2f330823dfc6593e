/// `pickletools.dis` of CPython 3.11, line for line: the same columns, reprs, MARK
/// indentation, memo annotations and closing "highest protocol" line, so its output can be
/// diffed against Python's. Files holding several pickles are disassembled one after another.
///
/// Like pickletools, a line is printed before the problem it shows is reported, so the
/// output ends at the offending instruction.
public struct Disassembler {
    public var options: DisassemblyOptions

    public init(options: DisassemblyOptions = DisassemblyOptions()) {
        self.options = options
    }

    /// Disassembles every pickle in the input; returns how many there were. `arrays` are
    /// joblib's raw array spans in stream order (see `JoblibArrayLayout`): each gets one line
    /// where it starts, and an object array's nested pickle is disassembled between labels.
    @discardableResult
    public func disassembleAll(_ reader: PickleReader, arrays: [JoblibArrayLayout] = [],
                               to output: inout some TextOutputStream) throws(PickleError) -> Int {
        var count = 0
        var next = 0
        repeat {
            try disassembleOne(reader, arrays: arrays, next: &next, to: &output)
            count += 1
        } while try !reader.isAtEnd()
        return count
    }

    /// Disassembles one pickle, through its STOP opcode.
    public func disassembleOne(_ reader: PickleReader, to output: inout some TextOutputStream) throws(PickleError) {
        var next = 0
        try disassembleOne(reader, arrays: [], next: &next, to: &output)
    }

    func disassembleOne(_ reader: PickleReader, arrays: [JoblibArrayLayout], next: inout Int,
                        to output: inout some TextOutputStream) throws(PickleError) {
        var stack = StackModel()
        var memo = MemoKeySet()
        var highestProtocol = -1
        var annotationColumn = options.annotate
        let indentUnit = String(repeating: " ", count: max(0, options.indentLevel))

        while true {
            guard let instruction = try reader.readInstruction() else {
                throw PickleError(offset: reader.offset, reason: .truncated(expected: "an opcode (the pickle has no STOP)"))
            }
            let opcode = instruction.opcode
            let argument = try ArgumentFormatter.text(of: instruction, reader: reader)
            // pickletools prints the offset column separately: annotation widths exclude it.
            var line = Self.opcodeColumn(opcode)
            line += String(repeating: indentUnit, count: stack.openMarks.count) + opcode.name
            highestProtocol = max(highestProtocol, opcode.protocolVersion)

            let effect = opcode.stackEffect
            var popCount = effect.popsBelowMark
            var note: String?
            var problem: String?
            if effect.usesMark || (opcode == .pop && stack.topIsMark) {
                if let markOffset = stack.popThroughMark() {
                    note = "(MARK at \(markOffset))"
                    popCount = effect.usesMark ? effect.popsBelowMark : 0
                } else {
                    problem = "no MARK exists on stack"
                    note = problem
                }
            }
            if opcode.isMemoPut {
                let key: MemoKey
                if opcode == .memoize {
                    key = .index(UInt64(memo.count))
                    note = "(as \(memo.count))"
                } else {
                    key = MemoKey(printed: argument ?? "")
                }
                if memo.contains(key) {
                    problem = "memo key \(argument ?? "None") already defined"
                } else if stack.depth == 0 {
                    problem = "stack is empty -- can't store into memo"
                } else if stack.topIsMark {
                    problem = "can't store markobject in the memo"
                } else {
                    _ = memo.insert(key)
                    if memo.count > options.maximumMemoEntries {
                        throw PickleError(offset: instruction.offset, opcode: opcode, reason: .limitExceeded(
                            limit: "memo entry limit", value: UInt64(options.maximumMemoEntries), option: "--max-memo"))
                    }
                }
            } else if opcode.isMemoGet, !memo.contains(MemoKey(printed: argument ?? "")) {
                problem = "memo key \(argument ?? "None") has never been stored into"
            }

            if argument != nil || note != nil {
                line += String(repeating: " ", count: max(0, 10 - opcode.name.count))
                if let argument { line += " " + argument }
                if let note { line += " " + note }
            }
            if options.annotate > 0 {
                let width = line.unicodeScalars.count
                line += String(repeating: " ", count: max(0, annotationColumn - width))
                annotationColumn = max(width, annotationColumn)
                if annotationColumn > 50 { annotationColumn = options.annotate }
                line += " " + opcode.summary
            }
            output.write(Self.offsetColumn(instruction.offset) + line + "\n")

            if let problem {
                throw PickleError(offset: instruction.offset, opcode: opcode, reason: .malformed(problem))
            }
            try stack.pop(popCount, at: instruction)
            if effect.pushesMark {
                guard stack.openMarks.count < options.maximumMarkDepth else {
                    throw PickleError(offset: instruction.offset, opcode: opcode, reason: .limitExceeded(
                        limit: "MARK nesting limit", value: UInt64(options.maximumMarkDepth), option: "--max-depth"))
                }
                stack.pushMark(at: instruction.offset)
            }
            stack.push(effect.pushes)
            if opcode == .stop { break }
            while next < arrays.count, arrays[next].offset == reader.offset {
                let array = arrays[next]
                next += 1
                try skipArray(array, reader: reader, to: &output)
            }
        }
        output.write("highest protocol among opcodes = \(highestProtocol)\n")
        if stack.depth != 0 {
            throw PickleError(offset: reader.offset, opcode: .stop, reason: .malformed("stack not empty after STOP"))
        }
    }

    /// One line for an array's raw bytes, which are not opcodes; an object array's nested
    /// pickle is disassembled (offsets stay those of the stream) between two labels.
    private func skipArray(_ array: JoblibArrayLayout, reader: PickleReader, to output: inout some TextOutputStream) throws(PickleError) {
        let what = "dtype \(array.dtype), shape \(Self.shapeText(array.shape)), order \(array.order)"
        if array.isObjectArray {
            output.write(Self.offsetColumn(array.offset) + "<object array: \(what), elements pickled in the next \(array.spanBytes) bytes>\n")
            try Disassembler(options: options).disassembleOne(reader, to: &output)
            output.write(Self.offsetColumn(reader.offset) + "<end of object array>\n")
            return
        }
        var line = "<array data: \(what), \(array.dataBytes) bytes"
        if let padding = array.paddingBytes {
            line += ", after \(padding) bytes of alignment padding"
            let count = try reader.readRawByte(expected: "joblib padding length byte")
            try reader.skipRaw(UInt64(count), expected: "\(count) bytes of joblib array padding")
        }
        output.write(Self.offsetColumn(array.offset) + line + ">\n")
        try reader.skipRaw(array.dataBytes, expected: "\(array.dataBytes) bytes of array data")
    }

    /// A shape as Python prints the tuple: `(3,)`, `(100, 20)`, `()`.
    static func shapeText(_ shape: [Int64]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// `"%5d:" % pos` followed by a blank.
    static func offsetColumn(_ offset: UInt64) -> String {
        String(offset).leftPadded(to: 5, with: " ") + ": "
    }

    /// `"%-4s " % repr(opcode.code)[1:-1]`: the opcode byte as Python escapes a 1-char str.
    static func opcodeColumn(_ opcode: PickleOpcode) -> String {
        let byte = opcode.rawValue
        let shown = byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16).leftPadded(to: 2)
        return shown + String(repeating: " ", count: max(0, 4 - shown.count)) + " "
    }
}

/// The unpickling stack as pickletools models it: only how many objects sit above each MARK.
struct StackModel {
    /// Offsets of the MARKs still open, innermost last.
    private(set) var openMarks: [UInt64] = []
    /// Objects above each open MARK; the first entry counts those below every MARK.
    private var segments: [Int] = [0]
    /// Objects and MARKs on the stack (pickletools' `len(stack)`).
    private(set) var depth = 0

    var topIsMark: Bool { !openMarks.isEmpty && segments[segments.count - 1] == 0 }

    /// Removes the innermost MARK and everything above it; returns the MARK's offset.
    mutating func popThroughMark() -> UInt64? {
        guard let offset = openMarks.popLast() else { return nil }
        depth -= segments.removeLast() + 1
        return offset
    }

    mutating func pop(_ count: Int, at instruction: PickleInstruction) throws(PickleError) {
        guard count > 0 else { return }
        let available = segments[segments.count - 1]
        guard available >= count else {
            let detail = openMarks.isEmpty || depth - openMarks.count < count
                ? "tries to pop \(count) items from stack with only \(depth) items"
                : "needs \(count) objects above the MARK at \(openMarks[openMarks.count - 1]) but finds \(available)"
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed(detail))
        }
        segments[segments.count - 1] = available - count
        depth -= count
    }

    mutating func push(_ count: Int) {
        segments[segments.count - 1] += count
        depth += count
    }

    mutating func pushMark(at offset: UInt64) {
        openMarks.append(offset)
        segments.append(0)
        depth += 1
    }
}
