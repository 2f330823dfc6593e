import BrineIO

/// How much of a pickle `brine decompile` writes out.
public struct DecompileOptions: Sendable {
    /// Everything, literally: the output is Python that rebuilds the object when run.
    public var full = false
    /// Count a summarised container's batches straight from the bytes (`InspectOptions.usesFastPath`).
    public var usesFastPath = InspectOptions.fastPathDefault
    /// Items of a container shown before the rest is counted (without `full`).
    public var shownItems = 20
    /// Text of a container, or of one str/bytes literal, shown before the rest is summarised.
    public var shownTextBytes = 4096
    public var maximumMarkDepth = 5_000
    public var maximumStackDepth = 10_000_000
    public var maximumMemoEntries = 100_000_000
    public var maximumNesting = 16

    public init(full: Bool = false) { self.full = full }
}

/// Renders pickle streams as the Python that unpickling them amounts to: imports for the
/// globals, `_varN = …` for every call and for every memoized container something refers
/// to, `_build(obj, state)` for BUILD, `persistent_load(pid)` for persistent ids. Reads each
/// instruction once through `PickleReader` and keeps only the expressions still on the stack
/// (and, for memo entries, what a later fetch needs), so a summarised rendering of a huge
/// artifact takes little memory; nothing is imported or run.
public final class Decompiler {
    let reader: PickleReader
    let options: DecompileOptions
    var imports = DecompiledImports()
    var helpers = Set<DecompilePrelude.Helper>()
    var body = ""
    var roots: [String] = []
    var pickles = 0
    var nextVariable = 0
    var stack: [DecompiledValue] = []
    /// Stack index of each open MARK, and whether its items go into a container already
    /// summarised (then literals are not decoded).
    var marks: [(index: Int, lazy: Bool)] = []
    var memo = DecompiledMemo()
    var protocolVersion = 0
    public internal(set) var highestProtocol = -1
    var objects: [Int: DecompiledObject] = [:]
    public private(set) var isJoblib = false
    var nesting = 0
    var findings = 0
    /// Literals read above a lazy MARK and not pushed: the batch's items while they only
    /// go into a summarised container's count (plain structs, no reference counting).
    var lazyItems: [PickleInstruction] = []
    /// The scanner's memo codes, reused from batch to batch.
    var scanKinds: [UInt8] = []

    public init(reader: PickleReader, options: DecompileOptions = DecompileOptions()) {
        self.reader = reader
        self.options = options
        stack.reserveCapacity(1024)
    }

    /// Decompiles every pickle of the stream; returns how many there were.
    @discardableResult
    public func decompileAll() throws(PickleError) -> Int {
        repeat {
            pickles += 1
            body += "\n# pickle \(pickles), at offset \(reader.offset)\n"
            roots.append(try runPickle())
        } while try !reader.isAtEnd()
        return pickles
    }

    /// The whole output: header, helpers, imports, statements, result.
    public func render(header: String) -> String {
        var out = header
        if !options.full {
            out += "# Long containers and literals are summarised: --full writes everything (runnable Python).\n"
        }
        if findings > 0 { out += "# \(findings) line(s) below are marked with a finding of `brine check` (docs/checks.md).\n" }
        if imports.needsFindClass { helpers.insert(.findClass) }
        if !helpers.isEmpty {
            out += "\n"
            for helper in helpers.sorted() { out += DecompilePrelude.text(helper) + "\n" }
        }
        if !imports.isEmpty { out += "\n" + imports.render() }
        out += body
        out += "\n"
        out += roots.count == 1 ? "result = \(roots[0])\n" : "results = [\(roots.joined(separator: ", "))]\n"
        return out
    }

    // MARK: - The machine

    func runPickle() throws(PickleError) -> String {
        let saved = (stack, marks, memo, protocolVersion, lazyItems)
        stack = []
        marks = []
        memo = DecompiledMemo()
        protocolVersion = 0
        lazyItems = []
        defer { (stack, marks, memo, protocolVersion, lazyItems) = saved }
        while true {
            if options.usesFastPath, marks.last?.lazy == true, try scanSummarisedBatch() { continue }
            guard let instruction = try reader.readInstruction() else {
                throw PickleError(offset: reader.offset, reason: .truncated(expected: "an opcode (the pickle has no STOP)"))
            }
            highestProtocol = max(highestProtocol, instruction.opcode.protocolVersion)
            if !lazyItems.isEmpty || marks.last?.lazy == true, try stepLazily(instruction) { continue }
            if instruction.opcode == .stop {
                var root = try pop(instruction)
                guard stack.isEmpty, marks.isEmpty else {
                    throw PickleError(offset: instruction.offset, opcode: .stop, reason: .malformed("stack not empty after STOP"))
                }
                return try use(&root)
            }
            try step(instruction)
            if stack.count > options.maximumStackDepth {
                throw limit(instruction, "stack depth limit", options.maximumStackDepth, "--max-stack")
            }
        }
    }

    /// The batch loop of a summarised container: literals, their memo stores and the
    /// closing APPENDS/SETITEMS/ADDITEMS are counted without building values. Anything else
    /// first pushes the literals held so far, then runs as usual. True when handled here.
    private func stepLazily(_ instruction: PickleInstruction) throws(PickleError) -> Bool {
        guard let mark = marks.last, mark.lazy, mark.index == stack.count else {
            flushLazyItems()
            return false
        }
        switch instruction.opcode {
        case .frame:
            return true  // no effect on the stack: a batch split by a frame stays one batch
        case .int, .binint, .binint1, .binint2, .long, .long1, .long4, .float, .binfloat, .string, .binstring, .shortBinstring,
             .binbytes, .shortBinbytes, .binbytes8, .bytearray8, .unicode, .shortBinunicode, .binunicode, .binunicode8:
            lazyItems.append(instruction)
            if lazyItems.count > options.maximumStackDepth {
                throw limit(instruction, "stack depth limit", options.maximumStackDepth, "--max-stack")
            }
            return true
        case .memoize, .binput, .longBinput, .put:
            guard let last = lazyItems.last else { return false }
            let index = instruction.opcode == .memoize ? Int64(memo.count) : try memoIndex(instruction)
            guard memo.storeLazy(Self.literalKind(last.opcode), at: index) else { throw malformed(instruction, "memo index \(index) out of range") }
            if memo.count > options.maximumMemoEntries {
                throw limit(instruction, "memo entry limit", options.maximumMemoEntries, "--max-memo")
            }
            return true
        case .appends, .setitems, .additems:
            guard let container = stack.last?.container, container.variable == nil, container.parts.isSummarising else {
                flushLazyItems()
                return false
            }
            let pairs = instruction.opcode == .setitems
            if pairs, lazyItems.count % 2 != 0 { throw malformed(instruction, "odd number of items for SETITEMS") }
            if let first = lazyItems.first {
                let key = DecompiledValue(kind: Self.literalKind(first.opcode)).typeName
                let kind = pairs ? key + ": " + DecompiledValue(kind: Self.literalKind(lazyItems[1].opcode)).typeName : key
                container.parts.hide(kind: kind, count: UInt64(pairs ? lazyItems.count / 2 : lazyItems.count), start: first.offset)
            }
            container.parts.noteEnd(instruction.offset)
            lazyItems.removeAll(keepingCapacity: true)
            marks.removeLast()
            return true
        default:
            flushLazyItems()
            return false
        }
    }

    /// Pushes the literals `stepLazily` held, undecoded, for an instruction that needs them.
    private func flushLazyItems() {
        guard !lazyItems.isEmpty else { return }
        for item in lazyItems { push(DecompiledValue(kind: Self.literalKind(item.opcode), lazy: item, start: item.offset)) }
        lazyItems.removeAll(keepingCapacity: true)
    }

    private func step(_ instruction: PickleInstruction) throws(PickleError) {
        let start = instruction.offset
        switch instruction.opcode {
        case .proto:
            if case .integer(let value) = instruction.argument { protocolVersion = Int(value) }
        case .frame:
            break
        case .pushNone:
            push(DecompiledValue(kind: .none, text: "None", start: start))
        case .newtrue:
            push(DecompiledValue(kind: .bool, text: "True", start: start))
        case .newfalse:
            push(DecompiledValue(kind: .bool, text: "False", start: start))
        case .int, .binint, .binint1, .binint2, .long, .long1, .long4, .float, .binfloat, .string, .binstring, .shortBinstring,
             .binbytes, .shortBinbytes, .binbytes8, .bytearray8, .unicode, .shortBinunicode, .binunicode, .binunicode8:
            if let mark = marks.last, mark.lazy {
                push(DecompiledValue(kind: Self.literalKind(instruction.opcode), lazy: instruction, start: start))
            } else {
                push(try literal(instruction))
            }
        case .emptyList:
            push(DecompiledValue(kind: .container, container: DecompiledContainer(.list), start: start))
        case .emptyDict:
            push(DecompiledValue(kind: .container, container: DecompiledContainer(.dict), start: start))
        case .emptySet:
            push(DecompiledValue(kind: .container, container: DecompiledContainer(.set), start: start))
        case .emptyTuple:
            push(DecompiledValue(kind: .tuple, text: "()", items: [], start: start))
        case .mark:
            guard marks.count < options.maximumMarkDepth else {
                throw limit(instruction, "MARK nesting limit", options.maximumMarkDepth, "--max-depth")
            }
            let below = stack.last?.container
            let lazy = !options.full && (below?.parts.isSummarising ?? false)
            marks.append((stack.count, lazy))
        case .pop:
            if let mark = marks.last, mark.index == stack.count {
                marks.removeLast()
            } else {
                _ = try pop(instruction)
            }
        case .popMark:
            _ = try popMark(instruction)
        case .dup:
            guard var top = stack.last else { throw underflow(instruction, 1) }
            if let container = top.container { materialize(container, value: &top) }
            stack[stack.count - 1] = top
            push(top)
        case .tuple:
            var items = try popMark(instruction)
            push(try tuple(&items, start: items.first?.start ?? start))
        case .tuple1, .tuple2, .tuple3:
            let count = instruction.opcode == .tuple1 ? 1 : instruction.opcode == .tuple2 ? 2 : 3
            var items = try popValues(count, instruction)
            push(try tuple(&items, start: items.first?.start ?? start))
        case .list:
            var items = try popMark(instruction)
            let container = DecompiledContainer(.list)
            for index in items.indices { try add(&items[index], to: container) }
            push(DecompiledValue(kind: .container, container: container, start: items.first?.start ?? start))
        case .dict:
            let items = try popMark(instruction)
            guard items.count % 2 == 0 else { throw malformed(instruction, "odd number of items for DICT") }
            let container = DecompiledContainer(.dict)
            try addPairs(items, to: container, end: start)
            push(DecompiledValue(kind: .container, container: container, start: items.first?.start ?? start))
        case .frozenset:
            var items = try popMark(instruction)
            var parts = DecompiledParts()
            var warning: String?
            for index in items.indices { try render(&items[index], into: &parts, warning: &warning) }
            push(DecompiledValue(kind: .frozenset, text: parts.isEmpty ? "frozenset()" : "frozenset({\(parts.joined())})",
                                 warning: warning, start: start))
        case .append:
            var item = try pop(instruction)
            try mutate(instruction, { container throws(PickleError) in try self.add(&item, to: container) }) { "\($0).extend([\($1)])" }
        case .appends:
            var items = try popMark(instruction)
            try mutate(instruction, { container throws(PickleError) in
                for index in items.indices { try self.add(&items[index], to: container) }
            }) { "\($0).extend([\($1)])" }
        case .setitem:
            var value = try pop(instruction)
            var key = try pop(instruction)
            try mutate(instruction, { container throws(PickleError) in
                try self.addPair(&key, &value, to: container, end: instruction.offset)
            }, asDict: true) {
                "\($0).update({\($1)})"
            }
        case .setitems:
            let items = try popMark(instruction)
            guard items.count % 2 == 0 else { throw malformed(instruction, "odd number of items for SETITEMS") }
            try mutate(instruction, { container throws(PickleError) in
                try self.addPairs(items, to: container, end: instruction.offset)
            }, asDict: true) { "\($0).update({\($1)})" }
        case .additems:
            var items = try popMark(instruction)
            try mutate(instruction, { container throws(PickleError) in
                for index in items.indices { try self.add(&items[index], to: container) }
            }) { "\($0).update({\($1)})" }
        case .get, .binget, .longBinget:
            let index = try memoIndex(instruction)
            guard let value = memo.load(index) else {
                throw malformed(instruction, "memo key \(index) has never been stored into")
            }
            var loaded = value
            if let container = loaded.container {
                materialize(container, value: &loaded)
                _ = memo.store(loaded, at: index)
            }
            loaded.start = start
            push(loaded)
        case .put, .binput, .longBinput, .memoize:
            let index = instruction.opcode == .memoize ? Int64(memo.count) : try memoIndex(instruction)
            guard let top = stack.last, marks.last?.index != stack.count else {
                throw malformed(instruction, stack.isEmpty ? "stack is empty -- can't store into memo" : "can't store markobject in the memo")
            }
            top.container?.memoized = true
            guard memo.store(top, at: index) else { throw malformed(instruction, "memo index \(index) out of range") }
            if memo.count > options.maximumMemoEntries {
                throw limit(instruction, "memo entry limit", options.maximumMemoEntries, "--max-memo")
            }
        case .global, .inst:
            guard case .linePair(let moduleSpan, let nameSpan) = instruction.argument else { throw malformed(instruction, "no module and name") }
            let module = try text(moduleSpan), name = try text(nameSpan)
            let global = self.global(module: module, name: name, start: start)
            if instruction.opcode == .global {
                push(global)
            } else {
                var arguments = try popMark(instruction)
                push(try instantiate(global, &arguments, start: start))
            }
        case .stackGlobal:
            let name = try pop(instruction), module = try pop(instruction)
            guard let moduleText = try stringValue(module), let nameText = try stringValue(name) else {
                throw malformed(instruction, "STACK_GLOBAL requires str")
            }
            push(global(module: moduleText, name: nameText, start: start))
        case .obj:
            var items = try popMark(instruction)
            guard !items.isEmpty else { throw malformed(instruction, "OBJ without a class") }
            let klass = items.removeFirst()
            push(try instantiate(klass, &items, start: start))
        case .reduce:
            var arguments = try pop(instruction)
            var callable = try pop(instruction)
            push(try call(&callable, arguments: &arguments, start: start))
        case .newobj:
            var arguments = try pop(instruction)
            var klass = try pop(instruction)
            push(try newObject(&klass, arguments: &arguments, keywords: nil, start: start))
        case .newobjEx:
            var keywords = try pop(instruction)
            var arguments = try pop(instruction)
            var klass = try pop(instruction)
            push(try newObject(&klass, arguments: &arguments, keywords: &keywords, start: start))
        case .build:
            try build(instruction)
        case .persid, .binpersid:
            var pid: DecompiledValue
            if instruction.opcode == .persid {
                pid = try literal(PickleInstruction(offset: start, opcode: .unicode, argument: instruction.argument, length: 0))
                pid.kind = .str
            } else {
                pid = try pop(instruction)
            }
            helpers.insert(.persistentLoad)
            let pidText = try use(&pid)
            push(assign("persistent_load(\(pidText))", warning: pid.warning, start: start))
        case .ext1, .ext2, .ext4:
            guard case .integer(let code) = instruction.argument else { throw malformed(instruction, "no extension code") }
            helpers.insert(.ext)
            push(assign("_ext(\(code))", warning: nil, start: start))
        case .nextBuffer:
            helpers.insert(.nextBuffer)
            push(assign("_next_buffer()", warning: nil, start: start))
        case .readonlyBuffer:
            var buffer = try pop(instruction)
            helpers.insert(.readonly)
            let text = try use(&buffer)
            push(assign("_readonly(\(text))", warning: nil, start: start))
        case .stop:
            break
        }
    }

    // MARK: - Values

    static func literalKind(_ opcode: PickleOpcode) -> DecompiledValue.Kind {
        switch opcode {
        case .int, .binint, .binint1, .binint2, .long, .long1, .long4: .int
        case .float, .binfloat: .float
        case .binbytes, .shortBinbytes, .binbytes8: .bytes
        case .bytearray8: .bytearray
        default: .str
        }
    }

    /// A literal's Python text: the repr pickletools prints, with what `dis` shows
    /// differently from source (nan, infinities, INT's True/False) spelled as Python.
    func literal(_ instruction: PickleInstruction) throws(PickleError) -> DecompiledValue {
        var kind = Self.literalKind(instruction.opcode)
        let start = instruction.offset
        if !options.full, case .data(let span) = instruction.argument, span.count > UInt64(options.shownTextBytes) {
            return DecompiledValue(kind: kind, text: try summary(of: instruction, span: span), start: start)
        }
        // STRING as pickle.loads(encoding='latin1') reads it, like BINSTRING and SHORT_BINSTRING
        // (docs/decompile.md); pickletools' text (ASCII only) for everything else.
        var text: String
        if let latin1 = try ArgumentFormatter.latin1String(of: instruction, reader: reader) {
            text = latin1
        } else {
            text = try ArgumentFormatter.text(of: instruction, reader: reader) ?? "None"
        }
        var string: String?
        switch kind {
        case .int:
            if instruction.opcode == .int, text == "True" || text == "False" { kind = .bool }
        case .float:
            if text == "nan" { text = "float('nan')" } else if text == "inf" { text = "float('inf')" } else if text == "-inf" { text = "-float('inf')" }
        case .str:
            if text.utf8.count <= 258 { string = Self.unrepr(text) }
        default:
            break
        }
        return DecompiledValue(kind: kind, text: text, string: string, start: start)
    }

    /// `<str, 372.6 MB: 'first words'…>`: a long literal, its first bytes only.
    private func summary(of instruction: PickleInstruction, span: ByteSpan) throws(PickleError) -> String {
        var head = ByteSpan(offset: span.offset, count: 48)
        let kind = Self.literalKind(instruction.opcode)
        var prefix = ""
        if kind == .str {
            // Cut on a UTF-8 boundary so the prefix decodes.
            let count = try reader.withArgumentBytes(head) { bytes throws(PickleError) -> Int in
                var end = bytes.count
                while end > 0, bytes[end - 1] & 0xC0 == 0x80 { end -= 1 }
                if end > 0, bytes[end - 1] >= 0xC0 { end -= 1 }
                return end
            }
            head.count = UInt64(count)
        }
        if let text = try? ArgumentFormatter.text(of: PickleInstruction(offset: instruction.offset, opcode: instruction.opcode,
                                                                     argument: .data(head), length: 0), reader: reader) {
            prefix = ": " + text + "…"
        }
        return "<\(kind == .str ? "str" : kind == .bytearray ? "bytearray" : "bytes"), \(ByteFormat.human(span.count))\(prefix)>"
    }

    /// The value of a short str repr (`'a\\'b'` → `a'b`), for names and keys.
    static func unrepr(_ text: String) -> String? {
        guard text.count >= 2, let quote = text.first, quote == "'" || quote == "\"", text.last == quote else { return nil }
        let inner = text.dropFirst().dropLast()
        guard inner.contains("\\") else { return String(inner) }
        var out = ""
        var iterator = inner.makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else { out.append(character); continue }
            guard let next = iterator.next() else { return nil }
            switch next {
            case "\\", "'", "\"": out.append(next)
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            default: return nil
            }
        }
        return out
    }

    /// The Python text of a value about to be used inside another expression.
    func use(_ value: inout DecompiledValue) throws(PickleError) -> String {
        if let lazy = value.lazy {
            value = try literal(lazy)
        }
        if let container = value.container {
            if container.variable == nil, container.memoized { materialize(container, value: &value) }
            if let variable = container.variable { return "_var\(variable)" }
            return container.literal
        }
        return value.text
    }

    /// Gives a container its name: `_varN = {…}`, written now, so later uses share it.
    func materialize(_ container: DecompiledContainer, value: inout DecompiledValue) {
        if container.variable == nil {
            let variable = newVariable()
            emit("_var\(variable) = \(container.literal)", warning: container.warning)
            container.variable = variable
        }
        value.variable = container.variable!
    }

    func newVariable() -> Int {
        defer { nextVariable += 1 }
        return nextVariable
    }

    func emit(_ line: String, warning: String?) {
        body += line
        if let warning {
            body += "  # " + warning
            findings += 1
        }
        body += "\n"
    }

    /// `_varN = expression`, as a statement now (calls run in stream order).
    func assign(_ expression: String, warning: String?, start: UInt64) -> DecompiledValue {
        let variable = newVariable()
        emit("_var\(variable) = \(expression)", warning: warning)
        return DecompiledValue(kind: .variable, text: "_var\(variable)", variable: variable, start: start)
    }

    /// Renders an item into `parts`; afterwards `value` is its rendered form (text set,
    /// no longer a pending container). False when it was counted instead of shown.
    @discardableResult
    private func render(_ value: inout DecompiledValue, into parts: inout DecompiledParts, warning: inout String?) throws(PickleError) -> Bool {
        if warning == nil { warning = value.warning ?? value.container?.warning }
        if parts.accepts(value.lazy == nil ? value.text.utf8.count : 8, limits: options) {
            let text = try use(&value)
            if parts.accepts(text.utf8.count, limits: options) {
                parts.show(text)
                settle(&value, text)
                return true
            }
        }
        parts.hide(kind: value.typeName, start: value.start)
        return false
    }

    /// A used value as later facts see it: its text, and no pending container.
    private func settle(_ value: inout DecompiledValue, _ text: String) {
        value.text = text
        if let container = value.container {
            value.variable = container.variable ?? -1
            value.kind = .other
            value.container = nil
        }
    }

    private func tuple(_ items: inout [DecompiledValue], start: UInt64) throws(PickleError) -> DecompiledValue {
        var parts = DecompiledParts()
        var warning: String?
        var rendered: [DecompiledValue] = []
        rendered.reserveCapacity(items.count)
        for index in items.indices {
            try render(&items[index], into: &parts, warning: &warning)
            rendered.append(items[index])
        }
        let text = parts.shown.count == 1 && !parts.isSummarising ? "(\(parts.shown[0]),)" : "(\(parts.joined()))"
        return DecompiledValue(kind: .tuple, text: text, items: parts.isSummarising ? nil : rendered, warning: warning, start: start)
    }

    func add(_ item: inout DecompiledValue, to container: DecompiledContainer) throws(PickleError) {
        var warning = container.warning
        try render(&item, into: &container.parts, warning: &warning)
        container.warning = warning
    }

    /// Key/value pairs off the stack; each pair's stream bytes run to the next key, the last
    /// one's to `end` (the DICT or SETITEMS instruction).
    private func addPairs(_ items: [DecompiledValue], to container: DecompiledContainer, end: UInt64) throws(PickleError) {
        for index in stride(from: 0, to: items.count, by: 2) {
            var key = items[index], value = items[index + 1]
            try addPair(&key, &value, to: container, end: index + 2 < items.count ? items[index + 2].start : end)
        }
    }

    /// `end`: where the pair's bytes end in the stream. A str key whose value is a container
    /// or takes at least `largeAttributeBytes` is shown even in a summarised dict.
    func addPair(_ key: inout DecompiledValue, _ value: inout DecompiledValue, to container: DecompiledContainer,
                 end: UInt64) throws(PickleError) {
        if container.warning == nil { container.warning = key.warning ?? value.warning ?? value.container?.warning }
        let estimate = (key.lazy == nil ? key.text.utf8.count : 8) + (value.lazy == nil ? value.text.utf8.count : 8) + 2
        let span = end > key.start ? end - key.start : 0
        let isLargeAttribute = key.kind == .str && (value.kind == .container || span >= Self.largeAttributeBytes)
        if container.parts.accepts(estimate, limits: options, isLargeAttribute: isLargeAttribute) {
            let keyText = try use(&key), valueText = try use(&value)
            let text = keyText + ": " + valueText
            settle(&value, valueText)
            if container.parts.accepts(text.utf8.count, limits: options, isLargeAttribute: isLargeAttribute) {
                container.parts.show(text, start: key.start)
                if let name = key.string, container.keyed.count < 64 { container.keyed[name] = value }
                return
            }
        }
        container.parts.hide(kind: key.typeName + ": " + value.typeName, start: key.start)
    }

    /// An attribute this big (a fitted sub-estimator, an array) is worth a line of its own.
    static let largeAttributeBytes: UInt64 = 1024

    // MARK: - Container mutation

    /// Items go into the literal while the container has no name; once named (or for any
    /// other target, such as an object with `__setitem__`), they are a statement.
    private func mutate(_ instruction: PickleInstruction, _ fill: (DecompiledContainer) throws(PickleError) -> Void,
                        asDict: Bool = false, _ statement: (String, String) -> String) throws(PickleError) {
        guard var target = stack.last, marks.last?.index != stack.count else { throw underflow(instruction, 1) }
        if let container = target.container, container.variable == nil {
            try fill(container)
            container.parts.noteEnd(instruction.offset)
            return
        }
        // A batch on its own: rendered into a scratch container, then written as one statement.
        let scratch = DecompiledContainer(target.container?.kind ?? (asDict ? .dict : .list))
        try fill(scratch)
        scratch.parts.noteEnd(instruction.offset)
        let name = try use(&target)
        if let container = target.container, !options.full, container.parts.isSummarising || !scratch.parts.accepts(0, limits: options) {
            // Already summarised: the statement would repeat for every batch.
            if !container.parts.isSummarising { emit(statement(name, scratch.parts.joined()), warning: scratch.warning) }
            container.parts.hide(kind: "item", start: instruction.offset)
            return
        }
        emit(statement(name, scratch.parts.joined()), warning: scratch.warning)
    }

    // MARK: - Globals and calls

    func global(module: String, name: String, start: UInt64) -> DecompiledValue {
        var (module, name) = (module, name)
        if protocolVersion < 3 { (module, name) = DecompiledImports.python3Name(module: module, name: name) }
        var warning: String?
        switch SecurityLists.classify(module: module, name: name) {
        case .dangerous(let reason):
            warning = "\(CheckRules.dangerousGlobal.code) \(CheckRules.dangerousGlobal.name): \(module).\(name) \(reason)"
        case .byValue:
            warning = "\(CheckRules.byValueCode.code) \(CheckRules.byValueCode.name): \(module).\(name) rebuilds code by value"
        default:
            break
        }
        let expression = imports.expression(module: module, name: name, note: warning)
        if warning != nil { findings += 1 }
        return DecompiledValue(kind: .global, text: expression, qualified: module + "." + name, warning: warning, start: start)
    }

    private func arguments(_ value: inout DecompiledValue) throws(PickleError) -> String {
        if value.kind == .tuple, value.lazy == nil, let items = value.items {
            return items.map(\.text).joined(separator: ", ")
        }
        let text = try use(&value)
        return "*" + text
    }

    private func call(_ callable: inout DecompiledValue, arguments: inout DecompiledValue, start: UInt64) throws(PickleError) -> DecompiledValue {
        let callee = try use(&callable)
        let argumentText = try self.arguments(&arguments)
        var result = assign("\(callee)(\(argumentText))", warning: callable.warning ?? arguments.warning, start: start)
        var facts = DecompiledObject(className: callable.qualified)
        if callable.qualified == "copyreg._reconstructor", let first = arguments.items?.first { facts.className = first.qualified }
        if callable.qualified == "numpy.dtype", let descr = arguments.items?.first?.string {
            facts.dtype = descr
            facts.itemSize = NumpyModel.sizeFromTypeString(descr)
            facts.hasObject = descr.hasPrefix("O")
        }
        objects[result.variable] = facts
        result.qualified = nil
        return result
    }

    private func newObject(_ klass: inout DecompiledValue, arguments: inout DecompiledValue, keywords: UnsafeMutablePointer<DecompiledValue>?,
                           start: UInt64) throws(PickleError) -> DecompiledValue {
        let name = try use(&klass)
        var argumentText = try self.arguments(&arguments)
        if let keywords {
            let text = try use(&keywords.pointee)
            argumentText += (argumentText.isEmpty ? "" : ", ") + "**" + text
        }
        let expression = "\(name).__new__(\(name)\(argumentText.isEmpty ? "" : ", " + argumentText))"
        let result = assign(expression, warning: klass.warning ?? arguments.warning, start: start)
        objects[result.variable] = DecompiledObject(className: klass.qualified)
        return result
    }

    private func newObject(_ klass: inout DecompiledValue, arguments: inout DecompiledValue, keywords: inout DecompiledValue,
                           start: UInt64) throws(PickleError) -> DecompiledValue {
        try withUnsafeMutablePointer(to: &keywords) { pointer throws(PickleError) in
            try newObject(&klass, arguments: &arguments, keywords: pointer, start: start)
        }
    }

    /// INST and OBJ: `klass(*args)`, or `_instantiate(klass)` without arguments (pickle
    /// then skips `__init__` for classes).
    private func instantiate(_ klass: DecompiledValue, _ items: inout [DecompiledValue], start: UInt64) throws(PickleError) -> DecompiledValue {
        var klass = klass
        let name = try use(&klass)
        var warning = klass.warning
        var texts: [String] = []
        for index in items.indices {
            texts.append(try use(&items[index]))
            if warning == nil { warning = items[index].warning }
        }
        let expression: String
        if texts.isEmpty {
            helpers.insert(.instantiate)
            expression = "_instantiate(\(name))"
        } else {
            expression = "\(name)(\(texts.joined(separator: ", ")))"
        }
        let result = assign(expression, warning: warning, start: start)
        objects[result.variable] = DecompiledObject(className: klass.qualified)
        return result
    }

    // MARK: - BUILD

    private func build(_ instruction: PickleInstruction) throws(PickleError) {
        var state = try pop(instruction)
        guard var target = stack.last, marks.last?.index != stack.count else { throw underflow(instruction, 1) }
        let name = try use(&target)
        stack[stack.count - 1] = target
        let stateText = try use(&state)
        helpers.insert(.build)
        emit("_build(\(name), \(stateText))", warning: state.warning ?? state.container?.warning)
        let variable = target.container?.variable ?? target.variable
        guard variable >= 0, let facts = objects[variable] else { return }
        if facts.dtype != nil, let items = state.items {
            // numpy's dtype state: (version, byteorder, subdescr, names, fields, elsize, alignment, flags, …).
            if items.count > 1, let order = items[1].string, ["<", ">", "|", "="].contains(order), let descr = facts.dtype {
                objects[variable]?.dtype = order + (descr.hasPrefix("O") ? "O" : descr)
            }
            if items.count > 5, let size = Int64(items[5].text), size > 0 { objects[variable]?.itemSize = size }
            if items.count > 7, let flags = Int64(items[7].text), flags & 1 != 0 { objects[variable]?.hasObject = true }
        }
        if let className = facts.className, JoblibArrayWrapper.sideFileNames.contains(className) {
            isJoblib = true
            body += "# joblib < 0.10's \(className): joblib.load replaces \(name) with the array of the side file its `filename` names, next to this pickle\n"
        }
        if let className = facts.className, JoblibArrayWrapper.isInline(className), let wrapper = state.container {
            isJoblib = true
            stack[stack.count - 1] = try joblibArray(wrapper: name, state: wrapper, instruction)
        }
    }

    /// What joblib writes after a `NumpyArrayWrapper`'s BUILD: the array's bytes, or for
    /// object arrays a nested pickle (source: joblib/numpy_pickle.py, `read_array`).
    private func joblibArray(wrapper: String, state: DecompiledContainer, _ instruction: PickleInstruction) throws(PickleError) -> DecompiledValue {
        let start = reader.offset
        let shape = state.keyed["shape"]?.items?.map { Int64($0.text) } ?? []
        let dtypeVariable = state.keyed["dtype"]?.variable ?? -1
        let dtype = objects[dtypeVariable]
        if dtype?.hasObject ?? false {
            guard nesting < options.maximumNesting else { throw limit(instruction, "nested pickle limit", options.maximumNesting, "--max-nesting") }
            nesting += 1
            body += "# joblib object array: the nested pickle at offset \(start) is the array itself\n"
            let inner = try runPickle()
            nesting -= 1
            return assign(inner, warning: nil, start: start)
        }
        guard !shape.contains(nil), let count = NumpyModel.elementCount(shape.map { $0! }), let itemSize = dtype?.itemSize else {
            throw PickleError(offset: instruction.offset, opcode: .build, reason: .malformed("joblib array of unknown size (shape or dtype not understood)"))
        }
        let (dataBytes, overflow) = count.multipliedReportingOverflow(by: UInt64(itemSize))
        guard !overflow else { throw PickleError(offset: instruction.offset, opcode: .build, reason: .malformed("joblib array size overflows")) }
        var encoder = Base64Encoder()
        let keep = options.full || dataBytes <= 256
        func take(_ bytes: UnsafeRawBufferPointer) { if keep { encoder.append(bytes) } }
        var raw: UInt64 = dataBytes
        if state.keyed["numpy_array_alignment_bytes"] != nil {
            let padding = try reader.readRawByte(expected: "joblib padding length byte")
            withUnsafeBytes(of: padding) { take($0) }
            try reader.readRaw(UInt64(padding), expected: "\(padding) bytes of joblib array padding") { bytes in take(bytes) }
            raw += 1 + UInt64(padding)
        }
        try reader.readRaw(dataBytes, expected: "\(dataBytes) bytes of array data (shape \(shape.map { $0! }))") { bytes in take(bytes) }
        helpers.insert(.joblibArray)
        let data: String
        if keep {
            helpers.insert(.base64)
            data = "_b64('\(encoder.finish())')"
        } else {
            data = "..."
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]!),)" : "(\(shape.map { String($0!) }.joined(separator: ", ")))"
        let result = assign("_joblib_array(\(wrapper), \(data))", warning: nil, start: start)
        if !keep {
            body.removeLast()
            body += "  # \(ByteFormat.human(raw)) at offset \(start): \(dtype?.dtype ?? "?") array of shape \(shapeText)\n"
        }
        return result
    }

    // MARK: - Stack

    @inline(__always)
    func push(_ value: DecompiledValue) {
        stack.append(value)
    }

    func pop(_ instruction: PickleInstruction) throws(PickleError) -> DecompiledValue {
        guard let last = stack.last, marks.last?.index != stack.count else { throw underflow(instruction, 1) }
        _ = last
        return stack.removeLast()
    }

    private func popValues(_ count: Int, _ instruction: PickleInstruction) throws(PickleError) -> [DecompiledValue] {
        let floor = marks.last?.index ?? 0
        guard stack.count - floor >= count else { throw underflow(instruction, count) }
        let items = Array(stack[(stack.count - count)...])
        stack.removeLast(count)
        return items
    }

    private func popMark(_ instruction: PickleInstruction) throws(PickleError) -> [DecompiledValue] {
        guard let mark = marks.popLast() else { throw malformed(instruction, "no MARK exists on stack") }
        let items = Array(stack[mark.index...])
        stack.removeSubrange(mark.index...)
        return items
    }

    private func memoIndex(_ instruction: PickleInstruction) throws(PickleError) -> Int64 {
        switch instruction.argument {
        case .integer(let value): return value
        case .line(let span):
            let text = try reader.withArgumentBytes(span) { bytes throws(PickleError) in String(decoding: bytes, as: UTF8.self) }
            guard let value = Int64(text) else { throw malformed(instruction, "memo index \(text) is not a number") }
            return value
        default: throw malformed(instruction, "no memo index")
        }
    }

    private func text(_ span: ByteSpan) throws(PickleError) -> String {
        try reader.withArgumentBytes(span) { bytes throws(PickleError) in String(decoding: bytes, as: UTF8.self) }
    }

    private func stringValue(_ value: DecompiledValue) throws(PickleError) -> String? {
        var value = value
        if let lazy = value.lazy { value = try literal(lazy) }
        guard value.kind == .str else { return nil }
        return value.string
    }

    private func underflow(_ instruction: PickleInstruction, _ count: Int) -> PickleError {
        malformed(instruction, "tries to pop \(count) items from stack with only \(stack.count - (marks.last?.index ?? 0)) items above the last MARK")
    }

    func malformed(_ instruction: PickleInstruction, _ detail: String) -> PickleError {
        PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .malformed(detail))
    }

    private func limit(_ instruction: PickleInstruction, _ what: String, _ value: Int, _ option: String) -> PickleError {
        PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .limitExceeded(limit: what, value: UInt64(value), option: option))
    }
}
