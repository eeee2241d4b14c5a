"""``python shared/cli.py`` from the repository root: the same as the ``bridge`` command."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, sys.path[0] is shared/ itself; the package lives one folder up.
    root = str(Path(__file__).resolve().parent.parent)
    sys.path[:] = [
        root,
        *(p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent),
    ]
    from shared.dev.cli import main

    raise SystemExit(main())
