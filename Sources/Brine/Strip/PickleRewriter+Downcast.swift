import BrineIO

/// The float64→float32 rewrite (`DowncastPlan`): a dtype's `'f8'` argument becomes `'f4'`
/// (same length), and the data of the arrays that name it is converted as it is copied.
extension PickleRewriter {
    /// Rewrites the instruction at the next patch offset, which must push the text `f8`.
    func patchDType(_ plan: DowncastPlan) throws {
        let offset = reader.offset
        guard let instruction = try reader.readInstruction() else {
            throw PickleError(offset: offset, reason: .truncated(expected: "the dtype's type string"))
        }
        var bytes = try reader.withArgumentBytes(ByteSpan(offset: instruction.offset, count: instruction.length)) { Array($0) }
        let text: ByteSpan? = switch (instruction.opcode, instruction.argument) {
        case (.shortBinunicode, .data(let span)), (.binunicode, .data(let span)), (.binunicode8, .data(let span)),
             (.unicode, .line(let span)):
            span
        default:
            nil
        }
        let position = text.map { Int($0.offset - instruction.offset) }
        guard let text, let position, text.count == 2, bytes[position] == UInt8(ascii: "f"), bytes[position + 1] == UInt8(ascii: "8") else {
            throw StripError.verificationFailed("offset \(offset): expected the numpy dtype string 'f8' the inspection found there")
        }
        bytes[position + 1] = UInt8(ascii: "4")
        try writer?.instruction(bytes)
        advancePatch()
    }

    /// Copies `count` bytes of little-endian float64 data as float32, rounding to nearest
    /// (what numpy's `astype(np.float32)` does). A finite value beyond float32's range would
    /// become infinite: that refuses the rewrite instead.
    func copyFloat32(_ count: UInt64, writer: FrameWriter) throws {
        guard count % 8 == 0 else {
            throw StripError.verificationFailed("offset \(reader.offset): float64 array data of \(count) bytes is not whole numbers")
        }
        var remaining = count
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 19, alignment: 8)
        defer { scratch.deallocate() }
        while remaining > 0 {
            let offset = reader.offset
            let converted = try reader.window.withBufferedBytes(minimum: Int(min(remaining, 1 << 20))) { bytes -> (taken: Int, overflow: Bool) in
                let values = min(bytes.count, Int(min(remaining, UInt64(scratch.count * 2)))) / 8
                var overflow = false
                for index in 0..<values {
                    let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
                    let value = Double(bitPattern: bits)
                    let single = Float(value)
                    if value.isFinite && !single.isFinite { overflow = true }
                    scratch.storeBytes(of: single.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
                }
                try writer.raw(UnsafeRawBufferPointer(rebasing: scratch[..<(values * 4)]))
                return (values * 8, overflow)
            }
            if converted.overflow {
                throw StripError.unsupported("offset \(offset): a float64 value is beyond float32's range (±3.4e38); the arrays keep float64")
            }
            guard converted.taken > 0 else {
                throw PickleError(offset: reader.offset, reason: .truncated(expected: "\(remaining) bytes of array data"))
            }
            reader.window.consume(converted.taken)
            remaining -= UInt64(converted.taken)
        }
    }
}
