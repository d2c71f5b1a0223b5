"""A2UI from agents: JSONL on the shell's stdin (or relayed by a second launch), one batch per line.

Each line is one message object or a JSON array of messages; it is applied as one atomic batch with
`allow_pending=True`, so components streamed line by line render as their children arrive. A bad
line changes nothing: its `VALIDATION_FAILED` error (the A2UI client-to-server error message) goes to
stderr as one JSON line, and reading goes on.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import BinaryIO

from PySide6.QtCore import QObject, Signal

from neuralos.a2ui.io import parse_messages
from neuralos.a2ui.processor import VERSION, Rejected
from neuralos.errors import BadInput


def validation_failed(message: str, path: str = "/", surface_id: str = "") -> dict:
    return {"version": VERSION, "error": {"code": "VALIDATION_FAILED", "surfaceId": surface_id,
                                          "path": path, "message": message}}


def apply_line(session, line: str, source: str = "<stdin>") -> dict | None:
    """Apply one JSONL line as a batch. Returns None, or the VALIDATION_FAILED error (nothing applied)."""
    try:
        messages = parse_messages(line, source)
        session.apply(messages, allow_pending=True, source=source)
    except Rejected as e:
        return e.error_message()
    except BadInput as e:
        return validation_failed(str(e))
    return None


def stdin_is_agent(stream=None) -> bool:
    """True when stdin is a pipe or file an agent writes to (not a terminal, not closed)."""
    stream = sys.stdin if stream is None else stream
    try:
        return stream is not None and not stream.isatty() and stream.fileno() >= 0
    except (ValueError, OSError):
        return False


class LineReader(QObject):
    """Reads lines on a daemon thread and hands them to the GUI thread through a queued signal.

    It reads the raw file descriptor (`os.read`), not a buffered Python stream: a daemon thread
    blocked inside a BufferedReader would hold its lock and abort the interpreter at exit.
    """

    line_received = Signal(int, str)     # line number (1-based), text
    finished = Signal()

    def __init__(self, stream: BinaryIO, parent: QObject | None = None):
        super().__init__(parent)
        self._fd = stream.fileno()
        self._stream = stream            # keep it (and so its descriptor) alive
        self._thread = threading.Thread(target=self._run, name="neuralos-stdin", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        n, pending = 0, b""
        while True:
            try:
                chunk = os.read(self._fd, 1 << 16)
            except InterruptedError:
                continue
            except OSError:
                break
            if not chunk:
                break
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                n += 1
                self.line_received.emit(n, raw.decode("utf-8", errors="replace"))
        if pending:
            self.line_received.emit(n + 1, pending.decode("utf-8", errors="replace"))
        self.finished.emit()


class StdinAgent(QObject):
    """Applies the lines of `stream` to `session`; `applied`/`rejected` report each line."""

    applied = Signal(int)            # line number
    rejected = Signal(int, dict)     # line number, VALIDATION_FAILED message
    finished = Signal()

    def __init__(self, session, stream: BinaryIO | None = None, errors=None, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.errors = errors if errors is not None else sys.stderr
        self.reader = LineReader(stream if stream is not None else sys.stdin.buffer, self)
        self.reader.line_received.connect(self._on_line)
        self.reader.finished.connect(self.finished)

    def start(self) -> None:
        self.reader.start()

    def _on_line(self, n: int, line: str) -> None:
        if not line.strip():
            return
        error = apply_line(self.session, line, f"<stdin>:{n}")
        if error is None:
            self.applied.emit(n)
            return
        print(json.dumps(error, ensure_ascii=False), file=self.errors, flush=True)
        self.rejected.emit(n, error)
