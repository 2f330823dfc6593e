/// The one place the version is written: `brine --version`, the reports' tool version and
/// the wheel's version (pyproject.toml reads this line with a pattern; docs/packaging.md).
enum BrineVersion {
    static let current = "0.1.0"
}
