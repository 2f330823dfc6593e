import BrineIO

#if canImport(Glibc)
import Glibc
#endif

/// See `BundleWalker.parallelVisitor`.
public struct ParallelVisitor: Sendable {
    public var visit: @Sendable (ArtifactVisit) -> Void
    public var merge: @Sendable () -> Void

    public init(visit: @escaping @Sendable (ArtifactVisit) -> Void, merge: @escaping @Sendable () -> Void) {
        self.visit = visit
        self.merge = merge
    }
}

/// One file of a directory read by a walker of its own.
struct Prefetched: Sendable {
    var member: Result<BundleMember, InputError>
    var merge: @Sendable () -> Void
    var json: [String: [UInt8]]
    /// Members that walker counted, the file itself included.
    var members: Int
}

extension BundleWalker {
    /// Reads every regular file under `directory` (links are never followed, as in the
    /// walk) on `jobs` threads, largest first, before the walk takes them in its order.
    func prefetch(directory: String, root: String) {
        guard jobs > 1, handOver == nil, let factory = parallelVisitor else { return }
        var files: [(path: String, size: Int)] = []
        collect(directory, into: &files)
        guard files.count > 1 else { return }
        var own = self.options
        own.progress = nil
        let options = own
        let order = files.indices.sorted { files[$0].size != files[$1].size ? files[$0].size > files[$1].size : $0 < $1 }
        let paths = files.map(\.path)
        let results = ParallelWork.map(count: paths.count, jobs: jobs, order: order) { index -> Prefetched? in
            var info = stat()
            guard lstat(paths[index], &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            let walker = BundleWalker(options: options)
            let visitor = factory()
            walker.visitor = visitor.visit
            let display = String(paths[index])
            let member = Result(catching: { () throws(InputError) -> BundleMember in
                try walker.walk(path: paths[index], display: display, info: info, root: root, depth: 0)
            })
            return Prefetched(member: member, merge: visitor.merge, json: walker.capturedJSON, members: walker.members)
        }
        for (path, result) in zip(paths, results) {
            if let result { prefetched[path] = result }
        }
    }

    /// A prefetched file, when taking it keeps the member count where a one-thread walk
    /// has it; otherwise the file is read again here and reaches the limit as it would.
    func take(_ path: String) -> Prefetched? {
        guard let done = prefetched.removeValue(forKey: path), members + done.members - 1 <= options.maximumMembers else { return nil }
        members += done.members - 1
        return done
    }

    /// Regular files under `directory` in walk order (names sorted), as many as the member
    /// limit lets a walk reach.
    private func collect(_ directory: String, into files: inout [(path: String, size: Int)]) {
        var names = listDirectory(directory)
        names.sort()
        for name in names where files.count < options.maximumMembers {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: collect(path, into: &files)
            case S_IFREG: files.append((path, Int(info.st_size)))
            default: break
            }
        }
    }
}
