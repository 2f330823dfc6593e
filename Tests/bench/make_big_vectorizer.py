#!/usr/bin/env python3
"""Build the big, real TF-IDF artifact that `make bench` measures.

A scikit-learn 1.4.2 TfidfVectorizer(ngram_range=(1, 3), min_df=2) is fit on
about 16.8 million words of real English text shipped by Debian packages (see
Tests/bench/setup.sh, which installs or unpacks them), in this order:

  kjv        the King James Bible (bible-kjv-text, decoded by bible-kjv's `bible`), one document per verse
  fortunes   fortunes-min, one document per fortune
  python     the Python manual (python3.X-doc, info format), per paragraph
  linux      the Linux kernel's Documentation/ (linux-doc-X.Y, rst and txt, no translations), per paragraph
  postgresql the PostgreSQL manual (postgresql-doc-NN, HTML with the tags removed), per paragraph
  perl       the Perl manual (perl-doc, pod), per paragraph
  wordnet    WordNet 3.0 glosses (wordnet-base), one per synset
  gcide, foldoc, jargon, devil
             dictd dictionaries (dict-gcide, dict-foldoc, dict-jargon, dict-devil), per entry

No text is shuffled or synthesised. The Bible alone (0.8 M words) gives a
12 MB pickle; the n-grams of all of the above give about 317 MB.

Every n-gram seen in only one document lands in `stop_words_`, which is kept on
the fitted object (scikit-learn < 1.5) and makes the pickle large (>= 300 MB).

Writes into ${BRINE_BENCH_DIR:-~/.cache/brine/bench}:
  tfidf_big.pkl        pickle.dump(vec, f, protocol=4), Python's default protocol
  tfidf_big_p5.pkl     pickle.dump(vec, f, protocol=5): numpy buffers as BYTEARRAY8
  tfidf_big.joblib     joblib.dump(vec) uncompressed
  tfidf_big.joblib.z   joblib.dump(vec, compress=("zlib", 3))
  tfidf_big.meta.json  recipe, corpus digest, sizes, counts, versions, timings

Deterministic: the corpus is read in a fixed order, and the script re-executes
itself with PYTHONHASHSEED=0 so that the order of the `stop_words_` set, and so
the bytes of every output, is the same on every run with the same inputs.
Skips all work when the outputs exist and the meta file's recipe matches.

Run with the bench venv's python:  "$(Tests/bench/venv.sh)/bin/python" Tests/bench/make_big_vectorizer.py
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import html
import json
import os
import pickle
import platform
import re
import subprocess
import sys
import time

GENERATOR_VERSION = 4
PROTOCOLS = {"tfidf_big.pkl": 4, "tfidf_big_p5.pkl": 5}
NGRAM_RANGE = (1, 3)
MIN_DF = 2
MIN_PKL_BYTES = 300_000_000
STOP_WORDS_ID = 0x7F3A5C1E2D40  # looks like a CPython address on x86-64 Linux
OUTPUTS = ("tfidf_big.pkl", "tfidf_big_p5.pkl", "tfidf_big.joblib", "tfidf_big.joblib.z")

BENCH_DIR = os.environ.get("BRINE_BENCH_DIR") or os.path.join(
    os.path.expanduser("~"), ".cache", "brine", "bench"
)
SRC = os.path.join(BENCH_DIR, "src")
FORTUNE_FILES = ("fortunes", "literature", "riddles")


def log(msg: str) -> None:
    print(f"make_big_vectorizer: {msg}", file=sys.stderr, flush=True)


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n[ \t]*\n", text) if re.search(r"\w\w", p)]


def read_gz(path: str) -> str:
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.read()


def source_kjv() -> list[str]:
    out = subprocess.run(
        ["bible", "-l100000", "Gen1:1-Rev22:21"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True,
    ).stdout
    verses = [m.group(1) for m in re.finditer(r"(?m)^ +\d+ (.*)$", out)]
    if len(verses) != 31102:
        raise SystemExit(f"expected 31102 KJV verses from `bible`, got {len(verses)}")
    return verses


def source_fortunes() -> list[str]:
    docs = []
    for name in FORTUNE_FILES:
        path = os.path.join("/usr/share/games/fortunes", name)
        with open(path, encoding="utf-8", errors="replace") as f:
            docs += [d for d in re.split(r"(?m)^%\n", f.read()) if d.strip()]
    return docs


def one(pattern: str) -> str:
    hits = sorted(glob.glob(os.path.join(SRC, pattern)))
    if len(hits) != 1:
        raise SystemExit(f"expected one file matching {pattern} under {SRC}, found {hits}; run Tests/bench/setup.sh")
    return hits[0]


def source_python() -> list[str]:
    return paragraphs(read_gz(one("python-doc/usr/share/info/python3.*.info.gz")))


def source_linux() -> list[str]:
    root = glob.glob(os.path.join(SRC, "linux-doc/usr/share/doc/linux-doc-*/Documentation"))
    if len(root) != 1:
        raise SystemExit(f"linux-doc Documentation not found under {SRC}; run Tests/bench/setup.sh")
    files = sorted(
        os.path.relpath(os.path.join(d, f), root[0])
        for d, _, fs in os.walk(root[0]) for f in fs
        if f.endswith((".rst.gz", ".txt.gz"))
    )
    docs = []
    for rel in files:
        if rel.split(os.sep)[0] == "translations":
            continue
        docs += paragraphs(read_gz(os.path.join(root[0], rel)))
    return docs


def source_postgresql() -> list[str]:
    pages = sorted(glob.glob(os.path.join(SRC, "postgresql-doc/usr/share/doc/postgresql-doc-*/html/*.html")))
    if not pages:
        raise SystemExit(f"postgresql-doc HTML not found under {SRC}; run Tests/bench/setup.sh")
    block = re.compile(r"</?(?:p|div|pre|li|dt|dd|h[1-6]|tr|table|blockquote|title)\b[^>]*>", re.I)
    docs = []
    for page in pages:
        with open(page, encoding="utf-8", errors="replace") as f:
            text = f.read()
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = block.sub("\n\n", text)
        text = html.unescape(re.sub(r"<[^>]*>", " ", text))
        docs += paragraphs(text)
    return docs


def source_perl() -> list[str]:
    pods = sorted(glob.glob(os.path.join(SRC, "perl-doc/usr/share/perl/*/pod/*.pod")))
    if not pods:
        raise SystemExit(f"perl-doc pods not found under {SRC}; run Tests/bench/setup.sh")
    docs = []
    for pod in pods:
        with open(pod, encoding="utf-8", errors="replace") as f:
            docs += paragraphs(f.read())
    return docs


def source_wordnet() -> list[str]:
    docs = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(one(f"wordnet/usr/share/wordnet/data.{pos}"), encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.startswith("  ") and " | " in line:
                    docs.append(line.split(" | ", 1)[1].strip())
    return docs


def source_dict(name: str):
    def load() -> list[str]:
        return paragraphs(read_gz(one(f"dict-{name}/usr/share/dictd/{name}.dict.dz")))
    return load


# (name, where its Debian package is, loader): "dpkg:NAME" is installed by
# setup.sh, "src:DIR" is unpacked by setup.sh under $BENCH_DIR/src/DIR.
# Order matters for reproducibility only.
SOURCES = [
    ("kjv", "dpkg:bible-kjv-text", source_kjv),
    ("fortunes", "dpkg:fortunes-min", source_fortunes),
    ("python", "src:python-doc", source_python),
    ("linux", "src:linux-doc", source_linux),
    ("postgresql", "src:postgresql-doc", source_postgresql),
    ("perl", "src:perl-doc", source_perl),
    ("wordnet", "src:wordnet", source_wordnet),
    ("gcide", "src:dict-gcide", source_dict("gcide")),
    ("foldoc", "src:dict-foldoc", source_dict("foldoc")),
    ("jargon", "src:dict-jargon", source_dict("jargon")),
    ("devil", "src:dict-devil", source_dict("devil")),
]


def package_of(origin: str) -> tuple[str, str]:
    """(Debian package, version) behind a source."""
    kind, _, name = origin.partition(":")
    if kind == "dpkg":
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
        return name, (r.stdout.strip() if r.returncode == 0 else "?")
    try:
        with open(os.path.join(SRC, name, ".package")) as f:
            pkg, _, version = f.read().strip().partition("=")
        return pkg, version
    except OSError:
        return name, "?"


def write_one(name: str, dump) -> float:
    path = os.path.join(BENCH_DIR, name)
    tmp = path + ".tmp"
    t0 = time.perf_counter()
    dump(tmp)
    os.replace(tmp, path)
    elapsed = time.perf_counter() - t0
    log(f"wrote {path}: {os.path.getsize(path)} bytes in {elapsed:.1f} s")
    return elapsed


def write_outputs(here, forked) -> dict[str, float]:
    """Write the `here` jobs in this process, one after the other, while one forked
    child per `forked` job writes that; return seconds per output. Each child
    copies the pages whose reference counts it touches: one child keeps the
    peak near 8 GB on the full corpus, where three writers in parallel reach 10 GB."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    results = ctx.SimpleQueue()

    def child(name, dump):
        results.put((name, write_one(name, dump)))

    procs = [ctx.Process(target=child, args=job) for job in forked]
    for p in procs:
        p.start()
    elapsed = {name: write_one(name, dump) for name, dump in here}
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a writer process failed (exit code {p.exitcode})")
    while not results.empty():
        name, secs = results.get()
        elapsed[name] = secs
    return {"write_" + n.replace(".", "_") + "_s": round(v, 2) for n, v in elapsed.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--force", action="store_true", help="regenerate even if the outputs look current")
    args = ap.parse_args()

    if os.environ.get("PYTHONHASHSEED") != "0":
        env = dict(os.environ, PYTHONHASHSEED="0")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)

    import joblib
    import numpy
    import scipy
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer

    t_start = time.perf_counter()
    os.makedirs(BENCH_DIR, exist_ok=True)

    docs: list[str] = []
    corpus = {}
    digest = hashlib.sha256()
    for name, origin, load in SOURCES:
        part = load()
        package, version = package_of(origin)
        h = hashlib.sha256("\x00".join(part).encode("utf-8", "surrogatepass"))
        corpus[name] = {
            "package": package,
            "version": version,
            "documents": len(part),
            "words": sum(len(d.split()) for d in part),
            "sha256": h.hexdigest(),
        }
        digest.update(h.digest())
        docs += part
    t_corpus = time.perf_counter() - t_start
    total_words = sum(c["words"] for c in corpus.values())
    log(f"corpus: {len(docs)} documents, {total_words} words, read in {t_corpus:.1f} s")

    recipe = {
        "generator_version": GENERATOR_VERSION,
        "estimator": f"TfidfVectorizer(ngram_range={NGRAM_RANGE}, min_df={MIN_DF})",
        "pickle_protocols": PROTOCOLS,
        "joblib_compress": ["zlib", 3],
        "_stop_words_id": STOP_WORDS_ID,
        "corpus_sha256": digest.hexdigest(),
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }

    meta_path = os.path.join(BENCH_DIR, "tfidf_big.meta.json")
    if not args.force and os.path.exists(meta_path):
        with open(meta_path) as f:
            old = json.load(f)
        paths = [os.path.join(BENCH_DIR, o) for o in OUTPUTS]
        if old.get("recipe") == recipe and all(
            os.path.exists(p) and os.path.getsize(p) == old["files"][os.path.basename(p)]["bytes"]
            for p in paths
        ):
            log(f"up to date: {BENCH_DIR} (use --force to rebuild)")
            return report(old["files"]["tfidf_big.pkl"]["bytes"])

    timings = {"read_corpus_s": round(t_corpus, 2)}
    t = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=NGRAM_RANGE, min_df=MIN_DF)
    vec.fit(docs)
    timings["fit_s"] = round(time.perf_counter() - t, 2)
    del docs
    # scikit-learn 1.4 stores id(self.stop_words) (here id(None), a memory address
    # that changes with every process) in `_stop_words_id`, which only lets it skip
    # re-validating stop_words later. A fixed value of the same size keeps the
    # output bytes reproducible.
    vec._stop_words_id = STOP_WORDS_ID
    log(f"fit: {timings['fit_s']} s, vocabulary_ {len(vec.vocabulary_)}, stop_words_ {len(vec.stop_words_)}")

    def dump_pickle(protocol: int):
        def dump(tmp: str) -> None:
            with open(tmp, "wb") as f:
                pickle.dump(vec, f, protocol=protocol)
        return dump

    # joblib's pickler is pure Python (about 90 s per file here): the compressed
    # file is written by a forked child while this process writes the others.
    t = time.perf_counter()
    timings.update(write_outputs(
        here=[*((name, dump_pickle(proto)) for name, proto in PROTOCOLS.items()),
              ("tfidf_big.joblib", lambda tmp: joblib.dump(vec, tmp))],
        forked=[("tfidf_big.joblib.z", lambda tmp: joblib.dump(vec, tmp, compress=("zlib", 3)))],
    ))
    timings["write_all_s"] = round(time.perf_counter() - t, 2)

    files = {}
    for o in OUTPUTS:
        p = os.path.join(BENCH_DIR, o)
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 24):
                h.update(chunk)
        files[o] = {"bytes": os.path.getsize(p), "sha256": h.hexdigest()}
    pkl_bytes = files["tfidf_big.pkl"]["bytes"]
    timings["total_s"] = round(time.perf_counter() - t_start, 2)

    stop_chars = sum(len(s) for s in vec.stop_words_)
    meta = {
        "recipe": recipe,
        "files": files,
        "len_stop_words_": len(vec.stop_words_),
        "len_vocabulary_": len(vec.vocabulary_),
        "stop_words_mean_chars": round(stop_chars / max(1, len(vec.stop_words_)), 2),
        "corpus": corpus,
        "corpus_documents": sum(c["documents"] for c in corpus.values()),
        "corpus_words": total_words,
        "bible_kjv_reader": "bible-kjv " + package_of("dpkg:bible-kjv")[1],
        "timings": timings,
        "generated_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(meta_path + ".tmp", meta_path)
    log(f"done in {timings['total_s']} s: " + ", ".join(f"{k} {v['bytes'] / 1e6:.1f} MB" for k, v in files.items()))
    return report(pkl_bytes)


def report(pkl_bytes: int) -> int:
    """Print the bench directory; fail if the pickle came out under the size target."""
    if pkl_bytes < MIN_PKL_BYTES:
        log(f"ERROR: tfidf_big.pkl is {pkl_bytes} bytes, under the {MIN_PKL_BYTES} target")
        return 1
    print(BENCH_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
