import Foundation
import Testing
@testable import Brine
import BrineIO

@Suite struct FloatDowncasterTests {
    static func output(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("brine-downcast-\(UUID().uuidString)-\(name)").path
    }

    @Test(arguments: ["numpy_model.joblib", "numpy_model.joblib.zlib", "numpy_model.joblib.bz2", "numpy_model.joblib.lz4"])
    func weightsBecomeFloat32AndNothingElseChanges(name: String) throws {
        let input = Repository.path("fixtures/models/\(name)")
        let out = Self.output(name)
        defer { unlink(out) }
        let result = try #require(try FloatDowncaster.downcast(input: input, output: out, options: StripOptions(selectors: [])))
        #expect(result.arrays == 1)
        #expect(result.float64Bytes == 80_000)
        #expect(result.largest.map(\.path) == ["['weights']"])

        let before = try Inspector.inspect(path: input), after = try Inspector.inspect(path: out)
        #expect(after.compression == before.compression, "same codec out as in")
        let arrays = Dictionary(uniqueKeysWithValues: after.joblibArrays.map { ($0.descr + "\($0.dataBytes)", $0) })
        #expect(arrays["<f440000"] != nil, "weights: float32, half the bytes")
        #expect(arrays["<f4200"] != nil, "bias was float32 already and is unchanged")
        #expect(after.streamBytes == before.streamBytes - 40_000)
    }

    @Test func theDataIsFloat32RoundingOfTheOriginal() throws {
        let input = Repository.path("fixtures/models/numpy_model.joblib")
        let out = Self.output("values.joblib")
        defer { unlink(out) }
        _ = try FloatDowncaster.downcast(input: input, output: out, options: StripOptions(selectors: []))
        let before = try Inspector.inspect(path: input), after = try Inspector.inspect(path: out)
        let original = try #require(before.joblibArrays.first { $0.descr == "<f8" })
        let converted = try #require(after.joblibArrays.first { $0.descr == "<f4" && $0.dataBytes == 40_000 })
        let inputBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
        let outputBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        // Raw spans start with joblib's padding-length byte, then the padding.
        let from = Int(original.rawOffset) + 1 + Int(inputBytes[Int(original.rawOffset)])
        let to = Int(converted.rawOffset) + 1 + Int(outputBytes[Int(converted.rawOffset)])
        for index in 0..<10_000 {
            let double = inputBytes.withUnsafeBytes { Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: from + index * 8, as: UInt64.self))) }
            let single = outputBytes.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: to + index * 4, as: UInt32.self))) }
            #expect(single == Float(double), "element \(index)")
        }
    }

    @Test func aFileWithoutFloat64ArraysWritesNothing() throws {
        let out = Self.output("none.joblib")
        #expect(try FloatDowncaster.downcast(input: Repository.path("fixtures/models/random_forest.joblib"), output: out,
                                             options: StripOptions(selectors: [])) == nil)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aTruncatedInputIsATypedErrorAndWritesNothing() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Repository.path("fixtures/models/numpy_model.joblib"))))
        let input = Self.output("truncated.joblib")
        try Data(bytes[..<50_000]).write(to: URL(fileURLWithPath: input))
        defer { unlink(input) }
        let out = Self.output("out.joblib")
        #expect {
            _ = try FloatDowncaster.downcast(input: input, output: out, options: StripOptions(selectors: []))
        } throws: { error in
            guard case StripError.input(let inner) = error else { return false }
            return "\(inner)".contains("offset")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
