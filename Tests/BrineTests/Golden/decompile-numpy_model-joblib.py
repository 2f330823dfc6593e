# brine decompile fixtures/models/numpy_model.joblib: joblib file, protocol 4.
# What unpickling it does, as Python; nothing in it was imported or run.
# Long containers and literals are summarised: --full writes everything (runnable Python).

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

_b64 = __import__("base64").b64decode

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


from joblib.numpy_pickle import NumpyArrayWrapper
from numpy import ndarray, dtype
from numpy.core.multiarray import _reconstruct
from _codecs import encode

# pickle 1, at offset 0
_var0 = NumpyArrayWrapper.__new__(NumpyArrayWrapper)
_var1 = dtype('f8', False, True)
_build(_var1, (3, '<', None, None, None, -1, -1, 0))
_var2 = {'subclass': ndarray, 'shape': (200, 50), 'order': 'C', 'dtype': _var1, 'allow_mmap': True, 'numpy_array_alignment_bytes': 16}
_build(_var0, _var2)
_var3 = _joblib_array(_var0, ...)  # 80.0 KB at offset 235: <f8 array of shape (200, 50)
_var4 = NumpyArrayWrapper.__new__(NumpyArrayWrapper)
_var5 = dtype('f4', False, True)
_build(_var5, (3, '<', None, None, None, -1, -1, 0))
_var6 = {'subclass': ndarray, 'shape': (50,), 'order': 'C', 'dtype': _var5, 'allow_mmap': True, 'numpy_array_alignment_bytes': 16}
_build(_var4, _var6)
_var7 = _joblib_array(_var4, _b64('Cv////////////8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=='))
_var8 = NumpyArrayWrapper.__new__(NumpyArrayWrapper)
_var9 = dtype('O8', False, True)
_build(_var9, (3, '|', None, None, None, -1, -1, 63))
_var10 = {'subclass': ndarray, 'shape': (50,), 'order': 'C', 'dtype': _var9, 'allow_mmap': False, 'numpy_array_alignment_bytes': 16}
_build(_var8, _var10)
# joblib object array: the nested pickle at offset 80625 is the array itself
_var11 = encode('b', 'latin1')
_var12 = _reconstruct(ndarray, (0,), _var11)
_var13 = dtype('O8', False, True)
_build(_var13, (3, '|', None, None, None, -1, -1, 63))
_var14 = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', ... 30 more str, 264 B ...]
_build(_var12, (1, (50,), _var13, False, _var14))
_var15 = _var12
_var16 = {'name': 'toy', 'version': 3}
_var17 = {'weights': _var3, 'bias': _var7, 'labels': _var15, 'meta': _var16}

result = _var17
