import Brine
import Foundation

/// The artifacts of a bundle, as `dis` and `decompile` go through them: each one (or the
/// one `--member` names) handed to `body` as a file on disk, with the PyTorch record the
/// name goes on to inside it (`model.tar.gz!model.pth!archive/data.pkl`). A `--member`
/// naming nothing in the bundle is a usage error listing what it holds.
struct BundleArtifactWalk {
    let options: BundleOptions

    /// `body(path, diskPath, record)` reports its own failures and returns false for them;
    /// the status is then `unreadableInput`, after every other artifact had its turn.
    func run(_ input: CommandInput, member: String?, io: CommandIO,
             _ body: @escaping (_ path: String, _ diskPath: String, _ record: String?) -> Bool) -> ExitStatus {
        let file = input.path
        var failed = false
        let walker = BundleWalker(options: options)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory)
        if let member {
            walker.handOverPath = file + (file.hasSuffix("/") ? "" : (isDirectory.boolValue ? "/" : "!")) + member
        }
        let wanted = walker.handOverPath
        walker.handOver = { path, diskPath in
            // A record of a PyTorch zip inside the bundle: the rest of the name after the zip's.
            let record = wanted.flatMap { $0.hasPrefix(path + "!") ? String($0.dropFirst(path.count + 1)) : nil }
            if !body(path, diskPath, record) { failed = true }
        }
        let root: BundleMember
        do {
            root = try walker.walk(path: file, followsLink: true)
        } catch {
            io.report(error.description)
            return .unreadableInput
        }
        if let member, walker.handedOver == 0 {
            let names = root.flattened().dropFirst().filter { $0.kind != .directory }.map { $0.name(relativeTo: file) }
            io.report("\(input.name): no member \(member); it holds \(names.joined(separator: ", "))")
            return .usage
        }
        return failed ? .unreadableInput : .success
    }
}
