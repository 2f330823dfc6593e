"""The wheel installed with no network runs like the source build (make test-wheel)."""
import os
import subprocess
import zipfile

from conftest import ROOT, version_in_sources

CHECK_FIXTURE = os.path.join(ROOT, "fixtures/check/findings/main_pipeline.pkl")
INSPECT_FIXTURE = os.path.join(ROOT, "fixtures/joblib/pipeline.joblib.gz")


# Runs of the installed binary compared with the release binary's, byte for byte.
COMPARED_RUNS = (["check", CHECK_FIXTURE], ["check", "--format", "sarif", CHECK_FIXTURE],
                 ["check", "--format", "json", CHECK_FIXTURE], ["inspect", "--depth", "3", INSPECT_FIXTURE],
                 ["check", os.path.join(ROOT, "fixtures/bundles/sagemaker/model-torch.tar.gz")])


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, cwd=ROOT, **kwargs)


def test_wheel_name_and_version_come_from_brine_version(wheel):
    version = version_in_sources()
    name = os.path.basename(wheel)
    assert name.startswith("brine_cli-%s-py3-none-" % version), name
    assert "linux_" not in name.split("-py3-none-")[1].replace("manylinux_", ""), name
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("brine_cli-%s.dist-info/METADATA" % version).decode()
    assert "Name: brine-cli\n" in metadata and ("Version: %s\n" % version) in metadata
    data = "brine_cli-%s.data/" % version
    for member in ("scripts/brine", "data/share/man/man1/brine.1",
                   "data/share/bash-completion/completions/brine",
                   "data/share/zsh/site-functions/_brine",
                   "data/share/fish/vendor_completions.d/brine.fish"):
        assert data + member in names, member
    assert "brine/__main__.py" in names


def test_installed_entry_points_report_the_version(installed):
    version = version_in_sources()
    for argv in ([os.path.join(installed, "bin", "brine"), "--version"],
                 [os.path.join(installed, "bin", "python"), "-m", "brine", "--version"]):
        result = run(argv)
        assert result.returncode == 0, result
        assert result.stdout.decode() == version + "\n"


def test_installed_check_matches_the_source_build_byte_for_byte(installed, release_bin):
    installed_bin = os.path.join(installed, "bin", "brine")
    python = os.path.join(installed, "bin", "python")
    # The source build is the release binary the wheel was made from, run in the same place.
    for args in COMPARED_RUNS:
        expected = run([release_bin, *args])
        for argv in ([installed_bin, *args], [python, "-m", "brine", *args]):
            got = run(argv)
            assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr), args
    assert run([installed_bin, "check", CHECK_FIXTURE]).returncode == 1  # findings: exit 1


def test_man_page_and_completions_are_installed(installed):
    share = os.path.join(installed, "share")
    man = open(os.path.join(share, "man/man1/brine.1")).read()
    assert ".Dt BRINE 1" in man and "check" in man and "budget" in man
    bash = open(os.path.join(share, "bash-completion/completions/brine")).read()
    assert "complete" in bash and "inspect" in bash
    zsh = open(os.path.join(share, "zsh/site-functions/_brine")).read()
    assert zsh.startswith("#compdef brine")
    fish = open(os.path.join(share, "fish/vendor_completions.d/brine.fish")).read()
    assert "complete -c brine" in fish or "complete -c 'brine'" in fish
    # The completions are what the installed binary itself generates.
    generated = run([os.path.join(installed, "bin", "brine"), "--generate-completion-script", "bash"]).stdout.decode()
    assert generated == bash
