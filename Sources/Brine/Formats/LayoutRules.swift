import BrineIO

/// The BR8xx rules: what the non-pickle readers find (docs/checks.md, "Tensor formats").
/// A reader records a `LayoutFinding` by rule name; this turns it into a shared `Finding`.
public enum LayoutRules {
    struct Entry {
        var rule: FindingRule
        var severity: Severity
        var explanation: String
        var fix: String?
    }

    static func entry(_ code: String, _ name: String, _ summary: String, _ severity: Severity, _ explanation: String, _ fix: String?,
                      security: Bool = false) -> Entry {
        Entry(rule: CheckRules.rule(code, name, summary, security: security), severity: severity, explanation: explanation, fix: fix)
    }

    static let entries: [String: Entry] = {
        let list: [Entry] = [
            entry("BR801", "tensor-layout", "Tensor data lies outside the file, overlaps, leaves gaps or disagrees with its dtype and shape.", .error,
                  "The loader (safetensors' validate, GGUF readers, numpy) refuses such a file or reads the wrong bytes; hostile files use exactly these fields to read out of bounds.",
                  "Re-export the weights with the library's own writer (safetensors.torch.save_file, gguf.GGUFWriter, numpy.save)."),
            entry("BR802", "duplicate-tensor", "Two tensors share one name.", .error,
                  "Loaders keep one of them silently (which one depends on the reader), so the model may get the wrong weights.",
                  "Rename or drop one of the tensors and re-export."),
            entry("BR803", "unknown-dtype", "A tensor's dtype (or GGML type) is not one the format defines.", .error,
                  "The loader cannot size or decode it and refuses the file.",
                  "Re-export with a dtype the format and its loader support."),
            entry("BR804", "shard-index", "A sharded checkpoint's index and its shards disagree.", .error,
                  "model.safetensors.index.json maps every weight to a shard; a weight the index names but no shard holds, or one held by two shards, fails from_pretrained or loads the wrong copy.",
                  "Re-save with save_pretrained so the index and the shards are written together."),
            entry("BR805", "duplicate-weights", "The same weights are shipped twice: pytorch_model.bin beside model.safetensors.", .warning,
                  "transformers loads the safetensors files and never reads pytorch_model*.bin when both are present; the .bin pickles only add size (and are pickles, which can run code).",
                  "Ship one: delete pytorch_model*.bin (and its index) and keep the safetensors files."),
            entry("BR806", "object-array", "A NumPy array holds Python objects: its data is a pickle.", .error,
                  "np.load refuses it with allow_pickle=False (the default since numpy 1.16.3) and runs the pickle with allow_pickle=True; the pickle's own findings are reported beside this one.",
                  "Save numbers and strings as fixed-width arrays (dtype 'U' or 'S'), or use a format without code (safetensors, JSON).", security: true),
            entry("BR807", "external-data-path", "An ONNX tensor's external data location is an absolute path or leads out of the model's directory.", .error,
                  "onnx.load reads external data relative to the model file; an absolute path or '..' makes it read any file the server can (path traversal, CVE-2024-27318 class).",
                  "Keep external data files beside the model and name them relatively (onnx.save_model with save_as_external_data and a plain file name).", security: true),
            entry("BR808", "custom-op-domain", "The ONNX graph uses operators outside the standard domains.", .info,
                  "Operators of a custom domain need a runtime that registers them (an onnxruntime custom-op library); a stock runtime fails to create the session.",
                  "Ship and register the custom-op library with the model, or export with standard operators."),
            entry("BR809", "keras-code", "A Keras model's config holds code that runs on load: a Lambda layer or a custom object.", .error,
                  "Lambda layers carry marshalled Python bytecode and custom objects import modules outside keras; keras.saving.load_model refuses Lambda layers under safe_mode=True (the default) and runs them with safe_mode=False (CVE-2024-3660 class).",
                  "Replace Lambda layers by subclassed layers registered in the application, and load with safe_mode=True.", security: true),
            entry("BR810", "legacy-hdf5", "A legacy HDF5 model (.h5): sized, not read.", .info,
                  "Brine has no HDF5 reader; the file's datasets and any Lambda layers in its model_config attribute are not examined.",
                  "Save as Keras 3 (.keras) or safetensors to have it checked."),
            entry("BR811", "header-metadata", "A safetensors __metadata__ entry is not a string.", .error,
                  "safetensors requires __metadata__ to map strings to strings and refuses the header otherwise.",
                  "Write metadata values as strings."),
            entry("BR812", "gguf-metadata", "A GGUF metadata value has the wrong type or an implausible value.", .warning,
                  "llama.cpp reads general.alignment, architecture and context length by type; a wrong type or an alignment that is not a power of two makes it refuse the file.",
                  "Re-convert with llama.cpp's convert scripts or gguf.GGUFWriter."),
            entry("BR813", "tensor-alignment", "safetensors data is not aligned as safetensors' writer aligns it.", .warning,
                  "safetensors' writer pads the header so the data starts on an 8-byte boundary and orders tensors so each starts on a multiple of its element size; its reader accepts a file without that, but readers that map the file and use a tensor's bytes as its dtype in place get misaligned data and must copy or fail.",
                  "Re-export with safetensors' own writer (safetensors.torch.save_file, save_pretrained)."),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.rule.name, $0) })
    }()

    public static var all: [FindingRule] { entries.values.map(\.rule).sorted { $0.code < $1.code } }

    public static func rule(named name: String) -> FindingRule? { entries[name]?.rule }

    /// A reader's finding as a shared `Finding` for `file` (a member path in bundles).
    public static func finding(_ finding: LayoutFinding, file: String, severity: Severity? = nil) -> Finding {
        let entry = entries[finding.rule] ?? entries["tensor-layout"]!
        // Names come from the file: a newline in one must not break the one-line message.
        return Finding(rule: entry.rule, severity: severity ?? entry.severity, message: escapingControlCharacters(finding.message), explanation: entry.explanation,
                       fix: entry.fix, location: FindingLocation(file: file, treePath: finding.name, offset: finding.offset))
    }

    public static func findings(_ layout: ArtifactLayout, file: String) -> [Finding] {
        layout.findings.map { finding($0, file: file) }
    }
}
