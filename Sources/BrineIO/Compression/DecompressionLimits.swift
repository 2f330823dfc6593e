/// Guards against decompression bombs. Public so the CLI can expose them as options.
public struct DecompressionLimits: Sendable, Equatable {
    /// Most bytes a single decompressed stream may produce.
    public var maximumOutputBytes: UInt64
    /// Largest output/input ratio tolerated once `ratioGraceBytes` have been produced.
    /// Real pickles compress 3–20×; zeros-only arrays reach ~1000× under zlib.
    public var maximumRatio: UInt64
    /// Output below this size is never judged by ratio, so tiny files of zeros pass.
    public var ratioGraceBytes: UInt64

    public init(maximumOutputBytes: UInt64 = 64 << 30, maximumRatio: UInt64 = 2_000, ratioGraceBytes: UInt64 = 64 << 20) {
        self.maximumOutputBytes = maximumOutputBytes
        self.maximumRatio = maximumRatio
        self.ratioGraceBytes = ratioGraceBytes
    }

    public static let `default` = DecompressionLimits()

    /// Throws when producing `output` bytes from `input` bytes breaks a limit.
    func check(output: UInt64, input: UInt64, path: String) throws(InputError) {
        if output > maximumOutputBytes {
            throw InputError(
                path: path, offset: output,
                reason: .limitExceeded(limit: "decompressed size limit", value: maximumOutputBytes, option: "--max-decompressed"))
        }
        if output > ratioGraceBytes, output / max(input, 1) > maximumRatio {
            throw InputError(
                path: path, offset: output,
                reason: .limitExceeded(limit: "compression ratio limit", value: maximumRatio, option: "--max-ratio"))
        }
    }
}
