import BrineIO

/// The rewriter's hot loop: runs of instructions with binary arguments, decoded straight
/// from the window. Inside a cut only memo stores matter (they are counted as removed);
/// outside, bytes are copied and memo indices rewritten. Anything else — text opcodes,
/// PROTO, STOP, FRAME's neighbours, the edges of cuts and raw spans — goes to the general
/// path, which the caller takes whenever this returns false.
extension PickleRewriter {
    /// Processes whole instructions in `[offset, offset + limit)`; false when it did nothing.
    func fastRun(limit: UInt64, inCut: Bool) throws -> Bool {
        guard limit > 0 else { return false }
        var consumed = 0
        var failure: OutputError?
        let base = reader.offset
        try reader.window.withBufferedBytes(minimum: 1 << 16) { bytes in
            let end = Int(min(UInt64(bytes.count), limit))
            var cursor = 0
            // Kept instructions that need no change are copied as one run, not one by one.
            var run = 0..<0
            func flush() throws(OutputError) {
                guard !run.isEmpty, let writer else { return }
                try writer.instructions(UnsafeRawBufferPointer(rebasing: bytes[run]), source: base + UInt64(run.lowerBound))
                run = cursor..<cursor
            }
            do {
                while cursor < end {
                    guard let length = Self.binaryInstructionLength(bytes, at: cursor), cursor + length <= end else { break }
                    let opcode = bytes[cursor]
                    // The caller may copy the frames from here on whole.
                    if opcode == PickleOpcode.frame.rawValue, cursor > 0, !inCut, !frames.isEmpty { break }
                    if inCut {
                        if let index = memoStoreIndex(bytes, at: cursor, opcode: opcode) { renumbering.remove(index) }
                    } else if let writer {
                        let instruction = UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + length)])
                        if try isVerbatim(instruction, opcode: opcode), length < FrameWriter.frameTarget {
                            if run.isEmpty { run = cursor..<cursor }
                            run = run.lowerBound..<(cursor + length)
                            cursor += length
                            if writer.pendingFrameBytes + run.count >= FrameWriter.frameTarget { try flush() }
                            continue
                        }
                        try flush()
                        try copyRewritten(instruction, opcode: opcode, writer: writer, at: base + UInt64(cursor))
                    } else if opcode == PickleOpcode.memoize.rawValue || opcode == PickleOpcode.binput.rawValue
                                || opcode == PickleOpcode.longBinput.rawValue {
                        inputMemoCount += 1
                    } else if Self.isBinaryGet(opcode) {
                        break  // the analysis run checks references on the general path
                    }
                    cursor += length
                    if run.isEmpty { run = cursor..<cursor }
                }
                try flush()
            } catch let error as OutputError {
                failure = error
            } catch {
                // NeedsFallback: the general path takes over at `cursor`.
                do { try flush() } catch let error as OutputError { failure = error } catch {}
            }
            consumed = cursor
        }
        if let failure { throw failure }
        reader.window.consume(consumed)
        return consumed > 0
    }

    private enum NeedsFallback: Error { case value }

    /// Whether a kept instruction goes out byte for byte (updating the memo counters for
    /// it); throws `NeedsFallback` for a reference into a removed range (the general path
    /// rematerialises or refuses).
    @inline(__always)
    private func isVerbatim(_ instruction: UnsafeRawBufferPointer, opcode: UInt8) throws -> Bool {
        switch opcode {
        case PickleOpcode.frame.rawValue:
            return false
        case PickleOpcode.memoize.rawValue:
            inputMemoCount += 1
            outputMemoCount += 1
            return true
        case PickleOpcode.binput.rawValue, PickleOpcode.longBinput.rawValue:
            inputMemoCount += 1
            outputMemoCount += 1
            let old = Self.memoArgument(instruction)
            return renumbering.newIndex(old) == old
        case PickleOpcode.binget.rawValue, PickleOpcode.longBinget.rawValue:
            let old = Self.memoArgument(instruction)
            if renumbering.isRemoved(old) && !renumbering.hasRematerialized(old) { throw NeedsFallback.value }
            return renumbering.newIndex(old) == old
        default:
            return true
        }
    }

    /// Writes a kept instruction that `isVerbatim` declined: frames are recomputed, memo
    /// indices renumbered.
    private func copyRewritten(_ instruction: UnsafeRawBufferPointer, opcode: UInt8, writer: FrameWriter, at offset: UInt64) throws(OutputError) {
        switch opcode {
        case PickleOpcode.frame.rawValue:
            try writer.inputFrame(at: offset, length: instruction.loadUnaligned(fromByteOffset: 1, as: UInt64.self).littleEndian)
        case PickleOpcode.binput.rawValue, PickleOpcode.longBinput.rawValue,
             PickleOpcode.binget.rawValue, PickleOpcode.longBinget.rawValue:
            let put = opcode == PickleOpcode.binput.rawValue || opcode == PickleOpcode.longBinput.rawValue
            try writer.memoInstruction(put: put, index: renumbering.newIndex(Self.memoArgument(instruction)))
        default:
            try writer.instruction(instruction, source: offset)
        }
    }

    private func memoStoreIndex(_ bytes: UnsafeRawBufferPointer, at cursor: Int, opcode: UInt8) -> Int64? {
        switch opcode {
        case PickleOpcode.memoize.rawValue:
            defer { inputMemoCount += 1 }
            return inputMemoCount
        case PickleOpcode.binput.rawValue:
            inputMemoCount += 1
            return Int64(bytes[cursor + 1])
        case PickleOpcode.longBinput.rawValue:
            inputMemoCount += 1
            return Int64(bytes.loadUnaligned(fromByteOffset: cursor + 1, as: UInt32.self).littleEndian)
        default:
            return nil
        }
    }

    static func isBinaryGet(_ opcode: UInt8) -> Bool {
        opcode == PickleOpcode.binget.rawValue || opcode == PickleOpcode.longBinget.rawValue
    }

    static func memoArgument(_ instruction: UnsafeRawBufferPointer) -> Int64 {
        instruction.count == 2 ? Int64(instruction[1]) : Int64(instruction.loadUnaligned(fromByteOffset: 1, as: UInt32.self).littleEndian)
    }

    /// The length of a binary-argument instruction at `offset`, or nil for PROTO, STOP,
    /// text opcodes, 8-byte lengths, unknown bytes, or one not wholly buffered.
    @inline(__always)
    static func binaryInstructionLength(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        let available = bytes.count - offset
        guard available >= 1 else { return nil }
        let opcode = bytes[offset]
        let length: Int
        switch opcode {
        case 0x8C, 0x55, 0x43:  // SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
            guard available >= 2 else { return nil }
            length = 2 + Int(bytes[offset + 1])
        case 0x58, 0x42:  // BINUNICODE, BINBYTES
            guard available >= 5 else { return nil }
            length = 5 + Int(bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self).littleEndian)
        case 0x4B, 0x68, 0x71, 0x82:  // BININT1, BINGET, BINPUT, EXT1
            length = 2
        case 0x4D, 0x83:  // BININT2, EXT2
            length = 3
        case 0x4A, 0x6A, 0x72, 0x84:  // BININT, LONG_BINGET, LONG_BINPUT, EXT4
            length = 5
        case 0x47:  // BINFLOAT
            length = 9
        case 0x8A:  // LONG1
            guard available >= 2 else { return nil }
            length = 2 + Int(bytes[offset + 1])
        case 0x95:  // FRAME
            length = 9
        case 0x94, 0x28, 0x29, 0x5D, 0x7D, 0x8F, 0x4E, 0x88, 0x89, 0x85, 0x86, 0x87, 0x61, 0x65, 0x73, 0x75,
             0x90, 0x91, 0x74, 0x6C, 0x64, 0x30, 0x31, 0x32, 0x52, 0x62, 0x81, 0x92, 0x93, 0x6F, 0x51, 0x97, 0x98:
            // MEMOIZE, MARK, EMPTY_TUPLE/LIST/DICT/SET, NONE, TRUE/FALSE, TUPLE1-3, APPEND(S),
            // SETITEM(S), ADDITEMS, FROZENSET, TUPLE, LIST, DICT, POP, POP_MARK, DUP, REDUCE,
            // BUILD, NEWOBJ(_EX), STACK_GLOBAL, OBJ, BINPERSID, NEXT_BUFFER, READONLY_BUFFER
            length = 1
        default:
            return nil
        }
        return length <= available ? length : nil
    }
}
