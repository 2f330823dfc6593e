/// What a platform measures when it applies its limit.
public enum BudgetMeasure: String, Codable, Sendable {
    /// The gzip'd tar of the files (a Heroku slug).
    case gzipTar = "gzip-tar"
    /// A zip of the files with deflate (an AWS Lambda upload).
    case zip
    /// The sum of file sizes once unpacked.
    case uncompressed
    /// The largest single file (App Engine's per-file limit).
    case largestFile = "largest-file"

    public var phrase: String {
        switch self {
        case .gzipTar: "compressed (gzip'd tar, as the platform packs it)"
        case .zip: "compressed (zip)"
        case .uncompressed: "uncompressed"
        case .largestFile: "largest single file"
        }
    }
}

/// A deploy limit a platform documents. The table is data: when a platform changes its
/// limit, edit the row and its `checked` date (docs/budgets.md lists the same rows).
public struct PlatformPreset: Codable, Sendable, Equatable {
    public var name: String
    public var platform: String
    public var bytes: UInt64
    /// Where the platform starts warning, if it does.
    public var warnBytes: UInt64?
    public var measure: BudgetMeasure
    public var source: String
    /// When the limit was last checked against `source` (YYYY-MM).
    public var checked: String

    public static func named(_ name: String) -> PlatformPreset? {
        all.first { $0.name == name }
    }

    public static let all: [PlatformPreset] = [
        PlatformPreset(
            name: "heroku-slug", platform: "Heroku slug (since March 2026; 500 MB before)", bytes: 1_000_000_000,
            warnBytes: 300_000_000, measure: .gzipTar,
            source: "https://www.heroku.com/blog/bigger-slugs-and-greater-build-timeout-flexibility/ ; https://devcenter.heroku.com/articles/slug-compiler",
            checked: "2026-11"),
        PlatformPreset(
            name: "heroku-slug-legacy", platform: "Heroku slug before March 2026", bytes: 500_000_000,
            warnBytes: 300_000_000, measure: .gzipTar,
            source: "https://devcenter.heroku.com/articles/slug-compiler", checked: "2026-11"),
        PlatformPreset(
            name: "lambda-zip", platform: "AWS Lambda .zip uploaded directly", bytes: 50_000_000, warnBytes: nil,
            measure: .zip, source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html", checked: "2026-11"),
        PlatformPreset(
            name: "lambda-unzipped", platform: "AWS Lambda package and layers, unzipped", bytes: 262_144_000, warnBytes: nil,
            measure: .uncompressed, source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html", checked: "2026-11"),
        PlatformPreset(
            name: "lambda-image", platform: "AWS Lambda container image", bytes: 10_737_418_240, warnBytes: nil,
            measure: .uncompressed, source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html", checked: "2026-11"),
        PlatformPreset(
            name: "vercel-function", platform: "Vercel function bundle", bytes: 250_000_000, warnBytes: nil,
            measure: .uncompressed, source: "https://vercel.com/kb/guide/troubleshooting-function-250mb-limit", checked: "2026-11"),
        PlatformPreset(
            name: "vercel-python", platform: "Vercel Python function bundle", bytes: 500_000_000, warnBytes: nil,
            measure: .uncompressed, source: "https://vercel.com/kb/guide/troubleshooting-function-250mb-limit", checked: "2026-11"),
        PlatformPreset(
            name: "app-engine-file", platform: "Google App Engine standard, per file", bytes: 33_554_432, warnBytes: nil,
            measure: .largestFile, source: "https://cloud.google.com/appengine/docs/standard/quotas", checked: "2026-11"),
    ]
}
