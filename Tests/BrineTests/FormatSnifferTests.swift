import Foundation
import Testing
@testable import Brine

/// The detector must never claim a pickle: every fixture of every protocol (0–5), plain and
/// joblib, passes; the formats it names are told apart by content alone.
struct FormatSnifferTests {
    static let pickles = Repository.fixtures(in: "pickle", extensions: ["pkl"])
        + Repository.fixtures(in: "models", extensions: ["pkl", "joblib", "gz", "bz2", "xz", "lzma", "lz4", "zlib"])
        + Repository.fixtures(in: "torch", extensions: ["pt", "pkl"])

    @Test(arguments: pickles)
    func noArtifactIsForeign(path: String) throws {
        let bytes = try readFile(path)
        let head = Array(bytes.prefix(FormatSniffer.headLength))
        #expect(FormatSniffer.foreign(head: head, size: UInt64(bytes.count), lastByte: bytes.last) == nil)
        #expect(throws: Never.self) { try FormatSniffer.refuseForeign(path: path) }
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func protocolZeroAndOneTextPicklesAreNotText(protocolVersion: Int) throws {
        let matches = Repository.fixtures(in: "pickle", extensions: ["pkl"]).filter { $0.hasSuffix("_p\(protocolVersion).pkl") }
        #expect(!matches.isEmpty)
        for path in matches {
            let bytes = try readFile(path)
            #expect(FormatSniffer.foreign(head: Array(bytes.prefix(512)), size: UInt64(bytes.count), lastByte: bytes.last)?.name != "text")
        }
    }

    @Test func namesFormatsByContent() {
        let header = Array(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        var safetensors = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        safetensors += [0, 0, 0, 0]
        #expect(FormatSniffer.foreign(head: safetensors, size: UInt64(safetensors.count))?.name == "safetensors")
        // The same length prefix claiming more than the file holds is still a safetensors file:
        // a damaged header goes to the safetensors reader, which names what is wrong and where.
        #expect(FormatSniffer.foreign(head: safetensors, size: 20)?.name == "safetensors")
        // Without the leading `{"` after eight bytes it is not one, whatever the length says.
        var notSafetensors = safetensors
        notSafetensors[8] = UInt8(ascii: "[")
        #expect(FormatSniffer.foreign(head: notSafetensors, size: UInt64(notSafetensors.count))?.name != "safetensors")
        // Header lengths 0x080 … 0x580 begin 80 0N, as PROTO N does.
        for length in stride(from: 0x80, through: 0x580, by: 0x100) {
            let padded = header + [UInt8](repeating: UInt8(ascii: " "), count: length - header.count)
            let file = withUnsafeBytes(of: UInt64(length).littleEndian, Array.init) + padded + [0, 0, 0, 0]
            #expect(FormatSniffer.foreign(head: Array(file.prefix(FormatSniffer.headLength)), size: UInt64(file.count))?.name == "safetensors")
        }
        #expect(FormatSniffer.foreign(head: [0x93] + Array("NUMPY".utf8) + [1, 0], size: 128)?.name == "npy")
        #expect(FormatSniffer.foreign(head: Array("GGUF".utf8) + [3, 0, 0, 0], size: 64)?.name == "gguf")
        #expect(FormatSniffer.foreign(head: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A], size: 64)?.name == "hdf5")
        #expect(FormatSniffer.foreign(head: [0x08, 0x07, 0x12, 0x07] + Array("pytorch".utf8), size: 64)?.name == "onnx")
        #expect(FormatSniffer.foreign(head: [0x1C, 0, 0, 0] + Array("TFL3".utf8), size: 64)?.name == "tflite")
        #expect(FormatSniffer.foreign(zipMembers: ["x.npy", "y.npy"])?.name == "npz")
        #expect(FormatSniffer.foreign(zipMembers: ["config.json", "metadata.json", "model.weights.h5"])?.name == "keras")
        #expect(FormatSniffer.foreign(zipMembers: ["archive/data.pkl", "archive/data/0"]) == nil)
        #expect(FormatSniffer.foreign(zipMembers: ["model.pkl", "code/inference.py"]) == nil)
    }
}
