"""Shared fixtures of the Python-side suites: the brine binary under test."""
import os

import pytest


@pytest.fixture(scope="session")
def brine():
    path = os.environ.get("BRINE_BIN")
    if not path:
        pytest.fail("BRINE_BIN is not set: point it at the built brine binary",
                    pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("BRINE_BIN=%r is not an executable file" % path,
                    pytrace=False)
    return path


def leaves_by_name(value, is_leaf, prefix=""):
    """The leaves of a loaded object under the names `brine convert` gives them: the path's
    parts (dict keys, list indices) joined with dots; other values are skipped."""
    out = {}
    if is_leaf(value):
        out[prefix] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            out.update(leaves_by_name(item, is_leaf, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            out.update(leaves_by_name(item, is_leaf, f"{prefix}.{index}" if prefix else str(index)))
    return out
