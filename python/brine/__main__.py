"""`python -m brine ARGS`: runs the bundled binary with ARGS (exec, so exit codes, signals
and streams are the binary's own)."""

from __future__ import annotations

import os
import sys

from brine import find_brine_bin


def main() -> None:
    try:
        binary = find_brine_bin()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    if os.name == "nt":  # no exec on Windows: wait and pass the status on
        import subprocess
        sys.exit(subprocess.call([binary, *sys.argv[1:]]))
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
