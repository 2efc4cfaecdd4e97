"""The command line, the top layer: one module per command, each turning its flags into typed
options for the library below (which never imports from here).

Exit codes: 0 ok, 2 bad input (rubric, question id, input file), 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .. import __version__
from ..errors import GraderError, InputError, ModelCallError
from ..model.client import mask_secrets
from . import batch, calibrate, check, data, eval, grade, review, rubric, serve
from .grade import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK

# In `grader --help` order.
COMMANDS = (grade, eval, calibrate, data, batch, check, serve, rubric, review)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade written interview answers against a rubric.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    def fail(message: str, code: int) -> int:
        # Every error message is masked: an endpoint's error may echo the key or the Authorization header.
        print(mask_secrets(f"error: {message}"), file=sys.stderr)
        return code

    try:
        return args.func(args)
    except InputError as exc:  # rubric, table, answer file, run record, argument
        return fail(str(exc), EXIT_BAD_INPUT)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError) as exc:
        # A path the user gave that cannot be used: bad input, named.
        return fail(f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    except RecursionError:
        return fail("input nested too deeply", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("interrupted; results written so far are kept", file=sys.stderr)
        return EXIT_FAILURE
    except GraderError as exc:  # the user gets one line, not a traceback
        return fail(exc.describe() if isinstance(exc, ModelCallError) else f"{type(exc).__name__}: {exc}", EXIT_FAILURE)
    except Exception as exc:  # noqa: BLE001 - a bug: its traceback, masked, then the one line
        import traceback

        print(mask_secrets(traceback.format_exc()), file=sys.stderr, end="")
        return fail(f"internal error (a bug, please report it): {type(exc).__name__}: {exc}", EXIT_FAILURE)


if __name__ == "__main__":
    sys.exit(main())
