# brine decompile fixtures/pickle/handwritten_all_opcodes_p5.pkl: pickle, protocol 5.
# What unpickling it does, as Python; nothing in it was imported or run.

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

def _ext(code):
    # pickle's EXT1/EXT2/EXT4: the global registered with copyreg.add_extension.
    module, name = __import__("copyreg")._inverted_registry[code]
    __import__(module)
    obj = __import__("sys").modules[module]
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj

if "persistent_load" not in globals():
    def persistent_load(pid):
        # The loader's hook (torch.load and joblib bring their own): define
        # persistent_load before running this to resolve persistent ids.
        raise __import__("pickle").UnpicklingError(
            "A load persistent id instruction was encountered, but no persistent_load function was specified.")

_buffers = iter(globals().get("buffers") or ())

def _next_buffer():
    # Protocol 5 NEXT_BUFFER: the next buffer given as pickle.load(buffers=...),
    # here a global `buffers` defined before running this.
    try:
        return next(_buffers)
    except StopIteration:
        raise __import__("pickle").UnpicklingError("not enough out-of-band buffers") from None

def _readonly(buf):
    # Protocol 5 READONLY_BUFFER.
    with memoryview(buf) as m:
        return buf if m.readonly else m.toreadonly()


from builtins import complex
from fixturelib import Legacy, Point, KwNew

# pickle 1, at offset 0
_var0 = [1, 2]
_var1 = complex(1.0, 2.0)
_var2 = Legacy(3)
_build(_var2, {'extra': 'x'})
_var3 = persistent_load('doc-42')
_var4 = [1, 2]
_var5 = []
_var6 = Legacy(4)
_var7 = persistent_load('binpersid-7')
_var8 = _ext(240)
_var9 = _ext(48879)
_var10 = _ext(305419896)
_var11 = Point.__new__(Point, 3, 4)
_var12 = KwNew.__new__(KwNew, 1, **{'k': 2})
_var13 = _next_buffer()
_var14 = _next_buffer()
_var15 = _readonly(_var14)
_var16 = {1, 2}

result = [42, -7, True, False, 12345678901234567890, -1, 0.1, -float('inf'), float('nan'), 'py2 str', "it's", "esc \\ \n \x00 '", None, 'café 😀 back\\slash', _var0, (5, 5), {'k1': 1, 'k2': 2}, _var0, _var1, _var2, _var3, -123456, 200, 60000, 1.5, 'short py2 str', 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'binunicode é', _var4, (), {'a': 1}, _var4, _var5, _var5, _var6, _var7, 1180591620717411303424, -145542856500486309361890238449330649728809442059217056345945587654749356876225241259209611218744456911185381599558875746375475103914048669297745718921773427823433158419120765536610198213840157598554853892256499754024901966411683189991501042476088459679727981986945418043202748661248211748339825091903351744676279304293991165443043691726770700206972879550908196640425338921571293316568559870845121133328067132170701239967995835212682384168881471395081720829376174989450825971966494657064899340276140769794081777796371143547287807483740385375334659668424882133140661394443058747655483603144141890006567217223554270198636103730385125376, True, False, (1,), (1, 2), (1, 2, 3), _var8, _var9, _var10, _var11, b'\x00\x01\xff', b'\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab', 'short', 'binunicode8 🐍', b'binbytes8', _var16, frozenset({1, 2}), _var12, 'short', bytearray(b'bytearray8'), _var13, _var15]
