"""Crash-safe journal of the desktop: nothing the user typed is lost, even to `kill -9`.

The desktop (`Session.snapshot()`: surfaces, components, data models, windows, theme) is kept in the
user's data directory as two files:

    snapshot.json   the whole state up to sequence number `seq`, replaced atomically
                    (write a temp file, fsync it, os.replace, fsync the directory)
    journal.jsonl   one line per committed change after that: a batch, a local edit (each keystroke
                    typed into a TextField), a window operation, a theme switch. Each line is written
                    and fsync'ed before the change is reported as journaled.

A record holds the state *after* the change (the surface, the components, the data value), so replay
needs no validation and cannot fail half-way. Records carry a sequence number; replay skips those
already in the snapshot, so a crash between "snapshot replaced" and "journal emptied" is harmless.
A torn last line (the process was killed mid-write) is ignored on load and cut off before the next
append. After `compact_every` records or `compact_bytes` of journal, the state is compacted into a
new snapshot. `--fresh` (`Journal.set_aside()`) moves both files into a timestamped backup folder.

Qt-free: the shell, playback and the kill test all use it the same way:

    journal = Journal(Journal.default_dir())
    state = journal.load()            # None when there is nothing to restore
    if state: session.restore(state)
    journal.attach(session)           # from now on every change is journaled
    ...
    journal.close()                   # compacts and releases the lock
"""
from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

from neuralos.a2ui import pointer
from neuralos.errors import NeuralosError

SNAPSHOT = "snapshot.json"
JOURNAL = "journal.jsonl"
LOCK = "lock"
FORMAT = "neuralos-journal/1"
_MISSING = object()

try:  # POSIX advisory lock: two shells must never append to one journal
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class JournalBusy(NeuralosError):
    """Another neuralos process holds this journal."""


def default_dir() -> Path:
    """`<user data dir>/desktop`, e.g. ~/.local/share/neuralos/desktop."""
    import platformdirs
    return Path(platformdirs.user_data_dir("neuralos", appauthor=False)) / "desktop"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a crash leaves either the old or the new file, whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# -- replay (pure functions on the snapshot dict) --------------------------------------------------
def empty_state() -> dict:
    return {"version": 1, "theme": "light", "surfaces": [], "windows": {}}


def replay(state: dict, ops: list[dict]) -> dict:
    """Apply journal ops to a `Session.snapshot()`-shaped dict (in place) and return it."""
    surfaces = {s["id"]: s for s in state.get("surfaces", [])}
    for op in ops:
        kind = op.get("op")
        sid = op.get("surface")
        if kind == "surface":
            surfaces.pop(sid, None)          # re-created surfaces go to the end, as in the processor
            surfaces[sid] = op["state"]
        elif kind == "delete":
            surfaces.pop(sid, None)
        elif kind == "components" and sid in surfaces:
            comps = {c["id"]: c for c in surfaces[sid].get("components", [])}
            comps.update({c["id"]: c for c in op["components"]})
            surfaces[sid]["components"] = list(comps.values())
        elif kind == "data" and sid in surfaces:
            doc = surfaces[sid].get("dataModel", {})
            if op.get("deleted"):
                doc = pointer.delete(doc, op["path"])
            else:
                doc = pointer.set(doc, op["path"], op["value"])
            surfaces[sid]["dataModel"] = doc
        elif kind == "windows":
            state["windows"] = op["state"]
        elif kind == "theme":
            state["theme"] = op["theme"]
    state["surfaces"] = list(surfaces.values())
    return state


def ops_for(session, changes) -> list[dict]:
    """Journal ops that take the previous state to the session's current one, for these changes."""
    ops: list[dict] = []
    by_surface: dict[str, list] = {}
    for c in changes:
        if c.kind not in ("theme", "window"):      # those two are journaled by comparison (`record`)
            by_surface.setdefault(c.surface_id, []).append(c)
    for sid, cs in by_surface.items():
        surface = session.surfaces.get(sid)
        kinds = {c.kind for c in cs}
        if surface is None:
            ops.append({"op": "delete", "surface": sid})
        elif kinds & {"created", "deleted"}:
            ops.append({"op": "surface", "surface": sid, "state": copy.deepcopy(surface.to_dict())})
        else:
            ids = [i for c in cs if c.kind == "components" for i in c.ids]
            if ids:
                ops.append({"op": "components", "surface": sid,
                            "components": [copy.deepcopy(surface.components[i]) for i in dict.fromkeys(ids)
                                           if i in surface.components]})
            for c in cs:
                if c.kind == "data":
                    ops.append(_data_op(surface, c))
    return ops


def _data_op(surface, change) -> dict:
    """A local edit names an exact pointer: journal just that value. A batch's updateDataModel may use
    the append token `-` or a relative path, so journal the surface's whole data model then."""
    path = change.ids[0] if change.ids else "/"
    exact = change.local and path.startswith("/") and "-" not in pointer.split(path)
    if not exact:
        return {"op": "data", "surface": surface.id, "path": "/", "value": copy.deepcopy(surface.data)}
    value = pointer.get(surface.data, path, _MISSING)
    if value is _MISSING:
        return {"op": "data", "surface": surface.id, "path": path, "deleted": True}
    return {"op": "data", "surface": surface.id, "path": path, "value": copy.deepcopy(value)}


# -- the journal ----------------------------------------------------------------------------------
class Journal:
    default_dir = staticmethod(default_dir)

    def __init__(self, directory: str | os.PathLike | None = None, *, compact_every: int = 500,
                 compact_bytes: int = 4 << 20, fsync: bool = True):
        self.dir = Path(directory) if directory is not None else default_dir()
        self.compact_every = compact_every
        self.compact_bytes = compact_bytes
        self.fsync = fsync
        self.seq = 0                    # last sequence number written (snapshot or journal)
        self.records_since_compact = 0
        self.warnings: list[str] = []   # what load() skipped and why (torn tail, corrupt lines)
        self.on_error: Callable[[Exception], None] | None = None
        self._valid_bytes: int | None = None   # journal prefix that load() could read
        self._fh = None
        self._lock_fh = None
        self._session = None
        self._unsubscribe: Callable[[], None] | None = None
        self._last_windows: Any = None
        self._last_theme: str | None = None
        self._last_ids: list[str] = []

    @property
    def snapshot_path(self) -> Path:
        return self.dir / SNAPSHOT

    @property
    def journal_path(self) -> Path:
        return self.dir / JOURNAL

    # -- locking -------------------------------------------------------------------------------
    def _lock(self) -> None:
        if self._lock_fh is not None:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.dir / LOCK, "a+")
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                raise JournalBusy(f"{self.dir}: the desktop journal is in use by another neuralos process")
        self._lock_fh = fh

    def _unlock(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()   # closing the descriptor releases the flock
            self._lock_fh = None

    # -- loading -------------------------------------------------------------------------------
    def load(self) -> dict | None:
        """The journaled desktop (`Session.snapshot()` shape), or None when there is none.

        Takes the journal's lock. A torn or corrupt tail is skipped (see `warnings`) and cut off
        before the next append, so later records are never glued onto garbage.
        """
        self._lock()
        state, have = empty_state(), False
        self.seq = 0
        if self.snapshot_path.exists():
            try:
                snap = json.loads(self.snapshot_path.read_text(encoding="utf-8"))
                state, self.seq, have = snap["state"], int(snap["seq"]), True
            except (ValueError, KeyError, TypeError) as e:
                # Never happens through write_atomic; keep the bad file for a person to look at.
                self.warnings.append(f"{self.snapshot_path}: unreadable snapshot ({e}); kept as .corrupt")
                os.replace(self.snapshot_path, self.snapshot_path.with_suffix(".json.corrupt"))
        self._valid_bytes = 0
        records = 0
        if self.journal_path.exists():
            data = self.journal_path.read_bytes()
            pos, lineno = 0, 0
            while pos < len(data):
                end = data.find(b"\n", pos)
                lineno += 1
                line = data[pos:] if end < 0 else data[pos:end]
                try:
                    rec = json.loads(line)
                    seq, ops = int(rec["seq"]), rec["ops"]
                    if not isinstance(ops, list):
                        raise TypeError("ops is not a list")
                except (ValueError, KeyError, TypeError) as e:
                    what = "torn last line (killed mid-write)" if end < 0 else f"corrupt line ({e})"
                    self.warnings.append(f"{self.journal_path}:{lineno}: {what}; ignored"
                                         + ("" if end < 0 else " with everything after it"))
                    break
                if end < 0:   # complete JSON but no newline: the write finished, the newline did not
                    end = len(data) - 1
                    self._needs_newline = True
                if seq > self.seq:
                    replay(state, ops)
                    self.seq, have = seq, True
                    records += 1
                pos = end + 1
                self._valid_bytes = pos
        self.records_since_compact = records
        return state if have else None

    # -- writing -------------------------------------------------------------------------------
    _needs_newline = False

    def _open_for_append(self) -> None:
        if self._fh is not None:
            return
        self._lock()
        if self._valid_bytes is None:      # attach() without load(): start from what is on disk
            self.load()
        self._fh = open(self.journal_path, "ab")
        if self._fh.tell() != self._valid_bytes:
            self._fh.truncate(self._valid_bytes)
            self._fh.seek(self._valid_bytes)
        if self._needs_newline:
            self._fh.write(b"\n")
            self._needs_newline = False

    def append(self, ops: list[dict]) -> int:
        """Write one committed change (a list of ops) durably; returns its sequence number."""
        if not ops:
            return self.seq
        self._open_for_append()
        self.seq += 1
        line = json.dumps({"seq": self.seq, "t": round(time.time(), 3), "ops": ops},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        self._fh.write(line)
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())
        self._valid_bytes += len(line)
        self.records_since_compact += 1
        if self._session is not None and (self.records_since_compact >= self.compact_every
                                          or self._valid_bytes >= self.compact_bytes):
            self.compact()
        return self.seq

    def compact(self, state: dict | None = None) -> None:
        """Write the whole state as the new snapshot, then start an empty journal."""
        if state is None:
            if self._session is None:
                raise RuntimeError("compact() needs a state or an attached session")
            state = self._session.snapshot()
        self._lock()
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.snapshot_path, json.dumps({"format": FORMAT, "seq": self.seq, "state": state},
                                                    ensure_ascii=False))
        # The snapshot now covers every record; emptying the journal is only housekeeping (records
        # at or below the snapshot's seq are skipped on load if a crash comes first).
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        write_atomic(self.journal_path, "")
        self._valid_bytes = 0
        self._needs_newline = False
        self.records_since_compact = 0

    # -- following a session --------------------------------------------------------------------
    def attach(self, session) -> None:
        """Journal every change of `session` from now on (call after restoring it)."""
        self.detach()
        self._session = session
        self._open_for_append()
        self._last_windows = session.windows.snapshot()
        self._last_theme = session.theme
        self._last_ids = list(session.surfaces)
        self._unsubscribe = session.subscribe(self._on_changes)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _on_changes(self, changes) -> None:
        try:
            self.record(changes)
        except OSError as e:  # disk full, folder removed: tell the user, keep the desktop running
            if self.on_error is None:
                raise
            self.on_error(e)

    def record(self, changes=()) -> int:
        """Journal these changes of the attached session, plus what changed without a change of its
        own: window geometry (the canvas places new windows), the theme and surfaces dropped by a
        `Session.restore` (a planner's rollback)."""
        session = self._session
        ops = ops_for(session, changes)
        deleted = {op["surface"] for op in ops if op["op"] == "delete"}
        ops += [{"op": "delete", "surface": sid} for sid in self._last_ids
                if sid not in session.surfaces and sid not in deleted]
        self._last_ids = list(session.surfaces)
        if session.theme != self._last_theme:
            ops.append({"op": "theme", "theme": session.theme})
            self._last_theme = session.theme
        windows = session.windows.snapshot()
        if windows != self._last_windows:
            ops.append({"op": "windows", "state": windows})
            self._last_windows = windows
        return self.append(ops)

    def close(self) -> None:
        """Flush: compact the attached session's state into the snapshot, release the lock."""
        if self._session is not None:
            try:
                self.record()
                self.compact()
            finally:
                self.detach()
                self._session = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._unlock()
        self._valid_bytes = None

    # -- --fresh --------------------------------------------------------------------------------
    def set_aside(self) -> Path | None:
        """Move the journaled desktop into `backup-<time>/` (for `--fresh`); returns that folder."""
        self._lock()
        files = [p for p in (self.snapshot_path, self.journal_path) if p.exists()]
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._valid_bytes = 0
        self._needs_newline = False
        self.seq = 0
        if not files or all(p.stat().st_size == 0 for p in files):
            for p in files:
                p.unlink()
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = self.dir / f"backup-{stamp}"
        n = 1
        while backup.exists():
            n += 1
            backup = self.dir / f"backup-{stamp}-{n}"
        backup.mkdir()
        for p in files:
            os.replace(p, backup / p.name)
        _fsync_dir(self.dir)
        return backup

    def backups(self) -> list[Path]:
        return sorted(p for p in self.dir.glob("backup-*") if p.is_dir())
