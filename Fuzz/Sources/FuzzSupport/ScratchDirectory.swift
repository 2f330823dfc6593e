import Brine
import BrineIO
import Foundation

/// A private directory (in /dev/shm when it exists) where a harness writes its input as a
/// file and lets `brine strip` write beside it; nothing may appear outside it.
public final class ScratchDirectory {
    public let path: String

    public init() {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        path = base + "/brine-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Strips training-only attributes from `bytes` into the directory. Afterwards only
    /// the input and, on success, the output may exist there (no staging file left).
    public func strip(_ bytes: [UInt8]) {
        let input = path + "/input", output = path + "/output"
        FileManager.default.createFile(atPath: input, contents: Data(bytes))
        unlink(output)
        var options = StripOptions(selectors: [.deployPreset])
        options.inspect = FuzzLimits.inspect
        options.decompression = FuzzLimits.decompression
        options.maximumWindow = FuzzLimits.window
        do {
            _ = try Stripper.strip(input: input, output: output, options: options)
        } catch {
            checkOneLine(error)
        }
        let left = Set((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
        precondition(left.isSubset(of: ["input", "output"]), "strip left files behind: \(left.sorted())")
    }
}
