@testable import BrineIO
import Testing

/// The memo's byte table: the same contents as an array through the move into a mapping,
/// and copies that do not see each other's changes.
@Suite struct PageBackedBytesTests {
    @Test func holdsWhatAnArrayHoldsAcrossTheMoveIntoAMapping() {
        var table = PageBackedBytes(reservedBytes: 64 << 20)
        var reference: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        // Appends of every size, past the threshold twice over, with stores in between.
        while reference.count < 3 * PageBackedBytes.mappingThreshold {
            let chunk = (0..<Int.random(in: 1...40_000, using: &generator)).map { _ in UInt8.random(in: 0...254, using: &generator) }
            chunk.withUnsafeBufferPointer { table.append(contentsOf: $0) }
            reference += chunk
            let gap = Int.random(in: 0...3, using: &generator)
            table.append(repeating: 0xFF, count: gap)
            reference += repeatElement(0xFF, count: gap)
            let index = Int.random(in: 0..<reference.count, using: &generator)
            table[index] = 7
            reference[index] = 7
        }
        #expect(table.count == reference.count)
        #expect(table.withUnsafeBufferPointer { Array($0) } == reference)
        #expect(table[reference.count - 1] == reference.last)
    }

    @Test func copiesAreIndependentBeforeAndAfterTheMove() {
        for size in [1_000, PageBackedBytes.mappingThreshold + 1_000] {
            var original = PageBackedBytes(reservedBytes: 8 << 20)
            original.append(repeating: 1, count: size)
            var copy = original
            copy[0] = 2
            copy.append(repeating: 3, count: 10)
            #expect(original[0] == 1 && original.count == size)
            #expect(copy[0] == 2 && copy.count == size + 10)
            original[1] = 4
            #expect(copy[1] == 1)
        }
    }
}
