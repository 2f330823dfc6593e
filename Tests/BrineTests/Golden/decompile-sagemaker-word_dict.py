# brine decompile fixtures/bundles/sagemaker/model.tar.gz!word_dict.pkl: pickle, protocol 4.
# What unpickling it does, as Python; nothing in it was imported or run.
# Long containers and literals are summarised: --full writes everything (runnable Python).

# pickle 1, at offset 0
_var0 = {'palibraka': 0, 'shilota': 1, 'liul': 2, 'monfi': 3, 'zoshi': 4, 'vosa': 5, 'tamonta': 6, 'ruquen': 7, 'tekruruka': 8, 'vovo': 9, 'taden': 10, 'vofivo': 11, 'vomon': 12, 'kalisa': 13, 'rupa': 14, 'gorden': 15, 'zokaquengor': 16, 'denli': 17, 'ulgorta': 18, 'ultalo': 19, ... 11,980 more str: int, 173.6 KB ...}

result = _var0
