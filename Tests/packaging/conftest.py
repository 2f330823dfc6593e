"""Fixtures of the packaging tests (make test-wheel): the wheel `make wheel` built, the
release binary it was made from, and fresh venvs with the wheel installed without network."""
import glob
import os
import re
import subprocess
import sys
import venv

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def version_in_sources():
    text = open(os.path.join(ROOT, "Sources/BrineCLI/BrineVersion.swift")).read()
    return re.search(r'static let current = "([^"]+)"', text).group(1)


@pytest.fixture(scope="session")
def release_bin():
    path = os.environ.get("BRINE_RELEASE_BIN", os.path.join(ROOT, ".build/release/brine"))
    if not os.access(path, os.X_OK):
        pytest.fail("no release binary at %s: run make wheel (make test-wheel does)" % path, pytrace=False)
    return path


@pytest.fixture(scope="session")
def wheel():
    found = glob.glob(os.path.join(ROOT, "dist", "brine_cli-*.whl"))
    if len(found) != 1:
        pytest.fail("expected one dist/brine_cli-*.whl, found %r: run make wheel" % found, pytrace=False)
    return found[0]


def offline_env(**extra):
    """The environment of a pip run that must not reach any index."""
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1")
    env.pop("PIP_FIND_LINKS", None)
    env.update(extra)
    return env


def make_venv(path, wheel_path):
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    python = os.path.join(path, "bin", "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-index", wheel_path],
                   check=True, env=offline_env())
    return path


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheel):
    """A new venv with only the wheel installed (no index, no cache)."""
    return make_venv(str(tmp_path_factory.mktemp("wheel-venv") / "venv"), wheel)
