import BrineIO

/// Hooks that feed a `ReferenceRecorder` while `brine check` replays a pickle. Every hook
/// is behind `recorder != nil`, so `brine inspect` runs the same instructions as before.
extension SymbolicMachine {
    /// GLOBAL: the two lines are read again (rare; globals are few) to keep module and name apart.
    func noteGlobal(_ instruction: PickleInstruction, _ moduleSpan: ByteSpan, _ nameSpan: ByteSpan) {
        guard let recorder, let top = stack.last, top.kind == .global else { return }
        guard let (module, name) = try? lines(moduleSpan, nameSpan) else { return }
        recorder.learn(id: Int(top.payload), module: module, name: name)
        recorder.named(module: module, name: name, offset: instruction.offset, start: top.start)
    }

    /// INST: the class is called with the values above the MARK.
    func noteInstantiation(_ instruction: PickleInstruction, _ moduleSpan: ByteSpan, _ nameSpan: ByteSpan) {
        guard let recorder, let top = stack.last, top.isNode else { return }
        guard let (module, name) = try? lines(moduleSpan, nameSpan) else { return }
        recorder.called(module: module, name: name, start: .max, offset: instruction.offset, node: top.node)
    }

    func noteStackGlobal(_ instruction: PickleInstruction, module: String, name: String) {
        guard let recorder, let top = stack.last, top.kind == .global else { return }
        recorder.learn(id: Int(top.payload), module: module, name: name)
        recorder.named(module: module, name: name, offset: instruction.offset, start: top.start)
    }

    /// REDUCE, NEWOBJ, NEWOBJ_EX, OBJ: `callable` was called; what it built is on top of the stack.
    func noteCall(_ callable: StackValue, _ instruction: PickleInstruction) {
        if let recorder, callable.isNode {
            recorder.calledNode(callable.node)
            noteBuiltCall(callable, recorder)
        }
        guard let recorder, callable.kind == .global, let parts = recorder.parts(of: Int(callable.payload)) else { return }
        let node = stack.last.flatMap { $0.isNode ? $0.node : nil } ?? -1
        if node >= 0 {
            recorder.called(module: parts.module, name: parts.name, start: callable.start, offset: instruction.offset, node: node)
        }
    }

    /// A callable the pickle built itself, called: cloudpickle's `_builtin_type('CodeType')`
    /// called with the code object's fields.
    private func noteBuiltCall(_ callable: StackValue, _ recorder: ReferenceRecorder) {
        let maker = graph.nodes[callable.node]
        guard maker.typeName == "cloudpickle.cloudpickle._builtin_type",
              let makerArguments = maker.edges.first(where: { $0.label == .arguments })?.child,
              graph[makerArguments].edges.first(where: { $0.label == .index(0) })?.preview == "'CodeType'",
              let built = stack.last, built.isNode,
              let fields = graph.nodes[built.node].edges.first(where: { $0.label == .arguments })?.child else { return }
        recorder.codeObject(node: built.node, fieldCount: graph[fields].itemCount)
    }

    /// A value became a part of `parent`: globals find their holder, nodes their owner.
    func noteAttach(_ value: StackValue, to parent: Int, as label: EdgeLabel) {
        guard let recorder else { return }
        if value.kind == .global, let parts = recorder.parts(of: Int(value.payload)) {
            recorder.held(start: value.start, module: parts.module, name: parts.name, by: parent, label: label)
        } else if value.isNode {
            if value.isReference { recorder.referenced(value.node, by: parent) } else { recorder.took(value.node, into: parent) }
        }
    }

    /// A node merged into another (arguments, state dicts): paths go through the object.
    func noteAbsorbed(_ child: Int, into parent: Int) {
        recorder?.took(child, into: parent)
    }

    /// A string pushed by the general machine: padded ones are noted with their container.
    func noteString(_ value: StackValue) {
        guard let recorder, value.span.count > 0, value.span.count <= 1 << 16, let container = openContainer else { return }
        let spelling = value.spelling
        _ = try? reader.withArgumentBytes(value.span) { bytes in
            guard spelling != .utf8 else {
                if Padding.isPadded(bytes) { recorder.paddedString(Self.repr(bytes), in: container) }
                return
            }
            // UNICODE (protocols 0-1) escapes newlines and NULs: test the decoded text.
            guard let points = spelling.codePoints(bytes) else { return }
            let utf8 = Array(String(String.UnicodeScalarView(points.map { Unicode.Scalar($0) ?? "\u{FFFD}" })).utf8)
            utf8.withUnsafeBytes { text in
                if Padding.isPadded(text) { recorder.paddedString(Self.repr(text), in: container) }
            }
        }
    }

    /// The raw data of a numpy unicode array (`<U4`: UCS-4 code units, NUL-padded), pushed
    /// right after its dtype and is_fortran flag in `_reconstruct`'s state. Bounded to 1 MiB.
    func noteUnicodeArray(_ value: StackValue) {
        guard let recorder, value.span.count > 0, value.span.count <= 1 << 20, stack.count >= 2,
              let container = openContainer else { return }
        let candidate = stack[stack.count - 2]
        guard candidate.isNode, let dtype = dtypes[candidate.node], dtype.descr.contains("U") else { return }
        let digits = dtype.descr.filter(\.isNumber)
        guard let size = dtype.itemSize.map(Int.init) ?? Int(digits).map({ $0 * 4 }), size >= 4, size % 4 == 0,
              Int(value.span.count) % size == 0 else { return }
        let bigEndian = dtype.descr.hasPrefix(">")
        _ = try? reader.withArgumentBytes(value.span) { bytes in
            Self.notePaddedUnicode(bytes, itemSize: size, bigEndian: bigEndian, into: container, recorder: recorder)
        }
    }

    /// joblib writes a unicode array's raw data after its wrapper: tested in place while buffered.
    func noteJoblibUnicodeArray(dtype: DTypeInfo?, dataBytes: UInt64, node: Int) {
        guard let recorder, let dtype, dtype.descr.contains("U"), dataBytes > 0, dataBytes <= 1 << 20,
              let size = dtype.itemSize.map(Int.init), size >= 4, size % 4 == 0, Int(dataBytes) % size == 0 else { return }
        let bigEndian = dtype.descr.hasPrefix(">")
        _ = try? reader.window.withBufferedBytes(minimum: Int(dataBytes)) { buffered in
            guard buffered.count >= Int(dataBytes) else { return }
            Self.notePaddedUnicode(UnsafeRawBufferPointer(rebasing: buffered[..<Int(dataBytes)]), itemSize: size,
                                   bigEndian: bigEndian, into: node, recorder: recorder)
        }
    }

    /// UCS-4 elements of `itemSize` bytes, NUL-padded: padded ones are noted.
    private static func notePaddedUnicode(_ bytes: UnsafeRawBufferPointer, itemSize size: Int, bigEndian: Bool, into container: Int,
                                          recorder: ReferenceRecorder) {
        var start = 0
        while start + size <= bytes.count {
            var scalars: [UInt32] = []
            for unit in stride(from: start, to: start + size, by: 4) {
                let code = bytes.loadUnaligned(fromByteOffset: unit, as: UInt32.self)
                scalars.append(bigEndian ? UInt32(bigEndian: code) : UInt32(littleEndian: code))
            }
            while scalars.last == 0 { scalars.removeLast() }
            if let first = scalars.first, let last = scalars.last, isSpace(first) || isSpace(last) {
                recorder.paddedString(PythonRepr.reprStr(scalars), in: container)
            }
            start += size
        }
    }

    private static func isSpace(_ code: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(code) else { return false }
        return scalar.properties.isWhitespace || (code >= 0x1C && code <= 0x1F)
    }

    /// The container a string pushed now is going into: the object right below the
    /// innermost MARK (APPENDS, SETITEMS, ADDITEMS), or a list or dict on top (APPEND, SETITEM).
    private var openContainer: Int? {
        if let mark = marks.last, mark.stackIndex > 0, mark.stackIndex <= stack.count {
            let below = stack[mark.stackIndex - 1]
            if below.isNode { return below.node }
        }
        if let top = stack.last, top.isNode, top.kind == .list || top.kind == .dict { return top.node }
        return nil
    }

    static func repr(_ bytes: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: bytes.prefix(80), as: UTF8.self)
        return PythonRepr.reprStr(text.unicodeScalars.map(\.value)) + (bytes.count > 80 ? "…" : "")
    }

    private func lines(_ moduleSpan: ByteSpan, _ nameSpan: ByteSpan) throws(PickleError) -> (String, String) {
        let module = try reader.withArgumentBytes(moduleSpan) { String(decoding: $0, as: UTF8.self) }
        let name = try reader.withArgumentBytes(nameSpan) { String(decoding: $0, as: UTF8.self) }
        return (module, name)
    }
}
