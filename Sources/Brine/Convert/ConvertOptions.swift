import BrineIO

/// How `brine convert` reads its input and what it accepts.
public struct ConvertOptions: Sendable {
    /// Convert only the subtree at this dict key or `brine inspect` path (`model_state_dict`,
    /// `['model_state_dict']`).
    public var key: String?
    /// Any dropped value (a non-tensor, a tensor of a dtype the output has no type for) is an error.
    public var strict = false
    /// Convert even when `brine check` finds dangerous or unknown globals (BR6xx).
    public var allowUnsafeInput = false
    /// Hugging Face style shards of at most this many data bytes (safetensors only).
    public var shardBytes: UInt64?
    /// Storage bytes held at once while a tensor is gathered.
    public var copyWindowBytes = 16 << 20
    public var inspect = InspectOptions()
    public var zip = ZipLimits.default
    public var decompression = DecompressionLimits.default
    public var maximumWindow = 64 << 20

    public init() {}
}

/// The refusal of dangerous input: the check engine's security findings (BR6xx) for the
/// inspection already made, so the file is read once for both.
enum UnsafeInputGate {
    static func check(_ facts: ArtifactFacts, options: ConvertOptions) throws(ConvertError) -> [Finding] {
        let findings = Checker.findings(facts, context: CheckContext()).filter { $0.rule.isSecurity }
        if !findings.isEmpty, !options.allowUnsafeInput { throw .unsafeInput(findings) }
        return findings
    }

    /// The note an accepted unsafe input gets in the report.
    static func note(_ findings: [Finding]) -> [String] {
        guard !findings.isEmpty else { return [] }
        let codes = Set(findings.map(\.code)).sorted().joined(separator: ", ")
        return ["converted despite \(findings.count) dangerous or unknown global(s) (\(codes)), as --allow-unsafe-input asked; nothing from the file was executed"]
    }
}
