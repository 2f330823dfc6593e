import BrineIO

/// The hot loop for what makes artifacts huge: millions of scalars filling one container
/// (`stop_words_`, `vocabulary_`). Once a container is summarised, its scalars need no
/// stack entries, labels or edges, so they are decoded straight from the window's bytes
/// and counted into the summary. Anything unusual ends the scan and the general machine
/// takes over at the same byte.
extension SymbolicMachine {
    /// The container the fast path may fill now: a summarised set, list or dict right
    /// below the innermost MARK, with nothing pushed above the MARK yet, or (a set or a
    /// dict, whose items carry no position) only whole items. A FRAME in mid-item sends
    /// that item through the general machine; without the second case the rest of the
    /// batch (up to 1,000 items) would follow it there.
    var fastPathTarget: Int? {
        guard let mark = marks.last, mark.stackIndex > 0, mark.stackIndex <= stack.count, mark.offset != fastPathRefusedMark else { return nil }
        let below = stack[mark.stackIndex - 1]
        guard below.isNode, !below.isReference, graph.nodes[below.node].isLarge else { return nil }
        let pushed = stack.count - mark.stackIndex
        switch graph.nodes[below.node].kind {
        case .list: return pushed == 0 ? below.node : nil
        case .set: return below.node
        case .dict: return pushed % 2 == 0 ? below.node : nil
        default: return nil
        }
    }

    /// Counts whole items (a value, or a key and its value for a dict) into `target` while
    /// they are plain scalars; returns false when it consumed nothing.
    func scanScalars(into target: Int) throws(PickleError) -> Bool {
        guard memo.acceptsSequentialAppend else { return false }
        let kind = graph.nodes[target].kind
        let group = kind == .dict ? 2 : 1
        let terminator = Self.batchTerminator(of: kind)
        let memoBase = Int64(memo.count)
        let memoRoom = max(0, options.maximumMemoEntries - memo.count)
        let start = reader.offset
        var result = ScanResult()
        do {
            // A batch is taken whole: when it runs past the bytes at hand, once more with a
            // larger buffer (a thousand strings of a few hundred bytes), then the general machine.
            for minimum in [1 << 16, Self.largeBatchBuffer] {
                result = try reader.window.withBufferedBytes(minimum: minimum) { bytes in
                    let checksPadding = recorder != nil
                    let scanned = memo.withKinds { memoKinds in
                        Self.scan(bytes, group: group, terminator: terminator, memoKinds: memoKinds, memoBase: memoBase, memoRoom: memoRoom,
                                  kinds: &scratchKinds, checksPadding: checksPadding, padded: &scratchPadded, frames: &scratchFrames)
                    }
                if let recorder, !scratchPadded.isEmpty {
                    // Strings of a last, partial item are not consumed: the general machine notes them.
                    for text in scratchPadded where text.upperBound <= scanned.consumed {
                        recorder.paddedString(Self.repr(UnsafeRawBufferPointer(rebasing: bytes[text])), in: target)
                    }
                    scratchPadded.removeAll(keepingCapacity: true)
                }
                    return scanned
                }
                if !result.stoppedNearEnd || reader.window.bufferedCount < minimum { break }
            }
        } catch let error as InputError {
            throw PickleError(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        if result.refused, let mark = marks.last { fastPathRefusedMark = mark.offset }
        guard result.consumed > 0 else { return false }
        for frame in scratchFrames {
            if frame.previousWritesMemoIndex { noteFrameNotPlain() }
            frames.append(FrameFact(offset: start &+ UInt64(frame.offset), length: frame.length, memoStart: memoStores + frame.storesBefore))
            overheadBytes &+= 9
        }
        if result.writesMemoIndex { noteFrameNotPlain() }
        memo.appendSequential(scratchKinds[..<result.memoEntries], from: ByteSpan(offset: start, count: UInt64(result.consumed)))
        memoStores += result.memoEntries
        reader.window.consume(result.consumed)
        scannedBytes &+= result.consumed
        for kind in ValueKind.allCases {
            let count = result.count(kind)
            if count > 0 { graph.nodes[target].folded.add(kind: kind, count: count, bytes: 0, memory: 0) }
        }
        graph.nodes[target].folded.bytes &+= result.bytes
        graph.nodes[target].folded.memory &+= result.memory
        graph.nodes[target].itemCount &+= result.items
        return true
    }

    /// A buffer large enough for a batch of a thousand strings of up to 1 KiB.
    static let largeBatchBuffer = 1 << 20

    /// The opcode that ends a batch of items into a container of `kind`.
    static func batchTerminator(of kind: ValueKind) -> UInt8 {
        switch kind {
        case .dict: PickleOpcode.setitems.rawValue
        case .set: PickleOpcode.additems.rawValue
        default: PickleOpcode.appends.rawValue
        }
    }

    /// What one scan decoded, up to the last whole item.
    struct ScanResult {
        var consumed = 0
        /// A GET or an indexed PUT was among the instructions after the last FRAME stepped
        /// over (or from the start): the frame they are in is not plain.
        var writesMemoIndex = false
        /// The batch did not end where the scan could prove its items whole: nothing was
        /// consumed, and the general machine must replay this batch.
        var refused = false
        /// Refused where the bytes at hand ended: a larger buffer may hold the batch.
        var stoppedNearEnd = false
        var memoEntries = 0
        var items: UInt64 = 0
        var bytes: UInt64 = 0
        var memory: UInt64 = 0
        var str: UInt64 = 0, int: UInt64 = 0, float: UInt64 = 0, bool: UInt64 = 0, none: UInt64 = 0, other: UInt64 = 0
        /// The first three distinct kinds of whole items (a dict's: key and value), for a
        /// summary's text (`str: int`), packed as `first << 8 | second`.
        private(set) var itemKinds: (UInt16, UInt16, UInt16) = (0, 0, 0)
        private(set) var itemKindCount = 0
        /// The highest protocol among the opcodes consumed (4 for SHORT_BINUNICODE or
        /// MEMOIZE, 2 for NEWTRUE/NEWFALSE, else 1: every other opcode scanned is protocol 1).
        var highestProtocol = 1

        /// The distinct item kinds noted, at most three: (first, second) pairs, second `.none` for single values.
        var kindsOfItems: [(ValueKind, ValueKind)] {
            [itemKinds.0, itemKinds.1, itemKinds.2].prefix(itemKindCount).map {
                (ValueKind(rawValue: UInt8($0 >> 8)) ?? .none, ValueKind(rawValue: UInt8($0 & 0xFF)) ?? .none)
            }
        }

        @inline(__always)
        mutating func noteItem(_ first: ValueKind, _ second: ValueKind) {
            guard itemKindCount < 3 else { return }
            let code = UInt16(first.rawValue) << 8 | UInt16(second.rawValue)
            if itemKindCount > 0, itemKinds.0 == code { return }
            if itemKindCount > 1, itemKinds.1 == code { return }
            switch itemKindCount {
            case 0: itemKinds.0 = code
            case 1: itemKinds.1 = code
            default: itemKinds.2 = code
            }
            itemKindCount += 1
        }

        func count(_ kind: ValueKind) -> UInt64 {
            switch kind {
            case .str: str
            case .int: int
            case .float: float
            case .bool: bool
            case .none: none
            case .bytes: other
            default: 0
            }
        }

        @inline(__always)
        mutating func add(_ kind: ValueKind) {
            switch kind {
            case .str: str &+= 1
            case .int: int &+= 1
            case .float: float &+= 1
            case .bool: bool &+= 1
            case .none: none &+= 1
            default: other &+= 1
            }
        }
    }

    /// A FRAME the scan stepped over: where it sits in the scanned bytes, and what a
    /// rewriter must know of it (see `FrameFact`).
    struct ScanFrame {
        var offset: Int
        var length: UInt64
        /// Memo stores the scan decoded before it.
        var storesBefore: Int
        /// Whether the bytes scanned since the previous FRAME (or the scan's start) wrote a
        /// memo index: the frame they belong to is not plain.
        var previousWritesMemoIndex: Bool
    }

    /// Decodes a whole batch of plain scalar items from `bytes`, through the opcode that
    /// ends it (`terminator`: APPENDS, ADDITEMS or SETITEMS, not consumed). The batch is
    /// taken whole or not at all: a value is an item only once nothing after it can pop it
    /// (TUPLE1-3, STACK_GLOBAL, POP, REDUCE … would take values pushed before them), and
    /// only the batch's own terminator proves that. Anything else (an opcode the scan does
    /// not decode, the buffer's end) returns an empty result and the general machine replays
    /// the batch. Memo stores must continue the memo's sequence (what picklers write); their
    /// kinds go to `kinds`, FRAMEs stepped over to `frames`. With `checksPadding`
    /// (`brine check`) the text of every whitespace-padded string goes to `padded`.
    static func scan(_ bytes: UnsafeRawBufferPointer, group: Int, terminator: UInt8, memoKinds: UnsafeBufferPointer<UInt8>,
                     memoBase: Int64, memoRoom: Int, kinds: inout [UInt8], checksPadding: Bool = false, padded: inout [Range<Int>],
                     frames: inout [ScanFrame]) -> ScanResult {
        var result = ScanResult()
        frames.removeAll(keepingCapacity: true)
        var cursor = 0, memoCount = 0
        var inGroup = 0
        var groupKinds: (ValueKind, ValueKind) = (.none, .none)
        var groupBytes = 0, groupMemo = 0
        var groupMemory: UInt64 = 0
        var segmentWritesIndex = false
        var reachedTerminator = false
        if kinds.count < 1 << 16 { kinds = [UInt8](repeating: 0, count: 1 << 16) }
        let scanned: ScanResult = kinds.withUnsafeMutableBufferPointer { kinds in
        while true {
        if group == 1, inGroup == 0 {
            // The commonest shape by far (every token of a vocabulary or stop-word set under
            // protocol 4+): SHORT_BINUNICODE then MEMOIZE, decoded without the general switch.
            let room = min(kinds.count, memoRoom)
            var strings: UInt64 = 0, stringBytes = 0
            var memory: UInt64 = 0
            while cursor + 2 < bytes.count, bytes[cursor] == PickleOpcode.shortBinunicode.rawValue {
                let count = Int(bytes[cursor + 1])
                let next = cursor + 2 + count
                guard next < bytes.count, bytes[next] == PickleOpcode.memoize.rawValue, memoCount < room else { break }
                memory &+= Self.strMemory(bytes, from: cursor + 2, to: next)
                if checksPadding, Padding.isPadded(UnsafeRawBufferPointer(rebasing: bytes[(cursor + 2)..<next])) {
                    padded.append((cursor + 2)..<next)
                }
                kinds[memoCount] = ValueKind.str.rawValue
                memoCount += 1
                strings &+= 1
                stringBytes += count + 3
                cursor = next + 1
            }
            if strings > 0 {
                result.noteItem(.str, .none)
                result.highestProtocol = 4
                result.str &+= strings
                result.items &+= strings
                result.bytes &+= UInt64(stringBytes)
                result.memory &+= memory
                result.consumed = cursor
                result.memoEntries = memoCount
            }
        }
        if group == 2, inGroup == 0 {
            // A vocabulary's entries: SHORT_BINUNICODE, MEMOIZE, then a small int.
            let room = min(kinds.count, memoRoom)
            var entries: UInt64 = 0, entryBytes = 0
            var memory: UInt64 = 0
            while cursor + 2 < bytes.count, bytes[cursor] == PickleOpcode.shortBinunicode.rawValue {
                let count = Int(bytes[cursor + 1])
                let memoize = cursor + 2 + count
                guard memoize + 1 < bytes.count, bytes[memoize] == PickleOpcode.memoize.rawValue, memoCount < room else { break }
                let value = memoize + 1
                let valueLength: Int
                switch bytes[value] {
                case PickleOpcode.binint1.rawValue: valueLength = 2
                case PickleOpcode.binint2.rawValue: valueLength = 3
                case PickleOpcode.binint.rawValue: valueLength = 5
                default: valueLength = 0
                }
                guard valueLength > 0, value + valueLength <= bytes.count else { break }
                let number: Int64 = switch valueLength {
                case 2: Int64(bytes[value + 1])
                case 3: Int64(bytes[value + 1]) | Int64(bytes[value + 2]) << 8
                default: Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: value + 1, as: Int32.self)))
                }
                let valueMemory = MemoryModel.int(magnitudeBits: 64 - number.magnitude.leadingZeroBitCount, smallValue: number)
                memory &+= Self.strMemory(bytes, from: cursor + 2, to: memoize) &+ valueMemory
                if checksPadding, Padding.isPadded(UnsafeRawBufferPointer(rebasing: bytes[(cursor + 2)..<memoize])) {
                    padded.append((cursor + 2)..<memoize)
                }
                kinds[memoCount] = ValueKind.str.rawValue
                memoCount += 1
                entries &+= 1
                entryBytes += count + 3 + valueLength
                cursor = value + valueLength
            }
            if entries > 0 {
                result.noteItem(.str, .int)
                result.highestProtocol = 4
                result.str &+= entries
                result.int &+= entries
                result.items &+= entries
                result.bytes &+= UInt64(entryBytes)
                result.memory &+= memory
                result.consumed = cursor
                result.memoEntries = memoCount
            }
        }
        guard cursor < bytes.count else { break }
        if bytes[cursor] == PickleOpcode.frame.rawValue {
            // Picklers start a frame before any object, so between items and between a key
            // and its value: overhead, stepped over.
            guard cursor + 9 <= bytes.count else { break }
            let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: cursor + 1, as: UInt64.self))
            frames.append(ScanFrame(offset: cursor, length: length, storesBefore: memoCount + groupMemo,
                                    previousWritesMemoIndex: segmentWritesIndex))
            segmentWritesIndex = false
            cursor += 9
            if inGroup == 0 { result.consumed = cursor }
            continue
        }
        if inGroup == 0, bytes[cursor] == terminator {
            reachedTerminator = true
            break
        }
        guard let item = decodeScalar(bytes, at: cursor, memoKinds: memoKinds) else { break }
            if bytes[cursor] == PickleOpcode.binget.rawValue || bytes[cursor] == PickleOpcode.longBinget.rawValue {
                segmentWritesIndex = true
            }
            switch bytes[cursor] {
            case PickleOpcode.shortBinunicode.rawValue: result.highestProtocol = 4
            case PickleOpcode.newtrue.rawValue, PickleOpcode.newfalse.rawValue: result.highestProtocol = max(result.highestProtocol, 2)
            default: break
            }
            if checksPadding, item.kind == .str, let text = stringText(bytes, at: cursor, length: item.length), Padding.isPadded(text) {
                let start = cursor + item.length - text.count
                padded.append(start..<(cursor + item.length))
            }
            var length = item.length
            // A memo store right after the value belongs to it; any other opcode after it is
            // looked at by the next turn (another item, a FRAME, the terminator, or the end).
            let next = cursor + length
            guard next < bytes.count else { break }
            var stored = false
            switch bytes[next] {
            case PickleOpcode.memoize.rawValue:
                stored = true
                result.highestProtocol = 4
                length += 1
            case PickleOpcode.binput.rawValue:
                guard next + 1 < bytes.count, Int64(bytes[next + 1]) == memoBase + Int64(memoCount + groupMemo) else { break }
                stored = true
                length += 2
            case PickleOpcode.longBinput.rawValue:
                guard next + 4 < bytes.count else { break }
                let index = Int64(bytes.loadUnaligned(fromByteOffset: next + 1, as: UInt32.self).littleEndian)
                guard index == memoBase + Int64(memoCount + groupMemo) else { break }
                stored = true
                length += 5
            default:
                break
            }
            if stored {
                if bytes[next] != PickleOpcode.memoize.rawValue { segmentWritesIndex = true }
                let slot = memoCount + groupMemo
                guard slot < kinds.count, slot < memoRoom else { break }
                kinds[slot] = item.kind.rawValue
                groupMemo += 1
            } else if bytes[next] == PickleOpcode.binput.rawValue || bytes[next] == PickleOpcode.longBinput.rawValue {
                break  // an out-of-sequence memo index: the general machine handles it
            }
            if inGroup == 0 { groupKinds.0 = item.kind } else { groupKinds.1 = item.kind }
            groupBytes += length
            groupMemory &+= item.memory
            cursor += length
            inGroup += 1
            if inGroup == group {
                result.noteItem(groupKinds.0, group == 2 ? groupKinds.1 : .none)
                result.add(groupKinds.0)
                if group == 2 { result.add(groupKinds.1) }
                result.bytes &+= UInt64(groupBytes)
                result.memory &+= groupMemory
                result.items &+= 1
                memoCount += groupMemo
                inGroup = 0
                groupBytes = 0
                groupMemo = 0
                groupMemory = 0
                result.consumed = cursor
                result.memoEntries = memoCount
            }
        }
        return result
        }
        guard reachedTerminator, scanned.consumed == cursor else {
            frames.removeAll(keepingCapacity: true)
            if checksPadding { padded.removeAll(keepingCapacity: true) }
            var refused = ScanResult()
            refused.refused = true
            refused.stoppedNearEnd = !reachedTerminator && bytes.count - cursor <= 1 << 10 + 16
            return refused
        }
        var whole = scanned
        whole.writesMemoIndex = segmentWritesIndex
        return whole
    }

    /// The UTF-8 of a SHORT_BINUNICODE or BINUNICODE at `offset` that `decodeScalar` read
    /// as `length` bytes; nil for a memo fetch.
    @inline(__always)
    static func stringText(_ bytes: UnsafeRawBufferPointer, at offset: Int, length: Int) -> UnsafeRawBufferPointer? {
        let header: Int
        switch bytes[offset] {
        case PickleOpcode.shortBinunicode.rawValue: header = 2
        case PickleOpcode.binunicode.rawValue: header = 5
        default: return nil
        }
        return UnsafeRawBufferPointer(rebasing: bytes[(offset + header)..<(offset + length)])
    }

    /// Estimated memory of the str whose UTF-8 is `bytes[start..<end]`.
    @inline(__always)
    static func strMemory(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> UInt64 {
        if isShortASCII(bytes, from: start, to: end) { return MemoryModel.str(count: UInt64(end - start), width: 1, ascii: true) }
        let width = TextWidth.measure(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        return MemoryModel.str(count: width.count, width: width.width, ascii: width.ascii)
    }

    /// True when `bytes[start..<end]`, at most 32 bytes, is all ASCII: tested with four
    /// overlapping 8-byte loads (or one, shifted, for fewer than 8 bytes), with no loop and
    /// no branch on the length to mispredict; the tokens and n-grams of a vocabulary are
    /// mostly this short. False means "not known": the caller measures.
    @inline(__always)
    static func isShortASCII(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        let count = end - start
        guard let base = bytes.baseAddress, start >= 0, end <= bytes.count, count <= 32 else { return false }
        let bits: UInt64
        if count >= 8 {
            // [start, start + 8 + step) and [end - 8 - step, end) cover the string when step = min(8, count - 8).
            let step = min(8, count - 8)
            bits = base.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                | base.loadUnaligned(fromByteOffset: start + step, as: UInt64.self)
                | base.loadUnaligned(fromByteOffset: end - 8 - step, as: UInt64.self)
                | base.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self)
        } else {
            // The eight bytes ending at `end`, those before the string shifted out (little-endian
            // loads put the last byte highest). 8 - count is at most 8 bytes, 64 bits: `>>` gives 0.
            guard end >= 8 else { return false }
            bits = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self)) >> (UInt64(8 - count) * 8)
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// One scalar instruction at `offset`: its kind, length and estimated memory; nil for
    /// anything else, or when its bytes are not all buffered.
    @inline(__always)
    static func decodeScalar(_ bytes: UnsafeRawBufferPointer, at offset: Int, memoKinds: UnsafeBufferPointer<UInt8>)
        -> (kind: ValueKind, length: Int, memory: UInt64)? {
        let available = bytes.count - offset
        guard available > 0 else { return nil }
        switch bytes[offset] {
        case PickleOpcode.shortBinunicode.rawValue:
            guard available >= 2 else { return nil }
            let count = Int(bytes[offset + 1])
            guard available >= 2 + count else { return nil }
            return (.str, 2 + count, strMemory(bytes, from: offset + 2, to: offset + 2 + count))
        case PickleOpcode.binunicode.rawValue:
            guard available >= 5 else { return nil }
            let count = Int(bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self).littleEndian)
            guard count <= available - 5 else { return nil }
            return (.str, 5 + count, strMemory(bytes, from: offset + 5, to: offset + 5 + count))
        case PickleOpcode.binint1.rawValue:
            guard available >= 2 else { return nil }
            return (.int, 2, MemoryModel.int(magnitudeBits: 8, smallValue: Int64(bytes[offset + 1])))
        case PickleOpcode.binint2.rawValue:
            guard available >= 3 else { return nil }
            let value = Int64(bytes[offset + 1]) | Int64(bytes[offset + 2]) << 8
            return (.int, 3, MemoryModel.int(magnitudeBits: 16, smallValue: value))
        case PickleOpcode.binint.rawValue:
            guard available >= 5 else { return nil }
            let value = Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 1, as: Int32.self)))
            return (.int, 5, MemoryModel.int(magnitudeBits: 64 - value.magnitude.leadingZeroBitCount, smallValue: value))
        case PickleOpcode.binfloat.rawValue:
            guard available >= 9 else { return nil }
            return (.float, 9, MemoryModel.float)
        case PickleOpcode.pushNone.rawValue:
            return (.none, 1, 0)
        case PickleOpcode.newtrue.rawValue, PickleOpcode.newfalse.rawValue:
            return (.bool, 1, 0)
        case PickleOpcode.binget.rawValue:
            guard available >= 2, let kind = MemoTable.scalarKind(Int(bytes[offset + 1]), in: memoKinds) else { return nil }
            return (kind, 2, 0)
        case PickleOpcode.longBinget.rawValue:
            guard available >= 5 else { return nil }
            let index = Int(bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self).littleEndian)
            guard let kind = MemoTable.scalarKind(index, in: memoKinds) else { return nil }
            return (kind, 5, 0)
        default:
            return nil
        }
    }
}
