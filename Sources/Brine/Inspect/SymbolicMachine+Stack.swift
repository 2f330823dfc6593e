/// Stack, memo and scalar decoding of the symbolic machine.
extension SymbolicMachine {
    /// Values above the innermost MARK (a MARK is never an object).
    var stackAboveMark: Int { stack.count - (marks.last?.stackIndex ?? 0) }

    /// Pushes `value`; `start` is where its instructions began when it was built from
    /// values already consumed (default: this instruction).
    /// Pushes `value`, built by the instructions from `origin` (the instruction itself when nil).
    func push(_ value: StackValue, _ instruction: PickleInstruction, from origin: StreamPoint? = nil) throws(PickleError) {
        guard stack.count < options.maximumStackDepth else {
            throw limit(instruction, "stack depth limit", options.maximumStackDepth, "--max-stack")
        }
        var placed = value
        placed.start = origin?.offset ?? instruction.offset
        placed.memoStart = origin?.memo ?? memo.sequentialMark
        stack.append(placed)
    }

    func pop(_ instruction: PickleInstruction) throws(PickleError) -> StackValue {
        guard stackAboveMark > 0 else { throw underflow(instruction, needs: 1) }
        return stack.removeLast()
    }

    func popMark(_ instruction: PickleInstruction) throws(PickleError) -> OpenMark {
        guard let mark = marks.popLast() else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed("no MARK exists on stack"))
        }
        return mark
    }

    /// The node at the top of the stack (below the values the instruction consumes).
    func topNode(_ instruction: PickleInstruction) throws(PickleError) -> Int {
        guard stackAboveMark > 0 else { throw underflow(instruction, needs: 1) }
        return try node(at: stack.count - 1, instruction)
    }

    /// The container just below a consumed MARK (APPENDS, SETITEMS, ADDITEMS extend it).
    func nodeBelow(_ mark: OpenMark, _ instruction: PickleInstruction) throws(PickleError) -> Int {
        guard mark.stackIndex > (marks.last?.stackIndex ?? 0) else { throw underflow(instruction, needs: 1) }
        return try node(at: mark.stackIndex - 1, instruction)
    }

    func node(at index: Int, _ instruction: PickleInstruction) throws(PickleError) -> Int {
        let value = stack[index]
        guard value.isNode else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode,
                              reason: .malformed("\(instruction.opcode.name) needs a container, found \(value.kind.pythonName)"))
        }
        return value.node
    }

    func underflow(_ instruction: PickleInstruction, needs count: Int) -> PickleError {
        PickleError(offset: instruction.offset, opcode: instruction.opcode,
                    reason: .malformed("needs \(count) objects on the stack, finds \(stackAboveMark)"))
    }

    func limit(_ instruction: PickleInstruction, _ name: String, _ value: Int, _ option: String) -> PickleError {
        PickleError(offset: instruction.offset, opcode: instruction.opcode,
                    reason: .limitExceeded(limit: name, value: UInt64(value), option: option))
    }

    /// Charges an instruction's bytes to the value on top of the stack.
    func chargeTop(_ bytes: UInt64, _ instruction: PickleInstruction) throws(PickleError) {
        guard stackAboveMark > 0 else { throw underflow(instruction, needs: 1) }
        let index = stack.count - 1
        if stack[index].isNode && !stack[index].isReference {
            graph.nodes[stack[index].node].ownBytes &+= bytes
        } else {
            stack[index].bytes &+= bytes
        }
    }

    /// A value thrown away by POP: its bytes are overhead.
    func discard(_ value: StackValue) {
        overheadBytes &+= value.bytes
        if value.isNode && !value.isReference {
            recomputeTotals(from: NodeID(index: value.node))
            overheadBytes &+= graph.nodes[value.node].totalBytes
            graph.nodes[value.node].isAbsorbed = true
        }
    }

    func newNode(_ kind: ValueKind, at offset: UInt64, ownBytes: UInt64) -> NodeID {
        var node = ObjectNode(kind: kind, offset: offset)
        node.ownBytes = ownBytes
        return graph.add(node)
    }

    /// The node for a top-level value; scalars get a node of their own.
    func materialize(_ value: StackValue, at offset: UInt64) -> NodeID {
        if value.isNode && !value.isReference {
            graph.nodes[value.node].ownBytes &+= value.bytes
            return NodeID(index: value.node)
        }
        let id = newNode(value.kind, at: offset, ownBytes: value.bytes)
        graph.nodes[id.index].ownMemory = value.memory
        graph.nodes[id.index].value = preview(of: value)
        return id
    }

    // MARK: memo

    func memoize(_ instruction: PickleInstruction) throws(PickleError) {
        guard stackAboveMark > 0 else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed("stack is empty -- can't store into memo"))
        }
        let index: Int64
        switch instruction.argument {
        case .integer(let value): index = value
        case .line(let span): index = try memoIndex(span, instruction)
        default: index = Int64(memo.count)
        }
        guard memo.count < options.maximumMemoEntries else {
            throw limit(instruction, "memo entry limit", options.maximumMemoEntries, "--max-memo")
        }
        let top = stack.count - 1
        if let previous = memo.text(at: index) {
            // A store over an index in use: GETs of it still on the stack fetched the old
            // value (CPython's GET takes the value at that moment). The nearest 4,096 values
            // are looked at, which bounds a hostile stream's cost; one deeper loses its text.
            for position in stack.indices.reversed().prefix(4096)
            where stack[position].isReference && stack[position].memoIndex == index && referenceTexts[stack[position].start] == nil {
                referenceTexts[stack[position].start] = previous
            }
        }
        // A GET stored again under another index (pickle never writes it; CPython accepts it):
        // the same object, so the same text.
        let carried = !stack[top].isReference ? nil : stack[top].kind == .str ? text(of: stack[top])
            : stack[top].kind == .bytes ? bytesRepr(of: stack[top]) : nil
        guard memo.store(stack[top], at: index) else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed("memo index \(index) out of range"))
        }
        stack[top].memoIndex = index
        memoStores += 1
        if let carried {
            memo.setText(carried, at: index)
            // The GET keeps what it fetched, whatever is later stored over either index.
            referenceTexts[stack[top].start] = carried
        }
        if !memo.surrogateTexts.isEmpty { memo.surrogateTexts[index] = nil }
        if stack[top].kind == .bytes, !stack[top].isReference, stack[top].span.count <= UInt64(Self.rememberedTextLimit) {
            _ = bytesRepr(of: stack[top])
        } else if stack[top].kind == .str, !stack[top].isReference, stack[top].span.count <= UInt64(Self.rememberedTextLimit) {
            // Keep the text now, while its bytes are in the window: any later GET of it may
            // name a part (attribute names of every object, a value reused as a dict key) or
            // be an operand of STACK_GLOBAL.
            if let text = text(of: stack[top], limit: Self.rememberedTextLimit), text.unicodeScalars.contains("\u{FFFD}"),
               let points = textPoints(of: stack[top], limit: Self.rememberedTextLimit), points.contains(where: { (0xD800...0xDFFF).contains($0) }) {
                memo.surrogateTexts[index] = points
            }
        }
        try chargeTop(instruction.length, instruction)
    }

    /// Whether the value at `index` is a key about to go into a small dict: an even slot
    /// above a MARK over a dict (SETITEMS), or right above a dict with no MARK (SETITEM).
    private func isDictKeyPosition(_ index: Int) -> Bool {
        func isSmallDict(_ position: Int) -> Bool {
            guard position >= 0, stack[position].isNode, !stack[position].isReference else { return false }
            let node = graph.nodes[stack[position].node]
            return (node.kind == .dict || node.kind == .instance) && !node.isLarge
        }
        let base = marks.last?.stackIndex ?? 0
        if let mark = marks.last, (index - mark.stackIndex) % 2 == 0, isSmallDict(mark.stackIndex - 1) { return true }
        return index - 1 >= base && isSmallDict(index - 1)
    }

    func recall(_ instruction: PickleInstruction) throws(PickleError) {
        let index: Int64
        switch instruction.argument {
        case .integer(let value): index = value
        case .line(let span): index = try memoIndex(span, instruction)
        default: preconditionFailure("GET without argument")
        }
        guard var value = memo.load(index, bytes: instruction.length, span: ByteSpan(offset: 0, count: 0)) else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode,
                              reason: .malformed("memo key \(index) has never been stored into"))
        }
        if !value.isNode, memo.hasScannedRuns, let restored = restoredScannedValue(value) { value = restored }
        if value.isNode {
            graph.nodes[value.node].isShared = true
            if dtypes[value.node] != nil { dtypeMemoUses[value.node, default: 0] += 1 }
        }
        if memo.hasOverwrites, value.kind == .str || value.kind == .bytes, let text = memo.text(at: index) {
            // A later store over this index must not change what this GET fetched.
            referenceTexts[instruction.offset] = text
        }
        try push(value, instruction)
    }

    private func memoIndex(_ span: ByteSpan, _ instruction: PickleInstruction) throws(PickleError) -> Int64 {
        let text = try reader.withArgumentBytes(span) { bytes throws(PickleError) in
            do throws(PythonReprError) { return try ArgumentFormatter.decimalShort(bytes) } catch {
                throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .invalidArgument(error.message))
            }
        }
        switch text {
        case "True": return 1
        case "False": return 0
        default:
            guard let value = Int64(text) else {
                throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .invalidArgument("memo key \(text) out of range"))
            }
            return value
        }
    }

    // MARK: scalars

    func integerValue(_ instruction: PickleInstruction) throws(PickleError) -> StackValue {
        var value = StackValue.scalar(.int, bytes: instruction.length, memory: 0)
        switch instruction.argument {
        case .integer(let number):
            value.payload = number
            value.hasExactInteger = true
        case .data(let span):
            if span.count <= 8 {
                let number = try reader.withArgumentBytes(span) { bytes in
                    var result: Int64 = 0
                    for (index, byte) in bytes.enumerated() { result |= Int64(byte) << (8 * Int64(index)) }
                    // Sign-extend from the top byte.
                    let shift = Int64(64 - 8 * bytes.count)
                    return bytes.isEmpty ? 0 : (result << shift) >> shift
                }
                value.payload = number
                value.hasExactInteger = true
            } else {
                // Too wide for Int64: `intRepr(of:)` reads the two's complement bytes again.
                value.span = span
                value.spelling = .latin1
            }
            value.memory = MemoryModel.int(magnitudeBits: Int(min(span.count, 1 << 40)) * 8, smallValue: value.hasExactInteger ? value.payload : nil)
            return value
        case .line(let span):
            let text = try reader.withArgumentBytes(span) { String(decoding: $0, as: UTF8.self) }
            let trimmed = text.hasSuffix("L") ? String(text.dropLast()) : text
            if instruction.opcode == .int, trimmed == "00" || trimmed == "01" {
                value.kind = .bool
                value.payload = trimmed == "01" ? 1 : 0
                value.hasExactInteger = true
                return value
            }
            if let number = Int64(trimmed.trimmingSpaces) {
                value.payload = number
                value.hasExactInteger = true
            } else {
                // Too wide for Int64: `intRepr(of:)` reads the decimal line again.
                value.span = span
                value.spelling = .utf8
            }
            value.memory = MemoryModel.int(magnitudeBits: Int(span.count) * 4, smallValue: value.hasExactInteger ? value.payload : nil)
            return value
        default:
            break
        }
        let magnitude = value.payload == Int64.min ? 64 : 64 - abs(value.payload).leadingZeroBitCount
        value.memory = MemoryModel.int(magnitudeBits: magnitude, smallValue: value.payload)
        return value
    }

    func stringValue(_ instruction: PickleInstruction) throws(PickleError) -> StackValue {
        var value = StackValue.scalar(.str, bytes: instruction.length, memory: 0)
        switch instruction.opcode {
        case .unicode: value.spelling = .rawUnicodeEscape
        case .string: value.spelling = .quotedLiteral
        case .binstring, .shortBinstring: value.spelling = .latin1
        default: break
        }
        switch instruction.argument {
        case .data(let span), .line(let span):
            value.span = span
            if span.count <= UInt64(reader.window.maximumCapacity) {
                let spelling = value.spelling
                let measured = try reader.withArgumentBytes(span) { bytes in
                    spelling == .utf8 ? TextWidth.measure(bytes) : TextWidth.measure(codePoints: spelling.codePoints(bytes) ?? [])
                }
                value.memory = MemoryModel.str(count: measured.count, width: measured.width, ascii: measured.ascii)
            } else {
                value.memory = MemoryModel.str(count: span.count, width: 1, ascii: true)
            }
        default:
            break
        }
        return value
    }

    /// The text of a str value, for names and previews; nil when it is not a str or
    /// its bytes are no longer reachable (a compressed stream that moved past them).
    func text(of value: StackValue, limit: Int = 4096) -> String? {
        guard value.kind == .str else { return nil }
        if value.isReference, memo.hasOverwrites {
            if let fetched = referenceTexts[value.start] { return fetched }
            if memo.overwritten.contains(value.memoIndex) { return nil }  // fetched before the store over it: not kept
        }
        // A value that is not a GET was the entry when stored; after an overwrite it may no
        // longer be, so its own bytes come first.
        if value.memoIndex >= 0, value.isReference || !memo.hasOverwrites, let cached = memo.text(at: value.memoIndex) { return cached }
        guard value.span.count > 0 || value.span.offset > 0 else { return value.isReference ? nil : "" }
        // An escape (at most 10 bytes, `\UXXXXXXXX`) spells one character: a prefix long
        // enough for `limit` characters, cut back to where it decodes. A quoted literal
        // decodes whole only.
        let wide = value.spelling == .utf8 || value.spelling == .latin1 ? 1 : 10
        let wanted = UInt64(limit) &* UInt64(wide)
        let isPrefix = value.spelling != .quotedLiteral && value.span.count > wanted
        guard isPrefix || value.spelling == .utf8 || value.span.count <= UInt64(max(limit, 4096)) else { return nil }
        let span = ByteSpan(offset: value.span.offset, count: isPrefix ? wanted : value.span.count)
        let spelling = value.spelling
        guard let text = try? reader.withArgumentBytes(span, { bytes -> String? in
            guard spelling != .utf8 else { return String(decoding: bytes, as: UTF8.self) }
            var end = bytes.count
            var points = spelling.codePoints(bytes)
            while points == nil, isPrefix, end > max(0, bytes.count - 10) {
                end -= 1
                points = spelling.codePoints(UnsafeRawBufferPointer(rebasing: bytes[..<end]))
            }
            guard let points else { return nil }
            return String(String.UnicodeScalarView(points.prefix(limit).map { Unicode.Scalar($0) ?? "\u{FFFD}" }))
        }) ?? nil else { return nil }
        // A GET's text is re-read from its entry's bytes (a batch the fast path took): not cached,
        // which would take the entry off the fast path's plain scalars.
        if !value.isReference, value.span.count <= UInt64(limit), memo.isCurrent(value) { memo.setText(text, at: value.memoIndex) }
        return text
    }

    /// Python's `repr` of a bytes value (`b'k'`), for a dict key; remembered in the memo as a
    /// str's text is. Nil when its bytes are no longer reachable or too long to name a part.
    func bytesRepr(of value: StackValue) -> String? {
        guard value.kind == .bytes else { return nil }
        if value.isReference, memo.hasOverwrites {
            if let fetched = referenceTexts[value.start] { return fetched }
            if memo.overwritten.contains(value.memoIndex) { return nil }  // fetched before the store over it: not kept
        }
        if value.memoIndex >= 0, value.isReference || !memo.hasOverwrites, let cached = memo.text(at: value.memoIndex) { return cached }
        guard !value.isReference, value.span.count <= UInt64(Self.rememberedTextLimit) else { return nil }
        let spelling = value.spelling, encoded = value.isEncodedText
        let folded = encoded && value.span.count == 0 && value.payload > 0
        guard let repr = folded ? foldedReprs[value.start] : try? reader.withArgumentBytes(value.span, { bytes -> String? in
            guard encoded else { return PythonRepr.reprBytes(bytes) }
            let points = spelling == .utf8 ? String(decoding: bytes, as: UTF8.self).unicodeScalars.map(\.value) : spelling.codePoints(bytes)
            guard let points, points.allSatisfy({ $0 < 256 }) else { return nil }
            return points.map { UInt8($0) }.withUnsafeBytes { PythonRepr.reprBytes($0) }
        }) ?? nil else { return nil }
        if memo.isCurrent(value) { memo.setText(repr, at: value.memoIndex) }
        return repr
    }

    /// Strings up to this many bytes keep their text in the memo when stored.
    static let rememberedTextLimit = 4096

    /// A GET of an entry the fast path stored (one byte of kind in the memo): the value the
    /// general machine would have pushed, re-read from the batch's bytes: a str's span (its
    /// text, surrogates included), an int's, float's or bool's value. A positional re-read for
    /// files; nil when a compressed stream moved past the batch, or the entry was stored again.
    func restoredScannedValue(_ value: StackValue, depth: Int = 0) -> StackValue? {
        let index = value.memoIndex
        guard depth < 8, index >= 0, value.node < 0, !memo.overwritten.contains(index),
              let run = memo.scannedRun(containing: index), run.span.count <= UInt64(Self.largeBatchBuffer) else { return nil }
        enum Found { case item(ScannedItem), memo(Int64) }
        let wanted = Int(index - run.firstIndex)
        // Every 64th store's offset in the batch, kept once the batch was walked: a later
        // restore walks at most 64 items, so GETs cost O(1) however many there are.
        let checkpoints = memo.scannedCheckpoints[run.firstIndex]
        var built: [UInt32]? = checkpoints == nil ? [] : nil
        let found: Found?? = try? reader.withArgumentBytes(run.span) { bytes -> Found? in
            memo.withKinds { memoKinds in
                var stored = 0, cursor = 0
                if let checkpoints, !checkpoints.isEmpty {
                    let slot = min(wanted / 64, checkpoints.count - 1)
                    stored = slot * 64
                    cursor = Int(checkpoints[slot])
                }
                while cursor < bytes.count {
                    let opcode = bytes[cursor]
                    if opcode == PickleOpcode.frame.rawValue { cursor += 9; continue }
                    guard let item = Self.decodeScalar(bytes, at: cursor, memoKinds: memoKinds) else { return nil }
                    let next = cursor + item.length
                    guard next < bytes.count else { return nil }
                    let store: Int
                    switch bytes[next] {
                    case PickleOpcode.memoize.rawValue: store = 1
                    case PickleOpcode.binput.rawValue: store = 2
                    case PickleOpcode.longBinput.rawValue: store = 5
                    default: store = 0
                    }
                    if store > 0 {
                        if stored % 64 == 0, built != nil { built?.append(UInt32(cursor)) }
                        if stored == wanted, built == nil {
                            switch opcode {
                            case PickleOpcode.binget.rawValue: return .memo(Int64(bytes[cursor + 1]))
                            case PickleOpcode.longBinget.rawValue:
                                return .memo(Int64(bytes.loadUnaligned(fromByteOffset: cursor + 1, as: UInt32.self).littleEndian))
                            default:
                                return .item(ScannedItem(bytes, at: cursor, kind: item.kind, length: item.length, base: run.span.offset))
                            }
                        }
                        stored += 1
                    }
                    cursor = next + store
                }
                return nil
            }
        }
        if let built {
            // The first walk only indexes the batch; the lookup then starts at a checkpoint.
            memo.scannedCheckpoints[run.firstIndex] = built
            return built.isEmpty ? nil : restoredScannedValue(value, depth: depth)
        }
        var restored = value
        switch found {
        case .some(.some(.item(let item))):
            guard item.kind == value.kind else { return nil }
            restored.span = item.span
            restored.spelling = .utf8
            restored.payload = item.payload
            restored.hasExactInteger = item.kind == .int
            return restored
        case .some(.some(.memo(let earlier))):
            // The batch stored a GET again: the same object as the earlier entry.
            guard let loaded = memo.load(earlier, bytes: value.bytes, span: value.span), loaded.kind == value.kind else { return nil }
            restored.memoIndex = earlier
            restored.node = loaded.node
            restored.payload = loaded.payload
            restored.hasExactInteger = loaded.hasExactInteger
            return restoredScannedValue(restored, depth: depth + 1) ?? restored
        default:
            return nil
        }
    }

    /// One scalar the fast path decoded, as the general machine reads it.
    struct ScannedItem {
        var kind: ValueKind
        /// A str's UTF-8, in stream offsets.
        var span = ByteSpan(offset: 0, count: 0)
        /// An int's value, a float's bits, a bool's 0 or 1.
        var payload: Int64 = 0

        init(_ bytes: UnsafeRawBufferPointer, at offset: Int, kind: ValueKind, length: Int, base: UInt64) {
            self.kind = kind
            switch bytes[offset] {
            case PickleOpcode.shortBinunicode.rawValue:
                span = ByteSpan(offset: base + UInt64(offset + 2), count: UInt64(length - 2))
            case PickleOpcode.binunicode.rawValue:
                span = ByteSpan(offset: base + UInt64(offset + 5), count: UInt64(length - 5))
            case PickleOpcode.binint1.rawValue:
                payload = Int64(bytes[offset + 1])
            case PickleOpcode.binint2.rawValue:
                payload = Int64(bytes[offset + 1]) | Int64(bytes[offset + 2]) << 8
            case PickleOpcode.binint.rawValue:
                payload = Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 1, as: Int32.self)))
            case PickleOpcode.binfloat.rawValue:
                payload = Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt64.self)))
            case PickleOpcode.newtrue.rawValue:
                payload = 1
            default:
                break
            }
        }
    }

    // MARK: globals

    func globalValue(_ name: String, bytes: UInt64) -> StackValue {
        let id: Int
        if let existing = globalIndex[name] {
            id = existing
        } else {
            id = globals.count
            globals.append(name)
            globalIndex[name] = id
        }
        var value = StackValue.scalar(.global, bytes: bytes, memory: 0)
        value.payload = Int64(id)
        return value
    }

    func globalName(_ value: StackValue) -> String? {
        guard value.kind == .global, value.payload >= 0, value.payload < globals.count else { return nil }
        return globals[Int(value.payload)]
    }

    /// "module.name" from GLOBAL/INST's two lines.
    func qualifiedName(_ module: ByteSpan, _ name: ByteSpan, _ instruction: PickleInstruction) throws(PickleError) -> String {
        let first = try reader.withArgumentBytes(module) { String(decoding: $0, as: UTF8.self) }
        let second = try reader.withArgumentBytes(name) { String(decoding: $0, as: UTF8.self) }
        return first + "." + second
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        if text.first == "+" { text = text.dropFirst() }
        return String(text)
    }
}
