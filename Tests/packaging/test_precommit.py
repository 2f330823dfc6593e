"""The hooks in .pre-commit-hooks.yaml, run by pre-commit itself on a fixture repository
(make test-wheel). pre-commit pip-installs the hook repository (`language: python`); here that
install has no network: the build backend comes from a local wheelhouse and the binary is the
prebuilt one (BRINE_BINARY), which is how a machine without Swift installs it too."""
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

# What building the repository as a wheel reads (pyproject.toml's sdist list, minus the Swift
# sources the prebuilt binary stands for).
HOOK_REPO_FILES = [".pre-commit-hooks.yaml", "pyproject.toml", "README.md", "LICENSE", "python", "packaging",
                   "Sources/BrineCLI/BrineVersion.swift"]


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                   cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_REPO_FILES:
        source, target = os.path.join(ROOT, name), repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "hooks")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    return str(repo), rev


@pytest.fixture(scope="module")
def precommit_env(tmp_path_factory):
    wheelhouse = os.environ.get("BRINE_WHEELHOUSE")
    if not wheelhouse or not os.path.isdir(wheelhouse):
        pytest.fail("BRINE_WHEELHOUSE is not a directory: run make test-wheel", pytrace=False)
    binary = os.path.join(ROOT, ".build/wheel/brine")
    man = os.path.join(ROOT, ".build/man/brine.1")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
               PIP_NO_INDEX="1", PIP_FIND_LINKS=wheelhouse, PIP_DISABLE_PIP_VERSION_CHECK="1",
               VIRTUALENV_NO_PERIODIC_UPDATE="1", BRINE_BINARY=binary, BRINE_MAN=man)
    return env


def user_repo(tmp_path, hook_repo, pickle, toml):
    path, rev = hook_repo
    (tmp_path / "models").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, pickle), tmp_path / "models" / "model.pkl")
    (tmp_path / "brine.toml").write_text(toml)
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: %s\n    rev: %s\n    hooks:\n      - id: brine-check\n      - id: brine-budget\n" % (path, rev))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "model")
    return tmp_path


def pre_commit(repo, env, hook):
    return subprocess.run(["pre-commit", "run", "--all-files", hook], cwd=repo, env=env, capture_output=True, text=True)


def test_brine_check_hook_fails_on_a_main_module_reference_and_passes_a_clean_model(tmp_path, hook_repo, precommit_env):
    toml = '[check]\npaths = ["models/*.pkl"]\n[budget]\nlimit = "100MB"\n'
    bad = user_repo(tmp_path / "bad", hook_repo, "fixtures/check/findings/main_pipeline.pkl", toml)
    result = pre_commit(bad, precommit_env, "brine-check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BR101" in result.stdout and "Failed" in result.stdout, result.stdout
    good = user_repo(tmp_path / "good", hook_repo, "fixtures/pickle/containers_p4.pkl", toml)
    result = pre_commit(good, precommit_env, "brine-check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_brine_budget_hook_gates_on_the_limit_in_brine_toml(tmp_path, hook_repo, precommit_env):
    fits = user_repo(tmp_path / "fits", hook_repo, "fixtures/check/findings/main_pipeline.pkl", '[budget]\nlimit = "100MB"\n')
    result = pre_commit(fits, precommit_env, "brine-budget")
    assert result.returncode == 0, result.stdout + result.stderr
    over = user_repo(tmp_path / "over", hook_repo, "fixtures/check/findings/main_pipeline.pkl", '[budget]\nlimit = "1KB"\n')
    result = pre_commit(over, precommit_env, "brine-budget")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout and "1KB" in result.stdout.replace(" ", "").replace("1.0KB", "1KB"), result.stdout
