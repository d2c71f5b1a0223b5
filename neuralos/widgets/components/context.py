"""`BuildContext`: what the components of one surface share, and the one place components are built."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from neuralos.widgets.components.base import Component
from neuralos.widgets.components.registry import COMPONENTS

MAX_DEPTH = 64


class BuildContext:
    """Everything the components of one surface share: session, theme, registry, local UI state."""

    def __init__(self, canvas, surface_id: str, theme):
        self.canvas = canvas
        self.sid = surface_id
        self.theme = theme
        self.widgets: dict[str, Component] = {}
        self.local: dict = canvas.local_state.setdefault(surface_id, {})

    @property
    def surface(self):
        return self.canvas.session.surfaces[self.sid]

    def register(self, w: Component) -> str:
        key, n = w.key, 2
        while key in self.widgets:
            key = f"{w.key}~{n}"
            n += 1
        self.widgets[key] = w
        return key

    def set_data(self, path: str, value: Any) -> None:
        self.canvas.session.set_data(self.sid, path, value)

    def dispatch(self, component: dict, scope: str) -> None:
        self.canvas.dispatch_action(self.sid, component, scope)

    def changed(self) -> None:
        self.canvas.invalidate()

    def build(self, cid: str, scope: str, suffix: str, depth: int, parent: QWidget | None = None):
        comp = self.surface.components.get(cid)
        if not isinstance(comp, dict) or depth > MAX_DEPTH:
            return None
        cls = COMPONENTS.get(comp.get("component"))
        if cls is None:
            return None
        w = cls(self, comp, f"{self.sid}/{cid}{suffix}", scope, suffix, depth, parent)
        w.build()
        w.refresh()
        return w
