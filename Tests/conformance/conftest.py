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
