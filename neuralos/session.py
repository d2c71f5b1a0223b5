"""The desktop's state, framework-agnostic: A2UI surfaces + windows + theme, and who to tell on change.

Everything that changes the desktop goes through a `Session`: agent/planner batches (`apply`), local
two-way bindings (`set_data`), and window-manager operations. Views (the Qt canvas, the neural
painter), the journal and playback subscribe to it.
"""
from __future__ import annotations

from typing import Callable

from neuralos.a2ui.processor import Change, MessageProcessor
from neuralos.desktop import WindowManager

THEMES = ("light", "dark")


def window_title(surface) -> str:
    """A surface's window title: its agent display name, else its id in words."""
    name = (surface.theme or {}).get("agentDisplayName")
    return name or surface.id.replace("_", " ").replace("-", " ").strip().capitalize() or "Window"


class Session:
    def __init__(self, width: int = 1024, height: int = 768, theme: str = "light"):
        self.processor = MessageProcessor()
        self.windows = WindowManager(width, height)
        self.theme = theme
        self._listeners: list[Callable[[list[Change]], None]] = []
        self.processor.subscribe(self._on_changes)

    @property
    def surfaces(self):
        return self.processor.surfaces

    def subscribe(self, listener: Callable[[list[Change]], None]) -> Callable[[], None]:
        """Called with the changes of every committed batch, local edit and window operation."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, changes: list[Change]) -> None:
        for listener in list(self._listeners):
            listener(changes)

    def _on_changes(self, changes: list[Change]) -> None:
        for c in changes:
            if c.kind == "deleted":
                self.windows.close(c.surface_id)
        self._emit(changes)

    # -- A2UI -----------------------------------------------------------------------------------
    def apply(self, messages: list[dict], *, allow_pending: bool = False, source: str = "A2UI") -> list[Change]:
        """Apply a batch atomically (raises `neuralos.a2ui.processor.Rejected`, nothing applied)."""
        return self.processor.apply(messages, allow_pending=allow_pending, source=source)

    def set_data(self, surface_id: str, path: str, value) -> Change:
        return self.processor.set_data(surface_id, path, value)

    # -- windows --------------------------------------------------------------------------------
    def window_op(self, op: str, surface_id: str, *args) -> None:
        """op: raise | minimize | close | move(x, y). Closing a window deletes its surface."""
        if op == "close":
            if surface_id in self.surfaces:
                self.apply([{"version": "v0.9", "deleteSurface": {"surfaceId": surface_id}}], source="shell")
            return
        getattr(self.windows, {"raise": "raise_", "minimize": "minimize", "move": "move"}[op])(surface_id, *args)
        self._emit([Change(surface_id, "window")])

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r} (choose {', '.join(THEMES)})")
        self.theme = theme
        self._emit([Change("", "theme")])

    # -- persistence ----------------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {"version": 1, "theme": self.theme, **self.processor.snapshot(),
                "windows": self.windows.snapshot()}

    def restore(self, snap: dict) -> None:
        self.theme = snap.get("theme", "light") if snap.get("theme") in THEMES else "light"
        self.windows.restore(snap.get("windows", {}))
        self.processor.restore(snap)
