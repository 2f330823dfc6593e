/// How values become parts of nodes, and how nodes are summarised to stay small.
extension SymbolicMachine {
    /// Adds `value` as a part of `parent`: kept as an edge while the parent is small,
    /// counted in its summary once it is large (only the biggest child objects stay).
    func attach(_ value: StackValue, as label: EdgeLabel, to parent: Int, range: Range<UInt64>? = nil, valueEnd: UInt64? = nil,
                memo: Range<Int64>? = nil, key: KeyFacts? = nil) {
        // A set element equal to one already kept (`(K\x01K\x01\x91`: frozenset({1})) adds
        // nothing to the set: its bytes are the set's own. Only provably equal scalars merge.
        if label == .element, !graph.nodes[parent].isLarge, !value.isNode,
           let identity = Self.scalarIdentity(kind: value.kind, integer: value.hasExactInteger ? value.payload : nil,
                                              preview: value.kind == .str || value.kind == .bytes || value.kind == .float ? preview(of: value) : nil),
           graph.nodes[parent].edges.contains(where: {
               $0.label == .element && $0.child == nil
                   && Self.scalarIdentity(kind: $0.kind, integer: $0.integer, preview: $0.preview) == identity
           }) {
            graph.nodes[parent].ownBytes &+= value.bytes
            return
        }
        graph.nodes[parent].itemCount &+= 1
        if recorder != nil { noteAttach(value, to: parent, as: label) }
        if value.isNode && !value.isReference {
            let depth = graph.nodes[value.node].depth + 1
            if depth > graph.nodes[parent].depth {
                graph.nodes[parent].depth = depth
                if depth > options.maximumObjectDepth { nestingTooDeep = true }
            }
            graph.nodes[value.node].ownBytes &+= value.bytes
            finalize(value.node)
            let child = graph.nodes[value.node]
            graph.nodes[parent].edges.append(Edge(
                label: label, child: NodeID(index: value.node), kind: child.kind,
                bytes: child.totalBytes, memory: child.totalMemory, preview: nil, integer: nil, isReference: false,
                entryRange: range, valueStart: range == nil ? nil : value.start, valueEnd: range == nil ? nil : valueEnd,
                entryMemo: memo, valueMemoStart: memo == nil ? nil : value.memoStart, keyKind: key?.kind, keyIsExact: key?.isExact ?? false))
            if graph.nodes[parent].edges.count > 2 * options.keptEdgesPerNode { prune(parent) }
            return
        }
        if !graph.nodes[parent].isLarge && graph.nodes[parent].edges.count < options.keptEdgesPerNode {
            graph.nodes[parent].edges.append(Edge(
                label: label, child: value.isNode ? NodeID(index: value.node) : nil, kind: value.kind,
                bytes: value.bytes, memory: value.memory, preview: preview(of: value),
                integer: value.hasExactInteger ? value.payload : nil, isReference: value.isReference,
                entryRange: range, valueStart: range == nil ? nil : value.start, valueEnd: range == nil ? nil : valueEnd,
                entryMemo: memo, valueMemoStart: memo == nil ? nil : value.memoStart, keyKind: key?.kind, keyIsExact: key?.isExact ?? false))
            return
        }
        becomeLarge(parent)
        graph.nodes[parent].folded.add(kind: value.kind, bytes: value.bytes, memory: value.memory)
    }

    /// Key/value pairs from `start` to the top of the stack into a dict (or dict-like object).
    /// `end` is where the last pair's instructions stop (the SETITEMS opcode, or past a SETITEM).
    func attachPairs(from start: Int, to parent: Int, _ instruction: PickleInstruction, end: UInt64) throws(PickleError) {
        guard (stack.count - start) % 2 == 0 else {
            throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed("odd number of items for a dict"))
        }
        var index = start
        while index < stack.count {
            let key = stack[index], value = stack[index + 1]
            let keepsNames = !graph.nodes[parent].isLarge && graph.nodes[parent].edges.count < options.keptEdgesPerNode
            if keepsNames || (value.isNode && !value.isReference) {
                // The key's bytes are the dict's structure; its text names the part.
                chargeKey(key, to: parent)
                let rangeEnd = index + 2 < stack.count ? stack[index + 2].start : end
                let range = key.start <= rangeEnd ? key.start..<rangeEnd : nil
                let memoEnd = index + 2 < stack.count ? stack[index + 2].memoStart : memo.sequentialMark
                let sequential = key.memoStart >= 0 && key.memoStart <= value.memoStart && value.memoStart <= memoEnd
                let labelled = keyLabel(of: key)
                var name = labelled.label
                let isExact = labelled.isExact
                // A key set again (SETITEMS/SETITEM/BUILD state; pickle never writes it, CPython
                // accepts it): the last value wins, the first key stays, the first value's bytes
                // are the dict's own. Only keys proven equal merge (`KeyFacts.isExact`).
                if isExact, let old = duplicateKey(of: name, in: parent) {
                    let replaced = graph.nodes[parent].edges.remove(at: old)
                    graph.nodes[parent].ownBytes &+= replaced.bytes
                    if let child = replaced.child, !replaced.isReference { graph.nodes[child.index].isAbsorbed = true }
                    graph.nodes[parent].itemCount &-= 1
                    name = replaced.label
                }
                // A summarised dict counts every key in `elements`: once large, here; before, at
                // `becomeLarge` from the kept edges.
                if graph.nodes[parent].isLarge {
                    graph.nodes[parent].folded.add(kind: key.kind, bytes: 0, memory: 0)
                }
                // SETITEM follows its pair's value: `--set-none` keeps it.
                let valueEnd = index + 2 >= stack.count && instruction.opcode == .setitem ? instruction.offset : nil
                attach(value, as: name, to: parent, range: range, valueEnd: valueEnd, memo: sequential ? key.memoStart..<memoEnd : nil,
                       key: KeyFacts(kind: key.kind, isExact: isExact))
            } else {
                becomeLarge(parent)
                graph.nodes[parent].itemCount &+= 1
                graph.nodes[parent].folded.add(kind: key.kind, bytes: key.bytes, memory: key.memory)
                if key.isNode && !key.isReference {
                    recomputeTotals(from: NodeID(index: key.node))
                    graph.nodes[parent].folded.bytes &+= graph.nodes[key.node].totalBytes
                    graph.nodes[key.node].isAbsorbed = true
                }
                graph.nodes[parent].folded.add(kind: value.kind, bytes: value.bytes, memory: value.memory)
            }
            index += 2
        }
        stack.removeSubrange(start...)
    }

    /// The values above a consumed MARK as an object's constructor arguments.
    func attachArguments(from start: Int, to parent: Int) throws(PickleError) {
        guard start < stack.count else { return }
        let arguments = newNode(.tuple, at: graph.nodes[parent].offset, ownBytes: 0).index
        for index in start..<stack.count { attach(stack[index], as: .index(index - start), to: arguments) }
        stack.removeSubrange(start...)
        attach(.node(arguments, kind: .tuple), as: .arguments, to: parent)
        graph.nodes[parent].itemCount &-= 1
    }

    private func chargeKey(_ key: StackValue, to parent: Int) {
        graph.nodes[parent].ownBytes &+= key.bytes
        graph.nodes[parent].ownMemory &+= key.memory
        if key.isNode && !key.isReference {
            recomputeTotals(from: NodeID(index: key.node))
            graph.nodes[parent].ownBytes &+= graph.nodes[key.node].totalBytes
            graph.nodes[key.node].isAbsorbed = true
        }
    }

    /// What a dict entry's edge remembers of its key.
    struct KeyFacts {
        var kind: ValueKind
        /// Equal labels mean equal keys (see `keyLabel(of:)`).
        var isExact: Bool
    }

    func label(of key: StackValue) -> String {
        if let text = text(of: key) { return text }
        if key.hasExactInteger { return String(key.payload) }
        if key.kind == .global, let name = globalName(key) { return name }
        return key.memoIndex >= 0 ? "<memo \(key.memoIndex)>" : "<\(key.kind.pythonName)>"
    }

    /// A short rendering of a scalar for reports: `1.0`, `'english'`, `None`.
    func preview(of value: StackValue) -> String? {
        switch value.kind {
        case .none: return "None"
        case .bool: return value.payload != 0 ? "True" : "False"
        case .int: return intRepr(of: value).map(Self.shortened)
        case .float: return PythonRepr.reprFloat(Double(bitPattern: UInt64(bitPattern: value.payload)))
        case .str:
            guard let points = textPoints(of: value, limit: 256) else { return nil }
            guard points.count > 60 else { return PythonRepr.reprStr(points) }
            // Python's repr chooses its quote from the whole string, not from the part shown.
            let quotes = quoteBytes(in: value) ?? (points.contains(0x27), points.contains(0x22))
            return PythonRepr.reprStrPrefix(Array(points.prefix(57)), hasSingle: quotes.single, hasDouble: quotes.double)
        case .global: return globalName(value)
        case .bytes where value.isEncodedText && value.span.count == 0 && value.payload > 0 && !value.isReference:
            return value.payload <= 60 ? foldedReprs[value.start] : nil
        case .bytes where value.isEncodedText && !value.isReference:
            // `_codecs.encode(text, 'latin1')`: `payload` bytes, spelled by `span` as text.
            let isLong = value.payload > 60
            var text = value
            text.kind = .str
            text.memoIndex = -1
            // Up to two UTF-8 bytes a character: 120 bytes hold the first 60 whole.
            guard let points = textPoints(of: text, limit: 120) else { return nil }
            let shown = points.prefix(isLong ? 57 : 60)
            guard shown.allSatisfy({ $0 < 0x100 }) else { return nil }
            let bytes = shown.map(UInt8.init)
            guard isLong else { return bytes.withUnsafeBytes { PythonRepr.reprBytes($0) } }
            let quotes = quoteBytes(in: value) ?? (bytes.contains(0x27), bytes.contains(0x22))
            return bytes.withUnsafeBytes { PythonRepr.reprBytesPrefix($0, hasSingle: quotes.single, hasDouble: quotes.double) }
        case .bytes where value.span.count <= 60 && !value.isReference:
            return try? reader.withArgumentBytes(value.span) { PythonRepr.reprBytes($0) }
        case .bytes where !value.isReference:
            guard let quotes = quoteBytes(in: value) else { return nil }
            return try? reader.withArgumentBytes(ByteSpan(offset: value.span.offset, count: 57)) {
                PythonRepr.reprBytesPrefix($0, hasSingle: quotes.single, hasDouble: quotes.double)
            }
        case .emptyTuple: return "()"
        default: return nil
        }
    }

    /// A value as `inspect` shows it: Python's repr, cut to 60 characters (`123...`).
    static func shortened(_ repr: String) -> String {
        repr.unicodeScalars.count > 60 ? String(String.UnicodeScalarView(repr.unicodeScalars.prefix(57))) + "..." : repr
    }

    /// Whether a str's or bytes' stream spelling holds a `'` and a `"` (every spelling writes
    /// those characters as themselves), looked for in its first `quoteScanLimit` bytes and no
    /// further once both are found; nil when its bytes are out of reach.
    func quoteBytes(in value: StackValue) -> (single: Bool, double: Bool)? {
        guard value.span.count > 0 else { return nil }
        var span = ByteSpan(offset: value.span.offset, count: min(value.span.count, Self.quoteScanLimit))
        // A STRING literal's own quotes are not part of the text.
        if value.spelling == .quotedLiteral, span.count >= 2 { span = ByteSpan(offset: span.offset &+ 1, count: span.count &- 2) }
        return try? reader.withArgumentBytes(span) { bytes -> (single: Bool, double: Bool) in
            var single = false, double = false
            for byte in bytes {
                if byte == 0x27 { single = true } else if byte == 0x22 { double = true } else { continue }
                if single && double { break }
            }
            return (single, double)
        }
    }

    /// How far a long value's bytes are searched for quote characters: a longer value picks its
    /// quote from this part (binary data has both within a few hundred bytes; a 100 MB zeroed
    /// numpy buffer costs no more to show than a short one).
    static let quoteScanLimit: UInt64 = 4096

    /// A str's code points, lone surrogates included (pickle writes them with `surrogatepass`;
    /// a Swift `String` cannot hold them, so `text(of:)` shows U+FFFD): re-decoded from the
    /// stream when the text holds a replacement character.
    func textPoints(of value: StackValue, limit: Int) -> [UInt32]? {
        if value.isReference, value.memoIndex >= 0, !memo.surrogateTexts.isEmpty, let exact = memo.surrogateTexts[value.memoIndex] {
            return Array(exact.prefix(limit))
        }
        guard let text = text(of: value, limit: limit) else { return nil }
        let points = Array(text.unicodeScalars.lazy.map(\.value).prefix(limit))
        guard points.contains(0xFFFD), value.span.count > 0 else { return points }
        let wide: UInt64 = value.spelling == .utf8 ? 4 : value.spelling == .latin1 ? 1 : 10
        let wanted = UInt64(limit) &* wide
        let isPrefix = value.spelling != .quotedLiteral && value.span.count > wanted
        let span = ByteSpan(offset: value.span.offset, count: isPrefix ? wanted : value.span.count)
        let spelling = value.spelling
        let exact = try? reader.withArgumentBytes(span) { bytes -> [UInt32]? in
            var end = bytes.count
            var decoded = spelling.codePoints(bytes)
            while decoded == nil, isPrefix, end > max(0, bytes.count - 10) {
                end -= 1
                decoded = spelling.codePoints(UnsafeRawBufferPointer(rebasing: bytes[..<end]))
            }
            return decoded
        }
        guard let exact = exact ?? nil else { return points }
        return Array(exact.prefix(limit))
    }

    /// The exact decimal of an int: its payload, or for one too wide for Int64 its LONG1/LONG4
    /// bytes (two's complement, little-endian) or LONG/INT text. Nil past CPython's
    /// 4,300-digit `repr` limit, or when its bytes are out of reach.
    func intRepr(of value: StackValue) -> String? {
        guard value.kind == .int else { return nil }
        if value.hasExactInteger { return String(value.payload) }
        guard value.span.count > 0, value.span.count <= 4 * UInt64(PythonRepr.intMaxStrDigits) else { return nil }
        let isText = value.spelling == .utf8
        let decimal = try? reader.withArgumentBytes(value.span) { bytes -> String? in
            guard isText else { return PythonRepr.decimalFromTwosComplementLittleEndian(bytes) }
            let end = bytes.last == UInt8(ascii: "L") ? bytes.count - 1 : bytes.count
            return try? PythonRepr.pythonIntFromDecimalText(UnsafeRawBufferPointer(rebasing: bytes[..<end]))
        }
        guard let decimal = decimal ?? nil, decimal.utf8.count - (decimal.hasPrefix("-") ? 1 : 0) <= PythonRepr.intMaxStrDigits else { return nil }
        return decimal
    }

    /// The path step of a dict key, as Python's repr spells it, and whether two keys with the
    /// same label are provably equal (`KeyFacts.isExact`): str (whole text), int, bool, None,
    /// bytes, float but NaN, and tuples of those. Keys of other kinds keep their old names
    /// (a global's name, `<memo N>`) and never merge.
    func keyLabel(of key: StackValue) -> (label: EdgeLabel, isExact: Bool) {
        switch key.kind {
        case .int where key.hasExactInteger && key.payload >= Int64(Int.min) && key.payload <= Int64(Int.max):
            // An int key prints as Python does, `[0]`, not as the string `['0']`.
            return (.index(Int(key.payload)), true)
        case .int:
            if let decimal = intRepr(of: key) { return (.reprKey(decimal), true) }
        case .bool:
            return (.reprKey(key.payload != 0 ? "True" : "False"), true)
        case .none:
            return (.reprKey("None"), true)
        case .float:
            let number = Double(bitPattern: UInt64(bitPattern: key.payload))
            return (.reprKey(PythonRepr.reprFloat(number)), !number.isNaN)
        case .bytes:
            if let repr = bytesRepr(of: key) { return (.reprKey(repr), true) }
        case .str:
            // The common case: the text as it is (no replacement character to re-decode).
            if let text = text(of: key, limit: Self.rememberedTextLimit), !text.unicodeScalars.contains("\u{FFFD}") {
                return (.key(text), text.utf8.count < Self.rememberedTextLimit || text.unicodeScalars.count < Self.rememberedTextLimit)
            }
            if let points = textPoints(of: key, limit: Self.rememberedTextLimit) {
                let isWhole = points.count < Self.rememberedTextLimit
                if points.contains(where: { (0xD800...0xDFFF).contains($0) }) { return (.reprKey(PythonRepr.reprStr(points)), isWhole) }
                return (.key(String(String.UnicodeScalarView(points.compactMap { Unicode.Scalar($0) }))), isWhole)
            }
        case .emptyTuple:
            return (.reprKey("()"), true)
        case .tuple where key.isNode, .frozenset where key.isNode:
            if let repr = nodeRepr(key.node, depth: 0) {
                // A frozenset's order is the pickling process's: equal sets may print apart.
                return (.reprKey(repr), key.kind == .tuple && !repr.contains("frozenset("))
            }
        default:
            break
        }
        return (.key(label(of: key)), false)
    }

    /// Python's repr of a small tuple or frozenset of scalars (a dict key), from its kept
    /// edges; nil when a part is not shown whole.
    private func nodeRepr(_ id: Int, depth: Int) -> String? {
        let node = graph.nodes[id]
        guard depth < 8, !node.isLarge, node.folded.isEmpty, UInt64(node.edges.count) == node.itemCount else { return nil }
        var parts: [String] = []
        for edge in node.edges {
            if let child = edge.child {
                guard edge.kind == .tuple || edge.kind == .frozenset, let part = nodeRepr(child.index, depth: depth + 1) else { return nil }
                parts.append(part)
            } else {
                // A preview longer than 60 characters may be cut: not a whole repr.
                guard let preview = edge.preview, edge.kind != .global, preview.unicodeScalars.count < 57 else { return nil }
                parts.append(preview)
            }
        }
        if node.kind == .frozenset { return parts.isEmpty ? "frozenset()" : "frozenset({" + parts.joined(separator: ", ") + "})" }
        guard node.kind == .tuple else { return nil }
        return parts.count == 1 ? "(" + parts[0] + ",)" : "(" + parts.joined(separator: ", ") + ")"
    }

    /// The kept entry whose key equals `label`'s (an exact label): the same label, or a number
    /// equal to it in Python (`{1: 'a', True: 'b', 1.0: 'c'}` is `{1: 'c'}`).
    private func duplicateKey(of label: EdgeLabel, in parent: Int) -> Int? {
        let number = Self.numericKey(of: label)
        // Read in place: no edge is copied (a dict takes this look for each of its first 64 keys).
        return graph.nodes[parent].edges.withUnsafeBufferPointer { edges -> Int? in
            for index in edges.indices where edges[index].keyIsExact {
                if edges[index].label == label { return index }
                if let number, Self.numericKey(of: edges[index].label) == number { return index }
            }
            return nil
        }
    }

    /// A number as Python compares it: an int, a bool and a float with the same value are
    /// equal (`1 == True == 1.0`, `0 == -0.0`); NaN equals nothing.
    enum NumericKey: Equatable {
        case integer(Int64)
        case real(UInt64)

        init?(_ number: Double) {
            guard !number.isNaN else { return nil }
            if number.rounded(.towardZero) == number, number > -9.2233720368547758e18, number < 9.2233720368547758e18 {
                self = .integer(Int64(number))
            } else {
                self = .real(number.bitPattern)
            }
        }

        /// A float's repr (`1.0`, `-0.0`, `1e+300`, `inf`); nil for anything else, ints
        /// included (a decimal too wide for Int64 never equals the float it rounds to).
        init?(floatRepr repr: String) {
            guard repr.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "n") }),
                  let number = Double(repr) else { return nil }
            self.init(number)
        }
    }

    /// The number a dict key's label stands for, if it is an int, a bool or a float.
    static func numericKey(of label: EdgeLabel) -> NumericKey? {
        switch label {
        case .index(let value): return .integer(Int64(value))
        case .reprKey("True"): return .integer(1)
        case .reprKey("False"): return .integer(0)
        case .reprKey(let repr): return NumericKey(floatRepr: repr)
        default: return nil
        }
    }

    /// What makes a scalar set element provably equal to another: a number's value (`True ==
    /// 1 == 1.0`, `0.0 == -0.0`; never NaN), None, the empty tuple, a str's or bytes' whole
    /// repr (short enough that it cannot be a shortened one). Nil for everything else.
    static func scalarIdentity(kind: ValueKind, integer: Int64?, preview: String?) -> String? {
        switch kind {
        case .int, .bool: return integer.map { "i\($0)" }
        case .float:
            switch preview.flatMap(NumericKey.init(floatRepr:)) {
            case .integer(let value)?: return "i\(value)"
            case .real(let bits)?: return "f\(bits)"
            case nil: return nil
            }
        case .none: return "N"
        case .emptyTuple: return "T"
        case .str, .bytes:
            guard let preview, preview.unicodeScalars.count <= 40 else { return nil }
            return preview
        default: return nil
        }
    }

    /// From now on the node only counts scalars; its scalar edges move into the summary.
    func becomeLarge(_ parent: Int) {
        guard !graph.nodes[parent].isLarge else { return }
        graph.nodes[parent].isLarge = true
        var kept: [Edge] = []
        for edge in graph.nodes[parent].edges {
            // Keys of the entries so far count in `elements`, as every later key will.
            if let keyKind = edge.keyKind { graph.nodes[parent].folded.add(kind: keyKind, bytes: 0, memory: 0) }
            if edge.child != nil && !edge.isReference {
                kept.append(edge)
            } else {
                graph.nodes[parent].folded.add(kind: edge.kind, bytes: edge.bytes, memory: edge.memory)
            }
        }
        graph.nodes[parent].edges = kept
    }

    /// Keeps the largest child objects of a large node and folds the others into its summary.
    func prune(_ parent: Int) {
        becomeLarge(parent)
        var edges = graph.nodes[parent].edges
        edges.sort { $0.bytes > $1.bytes }
        for edge in edges[options.keptEdgesPerNode...] {
            graph.nodes[parent].folded.add(kind: edge.kind, bytes: edge.bytes, memory: edge.memory)
            if let child = edge.child { graph.nodes[child.index].isAbsorbed = true }
        }
        graph.nodes[parent].edges = Array(edges[..<options.keptEdgesPerNode])
    }

    /// Sets a node's own memory (from its kind and size) and its subtree totals.
    func finalize(_ id: Int) {
        let node = graph.nodes[id]
        var structural: UInt64
        switch node.kind {
        case .list: structural = MemoryModel.list(count: node.itemCount)
        case .tuple: structural = MemoryModel.tuple(count: node.itemCount)
        case .dict: structural = MemoryModel.dict(count: node.itemCount, stringKeys: true)
        case .set, .frozenset: structural = MemoryModel.set(count: node.itemCount)
        case .instance: structural = MemoryModel.instance(attributes: node.itemCount)
        case .array: structural = MemoryModel.array(dataBytes: node.array?.dataBytes ?? 0, dimensions: node.array?.shape.count ?? 0)
        default: structural = 0
        }
        var bytes = node.ownBytes &+ node.folded.bytes
        var memory = node.ownMemory &+ structural &+ node.folded.memory
        for edge in node.edges {
            if let child = edge.child, !edge.isReference {
                bytes &+= graph.nodes[child.index].totalBytes
                memory &+= graph.nodes[child.index].totalMemory
            } else {
                bytes &+= edge.bytes
                memory &+= edge.memory
            }
        }
        graph.nodes[id].totalBytes = bytes
        graph.nodes[id].totalMemory = memory
    }

    /// Recomputes totals bottom-up below `root` (objects can change after being attached:
    /// recursive structures, BUILD on a memo reference), and refreshes edge sizes.
    func recomputeTotals(from root: NodeID) {
        var order: [Int] = []
        var pending = [root.index]
        var visited = Set<Int>()
        while let id = pending.popLast() {
            guard visited.insert(id).inserted else { continue }
            order.append(id)
            for edge in graph.nodes[id].edges where !edge.isReference {
                if let child = edge.child { pending.append(child.index) }
            }
        }
        for id in order.reversed() {
            finalize(id)
            for index in graph.nodes[id].edges.indices {
                guard let child = graph.nodes[id].edges[index].child, !graph.nodes[id].edges[index].isReference else { continue }
                graph.nodes[id].edges[index].bytes = graph.nodes[child.index].totalBytes
                graph.nodes[id].edges[index].memory = graph.nodes[child.index].totalMemory
            }
        }
    }
}
