/// What `brine repack` did (or would do), step by step, in the order it tried them.
public struct RepackPlan: Codable, Sendable, Equatable {
    public struct Step: Codable, Sendable, Equatable {
        /// "strip --preset deploy", "recompress xz:6", "members: strip --preset deploy".
        public var action: String
        public var bytesBefore: UInt64
        public var bytesAfter: UInt64
        public var saving: UInt64 { bytesBefore > bytesAfter ? bytesBefore - bytesAfter : 0 }
        public var note: String?

        enum CodingKeys: String, CodingKey { case action, bytesBefore, bytesAfter, saving, note }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(action, forKey: .action)
            try container.encode(bytesBefore, forKey: .bytesBefore)
            try container.encode(bytesAfter, forKey: .bytesAfter)
            try container.encode(saving, forKey: .saving)
            try container.encodeIfPresent(note, forKey: .note)
        }

        public init(action: String, bytesBefore: UInt64, bytesAfter: UInt64, note: String? = nil) {
            self.action = action
            self.bytesBefore = bytesBefore
            self.bytesAfter = bytesAfter
            self.note = note
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            action = try container.decode(String.self, forKey: .action)
            bytesBefore = try container.decode(UInt64.self, forKey: .bytesBefore)
            bytesAfter = try container.decode(UInt64.self, forKey: .bytesAfter)
            note = try container.decodeIfPresent(String.self, forKey: .note)
        }
    }

    /// A codec tried, with the size it gave; listed fastest to load first.
    public struct Candidate: Codable, Sendable, Equatable {
        public var codec: String
        public var bytes: UInt64
        public var fits: Bool
    }

    public var input: String
    public var output: String?
    public var kind: MemberKind
    public var limitBytes: UInt64
    public var inputBytes: UInt64
    public var outputBytes: UInt64
    public var fits: Bool
    public var steps: [Step]
    public var candidates: [Candidate]
    /// When nothing fits: what takes the most room in the smallest result reached (after
    /// the strip, so never what it removed).
    public var dominant: [AttributeSize]
    public var notes: [String]
    /// Without --allow-lossy, when the lossless steps do not fit: the steps the flag would
    /// add, measured by running them into scratch files (the figures a real run gives).
    public var lossySteps: [Step]? = nil
    /// The codecs tried after that downcast when it alone does not fit.
    public var lossyCandidates: [Candidate]? = nil
}

public enum RepackError: Error, CustomStringConvertible {
    case input(InputErrorBox)
    case strip(String)
    case output(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .input(let box): box.description
        case .strip(let text), .output(let text), .unsupported(let text): text
        }
    }
}

/// Carries the input layer's error (with file and offset) through the repack layer.
public struct InputErrorBox: Sendable, CustomStringConvertible {
    public var description: String
}
