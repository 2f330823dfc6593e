"""brine-cli: the `brine` binary in a wheel. The command is the binary itself (installed
in the environment's scripts directory); this package only finds it for `python -m brine`."""

from __future__ import annotations

import os
import sys
import sysconfig

__all__ = ["find_brine_bin"]


def find_brine_bin() -> str:
    """The path of the installed `brine` executable, looked for where pip puts a wheel's
    scripts: this interpreter's scheme, then the user scheme, then beside the interpreter."""
    exe = "brine" + (sysconfig.get_config_var("EXE") or "")
    candidates = [os.path.join(sysconfig.get_path("scripts"), exe)]
    user_scheme = sysconfig.get_preferred_scheme("user") if hasattr(sysconfig, "get_preferred_scheme") else (
        "nt_user" if os.name == "nt" else "posix_user")
    candidates.append(os.path.join(sysconfig.get_path("scripts", scheme=user_scheme), exe))
    candidates.append(os.path.join(os.path.dirname(sys.executable), exe))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError("brine: the brine-cli wheel's executable was not found in " + ", ".join(candidates))
