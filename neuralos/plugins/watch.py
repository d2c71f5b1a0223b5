"""Notice models appearing, changing or disappearing, without a restart.

`ModelWatcher` polls the plugin folders once a second on a daemon thread. Each poll computes a cheap
fingerprint (names, sizes and mtimes of the folders and of the files up to two levels inside each
model folder: enough to see a copy grow file by file); when it differs from the last one, the
folders are re-discovered and the callback gets the new model list. A half-copied folder is thus
reported broken first and ok once the copy completes. Headless use needs nothing but a callback;
the shell uses the Qt adapter in `neuralos.plugins.qtwatch`.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Callable

from neuralos.plugins.discovery import ModelInfo, discover, search_dirs

log = logging.getLogger(__name__)
Fingerprint = tuple


def fingerprint(dirs: list[tuple[Path, str]] | None = None, depth: int = 3) -> Fingerprint:
    """A hashable summary of the plugin folders that changes whenever a model's files do.

    Walks each search directory `depth` levels down (search dir / model / component / file) and
    records (path, size, mtime) of every entry; missing directories count as absent.
    """
    entries = []
    for directory, _ in search_dirs() if dirs is None else dirs:
        entries.append((str(directory), _walk(Path(directory), depth)))
    return tuple(entries)


def _walk(directory: Path, depth: int) -> tuple:
    try:
        st = directory.stat()
        items = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return ()
    out = [("", st.st_mtime_ns)]
    for entry in items:
        try:
            s = entry.stat()
        except OSError:
            continue
        if entry.is_dir():
            out.append((entry.name, s.st_mtime_ns, _walk(Path(entry.path), depth - 1) if depth > 1 else ()))
        else:
            out.append((entry.name, s.st_size, s.st_mtime_ns))
    return tuple(out)


class ModelWatcher:
    """Re-discovers models whenever the plugin folders change; calls `callback(models)` then.

    `start()` runs the first discovery synchronously (so `models` is filled at once) and then polls
    every `interval` seconds on a daemon thread; `stop()` ends the thread. `poll()` does one check on
    the calling thread and is what the thread runs (tests and event loops may call it directly).
    The callback runs on the polling thread; its exceptions are logged, never propagated.
    `dirs` (default: the SPEC search order, read again at every poll) and `packages` are passed on
    to `discover`.
    """

    def __init__(self, callback: Callable[[list[ModelInfo]], None] | None = None, interval: float = 1.0,
                 dirs: list[tuple[Path, str]] | None = None, packages: bool = True):
        self.callback = callback
        self.interval = interval
        self.dirs = dirs
        self.packages = packages
        self.models: list[ModelInfo] = []
        self._fingerprint: Fingerprint | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poll(self) -> bool:
        """Check once; re-discover and notify if anything changed. True when it did."""
        with self._lock:
            fp = fingerprint(self.dirs)
            if fp == self._fingerprint:
                return False
            self._fingerprint = fp
            self.models = discover(self.dirs, packages=self.packages)
            models = list(self.models)
        if self.callback is not None:
            try:
                self.callback(models)
            except Exception:
                log.exception("model watcher callback failed")
        return True

    def start(self) -> "ModelWatcher":
        if self._thread is None:
            self.poll()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="neuralos-model-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:  # a vanished folder mid-scan and the like: try again next tick
                log.exception("model watcher poll failed")

    def __enter__(self) -> "ModelWatcher":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
