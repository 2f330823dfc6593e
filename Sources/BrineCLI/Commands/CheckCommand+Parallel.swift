import Brine
import BrineIO
import Foundation

extension CheckCommand {
    /// The checks of the regular files named on the command line (`brine check models/*.pkl`),
    /// run on `options.jobs` threads, largest first; nil for every other input (standard
    /// input, directories, which spread over the threads themselves, and paths that do not
    /// open). The caller reports them in command-line order, so the output is the same for
    /// any number of jobs.
    static func checkFilesInParallel(_ paths: [String], context: CheckContext, options: BundleOptions)
        -> [Result<BundleChecker.Result, InputError>?] {
        var results: [Result<BundleChecker.Result, InputError>?] = Array(repeating: nil, count: paths.count)
        guard options.jobs > 1 else { return results }
        var sizes: [Int: Int] = [:]
        for (index, path) in paths.enumerated() where path != "-" {
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 { sizes[index] = Int(info.st_size) }
        }
        guard sizes.count > 1 else { return results }
        let files = sizes.keys.sorted()
        var own = options
        own.progress = nil  // one bar for many threads would only flicker
        own.jobs = 1
        let perFile = own
        let order = files.indices.sorted { sizes[files[$0]]! != sizes[files[$1]]! ? sizes[files[$0]]! > sizes[files[$1]]! : $0 < $1 }
        let checked = ParallelWork.map(count: files.count, jobs: options.jobs, order: order) { position in
            Result { () throws(InputError) -> BundleChecker.Result in
                try BundleChecker.check(path: paths[files[position]], context: context, options: perFile)
            }
        }
        for (position, index) in files.enumerated() { results[index] = checked[position] }
        return results
    }
}
