import Testing
@testable import Brine
import BrineIO

/// A FRAME may fall between any two opcodes, including between a value and its MEMOIZE
/// (Brine's own re-framing wrote that; CPython's does not). The fast path must not fold the
/// value away before the store that follows the frame.
@Suite struct FrameSplitTests {
    /// `{'kept': ['hello', ...]}` appended in batches of 1,000, with a FRAME inserted between
    /// item `frameAfter`'s string and its MEMOIZE.
    static func pickle(batches: Int, frameAfter: Int) -> [UInt8] {
        var bytes: [UInt8] = [0x80, 0x04, 0x7D, 0x94, 0x28, 0x8C, 0x04] + Array("kept".utf8) + [0x94, 0x5D, 0x94]
        var item = 0
        for _ in 0..<batches {
            bytes.append(0x28)
            for _ in 0..<1000 {
                bytes += [0x8C, 0x05] + Array("hello".utf8)
                if item == frameAfter { bytes += [0x95, 0, 0, 1, 0, 0, 0, 0, 0] }
                bytes.append(0x94)
                item += 1
            }
            bytes.append(0x65)
        }
        return bytes + [0x75, 0x2E]
    }

    @Test(arguments: [0, 5_500, 19_998])
    func aFrameBetweenAValueAndItsMemoizeParses(frameAfter: Int) throws {
        let bytes = Self.pickle(batches: 20, frameAfter: frameAfter)
        for chunk in [Int.max, 65_536] {
            let inspection = try Inspector.inspect(source: MemorySource(bytes, chunkLimit: chunk), name: "split", fileBytes: UInt64(bytes.count))
            #expect(inspection.graph[inspection.roots[0]].itemCount == 1, "chunk \(chunk)")
        }
    }
}
