/// Which globals can run code or touch the system on load, and which libraries are known
/// to be what ML artifacts are made of. The deny-list follows picklescan 1.0.5
/// (`_unsafe_globals`, scanner.py) and modelscan 0.8.8 (`unsafe_globals`, settings.py), with
/// two departures for precision, both documented in docs/checks.md: `functools.partial`
/// and `operator.itemgetter` are not flagged on their own (scikit-learn and pandas pickle
/// them; a partial of something dangerous is caught by that something), and cloudpickle's
/// and dill's function rebuilding is reported as by-value code (BR203) unless it imports a
/// dangerous module.
public enum SecurityLists {
    /// Modules every name of which is dangerous, submodules included.
    static let dangerousModules: Set<String> = [
        "os", "posix", "nt", "subprocess", "_posixsubprocess", "pty", "runpy", "socket", "_socket", "shutil", "sys",
        "ctypes", "_ctypes", "asyncio", "bdb", "pdb", "pickle", "_pickle", "marshal", "importlib", "_imp", "imp", "webbrowser",
        "httplib", "http", "requests", "aiohttp", "urllib", "ssl", "code", "codeop", "commands", "multiprocessing", "pip",
        "venv", "ensurepip", "timeit", "profile", "cProfile", "pydoc", "trace", "telnetlib", "ftplib", "smtplib", "imaplib",
        "poplib", "platform", "_io", "io", "signal", "tempfile", "glob", "zipimport", "_osx_support", "_aix_support", "_pyrepl",
        "test", "distutils", "idlelib", "lib2to3", "numpy.f2py", "numpy.testing._private.utils", "torch.utils.collect_env",
        "torch.utils.bottleneck", "xmlrpc", "sqlite3", "dbm", "shelve", "fileinput", "mmap", "threading", "_thread",
        // Beyond picklescan and modelscan (docs/checks.md says why each): network clients
        // and servers, process and remote-shell libraries, native code, setup scripts.
        "urllib2", "urllib3", "httpx", "socketserver", "nntplib", "popen2", "pexpect", "paramiko", "cffi", "setuptools",
    ]

    /// Dangerous names of otherwise harmless modules (`module.name`, qualname first part).
    static let dangerousNames: Set<String> = [
        "builtins.eval", "builtins.exec", "builtins.compile", "builtins.open", "builtins.getattr", "builtins.setattr",
        "builtins.delattr", "builtins.__import__", "builtins.apply", "builtins.breakpoint", "builtins.input", "builtins.execfile",
        "builtins.globals", "builtins.locals", "builtins.vars", "builtins.help", "builtins.exit", "builtins.quit",
        "__builtin__.eval", "__builtin__.exec", "__builtin__.compile", "__builtin__.open", "__builtin__.getattr",
        "__builtin__.setattr", "__builtin__.delattr", "__builtin__.__import__", "__builtin__.apply", "__builtin__.breakpoint",
        "__builtin__.input", "__builtin__.execfile", "__builtin__.file", "__builtin__.reload",
        "operator.attrgetter", "operator.methodcaller", "_operator.attrgetter", "_operator.methodcaller",
        "logging.FileHandler", "logging.config", "pkgutil.resolve_name", "pkgutil.get_data", "doctest.debug_script",
        "torch.serialization.load", "torch._inductor.codecache", "torch.jit.unsupported_tensor_ops.execWrapper",
        "torch._dynamo.guards.GuardBuilder", "torch.fx.experimental.symbolic_shapes.ShapeEnv",
        "torch.utils._config_module.ConfigModule", "torch.utils.data.datapipes.utils.decoder.basichandlers",
        "numpy.load", "numpy.loadtxt", "numpy.fromfile", "numpy.save", "numpy.savetxt", "numpy.tofile",
        "pandas.read_pickle", "pandas.read_csv", "pandas.eval", "joblib.load", "scipy.io.loadmat",
        "uuid._get_command_stdout", "uuid._popen",
        // Download-and-run: torch.hub.load fetches a repository and runs its hubconf.py;
        // load_state_dict_from_url / model_zoo.load_url download a file and torch.load it.
        "torch.hub", "torch.utils.model_zoo", "torch.load",
        // Native code and bytecode: a shared library loaded, a function rebuilt from marshal.
        "numpy.ctypeslib.load_library", "keras.utils.generic_utils.func_load",
        "tensorflow.python.keras.utils.generic_utils.func_load",
    ]

    /// Names that rebuild functions from bytecode by value: by-value code (BR203) for
    /// cloudpickle and dill, which legitimate pipelines use; dangerous only with a
    /// dangerous import (checked by the rule).
    static let byValuePrefixes = ["cloudpickle.", "dill."]

    /// Top-level modules artifacts are made of. Their globals are data and model classes.
    static let knownModules: Set<String> = Set<String>([
        "__torch__",  // TorchScript class names inside a scripted module, not Python imports
        "numpy", "scipy", "sklearn", "pandas", "joblib", "lightgbm", "xgboost", "catboost", "torch", "torchvision",
        "torchaudio", "torchtext", "fastai", "fastcore", "fastprogress", "fasttransform", "fastdownload", "transformers", "tokenizers", "sentence_transformers",
        "statsmodels", "patsy", "imblearn", "category_encoders", "gensim", "spacy", "thinc", "srsly", "nltk", "keras",
        "tensorflow", "onnx", "pyarrow", "polars", "dateutil", "pytz", "zoneinfo", "_codecs", "collections", "copyreg",
        "copy_reg", "datetime", "decimal", "fractions", "enum", "functools", "re", "array", "uuid", "pathlib", "math",
        "cmath", "numbers", "_collections_abc", "typing", "dataclasses", "operator", "_operator", "itertools", "string",
        "calendar", "time", "builtins", "__builtin__", "threadpoolctl", "PIL", "cloudpickle", "dill", "umap", "hdbscan",
        "shap", "optuna", "mlflow", "sklearn_crfsuite", "scikeras", "skops", "timm", "ultralytics", "accelerate",
        "safetensors", "peft", "annoy", "faiss", "hnswlib", "lime", "eli5", "feature_engine", "sktime", "prophet", "pmdarima",
        "tzdata", "ipaddress", "email", "textwrap", "unicodedata", "random", "_random", "ast", "argparse", "warnings",
        "abc", "weakref", "_weakrefset", "heapq", "bisect", "hashlib", "_sre", "sre_compile", "json", "_json", "csv",
        "xml", "html", "statistics", "contextlib", "inspect", "types", "copy", "logging", "pkgutil", "doctest",
    ]).union(heldByKnownLibraries.keys)

    /// Libraries whose objects a known library's fitted models hold, so that library's own
    /// pickles reference them: the attribute that holds one, the class, and the distribution
    /// (a required dependency of the known library, in its published metadata). A known
    /// library's pickles are made of its own classes and of these.
    static let heldByKnownLibraries: [String: String] = [
        // sklearn-crfsuite (0.5.0 Requires-Dist: python-crfsuite, scikit-learn, tabulate, tqdm):
        // CRF.fit keeps the trainer's log parser, sklearn_crfsuite/estimator.py.
        "pycrfsuite": "sklearn_crfsuite.CRF.training_log_ is a pycrfsuite._logparser.TrainLogParser (python-crfsuite)",
        // umap-learn 0.5 (install_requires: pynndescent): UMAP.fit keeps the nearest-neighbour
        // index it searches for transform, umap/umap_.py `_knn_search_index`.
        "pynndescent": "umap.UMAP._knn_search_index is a pynndescent.pynndescent_.NNDescent (pynndescent)",
    ]

    public enum Verdict: Equatable {
        case dangerous(String)
        case byValue
        case known
        case unknown
    }

    public static func classify(module: String, name: String) -> Verdict {
        let first = name.split(separator: ".").first.map(String.init) ?? name
        let qualified = module + "." + first
        if dangerousNames.contains(qualified) || dangerousNames.contains(module + "." + name) {
            return .dangerous(reason(module: module, name: first))
        }
        var prefix = ""
        for component in module.split(separator: ".") {
            prefix = prefix.isEmpty ? String(component) : prefix + "." + component
            if dangerousModules.contains(prefix) { return .dangerous(reason(module: module, name: first)) }
            if dangerousNames.contains(prefix) { return .dangerous(reason(module: module, name: first)) }
        }
        if byValuePrefixes.contains(where: { module.hasPrefix($0) || module + "." == $0 }) { return .byValue }
        if module == "types", ["CodeType", "FunctionType", "MethodType", "LambdaType"].contains(first) { return .byValue }
        let top = module.split(separator: ".").first.map(String.init) ?? module
        if knownModules.contains(top) { return .known }
        return .unknown
    }

    /// What the callable can do, in a few words, for messages.
    static func reason(module: String, name: String) -> String {
        let top = module.split(separator: ".").first.map(String.init) ?? module
        let qualified = module + "." + name
        if ["torch.hub", "torch.utils.model_zoo"].contains(where: { qualified == $0 || qualified.hasPrefix($0 + ".") }) {
            return "downloads code or a checkpoint from the network and runs or unpickles it"
        }
        if qualified.hasSuffix("func_load") { return "rebuilds a function from marshalled bytecode (runs code)" }
        if qualified == "numpy.ctypeslib.load_library" || top == "cffi" { return "loads native code" }
        switch (top, name) {
        case (_, "system"), (_, "popen"), (_, "Popen"), (_, "run"), (_, "call"), (_, "check_call"), (_, "check_output"),
             (_, "getoutput"), (_, "getstatusoutput"):
            return "runs a shell command"
        case (_, let n) where n.hasPrefix("exec") || n.hasPrefix("spawn") || n == "fork" || n == "posix_spawn":
            return top == "builtins" || top == "__builtin__" ? "executes Python source" : "replaces or starts a process"
        case ("builtins", "eval"), ("__builtin__", "eval"), ("builtins", "compile"), ("__builtin__", "compile"):
            return "evaluates Python source"
        case ("builtins", "__import__"), ("__builtin__", "__import__"), ("importlib", _):
            return "imports any module (the first step of a getattr chain)"
        case ("builtins", "getattr"), ("__builtin__", "getattr"), ("operator", _), ("_operator", _):
            return "fetches any attribute (how chains reach os.system)"
        case ("builtins", "open"), ("__builtin__", "open"), ("io", _), ("_io", _), ("shutil", _):
            return "reads, writes or deletes files"
        case ("socket", _), ("_socket", _), ("http", _), ("httplib", _), ("urllib", _), ("requests", _), ("aiohttp", _),
             ("ssl", _), ("webbrowser", _), ("ftplib", _), ("smtplib", _), ("telnetlib", _), ("urllib2", _), ("urllib3", _),
             ("httpx", _), ("socketserver", _), ("nntplib", _):
            return "opens network connections"
        case ("pickle", _), ("_pickle", _), ("marshal", _), ("joblib", _), ("torch", _), ("numpy", _), ("pandas", _):
            return "loads another serialized object (a pickle inside the pickle)"
        case ("pexpect", _), ("popen2", _), ("paramiko", _):
            return "runs a shell command (locally or over SSH)"
        case ("setuptools", _):
            return "runs a setup script (setuptools.sandbox.run_setup)"
        case ("runpy", _), ("code", _), ("codeop", _), ("pdb", _), ("bdb", _), ("timeit", _), ("profile", _), ("cProfile", _),
             ("trace", _), ("types", _):
            return "runs Python code"
        default:
            return "can run code or touch the system"
        }
    }
}
