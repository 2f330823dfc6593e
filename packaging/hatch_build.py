"""Hatchling build hook: puts the release `brine` binary, its man page and shell completions
into the wheel, which then is platform-specific (py3-none-<platform>). docs/packaging.md.

The binary is BRINE_BINARY when set (a prebuilt one: `make wheel` passes the static release
build), else `make release` builds it, which needs the Swift toolchain. The man page is
BRINE_MAN when set, else `make man`. Completions come from the binary itself
(`--generate-completion-script`, swift-argument-parser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# Where each completion goes under the environment's prefix (the wheel's .data/data/).
COMPLETIONS = {
    "bash": "share/bash-completion/completions/brine",
    "zsh": "share/zsh/site-functions/_brine",
    "fish": "share/fish/vendor_completions.d/brine.fish",
}


class BrineBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        if version == "editable":
            raise RuntimeError("brine-cli has no editable install: the command is a compiled binary")
        root = Path(self.root)
        binary = self._made("BRINE_BINARY", root / ".build/release/brine", "release")
        man = self._made("BRINE_MAN", root / ".build/man/brine.1", "man")
        reported = subprocess.run([str(binary), "--version"], check=True, capture_output=True, text=True).stdout.strip()
        if reported != self.metadata.version:
            raise RuntimeError(f"{binary} is version {reported}, the wheel {self.metadata.version}: rebuild it")

        self._staging = staging = Path(tempfile.mkdtemp(prefix="brine-wheel-"))
        build_data["shared_scripts"][str(binary)] = "brine"
        build_data["shared_data"][str(man)] = "share/man/man1/brine.1"
        for shell, target in COMPLETIONS.items():
            script = subprocess.run([str(binary), "--generate-completion-script", shell],
                                    check=True, capture_output=True).stdout
            path = staging / f"brine.{shell}"
            path.write_bytes(script)
            build_data["shared_data"][str(path)] = target
        # No Python ABI involved: any Python 3 on this platform. auditwheel (make wheel)
        # then checks the binary meets manylinux_2_28 and replaces linux_<arch> with that tag.
        build_data["pure_python"] = False
        build_data["tag"] = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        staging = getattr(self, "_staging", None)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    def _made(self, variable: str, default: Path, target: str) -> Path:
        given = os.environ.get(variable)
        if given:
            path = Path(given).resolve()
            if not path.is_file():
                raise RuntimeError(f"{variable}={given}: no such file")
            return path
        # A source build: the binary needs the Swift toolchain (docs/packaging.md).
        subprocess.run(["make", "--no-print-directory", target], cwd=self.root, check=True)
        return default
