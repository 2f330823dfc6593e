#!/usr/bin/env python3
"""A ≥ 300 MB fitted TfidfVectorizer for the HTML report's size and speed figures.

Tests/bench/make_big_vectorizer.py fits on 16.8 M words of Debian-packaged text, which needs
Tests/bench/setup.sh's packages and several minutes. The browser test only needs the shape
of such a file: a real scikit-learn 1.4.2 TfidfVectorizer(ngram_range=(1, 3)) fitted with
scikit-learn, whose `vocabulary_` and `stop_words_` are then grown to millions of n-grams
made from a fixed word list (deterministic, no randomness), as a large fit leaves them.

    python make_vectorizer.py OUT.pkl   (skips the work when OUT.pkl exists and is ≥ 300 MB)
"""

import os
import pickle
import sys

from sklearn.feature_extraction.text import TfidfVectorizer

MIN_BYTES = 300_000_000
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "fu", "ga", "hi", "jo", "pe", "qu", "wy"]


def words(count):
    # Two- to four-syllable words, in a fixed order.
    out = []
    for a in SYLLABLES:
        for b in SYLLABLES:
            out.append(a + b)
            for c in SYLLABLES:
                out.append(a + b + c)
                if len(out) >= count:
                    return out
    return out


def main(path):
    if os.path.exists(path) and os.path.getsize(path) >= MIN_BYTES:
        return
    corpus = ["the quick brown fox jumps over the lazy dog", "the lazy dog sleeps", "a quick brown dog"]
    vec = TfidfVectorizer(ngram_range=(1, 3), min_df=1).fit(corpus)
    vocab = words(4096)
    grams = (f"{x} {y} {z}" for x in vocab[:240] for y in vocab[:240] for z in vocab[:210])
    vocabulary, stop = {}, set()
    for index, gram in enumerate(grams):
        if index % 2 == 0:
            vocabulary[gram] = len(vocabulary)
        else:
            stop.add(gram)
    vec.vocabulary_ = vocabulary
    vec.stop_words_ = stop
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(vec, f, protocol=4)
    os.replace(tmp, path)
    assert os.path.getsize(path) >= MIN_BYTES, os.path.getsize(path)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main(sys.argv[1])
