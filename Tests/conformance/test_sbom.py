"""brine sbom: the SBOM validates against the official CycloneDX 1.6 JSON schema (the copy
cyclonedx-python-lib ships, resolved locally, no network), and its library components are
exactly the distributions that provide the modules loading the fixture imports, as this
venv's importlib.metadata says after loading it for real (standard library excluded)."""
import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import pickle
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "fixtures")
MODELS = ["models/pipeline_tfidf_lr.pkl", "models/random_forest.joblib.gz", "models/dataframe.pkl", "models/numpy_model.joblib",
          "check/benign/lightgbm_classifier.pkl", "joblib/tfidf.joblib"]


def sbom(brine, *paths, env=None):
    out = subprocess.run([brine, "sbom", *paths], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def validator():
    import jsonschema
    import referencing
    resources = importlib.resources.files("cyclonedx.schema._res")
    schemas = {name: json.loads((resources / name).read_text(encoding="utf-8"))
               for name in ("bom-1.6.SNAPSHOT.schema.json", "spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")}
    base = "http://cyclonedx.org/schema/"
    registry = referencing.Registry().with_resources(
        [(base + name, referencing.Resource.from_contents(schema)) for name, schema in schemas.items()]
        + [(schema["$id"], referencing.Resource.from_contents(schema)) for schema in schemas.values()])
    schema = schemas["bom-1.6.SNAPSHOT.schema.json"]
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("name", MODELS)
def test_sbom_validates_against_cyclonedx_1_6(brine, name):
    bom = sbom(brine, os.path.join(FIXTURES, name))
    errors = sorted(validator().iter_errors(bom), key=str)
    assert not errors, "\n".join(str(e) for e in errors[:3])
    assert bom["specVersion"] == "1.6" and bom["bomFormat"] == "CycloneDX"
    with open(os.path.join(FIXTURES, name), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert bom["metadata"]["component"]["hashes"] == [{"alg": "SHA-256", "content": digest}]
    assert bom["serialNumber"].startswith("urn:uuid:" + digest[:8] + "-")


def test_bundle_sbom_validates(brine):
    bundles = os.path.join(FIXTURES, "bundles")
    for path in sorted(os.listdir(bundles)):
        full = os.path.join(bundles, path)
        if path in ("hostile", "expected.json") or not (os.path.isdir(full) or path.endswith((".tar.gz", ".zip"))):
            continue
        errors = list(validator().iter_errors(sbom(brine, full)))
        assert not errors, (path, str(errors[0]))


def loaded_distributions(path):
    """Loads the fixture with the real library in a fresh interpreter, recording every module
    the unpickler's find_class imports, and returns the distributions that provide them
    (importlib.metadata.packages_distributions), the standard library excluded."""
    code = r'''
import importlib.metadata, json, pickle, sys
seen = set()
def recording(original):
    def find_class(self, module, name):
        seen.add(module)
        return original(self, module, name)
    return find_class
import joblib.numpy_pickle
class Recording(pickle.Unpickler):
    find_class = recording(pickle.Unpickler.find_class)
joblib.numpy_pickle.NumpyUnpickler.find_class = recording(joblib.numpy_pickle.NumpyUnpickler.find_class)
path = sys.argv[1]
if ".joblib" in path:
    joblib.load(path)
else:
    with open(path, "rb") as f:
        Recording(f).load()
tops = {m.split(".")[0] for m in seen} - set(sys.stdlib_module_names)
dists = importlib.metadata.packages_distributions()
print(json.dumps(sorted({d for top in tops for d in dists.get(top, [top])})))
'''
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout))


def normalize(name):
    return name.lower().replace("_", "-").replace(".", "-")


@pytest.mark.parametrize("name", MODELS)
def test_components_are_what_loading_imports(brine, name):
    path = os.path.join(FIXTURES, name)
    bom = sbom(brine, path)
    listed = {normalize(c["name"]) for c in bom["components"] if c["type"] == "library"}
    imported = {normalize(d) for d in loaded_distributions(path)}
    assert imported, "the load imported nothing outside the standard library"
    assert listed == imported


def test_sklearn_version_comes_from_the_state(brine):
    path = os.path.join(FIXTURES, "models", "pipeline_tfidf_lr.pkl")
    with open(path, "rb") as f:
        model = pickle.load(f)
    recorded = model.__getstate__()["_sklearn_version"]
    bom = sbom(brine, path)
    sklearn = [c for c in bom["components"] if c["name"] == "scikit-learn"]
    assert sklearn and sklearn[0]["version"] == recorded
    assert sklearn[0]["purl"] == "pkg:pypi/scikit-learn@" + recorded


def test_output_is_deterministic(brine):
    path = os.path.join(FIXTURES, "models", "random_forest.pkl")
    first = subprocess.run([brine, "sbom", path], capture_output=True, timeout=120).stdout
    second = subprocess.run([brine, "sbom", path], capture_output=True, timeout=120).stdout
    assert first == second and first


# SPDX 2.3: no PyPI package ships the official SPDX 2.3 JSON schema file (spdx-tools, the
# SPDX project's own Python tools, converts and validates in code instead), so the document
# is parsed by spdx-tools' JSON parser and checked by its full SPDX-2.3 validator.
def spdx(brine, *paths):
    return sbom(brine, "--format", "spdx", *paths, env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))


def spdx_problems(document, tmp_path):
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    path = tmp_path / "sbom.spdx.json"
    path.write_text(json.dumps(document))
    parsed = json_parser.parse_from_file(str(path))
    return [m.validation_message for m in validate_full_spdx_document(parsed, "SPDX-2.3")]


@pytest.mark.parametrize("name", MODELS)
def test_spdx_validates_and_lists_what_loading_imports(brine, tmp_path, name):
    path = os.path.join(FIXTURES, name)
    document = spdx(brine, path)
    assert spdx_problems(document, tmp_path) == []
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["creationInfo"]["created"] == "2023-11-14T22:13:20Z"  # SOURCE_DATE_EPOCH
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    artifact = [p for p in document["packages"] if p["SPDXID"].startswith("SPDXRef-Artifact-")]
    assert len(artifact) == 1 and artifact[0]["checksums"] == [{"algorithm": "SHA256", "checksumValue": digest}]
    libraries = {normalize(p["name"]) for p in document["packages"] if p.get("primaryPackagePurpose") == "LIBRARY"}
    assert libraries == {normalize(d) for d in loaded_distributions(path)}
    # The same libraries and versions as the CycloneDX BOM, and every one a dependency of the artifact.
    bom = sbom(brine, path)
    assert {(c["name"], c.get("version")) for c in bom["components"]} == {
        (p["name"], p.get("versionInfo")) for p in document["packages"] if p.get("primaryPackagePurpose") == "LIBRARY"}
    needed = {r["relatedSpdxElement"] for r in document["relationships"]
              if r["spdxElementId"] == artifact[0]["SPDXID"] and r["relationshipType"] == "DEPENDS_ON"}
    assert needed == {p["SPDXID"] for p in document["packages"] if p.get("primaryPackagePurpose") == "LIBRARY"}


def test_spdx_of_bundles_and_several_paths_validates(brine, tmp_path):
    bundles = os.path.join(FIXTURES, "bundles")
    paths = [os.path.join(bundles, "sagemaker", "model.tar.gz"), os.path.join(bundles, "repo"),
             os.path.join(FIXTURES, "models", "pipeline_tfidf_lr.pkl")]
    for path in paths:
        assert spdx_problems(spdx(brine, path), tmp_path) == [], path
    document = spdx(brine, *paths)
    assert spdx_problems(document, tmp_path) == []
    described = [r for r in document["relationships"] if r["relationshipType"] == "DESCRIBES"]
    assert len(described) == 3
