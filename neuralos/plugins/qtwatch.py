"""Qt adapter of `ModelWatcher`: a QObject whose `changed` signal carries the new model list.

The polling runs on the watcher's own thread; the signal is delivered in the thread the adapter
lives in (the GUI thread), so slots may touch widgets. Usage in the shell:

    watcher = QtModelWatcher(parent=window)
    watcher.changed.connect(window.on_models_changed)   # list[ModelInfo]
    watcher.start()                                     # emits once at start, then on every change
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from neuralos.plugins.discovery import ModelInfo
from neuralos.plugins.watch import ModelWatcher


class QtModelWatcher(QObject):
    """Emits `changed(list[ModelInfo])` when models appear, change or disappear (within ~interval)."""

    changed = Signal(list)

    def __init__(self, parent: QObject | None = None, interval: float = 1.0,
                 dirs: list[tuple[Path, str]] | None = None, packages: bool = True):
        super().__init__(parent)
        watcher = ModelWatcher(self.changed.emit, interval=interval, dirs=dirs, packages=packages)
        self._watcher = watcher
        self.destroyed.connect(lambda *_: watcher.stop())

    @property
    def models(self) -> list[ModelInfo]:
        """The latest discovery result."""
        return list(self._watcher.models)

    def start(self) -> None:
        self._watcher.start()

    def stop(self) -> None:
        self._watcher.stop()

    def rescan(self) -> bool:
        """Check now (e.g. from a menu action); emits `changed` if anything changed."""
        return self._watcher.poll()
