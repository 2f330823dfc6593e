"""The reference side of the real-world corpus: what the real libraries load.

    python oracle.py JOBS.json OUT.json

runs in one of the pinned venvs (run.py picks it: pickles, joblib files and numpy files in
the scikit-learn venv, torch files in the torch venv, ONNX/GGUF/safetensors/HDF5 in the
formats venv) and writes, per job, what the library read. Imports are lazy, so each venv
needs only the libraries of its own jobs.

Pickles and joblib files are loaded by CPython's unpickler (joblib's own NumpyUnpickler for
joblib files, through joblib.load) with a find_class that gives numpy's array constructors,
joblib's array wrappers and a few inert builtins as themselves and maps every other global
to an inert stand-in class that records its (module, name), the arguments it was called with
and the state it was given. That builds the object graph the file describes, arrays
included, without importing scikit-learn or running anything from the file, so a model
saved by scikit-learn 0.20 and one saved by 1.9 are read by the same interpreter.
"""
import hashlib
import io
import json
import sys


# ---------------------------------------------------------------- inert stand-ins

class Standin:
    """An instance of a global the oracle does not import."""

    def __new__(cls, *args, **kwargs):
        obj = object.__new__(cls)
        obj._args, obj._kwargs, obj._state, obj._items, obj._list = args, kwargs, None, [], []
        obj._has_state = False
        return obj

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self._state, self._has_state = state, True

    def __setitem__(self, key, value):
        self._items.append((key, value))

    def append(self, value):
        self._list.append(value)

    def extend(self, values):
        self._list.extend(values)

    def __call__(self, *args, **kwargs):  # a stand-in used as a factory (REDUCE on an instance)
        return _standin_class(type(self)._module, type(self)._name + "()")(*args, **kwargs)


class ArrayStandin(Standin):
    """An ndarray subclass the oracle does not import: its BUILD state goes to a real array."""

    def __setstate__(self, state):
        self._array.__setstate__(state)


_STANDINS = {}


def _standin_class(module, name, array=False):
    key = (module, name, array)
    if key not in _STANDINS:
        _STANDINS[key] = type(name.replace(".", "_"), (ArrayStandin if array else Standin,),
                              {"_module": module, "_name": name})
    return _STANDINS[key]


def _reconstructor(cls, base, state):
    """copyreg._reconstructor (protocols 0 and 1) for stand-in classes."""
    if isinstance(cls, type) and issubclass(cls, Standin):
        obj = cls.__new__(cls)
        if state is not None:
            obj._args = (state,)
        return obj
    import copyreg
    return copyreg._reconstructor(cls, base, state)


def _real_globals():
    import builtins
    import codecs
    import collections
    import numpy
    try:
        multiarray = numpy.core.multiarray
    except AttributeError:  # numpy 2 without the numpy.core alias
        multiarray = numpy._core.multiarray
    table = {
        ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray, ("builtins", "complex"): complex,
        ("builtins", "slice"): slice, ("builtins", "bytes"): bytes,
        ("__builtin__", "set"): set, ("__builtin__", "frozenset"): frozenset,
        ("__builtin__", "bytearray"): bytearray, ("__builtin__", "complex"): complex,
        ("_codecs", "encode"): codecs.encode,
        ("copyreg", "_reconstructor"): _reconstructor, ("copy_reg", "_reconstructor"): _reconstructor,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("numpy", "ndarray"): numpy.ndarray, ("numpy", "dtype"): numpy.dtype,
    }
    def _reconstruct(cls, *args):
        # an ndarray subclass numpy does not have (pandas' FrozenNDArray, Index before 0.15):
        # a stand-in holding the real array its state describes
        if isinstance(cls, type) and issubclass(cls, Standin):
            obj = _standin_class(cls._module, cls._name, array=True)()
            obj._array = multiarray._reconstruct(numpy.ndarray, *args)
            return obj
        return multiarray._reconstruct(cls, *args)
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        table[(mod, "_reconstruct")] = _reconstruct
    for mod in ("numpy.core.numeric", "numpy._core.numeric"):
        table[(mod, "_frombuffer")] = numpy.core.numeric._frombuffer
    return table


_TABLE = None


def find_class(module, name):
    global _TABLE
    if _TABLE is None:
        _TABLE = _real_globals()
    real = _TABLE.get((module, name))
    if real is not None:
        return real
    if module == "numpy" or module.startswith("numpy."):
        # numpy's own classes (ndarray subclasses such as matrix and memmap, scalar types,
        # dtypes) are data, not code: taken as they are when numpy has them
        import importlib
        import numpy
        try:
            obj = getattr(importlib.import_module(module.replace("numpy._core", "numpy.core")), name)
        except (ImportError, AttributeError):
            obj = None
        if isinstance(obj, type) and issubclass(obj, (numpy.ndarray, numpy.generic, numpy.dtype)) \
                and name != "scalar":
            return obj
    if module.endswith("numpy_pickle") or module.endswith("numpy_pickle_compat"):
        import joblib.numpy_pickle as jp
        import joblib.numpy_pickle_compat as jc
        for mod in (jp, jc):
            if hasattr(mod, name) and name.endswith("ArrayWrapper"):
                return getattr(mod, name)
    return _standin_class(module, name)


def _find_class_method(self, module, name):
    return find_class(module, name)


def _decompress(data):
    import bz2
    import gzip
    import lzma
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    return data


class _Unpickler(__import__("pickle").Unpickler):
    def find_class(self, module, name):
        return find_class(module, name)

    def persistent_load(self, pid):
        return _standin_class("persistent_id", repr(pid)[:40])()


def load_pickle(path):
    """Every pickle in the file, as CPython's unpickler builds it (stand-ins for globals)."""
    import pickle
    with open(path, "rb") as f:
        data = _decompress(f.read())
    buf = io.BytesIO(data)
    objs = []
    while not objs or data[buf.tell():buf.tell() + 1] == b"\x80":  # pickle.load ignores what follows
        objs.append(_Unpickler(buf, encoding="latin1").load())
    return objs


def load_joblib(path):
    import joblib
    import joblib.numpy_pickle as jp
    import joblib.numpy_pickle_compat as jc
    for cls in (jp.NumpyUnpickler, jc.ZipNumpyUnpickler):
        cls.find_class = _find_class_method
        if not hasattr(cls, "_brine_init"):
            cls._brine_init = cls.__init__

            def init(self, *args, _orig=cls._brine_init, **kwargs):
                _orig(self, *args, **kwargs)
                self.encoding = "latin1"  # Python 2 pickles, as numpy reads them
            cls.__init__ = init
    return [joblib.load(path)]


# ---------------------------------------------------------------- the graph as brine paths

def _type_name(obj):
    if isinstance(obj, type):  # a class itself, as a value (TfidfVectorizer.dtype)
        return "global"
    if isinstance(obj, Standin):
        return f"{type(obj)._module}.{type(obj)._name}"
    t = type(obj)
    if t.__module__.startswith("numpy") and t.__name__.endswith("DType"):
        return "numpy.dtype"  # numpy >= 1.25 makes each dtype an instance of its own class
    if t.__module__ == "builtins":
        return t.__name__
    return f"{t.__module__}.{t.__qualname__}"


def _key(k):
    if isinstance(k, (int, str)) and not isinstance(k, bool):
        return f"[{k!r}]"
    if isinstance(k, bytes):
        return f"[{k.decode('latin1')!r}]"
    return f"[{k!r}]"


def _children(obj):
    """(path suffix, child) of an object, as brine inspect names them."""
    import numpy
    if isinstance(obj, numpy.ndarray):
        if obj.dtype.hasobject:
            return [(f"[{i}]", x) for i, x in enumerate(obj.ravel()[:100000])]
        return []
    if isinstance(obj, dict):
        return [(_key(k), v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(f"[{i}]", v) for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        return [("{}", v) for v in obj]
    if isinstance(obj, Standin):
        out = []
        if obj._args:
            out.append((".__reduce_args__", tuple(obj._args)))
        state = obj._state
        if obj._has_state:
            slots = None
            if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)) \
                    and isinstance(state[1], dict):
                state, slots = state
            if isinstance(state, dict):
                out += [(f".{k}" if isinstance(k, str) else _key(k), v) for k, v in state.items()]
            elif state is not None:
                out.append((".__setstate__", state))
            if slots:
                out += [(f".{k}", v) for k, v in slots.items()]
        out += [(_key(k), v) for k, v in obj._items]
        out += [(f"[{i}]", v) for i, v in enumerate(obj._list)]
        return out
    return []


def _sha(b):
    return hashlib.sha256(b).hexdigest()


_SCALARS = (bool, int, float, complex, str, bytes)


def graph(roots, budget=3_000_000):
    """path -> facts for every place in the object graph (shared objects at each place they
    are reached from, cycles cut), up to `budget` places."""
    import numpy
    nodes = {}
    stack = [("", r, (), None) for r in reversed(roots)] if len(roots) == 1 else \
        [(f"[{i}]", r, (), "") for i, r in reversed(list(enumerate(roots)))]
    truncated = False
    while stack:
        path, obj, ancestors, parent = stack.pop()
        if len(nodes) >= budget:
            truncated = True
            break
        facts = {"type": _type_name(obj)}
        if isinstance(obj, (numpy.dtype, numpy.ndarray)):
            # brine shows how the pickle builds them (a dtype's REDUCE, an object array's
            # state); numpy gives the result: compared as a whole, not part by part
            facts["opaque"] = True
        if isinstance(obj, ArrayStandin):
            facts["opaque"] = True
            obj = obj._array
        if isinstance(obj, numpy.ndarray):
            facts["array"] = {"shape": list(obj.shape), "dtype": obj.dtype.str, "bytes": int(obj.nbytes)}
            if not obj.dtype.hasobject:
                facts["array"]["sha256"] = _sha(numpy.ascontiguousarray(obj).tobytes())
        elif isinstance(obj, (dict, list, tuple, set, frozenset, str, bytes, bytearray)):
            facts["count"] = len(obj)
        if isinstance(obj, (int, float, str, bytes)) and not isinstance(obj, bool):
            r = repr(obj)
            facts["value"] = r if len(r) <= 60 else None
        facts["parent"] = parent
        nodes[path] = facts
        if id(obj) in ancestors:
            continue
        kids = _children(obj)
        if len(kids) > 64:
            # brine lists at most 64 parts of a container and counts the scalars of a larger
            # one by kind (docs/json-schema.md): their places are never paths it prints
            kids = [(sfx, c) for sfx, c in kids if not isinstance(c, _SCALARS) and c is not None]
        if kids:
            anc = ancestors + (id(obj),)
            for suffix, child in reversed(kids):
                p = (path + suffix) if not (path == "" and suffix.startswith(".")) else suffix[1:]
                stack.append((p, child, anc, path))
    return nodes, truncated


# ---------------------------------------------------------------- jobs

_CONTAINERS = {"dict", "list", "tuple", "set", "frozenset"}


def compare_tree(report, nodes, truncated):
    """Problems between brine inspect's tree and the library's object graph: every path brine
    names must be a place in the graph, with the same type, length, array shape, dtype and
    bytes and the same small values; a node brine lists in full must list every child."""
    problems = []
    root = report["root"]
    if len(nodes) and root.get("type") == "pickles":
        pass
    listed = set()
    full = set()
    stack = [root]
    while stack:
        n = stack.pop()
        path = n["path"]
        listed.add(path)
        if not nodes.get(path, {}).get("opaque"):
            stack.extend(n.get("children", []))
        if not n.get("other") and not n.get("elements") and not n.get("reference"):
            full.add(path)
        ref = nodes.get(path)
        if ref is None:
            if not truncated:
                problems.append(f"{path or 'root'} ({n['type']}): no such place in the loaded object")
            continue
        if not _same_type(n["type"], ref["type"]):
            problems.append(f"{path or 'root'}: brine says {n['type']}, the load gives {ref['type']}")
            continue
        arr = n.get("array")
        if arr and "array" in ref:
            r = ref["array"]
            nbytes_ok = arr["dataBytes"] == r["bytes"] or r["dtype"] == "|O"  # object arrays: pointers
            if arr["shape"] != r["shape"] or arr["dtype"] != r["dtype"] or not nbytes_ok:
                problems.append(f"{path}: brine {arr['dtype']}{arr['shape']} {arr['dataBytes']} B, "
                                f"numpy {r['dtype']}{r['shape']} {r['bytes']} B")
        if n["type"] in _CONTAINERS and "count" in n and n["count"] != ref.get("count"):
            problems.append(f"{path or 'root'}: brine counts {n['count']}, len() is {ref.get('count')}")
        v = n.get("value")
        if v is not None and ref.get("value") is not None and len(v) < 60 and v != ref["value"] \
                and not n.get("reference"):
            problems.append(f"{path}: brine value {v}, the load gives {ref['value']}")
    if not truncated:
        missing = [p for p, f in nodes.items() if f["parent"] in full and p not in listed
                   and not nodes.get(f["parent"], {}).get("opaque")]
        for p in missing[:10]:
            problems.append(f"{p} ({nodes[p]['type']}): in the loaded object, not in brine's tree")
        if len(missing) > 10:
            problems.append(f"... {len(missing) - 10} more places missing")
    return problems


def _same_type(brine, loaded):
    """brine names a class by the global the pickle names (numpy.matrixlib.defmatrix.matrix);
    numpy's classes know themselves by their public name (numpy.matrix)."""
    if brine == loaded or brine == "pickles":
        return True
    return brine.startswith("numpy") and loaded.startswith("numpy") and \
        brine.rsplit(".", 1)[-1] == loaded.rsplit(".", 1)[-1]


def _under(path, prefix):
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[{")


def compare_graphs(before, after, removed):
    problems = []
    want = {p: f for p, f in before.items() if not any(_under(p, r) for r in removed)}
    for p in sorted(set(want) - set(after))[:5]:
        problems.append(f"{p}: lost by strip")
    for p in sorted(set(after) - set(want))[:5]:
        problems.append(f"{p}: still there or new after strip")
    def ancestor(p):
        return any(_under(r, p) for r in removed)
    diff = [p for p in want if p in after and want[p] != after[p]
            and not (ancestor(p) and want[p]["type"] == after[p]["type"])]
    for p in diff[:5]:
        problems.append(f"{p}: {want[p]} became {after[p]}")
    return problems


def _load(loader, path):
    return (load_joblib if loader == "joblib" else load_pickle)(path)


def job_pickle(job):
    roots = _load(job["loader"], job["file"])
    nodes, truncated = graph(roots)
    out = {"loaded": True, "truncated": truncated, "roots": len(roots), "places": len(nodes)}
    if job.get("brine_json"):
        with open(job["brine_json"]) as f:
            out["problems"] = compare_tree(json.load(f), nodes, truncated)
    if job.get("compare_to"):
        before, _ = graph(_load(job["loader"], job["compare_to"]))
        out["problems"] = compare_graphs(before, nodes, job["removed"])
    return out


def job_npz_arrays(job):
    """Arrays of an .npz or .npy file as numpy.load gives them (and, for brine convert's
    output, compared with the arrays of the joblib file it came from)."""
    import numpy
    out = {}
    if job.get("compare_to"):
        res = job_npz_arrays({"file": job["file"]})
        before, _ = graph(_load(job["compare_loader"], job["compare_to"]))
        problems = []
        tensors = job["convert_report"]["tensors"]
        for t in tensors:
            got, ref = res["arrays"].get(t["name"]), before.get(t["path"], {}).get("array")
            if got is None:
                problems.append(f"{t['name']}: not in the npz")
            elif ref is None:
                problems.append(f"{t['path']}: no array there in the loaded object")
            elif (got["shape"], got["dtype"], got["sha256"]) != (ref["shape"], ref["dtype"], ref.get("sha256")):
                problems.append(f"{t['name']}: differs from the array at {t['path']}")
        if len(res["arrays"]) != len(tensors):
            problems.append(f"the npz holds {len(res['arrays'])} arrays, the report lists {len(tensors)}")
        return {"loaded": True, "problems": problems}
    with numpy.load(job["file"], allow_pickle=True, encoding="latin1") as z:
        for name in z.files:
            a = z[name]
            out[name] = {"shape": list(a.shape), "dtype": a.dtype.str, "bytes": int(a.nbytes),
                         "sha256": None if a.dtype.hasobject else _sha(numpy.ascontiguousarray(a).tobytes())}
    return {"loaded": True, "arrays": out}


def job_npy(job):
    import numpy
    a = numpy.load(job["file"], allow_pickle=True, encoding="latin1")
    return {"loaded": True, "arrays": {"": {"shape": list(a.shape), "dtype": a.dtype.str, "bytes": int(a.nbytes),
                                             "sha256": None if a.dtype.hasobject else _sha(a.tobytes())}}}


def _torch_flat(obj, path, out, dotted):
    import collections
    import torch
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        out.append({"path": path, "name": ".".join(dotted), "dtype": str(t.dtype).replace("torch.", ""),
                    "shape": list(t.shape), "bytes": t.numel() * t.element_size(), "sha256": _sha(data)})
    elif isinstance(obj, (dict, collections.OrderedDict)):
        for k, v in obj.items():
            _torch_flat(v, path + _key(k), out, dotted + [str(k)])
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _torch_flat(v, path + f"[{i}]", out, dotted + [str(i)])


def job_torch(job):
    import torch
    out = []
    if job["loader"] == "torchscript":
        m = torch.jit.load(job["file"], map_location="cpu")
        sd = m.state_dict()
        for k, v in sd.items():
            _torch_flat(v, k, out, [k])
        return {"loaded": True, "tensors": out}
    obj = torch.load(job["file"], map_location="cpu", weights_only=True)
    _torch_flat(obj, "", out, [])
    return {"loaded": True, "tensors": out}


def job_safetensors(job):
    import numpy
    from safetensors import safe_open
    out = {}
    with safe_open(job["file"], framework="numpy") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            a = f.get_tensor(k)
            out[k] = {"shape": list(a.shape), "dtype": a.dtype.str, "bytes": int(a.nbytes),
                      "sha256": _sha(numpy.ascontiguousarray(a).tobytes())}
    return {"loaded": True, "tensors": out, "metadata": meta}


def job_onnx(job):
    import onnx
    m = onnx.load(job["file"], load_external_data=False)
    out = {}

    def add(t, name, where):
        # Brine reports the bytes a tensor takes in the file: raw_data's length; a typed field
        # (int64_data, float_data, ...) is packed (varints), which numpy's nbytes is not, so
        # those are compared by shape only (their packed size is tested in conformance_formats).
        out[name] = {"shape": list(t.dims), "bytes": len(t.raw_data) if t.raw_data else None, "where": where}

    def sparse(sp, name, where):
        add(sp.values, name, where)
        add(sp.indices, name + " (indices)", where)

    # Names as docs/json-schema.md gives them: the tensor's own name; an unnamed Constant's
    # value by the node's output; other attribute tensors by owner.attribute[index].
    def walk(g, prefix):
        for t in g.initializer:
            add(t, t.name, prefix + "initializer")
        for sp in g.sparse_initializer:
            sparse(sp, sp.values.name, prefix + "sparse initializer")
        for n in g.node:
            owner = n.name or (n.output[0] if n.output and n.output[0] else n.op_type)
            constant = n.output[0] if n.op_type == "Constant" and n.domain in ("", "ai.onnx") and n.output else None
            for attr in n.attribute:
                where = f"{prefix}node {n.name or n.op_type} attribute {attr.name}"
                base = f"{owner}.{attr.name}"
                single = (constant or base) if attr.name in ("value", "sparse_value") else base
                if attr.HasField("t"):
                    add(attr.t, attr.t.name or single, where)
                for i, t in enumerate(attr.tensors):
                    add(t, t.name or f"{base}[{i}]", where)
                if attr.HasField("sparse_tensor"):
                    sparse(attr.sparse_tensor, attr.sparse_tensor.values.name or single, where)
                for i, sp in enumerate(attr.sparse_tensors):
                    sparse(sp, sp.values.name or f"{base}[{i}]", where)
                if attr.HasField("g"):
                    walk(attr.g, f"{prefix}{n.name}/")
                for sub in attr.graphs:
                    walk(sub, f"{prefix}{n.name}/")
    walk(m.graph, "")
    return {"loaded": True, "tensors": out, "initializers": len(m.graph.initializer)}


def job_gguf(job):
    from gguf import GGUFReader
    r = GGUFReader(job["file"])
    out = {}
    for t in r.tensors:
        out[t.name] = {"shape": [int(x) for x in t.shape], "bytes": int(t.n_bytes), "offset": int(t.data_offset),
                       "dtype": t.tensor_type.name}
    return {"loaded": True, "tensors": out, "fields": len(r.fields)}


def job_h5(job):
    import h5py
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = {"shape": list(obj.shape), "dtype": obj.dtype.str, "bytes": int(obj.size * obj.dtype.itemsize),
                         "offset": obj.id.get_offset()}
    with h5py.File(job["file"], "r") as f:
        f.visititems(visit)
    return {"loaded": True, "tensors": out}


JOBS = {"pickle": job_pickle, "joblib": job_pickle, "npz": job_npz_arrays, "npy": job_npy,
        "torch": job_torch, "torchscript": job_torch, "safetensors": job_safetensors,
        "onnx": job_onnx, "gguf": job_gguf, "h5": job_h5}


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    results = {}
    for jid, job in jobs.items():
        try:
            results[jid] = JOBS[job["loader"]](job)
        except Exception as e:  # the library refused the file: recorded, compared by run.py
            results[jid] = {"loaded": False, "error": f"{type(e).__name__}: {e}"[:500]}
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
