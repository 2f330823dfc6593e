/// The helpers a decompiled pickle calls where no plain Python expression does what the
/// unpickler does. Each is the unpickler's own code (CPython Lib/pickle.py, joblib's
/// numpy_pickle.py), so running the output with `--full` rebuilds the same object.
/// Only the helpers an output uses are written into it.
enum DecompilePrelude {
    enum Helper: Int, CaseIterable, Comparable {
        case findClass, build, instantiate, ext, persistentLoad, nextBuffer, readonly, base64, joblibArray

        static func < (a: Helper, b: Helper) -> Bool { a.rawValue < b.rawValue }
    }

    static func text(_ helper: Helper) -> String {
        switch helper {
        case .findClass:
            return """
                def _find_class(module, name):
                    # pickle's find_class: import the module, then follow the dotted name.
                    __import__(module)
                    obj = __import__("sys").modules[module]
                    for part in name.split("."):
                        obj = getattr(obj, part)
                    return obj

                """
        case .build:
            return """
                def _build(obj, state):
                    # pickle's BUILD: __setstate__ when the object has one, else the state dict
                    # updates __dict__ and a (state, slotstate) pair sets the slots.
                    setstate = getattr(obj, "__setstate__", None)
                    if setstate is not None:
                        setstate(state)
                        return
                    slotstate = None
                    if isinstance(state, tuple) and len(state) == 2:
                        state, slotstate = state
                    if state:
                        inst_dict = obj.__dict__
                        intern = __import__("sys").intern
                        for k, v in state.items():
                            if type(k) is str:
                                inst_dict[intern(k)] = v
                            else:
                                inst_dict[k] = v
                    if slotstate:
                        for k, v in slotstate.items():
                            setattr(obj, k, v)

                """
        case .instantiate:
            return """
                def _instantiate(klass, args=()):
                    # pickle's INST and OBJ without arguments.
                    if args or not isinstance(klass, type) or hasattr(klass, "__getinitargs__"):
                        return klass(*args)
                    return klass.__new__(klass)

                """
        case .ext:
            return """
                def _ext(code):
                    # pickle's EXT1/EXT2/EXT4: the global registered with copyreg.add_extension.
                    module, name = __import__("copyreg")._inverted_registry[code]
                    __import__(module)
                    obj = __import__("sys").modules[module]
                    for part in name.split("."):
                        obj = getattr(obj, part)
                    return obj

                """
        case .persistentLoad:
            return """
                if "persistent_load" not in globals():
                    def persistent_load(pid):
                        # The loader's hook (torch.load and joblib bring their own): define
                        # persistent_load before running this to resolve persistent ids.
                        raise __import__("pickle").UnpicklingError(
                            "A load persistent id instruction was encountered, but no persistent_load function was specified.")

                """
        case .nextBuffer:
            return """
                _buffers = iter(globals().get("buffers") or ())

                def _next_buffer():
                    # Protocol 5 NEXT_BUFFER: the next buffer given as pickle.load(buffers=...),
                    # here a global `buffers` defined before running this.
                    try:
                        return next(_buffers)
                    except StopIteration:
                        raise __import__("pickle").UnpicklingError("not enough out-of-band buffers") from None

                """
        case .readonly:
            return """
                def _readonly(buf):
                    # Protocol 5 READONLY_BUFFER.
                    with memoryview(buf) as m:
                        return buf if m.readonly else m.toreadonly()

                """
        case .base64:
            return """
                _b64 = __import__("base64").b64decode

                """
        case .joblibArray:
            return """
                def _joblib_array(wrapper, raw):
                    # joblib's NumpyUnpickler.load_build: the wrapper reads its array from the
                    # bytes joblib wrote after it (padding byte, padding, data).
                    import inspect, io, numpy

                    class _Unpickler:
                        np = numpy
                        mmap_mode = None
                        file_handle = io.BytesIO(raw)
                        ensure_native_byte_order = True

                    if len(inspect.signature(wrapper.read).parameters) > 1:
                        return wrapper.read(_Unpickler, True)
                    return wrapper.read(_Unpickler)

                """
        }
    }
}
