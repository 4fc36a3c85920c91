"""The one error type the command line reports as a one-line message."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A user mistake (bad option, missing file): printed in one line, exit code 2."""
