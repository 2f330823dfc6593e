/// A PEP 440 version reduced to what requirement checks compare: its release numbers
/// (`1.4.2`, `2.0`), with pre/post/dev/local parts dropped.
public struct PackageVersion: Comparable, Sendable, CustomStringConvertible {
    public var release: [Int]

    public init?(_ text: String) {
        var digits = Substring(text.trimmedBlank)
        if digits.first == "v" { digits = digits.dropFirst() }
        var parts: [Int] = []
        for piece in digits.split(separator: ".", omittingEmptySubsequences: false) {
            let number = piece.prefix { $0.isASCII && $0.isNumber }
            guard !number.isEmpty, let value = Int(number) else { break }
            parts.append(value)
            if number.count != piece.count { break }
        }
        guard !parts.isEmpty else { return nil }
        release = parts
    }

    init(release: [Int]) { self.release = release }

    public var description: String { release.map(String.init).joined(separator: ".") }

    /// Compares with trailing zeros ignored (`2` == `2.0.0`).
    public static func == (lhs: PackageVersion, rhs: PackageVersion) -> Bool { compare(lhs, rhs) == 0 }
    public static func < (lhs: PackageVersion, rhs: PackageVersion) -> Bool { compare(lhs, rhs) < 0 }

    static func compare(_ lhs: PackageVersion, _ rhs: PackageVersion) -> Int {
        for index in 0..<max(lhs.release.count, rhs.release.count) {
            let a = index < lhs.release.count ? lhs.release[index] : 0
            let b = index < rhs.release.count ? rhs.release[index] : 0
            if a != b { return a < b ? -1 : 1 }
        }
        return 0
    }

    func bumped(at index: Int) -> PackageVersion {
        var parts = Array(release.prefix(index + 1))
        while parts.count <= index { parts.append(0) }
        parts[index] += 1
        return PackageVersion(release: parts)
    }
}

/// A PEP 440 version specifier set (`>=1.3,<1.5`, `==1.4.*`, `~=1.4.2`).
public struct VersionSpecifier: Sendable, CustomStringConvertible {
    public struct Clause: Sendable {
        public var op: String
        public var version: PackageVersion
        public var wildcard: Bool
    }

    public var clauses: [Clause]
    public let text: String
    public var description: String { text }

    public init(_ text: String) {
        self.text = text.trimmedBlank
        var clauses: [Clause] = []
        for raw in self.text.split(separator: ",") {
            let piece = String(raw).trimmedBlank
            let op = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"].first { piece.hasPrefix($0) } ?? ""
            var rest = String(piece.dropFirst(op.count)).trimmedBlank
            let wildcard = rest.hasSuffix(".*")
            if wildcard { rest = String(rest.dropLast(2)) }
            guard let version = PackageVersion(rest) else { continue }
            clauses.append(Clause(op: op.isEmpty ? "==" : op, version: version, wildcard: wildcard))
        }
        self.clauses = clauses
    }

    /// True when nothing restricts the version.
    public var isEmpty: Bool { clauses.isEmpty }

    /// The one version allowed by `==X` (no wildcard), if the specifier is an exact pin.
    public var exactPin: PackageVersion? {
        guard clauses.count == 1, let clause = clauses.first, clause.op == "==" || clause.op == "===", !clause.wildcard else { return nil }
        return clause.version
    }

    public func allows(_ version: PackageVersion) -> Bool {
        clauses.allSatisfy { clause in
            let v = clause.version
            switch clause.op {
            case "==", "===":
                if clause.wildcard { return Array(version.release.prefix(v.release.count)) == v.release || prefixEqual(version, v) }
                return version == v
            case "!=":
                if clause.wildcard { return !prefixEqual(version, v) }
                return version != v
            case "<": return version < v
            case "<=": return version <= v
            case ">": return version > v
            case ">=": return version >= v
            case "~=": return version >= v && version < v.bumped(at: max(0, v.release.count - 2))
            default: return true
            }
        }
    }

    /// Whether some version at or above `floor` satisfies it (e.g. any numpy 2).
    public func allowsSome(atLeast floor: PackageVersion) -> Bool {
        var candidates = [floor, floor.bumped(at: 2), floor.bumped(at: 1), PackageVersion(release: [999])]
        for clause in clauses {
            candidates.append(clause.version)
            for index in 0..<clause.version.release.count { candidates.append(clause.version.bumped(at: index)) }
        }
        return candidates.contains { $0 >= floor && allows($0) }
    }

    private func prefixEqual(_ version: PackageVersion, _ prefix: PackageVersion) -> Bool {
        (0..<prefix.release.count).allSatisfy { ($0 < version.release.count ? version.release[$0] : 0) == prefix.release[$0] }
    }
}
