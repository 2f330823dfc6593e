import BrineIO

/// A part to drop from the stream: a dict entry or attribute, key and value.
public struct StripCut: Sendable, Equatable {
    public var path: String
    /// Instructions of the key and the value.
    public var range: Range<UInt64>
    /// Where the value's instructions start (for `--set-none`, which keeps the key).
    public var valueStart: UInt64
    /// Where the value's instructions end, when not at the range's end (SETITEM follows).
    public var valueEnd: UInt64? = nil
    /// What the removed value was, for messages: `set of 41,872,113 str`.
    public var what: String
    /// The memo indices the range (and the value alone) define, when the inspection saw them
    /// defined in sequence: the rewriter then skips the range without reading it.
    public var memo: Range<Int64>? = nil
    public var valueMemoStart: Int64? = nil

    /// The end of what is dropped: the whole entry, or with `--set-none` its value.
    func dropEnd(setNone: Bool) -> UInt64 { setNone ? valueEnd ?? range.upperBound : range.upperBound }
}

/// Copies a pickle stream instruction by instruction, leaving out the cut ranges (or
/// replacing their values with None), renumbering memo indices, and re-framing. Raw spans
/// (joblib array data, nested pickles) are copied as bytes.
///
/// Run once with `sink == nil` to analyse: it finds which memo entries defined inside a
/// cut are referenced from outside. A second run with those `needed` indices writes the
/// output, writing such values again where they are first referenced if they are immutable
/// scalars (strings, numbers), and refusing otherwise.
final class PickleRewriter {
    let reader: PickleReader
    private let cuts: [StripCut]
    private let rawSpans: [RawSpan]
    /// The input's frames (from the inspection), for copying runs of them whole.
    let frames: [FrameFact]
    var frameCursor = 0
    private let setNone: Bool
    let writer: FrameWriter?
    let needed: Set<Int64>
    /// A float64→float32 rewrite to apply on the way (`brine repack --allow-lossy`).
    let downcast: DowncastPlan?
    private var patchIndex = 0
    func advancePatch() { patchIndex += 1 }

    /// Indices defined inside cuts and referenced from outside (filled by the analysis run).
    private(set) var referencedFromOutside: [Int64: (path: String, offset: UInt64)] = [:]

    // Per-pickle state.
    var renumbering = MemoRenumbering()
    var inputMemoCount: Int64 = 0
    var outputMemoCount: Int64 = 0
    private var protocolVersion = 0
    /// Defining instructions of needed entries, captured inside cuts.
    private var captured: [Int64: [UInt8]] = [:]
    /// The last scalar-pushing instruction inside a cut, in case a memo store right after
    /// it defines an entry something outside needs (read again only then).
    private var lastScalar: ByteSpan?
    /// Memo indices each cut defined, to name the cut a stray reference points into.
    private var cutIndices: [(path: String, first: Int64, last: Int64)] = []

    init(reader: PickleReader, cuts: [StripCut], rawSpans: [RawSpan], frames: [FrameFact] = [], setNone: Bool, sink: ByteSink?,
         needed: Set<Int64> = [], downcast: DowncastPlan? = nil) {
        self.downcast = downcast
        self.frames = frames
        self.reader = reader
        self.cuts = cuts.sorted { $0.range.lowerBound < $1.range.lowerBound }
        self.rawSpans = rawSpans.sorted { $0.span.offset < $1.span.offset }
        self.setNone = setNone
        self.writer = sink.map(FrameWriter.init)
        self.needed = needed
    }

    func run() throws(StripError) {
        var cutIndex = 0
        var rawIndex = 0
        do {
            while !(try reader.isAtEnd()) {
                let offset = reader.offset
                while cutIndex < cuts.count, cuts[cutIndex].range.upperBound <= offset { cutIndex += 1 }
                let cut = cutIndex < cuts.count ? cuts[cutIndex] : nil
                let dropFrom = cut.map { setNone ? $0.valueStart : $0.range.lowerBound }
                let inCut = cut.map { offset >= dropFrom! && offset < $0.dropEnd(setNone: setNone) } ?? false

                if let downcast, patchIndex < downcast.dtypePatches.count, downcast.dtypePatches[patchIndex] == offset, !inCut {
                    try patchDType(downcast)
                    try finishCutIfDone(cut)
                    continue
                }
                if rawIndex < rawSpans.count, rawSpans[rawIndex].span.offset == offset {
                    try copyRaw(rawSpans[rawIndex], keep: !inCut, toFloat32: downcast?.arrays.contains(offset) ?? false)
                    rawIndex += 1
                    try finishCutIfDone(cut)
                    continue
                }
                if inCut, offset == dropFrom, needed.isEmpty, let cut, try skipUnread(cut, from: offset, rawIndex: &rawIndex) {
                    try finishCutIfDone(cut)
                    continue
                }
                // Up to the next boundary (a cut's edge or a raw span), the fast path may run.
                var boundary = UInt64.max
                if let cut { boundary = offset < dropFrom! ? dropFrom! : cut.range.upperBound }
                if let cut, offset >= dropFrom!, offset < cut.dropEnd(setNone: setNone) { boundary = cut.dropEnd(setNone: setNone) }
                if rawIndex < rawSpans.count { boundary = min(boundary, rawSpans[rawIndex].span.offset) }
                if let downcast, patchIndex < downcast.dtypePatches.count { boundary = min(boundary, downcast.dtypePatches[patchIndex]) }
                if !inCut, needed.isEmpty, try copyPlainFrames(at: offset, boundary: boundary) {
                    lastScalar = nil
                    continue
                }
                if needed.isEmpty, try fastRun(limit: boundary - offset, inCut: inCut) {
                    lastScalar = nil
                    try finishCutIfDone(cut)
                    continue
                }
                guard let instruction = try reader.readInstruction() else { break }
                if inCut, let cut {
                    try dropped(instruction, cut: cut)
                } else {
                    try kept(instruction, cuts: cuts)
                }
                try finishCutIfDone(cut)
            }
            try writer?.commitFrame()
        } catch let error as PickleError {
            throw .input(error)
        } catch let error as OutputError {
            throw .output(error)
        } catch let error as StripError {
            throw error
        } catch is NeedsAnalysis {
            throw .needsAnalysis
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private struct NeedsAnalysis: Error {}

    /// Drops a whole cut without decoding it, when the inspection knows which memo indices
    /// it defines (the usual case: picklers number the memo in sequence). References to
    /// those indices from outside still surface later, on the general path.
    private func skipUnread(_ cut: StripCut, from offset: UInt64, rawIndex: inout Int) throws -> Bool {
        guard let memo = cut.memo else { return false }
        let first = setNone ? (cut.valueMemoStart ?? memo.upperBound) : memo.lowerBound
        guard first >= memo.lowerBound, first <= memo.upperBound else { return false }
        if first < memo.upperBound {
            renumbering.remove(first..<memo.upperBound)
            cutIndices.append((cut.path, first, memo.upperBound - 1))
            inputMemoCount += memo.upperBound - first
        }
        let end = cut.dropEnd(setNone: setNone)
        try reader.skipRaw(end - offset, expected: "the rest of \(cut.path)")
        while rawIndex < rawSpans.count, rawSpans[rawIndex].span.offset < end { rawIndex += 1 }
        lastScalar = nil
        return true
    }

    /// With `--set-none`, a None takes the value's place once its instructions are passed.
    private func finishCutIfDone(_ cut: StripCut?) throws {
        guard setNone, let cut, reader.offset == cut.dropEnd(setNone: true) else { return }
        try writer?.instruction([PickleOpcode.pushNone.rawValue])
    }

    private func dropped(_ instruction: PickleInstruction, cut: StripCut) throws {
        if instruction.opcode.isMemoPut {
            let old = try memoIndex(of: instruction)
            renumbering.remove(old)
            if let last = cutIndices.last, last.path == cut.path {
                cutIndices[cutIndices.count - 1] = (cut.path, min(last.first, old), max(last.last, old))
            } else {
                cutIndices.append((cut.path, old, old))
            }
            if !needed.isEmpty, needed.contains(old) {
                guard let definition = lastScalar else {
                    throw StripError.refused(path: cut.path, referenceOffset: instruction.offset,
                                             detail: "an object inside it is also used elsewhere")
                }
                captured[old] = try reader.withArgumentBytes(definition) { Array($0) }
            }
        }
        lastScalar = Self.isImmutableScalar(instruction.opcode) && instruction.length <= 1 << 16
            ? ByteSpan(offset: instruction.offset, count: instruction.length) : nil
    }

    private func kept(_ instruction: PickleInstruction, cuts: [StripCut]) throws {
        lastScalar = nil
        switch instruction.opcode {
        case .frame:
            // Frames are recomputed, ending where the input's did.
            if case .unsigned(let length) = instruction.argument { try writer?.inputFrame(at: instruction.offset, length: length) }
        case .proto:
            if case .integer(let version) = instruction.argument { protocolVersion = Int(version) }
            try copy(instruction)
            writer?.framing = protocolVersion >= 4
        case .stop:
            try copy(instruction)
            try writer?.commitFrame()
            writer?.framing = false
            renumbering = MemoRenumbering()
            inputMemoCount = 0
            outputMemoCount = 0
            captured = [:]
            cutIndices = []
        case .put, .binput, .longBinput, .memoize:
            let old = try memoIndex(of: instruction)
            try writeMemoStore(instruction, index: renumbering.newIndex(old))
            outputMemoCount += 1
        case .get, .binget, .longBinget:
            let old = try memoIndex(of: instruction)
            if renumbering.isRemoved(old) && !renumbering.hasRematerialized(old) {
                let owner = cutIndices.last { $0.first <= old && old <= $0.last }?.path ?? "a removed attribute"
                guard writer != nil else {
                    if referencedFromOutside[old] == nil { referencedFromOutside[old] = (owner, instruction.offset) }
                    return
                }
                guard let definition = captured[old] else {
                    if !needed.contains(old) {
                        // Not foreseen: an analysis run must find every such entry first.
                        throw NeedsAnalysis()
                    }
                    throw StripError.refused(path: owner, referenceOffset: instruction.offset,
                                             detail: "something outside it refers to an object inside it")
                }
                // Write the immutable value again where it is first needed, and memoize it.
                try writer?.instruction(definition)
                let newIndex = outputMemoCount
                try writeMemoStore(nil, index: newIndex)
                outputMemoCount += 1
                renumbering.insertBefore(inputMemoCount, rematerializing: old, as: newIndex)
                return
            }
            try writeMemoGet(instruction, index: renumbering.newIndex(old))
        default:
            try copy(instruction)
        }
    }

    /// The input's memo index an instruction stores to or loads from.
    private func memoIndex(of instruction: PickleInstruction) throws -> Int64 {
        switch instruction.argument {
        case .integer(let value):
            if instruction.opcode.isMemoPut { inputMemoCount += 1 }
            return value
        case .line(let span):
            let text = try reader.withArgumentBytes(span) { String(decoding: $0, as: UTF8.self) }
            guard let value = Int64(text.trimmingSpaces) else {
                throw PickleError(offset: instruction.offset, opcode: instruction.opcode, reason: .invalidArgument("memo index \(text)"))
            }
            if instruction.opcode.isMemoPut { inputMemoCount += 1 }
            return value
        default:
            defer { inputMemoCount += 1 }
            return inputMemoCount
        }
    }

    private func writeMemoStore(_ original: PickleInstruction?, index: Int64) throws {
        guard let writer else { return }
        if let original, original.opcode == .memoize { return try copy(original) }
        if original == nil && protocolVersion >= 4 { return try writer.instruction([PickleOpcode.memoize.rawValue]) }
        try writer.instruction(Self.memoInstruction(put: true, index: index, text: original?.opcode == .put))
    }

    private func writeMemoGet(_ original: PickleInstruction, index: Int64) throws {
        try writer?.instruction(Self.memoInstruction(put: false, index: index, text: original.opcode == .get))
    }

    /// PUT/GET in the smallest binary form that holds `index` (text form for protocol 0).
    static func memoInstruction(put: Bool, index: Int64, text: Bool) -> [UInt8] {
        if text {
            return [put ? PickleOpcode.put.rawValue : PickleOpcode.get.rawValue] + Array(String(index).utf8) + [0x0A]
        }
        if index < 256 {
            return [put ? PickleOpcode.binput.rawValue : PickleOpcode.binget.rawValue, UInt8(index)]
        }
        let value = UInt32(truncatingIfNeeded: index)
        return [put ? PickleOpcode.longBinput.rawValue : PickleOpcode.longBinget.rawValue,
                UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
    }

    private func copy(_ instruction: PickleInstruction) throws {
        guard let writer else { return }
        try reader.withArgumentBytes(ByteSpan(offset: instruction.offset, count: instruction.length)) { bytes throws(PickleError) in
            do { try writer.instruction(bytes, source: instruction.offset) } catch {
                throw PickleError(offset: instruction.offset, reason: .invalidArgument("\(error)"))
            }
        }
    }

    /// Instructions that push a value which is safe to write twice: strings and numbers.
    static func isImmutableScalar(_ opcode: PickleOpcode) -> Bool {
        switch opcode {
        case .shortBinunicode, .binunicode, .binunicode8, .unicode, .shortBinbytes, .binbytes, .binbytes8,
             .binint, .binint1, .binint2, .int, .long, .long1, .long4, .binfloat, .float, .string, .binstring, .shortBinstring:
            true
        default:
            false
        }
    }

    /// Copies joblib array data; its padding is recomputed for the new position, as joblib
    /// itself computes it when writing.
    private func copyRaw(_ raw: RawSpan, keep: Bool, toFloat32: Bool = false) throws {
        var remaining = raw.span.count
        if let alignment = raw.alignment, alignment > 0 {
            let paddingOffset = reader.offset
            let padding = UInt64(try reader.readRawByte(expected: "joblib padding length byte"))
            var paddedAsJoblib = true
            for _ in 0..<padding where try reader.readRawByte(expected: "joblib array padding") != 0xFF { paddedAsJoblib = false }
            remaining -= 1 + padding
            if keep, let writer {
                try writer.commitFrame()
                let newPadding = alignment - Int((writer.position + 1) % UInt64(alignment))
                let bytes = [UInt8(truncatingIfNeeded: newPadding)] + [UInt8](repeating: 0xFF, count: newPadding)
                // joblib pads with 0xFF too: the same length is the same bytes.
                let source: UInt64? = UInt64(newPadding) == padding && paddedAsJoblib ? paddingOffset : nil
                try withBytes(bytes) { raw throws(OutputError) in try writer.raw(raw, source: source) }
            }
        }
        if toFloat32, keep, let writer { return try copyFloat32(remaining, writer: writer) }
        try copyUnchanged(remaining, keep: keep, what: "array data")
    }

    /// Copies the next `count` input bytes out unchanged (or drops them): by reference when
    /// the sink takes that, without reading them; otherwise straight from the window.
    func copyUnchanged(_ count: UInt64, keep: Bool, what: String) throws {
        if keep, let writer, writer.reusesInput {
            try writer.reuseInput(from: reader.offset, count: count)
            return try reader.skipRaw(count, expected: "\(count) bytes of \(what)")
        }
        var remaining = count
        while remaining > 0 {
            let source = reader.offset
            let taken = try reader.window.withBufferedBytes(minimum: Int(min(remaining, 1 << 20))) { bytes -> Int in
                let take = Int(min(UInt64(bytes.count), remaining))
                if keep, let writer { try writer.raw(UnsafeRawBufferPointer(rebasing: bytes[..<take]), source: source) }
                return take
            }
            guard taken > 0 else {
                throw PickleError(offset: reader.offset, reason: .truncated(expected: "\(remaining) bytes of \(what)"))
            }
            reader.window.consume(taken)
            remaining -= UInt64(taken)
        }
    }

    /// At an input FRAME: copies it and the plain frames right after it whole, up to
    /// `boundary` (a cut, raw data, a patch), when no memo index inside needs renumbering.
    private func copyPlainFrames(at offset: UInt64, boundary: UInt64) throws -> Bool {
        guard let writer, !frames.isEmpty else { return false }
        while frameCursor < frames.count, frames[frameCursor].offset < offset { frameCursor += 1 }
        guard frameCursor < frames.count, frames[frameCursor].offset == offset else { return false }
        // The run ends where a recorded frame starts, so the memo count there is known.
        var last = frameCursor
        while last + 1 < frames.count, frames[last].plain, frames[last].end == frames[last + 1].offset, frames[last].end <= boundary {
            last += 1
        }
        let stores = Int64(frames[last].memoStart - frames[frameCursor].memoStart)
        guard last > frameCursor, stores >= 0 else { return false }
        try copyUnchanged(frames[last].offset - offset, keep: true, what: "pickle frames")
        writer.followInputFrames()
        inputMemoCount += stores
        outputMemoCount += stores
        frameCursor = last
        return true
    }
}
