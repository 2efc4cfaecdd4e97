"""Runs one experiment script, from the project root:

    python -m evals.experiments FOLDER/SCRIPT.py [ARGS]      (--help after the script: its options)

The scripts import `evals.experiments.common` (and, in gaming/, each other), which needs the
project root on the import path: `-m` puts it there. Folder names such as `answer-context` are
not module names, so a script is named by its path. What each experiment asked and found: README.md.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent


def scripts() -> list[str]:
    """Every experiment script, as the launcher names it."""
    return sorted(
        str(p.relative_to(EXPERIMENTS))
        for p in EXPERIMENTS.glob("*/*.py")
        if not p.name.startswith("_")
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\nScripts:\n" + "\n".join(f"  {s}" for s in scripts()))
        return
    script = (EXPERIMENTS / argv[0]).resolve()
    if argv[0] not in scripts():
        raise SystemExit(f"{argv[0]}: not an experiment script here (python -m evals.experiments --help lists them)")
    sys.argv = [str(script), *argv[1:]]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
