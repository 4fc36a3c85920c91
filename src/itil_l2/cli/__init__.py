"""`itil-l2`, the command line: import an export, print KPIs, write the HTML report.

Every user mistake (a missing file, a bad option value, malformed input, any
`ItilL2Error`) ends as one line on stderr and a non-zero exit code, never a
traceback: 2 for usage mistakes, 1 for input the library refused or an
import that gave no ticket (`kpi` and `report` too: nothing to measure).

>>> from itil_l2.cli import main
>>> main(["diagram", "nonsense"])
2
"""

from __future__ import annotations

import gzip
import sqlite3
import sys
import zlib
from collections.abc import Sequence

from itil_l2._core.public import expose
from itil_l2.cli._commands import COMMANDS
from itil_l2.cli._errors import UsageError
from itil_l2.cli._importing import NothingImported
from itil_l2.cli._parser import build_parser
from itil_l2.errors import ItilL2Error

__all__ = ["main"]


def _fail(message: str, code: int) -> int:
    print(f"itil-l2: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `itil-l2` command; returns the exit code (0 on success)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return COMMANDS[args.command](args)
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0
    except UsageError as exc:
        return _fail(str(exc), 2)
    except NothingImported as exc:  # the reason is the message: no type name before it
        return _fail(str(exc), 1)
    except ItilL2Error as exc:
        return _fail(f"{type(exc).__name__}: {exc}", 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        return _fail(f"damaged compressed input: {exc or type(exc).__name__}", 1)
    except UnicodeDecodeError as exc:
        return _fail(f"input is not UTF-8 text: {exc.reason} at byte {exc.start}", 1)
    except sqlite3.DatabaseError as exc:
        return _fail(f"database error: {exc}", 1)
    except OSError as exc:
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), 1)
    except KeyboardInterrupt as exc:  # an import into a database says how to continue it
        return _fail(f"interrupted: {exc}" if str(exc) else "interrupted", 130)


expose(__name__, globals(), __all__)
