import BrineIO

extension Decompiler {
    /// The batches that make artifacts huge (`stop_words_`, `vocabulary_`) once their
    /// container is summarised: inspect's scanner (`SymbolicMachine.scan`) counts whole
    /// scalar items straight from the window's bytes, their memo entries one byte each,
    /// with no instruction, value or string made per item. Anything else ends the scan and
    /// the instruction loop goes on at the same byte. True when it consumed something.
    func scanSummarisedBatch() throws(PickleError) -> Bool {
        guard let mark = marks.last, mark.lazy, mark.index == stack.count, mark.index > 0,
              let container = stack[mark.index - 1].container, container.variable == nil, container.parts.isSummarising,
              memo.acceptsSequentialAppend else { return false }
        let group = container.kind == .dict ? 2 : 1
        // A key held from before a FRAME: its value must pair with it, not start an item.
        guard lazyItems.count % group == 0 else { return false }
        let start = reader.offset
        let memoBase = Int64(memo.count)
        let memoRoom = max(0, options.maximumMemoEntries - memo.count)
        var result = SymbolicMachine.ScanResult()
        var padded: [Range<Int>] = []  // check's padded-string ranges: decompile does not ask for them
        var frames: [SymbolicMachine.ScanFrame] = []  // FRAMEs change nothing here
        let terminator = SymbolicMachine.batchTerminator(of: container.kind == .dict ? .dict : container.kind == .set ? .set : .list)
        do {
            for minimum in [1 << 16, SymbolicMachine.largeBatchBuffer] {
                result = try reader.window.withBufferedBytes(minimum: minimum) { bytes in
                    memo.withCodes { codes in
                        SymbolicMachine.scan(bytes, group: group, terminator: terminator, memoKinds: codes, memoBase: memoBase,
                                             memoRoom: memoRoom, kinds: &scanKinds, padded: &padded, frames: &frames)
                    }
                }
                if !result.stoppedNearEnd || reader.window.bufferedCount < minimum { break }
            }
        } catch let error as InputError {
            throw PickleError(error)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        // A batch the scan cannot take whole (a TUPLE1 would pop its last value, …) is held
        // item by item by `stepLazily`, which pushes what it holds before any such opcode.
        if result.refused { marks[marks.count - 1].lazy = false }
        guard result.consumed > 0 else { return false }
        memo.appendSequential(scanKinds[..<result.memoEntries])
        reader.window.consume(result.consumed)
        highestProtocol = max(highestProtocol, result.highestProtocol)
        for (index, kinds) in result.kindsOfItems.enumerated() {
            let key = DecompiledValue(kind: DecompiledValue.Kind(kinds.0)).typeName
            let name = group == 2 ? key + ": " + DecompiledValue(kind: DecompiledValue.Kind(kinds.1)).typeName : key
            container.parts.hide(kind: name, count: index == 0 ? result.items : 0, start: start)
        }
        return true
    }
}
