import BrineIO

/// Replays a pickle's instructions without executing anything: globals become names,
/// REDUCE/NEWOBJ/INST/OBJ become "instance of X built from args", BUILD attaches state,
/// and containers are filled, summarised once they grow. Every byte of the stream is
/// charged to exactly one node or to the overhead.
final class SymbolicMachine {
    let reader: PickleReader
    let options: InspectOptions
    var graph = ObjectGraph()
    var stack: [StackValue] = []
    var marks: [OpenMark] = []
    var memo = MemoTable()
    /// Bytes that belong to no object: PROTO, FRAME, STOP, and values a POP discarded.
    var overheadBytes: UInt64 = 0
    var highestProtocol = -1
    var globals: [String] = []
    var globalIndex: [String: Int] = [:]
    /// numpy dtypes met so far, by node.
    var dtypes: [Int: DTypeInfo] = [:]
    /// Where each dtype's argument tuple (`('f8', False, True)`) starts, and how often the
    /// dtype was fetched from the memo: what a float downcast needs to rewrite it safely.
    var dtypeArgumentStarts: [Int: UInt64] = [:]
    var dtypeMemoUses: [Int: Int] = [:]
    /// joblib arrays in stream order, with the dtype node each one names.
    var joblibArrays: [JoblibArrayFacts] = []
    /// Every top-level joblib array's raw span as `brine dis` prints it, object arrays included.
    var arrayLayouts: [JoblibArrayLayout] = []
    var nesting = 0
    /// Set by `attach` when an object ends up nested deeper than `maximumObjectDepth`;
    /// checked after each instruction so the error names it.
    var nestingTooDeep = false
    /// Bytes inside the stream that are not instructions: joblib's array data and the
    /// nested pickles of object arrays. A rewriter copies them as they are.
    var rawSpans: [RawSpan] = []
    var frames: [FrameFact] = []
    /// Memo store instructions of the current pickle (what a rewriter counts; the memo's
    /// own count is of distinct entries).
    var memoStores = 0

    /// The current frame writes a memo index (or is otherwise not plain).
    func noteFrameNotPlain() {
        if !frames.isEmpty { frames[frames.count - 1].plain = false }
    }
    /// Called now and then during long runs, for a progress bar.
    var progress: (() -> Void)?
    /// Bytes the scalar fast path has consumed, and where the last progress call was: it
    /// takes a whole buffer per step, so steps alone would call back too rarely.
    var scannedBytes = 0
    private var scannedAtProgress = 0
    private var steps: UInt32 = 0
    /// Reused by the fast path for the kinds of the memo entries it decodes.
    var scratchKinds: [UInt8] = []
    /// `repr` of protocol 0-2 bytes whose latin-1 text came from the memo, by the offset where
    /// the value starts (it has no span of its own to read).
    var foldedReprs: [UInt64: String] = [:]
    /// Once the memo has had an index stored twice: the text each GET of a str or bytes
    /// fetched, by the GET's offset (CPython's GET takes the value at that moment).
    var referenceTexts: [UInt64: String] = [:]
    /// The directory of the pickle being read, where joblib < 0.10 keeps its arrays' side
    /// files; nil for standard input and bundle members.
    var sideFileDirectory: String?
    /// Reused by the fast path for the FRAMEs it stepped over.
    var scratchFrames: [ScanFrame] = []
    /// The MARK (by offset) whose batch the fast path could not take whole: the general
    /// machine replays it, without the fast path trying again at every item.
    var fastPathRefusedMark: UInt64 = .max
    /// Reused by the fast path for the padded strings it met (`brine check`).
    var scratchPadded: [Range<Int>] = []
    /// Set by `brine check`: records every use of a global and padded strings.
    var recorder: ReferenceRecorder?
    /// PyTorch: storage persistent ids by tuple (then persistent) node, and tensors by node.
    var torchStorageIDs: [Int: TorchStorageID] = [:]
    var torchTensors: [Int: TorchTensorFacts] = [:]

    init(reader: PickleReader, options: InspectOptions) {
        self.reader = reader
        self.options = options
        stack.reserveCapacity(4096)
        if options.recordsReferences { recorder = ReferenceRecorder() }
    }

    /// Runs one pickle through its STOP and returns the node of the object it builds.
    func runPickle() throws(PickleError) -> NodeID {
        let savedStack = stack, savedMarks = marks, savedMemo = memo, savedStores = memoStores
        stack.removeAll(keepingCapacity: true)
        marks.removeAll(keepingCapacity: true)
        memo = MemoTable()
        memo.textBudget = options.maximumMemoTextBytes
        memoStores = 0
        defer { stack = savedStack; marks = savedMarks; memo = savedMemo; memoStores = savedStores }
        while true {
            steps &+= 1
            if steps & 0xFFFF == 0, let progress { progress() }
            if options.usesFastPath, let target = fastPathTarget, try scanScalars(into: target) {
                if scannedBytes &- scannedAtProgress >= 1 << 20, let progress {
                    scannedAtProgress = scannedBytes
                    progress()
                }
                continue
            }
            guard let instruction = try reader.readInstruction() else {
                throw PickleError(offset: reader.offset, reason: .truncated(expected: "an opcode (the pickle has no STOP)"))
            }
            if instruction.opcode == .stop {
                overheadBytes &+= instruction.length
                noteFrameNotPlain()
                let root = try pop(instruction)
                guard stack.isEmpty, marks.isEmpty else {
                    throw PickleError(offset: instruction.offset, opcode: .stop, reason: .malformed("stack not empty after STOP"))
                }
                let id = materialize(root, at: instruction.offset)
                recomputeTotals(from: id)
                return id
            }
            // Protocols 0 and 1 have no PROTO: their version is the highest among their opcodes.
            if highestProtocol < 2, instruction.opcode.protocolVersion > highestProtocol {
                highestProtocol = instruction.opcode.protocolVersion
            }
            try execute(instruction)
            if nestingTooDeep {
                throw limit(instruction, "nesting depth limit (objects inside objects)", options.maximumObjectDepth, "--max-depth")
            }
        }
    }

    private func execute(_ instruction: PickleInstruction) throws(PickleError) {
        let length = instruction.length
        switch instruction.opcode {
        case .proto:
            overheadBytes &+= length
            noteFrameNotPlain()
            if case .integer(let version) = instruction.argument { highestProtocol = max(highestProtocol, Int(version)) }
        case .frame:
            overheadBytes &+= length
            if case .unsigned(let frameLength) = instruction.argument {
                frames.append(FrameFact(offset: instruction.offset, length: frameLength, memoStart: memoStores))
            }
        case .stop:
            preconditionFailure("STOP is handled by runPickle")
        case .mark:
            guard marks.count < options.maximumMarkDepth else {
                throw limit(instruction, "MARK nesting limit", options.maximumMarkDepth, "--max-depth")
            }
            marks.append(OpenMark(stackIndex: stack.count, offset: instruction.offset, bytes: length, memoStart: memo.sequentialMark))
        case .pushNone:
            try push(.scalar(.none, bytes: length, memory: 0), instruction)
        case .newtrue, .newfalse:
            var value = StackValue.scalar(.bool, bytes: length, memory: 0)
            value.payload = instruction.opcode == .newtrue ? 1 : 0
            value.hasExactInteger = true
            try push(value, instruction)
        case .int, .binint, .binint1, .binint2, .long, .long1, .long4:
            try push(try integerValue(instruction), instruction)
        case .float, .binfloat:
            var value = StackValue.scalar(.float, bytes: length, memory: MemoryModel.float)
            if case .float(let number) = instruction.argument { value.payload = Int64(bitPattern: number.bitPattern) }
            // FLOAT (protocol 0) spells it as text: read it, or 0.0 would be shown for every one.
            if case .line(let span) = instruction.argument,
               let number = try? reader.withArgumentBytes(span, { bytes in try? PythonRepr.pythonFloatFromText(bytes) }) ?? nil {
                value.payload = Int64(bitPattern: number.bitPattern)
            }
            try push(value, instruction)
        case .string, .binstring, .shortBinstring, .unicode, .shortBinunicode, .binunicode, .binunicode8:
            let value = try stringValue(instruction)
            if recorder != nil, instruction.opcode != .string, instruction.opcode != .binstring, !isPushingEncodedText { noteString(value) }
            try push(value, instruction)
        case .binbytes, .shortBinbytes, .binbytes8, .bytearray8:
            let span = instruction.argument.dataSpan
            let isArray = instruction.opcode == .bytearray8
            var value = StackValue.scalar(isArray ? .bytearray : .bytes, bytes: length,
                                          memory: isArray ? MemoryModel.bytearray(count: span.count) : MemoryModel.bytes(count: span.count))
            value.span = span
            if recorder != nil, !isArray { noteUnicodeArray(value) }
            try push(value, instruction)
        case .nextBuffer:
            try push(.scalar(.buffer, bytes: length, memory: 0), instruction)
        case .readonlyBuffer:
            try chargeTop(length, instruction)
        case .emptyList, .emptyDict, .emptySet:
            let kind: ValueKind = instruction.opcode == .emptyList ? .list : instruction.opcode == .emptyDict ? .dict : .set
            try push(.node(newNode(kind, at: instruction.offset, ownBytes: length).index, kind: kind), instruction)
        case .emptyTuple:
            try push(.scalar(.emptyTuple, bytes: length, memory: 0), instruction)
        case .append:
            let value = try pop(instruction)
            let parent = try topNode(instruction)
            graph.nodes[parent].ownBytes &+= length
            attach(value, as: .index(Int(graph.nodes[parent].itemCount)), to: parent)
        case .appends, .additems:
            let mark = try popMark(instruction)
            let parent = try nodeBelow(mark, instruction)
            graph.nodes[parent].ownBytes &+= length &+ mark.bytes
            let element = instruction.opcode == .additems
            for index in mark.stackIndex..<stack.count {
                attach(stack[index], as: element ? .element : .index(Int(graph.nodes[parent].itemCount)), to: parent)
            }
            stack.removeSubrange(mark.stackIndex...)
        case .list, .tuple, .frozenset:
            let mark = try popMark(instruction)
            if instruction.opcode == .tuple, var folded = foldedCallArguments(from: mark.stackIndex) {
                stack.removeSubrange(mark.stackIndex...)
                folded.bytes &+= length &+ mark.bytes
                try push(folded, instruction, from: mark.origin)
                break
            }
            let kind: ValueKind = instruction.opcode == .list ? .list : instruction.opcode == .tuple ? .tuple : .frozenset
            let node = newNode(kind, at: mark.offset, ownBytes: length &+ mark.bytes).index
            if options.recognizesTorch, kind == .tuple { noteTorchStorageID(node, from: mark.stackIndex) }
            for index in mark.stackIndex..<stack.count {
                attach(stack[index], as: kind == .frozenset ? .element : .index(index - mark.stackIndex), to: node)
            }
            stack.removeSubrange(mark.stackIndex...)
            try push(.node(node, kind: kind), instruction, from: mark.origin)
        case .tuple1, .tuple2, .tuple3:
            let count = instruction.opcode == .tuple1 ? 1 : instruction.opcode == .tuple2 ? 2 : 3
            guard stackAboveMark >= count else { throw underflow(instruction, needs: count) }
            let start = stack.count - count
            if var folded = foldedCallArguments(from: start) {
                let origin = stack[start].origin
                stack.removeSubrange(start...)
                folded.bytes &+= length
                try push(folded, instruction, from: origin)
                break
            }
            let node = newNode(.tuple, at: instruction.offset, ownBytes: length).index
            let firstStart = stack[start].origin
            for index in start..<stack.count { attach(stack[index], as: .index(index - start), to: node) }
            stack.removeSubrange(start...)
            try push(.node(node, kind: .tuple), instruction, from: firstStart)
        case .dict:
            let mark = try popMark(instruction)
            let node = newNode(.dict, at: mark.offset, ownBytes: length &+ mark.bytes).index
            try attachPairs(from: mark.stackIndex, to: node, instruction, end: instruction.offset)
            try push(.node(node, kind: .dict), instruction, from: mark.origin)
        case .setitem:
            guard stackAboveMark >= 3 else { throw underflow(instruction, needs: 3) }
            let parent = try node(at: stack.count - 3, instruction)
            graph.nodes[parent].ownBytes &+= length
            // SETITEM goes with its pair: without them it would consume the dict.
            try attachPairs(from: stack.count - 2, to: parent, instruction, end: instruction.offset &+ length)
        case .setitems:
            let mark = try popMark(instruction)
            let parent = try nodeBelow(mark, instruction)
            graph.nodes[parent].ownBytes &+= length &+ mark.bytes
            try attachPairs(from: mark.stackIndex, to: parent, instruction, end: instruction.offset)
        case .pop:
            if let mark = marks.last, mark.stackIndex == stack.count {
                marks.removeLast()
                overheadBytes &+= length &+ mark.bytes
            } else {
                discard(try pop(instruction))
                overheadBytes &+= length
            }
        case .popMark:
            let mark = try popMark(instruction)
            for index in mark.stackIndex..<stack.count { discard(stack[index]) }
            stack.removeSubrange(mark.stackIndex...)
            overheadBytes &+= length &+ mark.bytes
        case .dup:
            guard var copy = stack.last, stackAboveMark > 0 else { throw underflow(instruction, needs: 1) }
            copy.bytes = length
            copy.memory = 0
            copy.isReference = true
            try push(copy, instruction)
        case .put, .binput, .longBinput, .memoize:
            if instruction.opcode != .memoize { noteFrameNotPlain() }
            try memoize(instruction)
        case .get, .binget, .longBinget:
            noteFrameNotPlain()
            try recall(instruction)
        case .global, .inst:
            guard case .linePair(let moduleSpan, let nameSpan) = instruction.argument else { preconditionFailure() }
            let name = try qualifiedName(moduleSpan, nameSpan, instruction)
            if instruction.opcode == .global {
                try push(globalValue(name, bytes: length), instruction)
                if recorder != nil { noteGlobal(instruction, moduleSpan, nameSpan) }
            } else {
                try instantiate(className: name, instruction)
                if recorder != nil { noteInstantiation(instruction, moduleSpan, nameSpan) }
            }
        case .stackGlobal:
            guard stackAboveMark >= 2 else { throw underflow(instruction, needs: 2) }
            let nameValue = stack.removeLast(), moduleValue = stack.removeLast()
            guard let module = text(of: moduleValue), let name = text(of: nameValue) else {
                throw PickleError(offset: instruction.offset, opcode: .stackGlobal, reason: .malformed("STACK_GLOBAL needs two strings"))
            }
            try push(globalValue(module + "." + name, bytes: length &+ moduleValue.bytes &+ nameValue.bytes), instruction,
                     from: moduleValue.origin)
            if recorder != nil { noteStackGlobal(instruction, module: module, name: name) }
        case .ext1, .ext2, .ext4:
            var value = StackValue.scalar(.ext, bytes: length, memory: 0)
            if case .integer(let code) = instruction.argument { value.payload = code }
            try push(value, instruction)
        case .reduce:
            guard stackAboveMark >= 2 else { throw underflow(instruction, needs: 2) }
            let arguments = stack.removeLast(), callable = stack.removeLast()
            try reduce(callable: callable, arguments: arguments, keywords: nil, instruction)
            if recorder != nil { noteCall(callable, instruction) }
        case .newobj:
            guard stackAboveMark >= 2 else { throw underflow(instruction, needs: 2) }
            let arguments = stack.removeLast(), cls = stack.removeLast()
            try reduce(callable: cls, arguments: arguments, keywords: nil, instruction)
            if recorder != nil { noteCall(cls, instruction) }
        case .newobjEx:
            guard stackAboveMark >= 3 else { throw underflow(instruction, needs: 3) }
            let keywords = stack.removeLast(), arguments = stack.removeLast(), cls = stack.removeLast()
            try reduce(callable: cls, arguments: arguments, keywords: keywords, instruction)
            if recorder != nil { noteCall(cls, instruction) }
        case .obj:
            let mark = try popMark(instruction)
            guard stack.count > mark.stackIndex else { throw underflow(instruction, needs: 1) }
            let cls = stack[mark.stackIndex]
            stack.remove(at: mark.stackIndex)
            let node = newNode(.instance, at: mark.offset, ownBytes: length &+ mark.bytes &+ cls.bytes).index
            graph.nodes[node].typeName = globalName(cls)
            try attachArguments(from: mark.stackIndex, to: node)
            try push(.node(node, kind: .instance), instruction, from: mark.origin)
            if recorder != nil { noteCall(cls, instruction) }
        case .build:
            guard stackAboveMark >= 2 else { throw underflow(instruction, needs: 2) }
            let state = stack.removeLast()
            try build(state: state, instruction)
        case .persid, .binpersid:
            let node = newNode(.persistent, at: instruction.offset, ownBytes: length).index
            var start = StreamPoint(offset: instruction.offset, memo: memo.sequentialMark)
            if instruction.opcode == .binpersid {
                guard stackAboveMark >= 1 else { throw underflow(instruction, needs: 1) }
                let pid = stack.removeLast()
                start = pid.origin
                if pid.isNode, let storage = torchStorageIDs[pid.node] { torchStorageIDs[node] = storage }
                attach(pid, as: .arguments, to: node)
            } else if case .line(let span) = instruction.argument {
                graph.nodes[node].typeName = (try? reader.withArgumentBytes(span) { String(decoding: $0, as: UTF8.self) })
            }
            try push(.node(node, kind: .persistent), instruction, from: start)
        }
    }
}

extension PickleArgument {
    var dataSpan: ByteSpan {
        if case .data(let span) = self { return span }
        return ByteSpan(offset: 0, count: 0)
    }
}
