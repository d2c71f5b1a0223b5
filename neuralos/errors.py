"""Errors that reach users. Each carries the exit code of the CLI contract (SPEC section 6)."""
from __future__ import annotations


def first_line(e: BaseException, limit: int = 300) -> str:
    """An exception's message for a one-line report: its first line, shortened (library errors run
    long); its type name when it has no message."""
    text = str(e).strip()
    text = text.splitlines()[0] if text else type(e).__name__
    return text if len(text) <= limit else text[:limit] + "..."


class NeuralosError(Exception):
    """Base class: a message for a person, printed without a traceback."""

    exit_code = 1


class BadInput(NeuralosError):
    """The user's input (file, script, A2UI, flag) is wrong. Exit code 2.

    `where` names the file, line or JSON path, so the message says where to look.
    """

    exit_code = 2

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class CheckFailed(NeuralosError):
    """An expectation or verification failed. Exit code 1."""

    exit_code = 1
