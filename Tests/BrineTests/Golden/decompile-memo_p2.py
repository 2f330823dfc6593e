# brine decompile fixtures/pickle/memo_p2.pkl: pickle, protocol 2.
# What unpickling it does, as Python; nothing in it was imported or run.
# Long containers and literals are summarised: --full writes everything (runnable Python).

# pickle 1, at offset 0
_var0 = [1, 2, 3]
_var1 = []
_var1.extend([1, 2, _var1])
_var2 = {}
_var2.update({'name': 'self', 'me': _var2})
_var3 = []
_var3.extend([(_var3, 1)])
_var4 = []
_var4.extend([(_var4, 1, 2, 3, 4)])
_var5 = [_var0, _var0, ('t', 'u'), ('t', 'u')]
_var6 = ['s000', 's001', 's002', 's003', 's004', 's005', 's006', 's007', 's008', 's009', 's010', 's011', 's012', 's013', 's014', 's015', 's016', 's017', 's018', 's019', ... 280 more str, 3.3 KB ...]
_var7 = ['s299', 's298', 's297', 's296', 's295', 's294', 's293', 's292', 's291', 's290', 's289', 's288', 's287', 's286', 's285', 's284', 's283', 's282', 's281', 's280', ... 280 more str, 698 B ...]
_var8 = {'shared': _var5, 'rec_list': _var1, 'rec_dict': _var2, 'rec_tuple': (_var3, 1), 'rec_tuple5': (_var4, 1, 2, 3, 4), 'many': _var6, 'many_again': _var7}

result = _var8
