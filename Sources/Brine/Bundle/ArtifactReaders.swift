/// The one place where a member recognised by content is handed to the reader of its
/// format. Pickle and joblib members go to `Inspector` (see `BundleWalker.classify`);
/// PyTorch zip archives are recognised here and sized member by member until the torch
/// reader lands, which plugs in at `torchArchive`.
enum ArtifactReaders {
    /// A PyTorch zip holds `<prefix>/data.pkl` next to `<prefix>/data/<key>` storages.
    static func isTorchArchive(entryNames: [String]) -> Bool {
        entryNames.contains { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
            && entryNames.contains { $0.hasSuffix("/version") || $0 == "version" || $0.contains("/data/") }
    }

    static func torchArchive(_ member: BundleMember) -> BundleMember {
        var torch = member
        torch.kind = .torch
        torch.note = "PyTorch file: sized by zip member; per-tensor attribution comes with the torch reader"
        return torch
    }
}
