"""Window manager model: surfaces are windows. Placement, focus, z-order, move, close, minimise.

Qt-free; the canvas (`neuralos.widgets.canvas`) draws what this says and reports content sizes.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

TITLE_BAR_HEIGHT = 28
BORDER = 1
CASCADE_STEP = 32
MARGIN = 16


@dataclass
class Window:
    surface_id: str
    title: str
    x: int
    y: int
    w: int
    h: int               # outer size, title bar and border included
    minimized: bool = False


class WindowManager:
    def __init__(self, width: int = 1024, height: int = 768):
        self.width, self.height = width, height
        self.windows: dict[str, Window] = {}
        self.order: list[str] = []          # z-order, bottom first
        self.focus: str | None = None

    # -- queries --------------------------------------------------------------------------------
    def visible(self) -> list[Window]:
        """Windows to draw, bottom first."""
        return [self.windows[s] for s in self.order if not self.windows[s].minimized]

    def get(self, surface_id: str) -> Window | None:
        return self.windows.get(surface_id)

    # -- changes --------------------------------------------------------------------------------
    def open(self, surface_id: str, title: str, content_w: int, content_h: int) -> Window:
        """Place a new window (cascading from the top-left) sized to its content, and focus it."""
        if surface_id in self.windows:
            return self.windows[surface_id]
        w = min(content_w + 2 * BORDER, self.width - 2 * MARGIN)
        h = min(content_h + TITLE_BAR_HEIGHT + 2 * BORDER, self.height - 2 * MARGIN)
        n = len(self.windows)
        x = MARGIN + (n * CASCADE_STEP) % max(1, self.width - w - 2 * MARGIN + 1)
        y = MARGIN + (n * CASCADE_STEP) % max(1, self.height - h - 2 * MARGIN + 1)
        win = Window(surface_id, title, x, y, max(w, 160), max(h, TITLE_BAR_HEIGHT + 40))
        self.windows[surface_id] = win
        self.order.append(surface_id)
        self.focus = surface_id
        return win

    def close(self, surface_id: str) -> None:
        self.windows.pop(surface_id, None)
        if surface_id in self.order:
            self.order.remove(surface_id)
        if self.focus == surface_id:
            self.focus = next((s for s in reversed(self.order) if not self.windows[s].minimized), None)

    def raise_(self, surface_id: str) -> None:
        if surface_id in self.windows:
            self.order.remove(surface_id)
            self.order.append(surface_id)
            self.windows[surface_id].minimized = False
            self.focus = surface_id

    def minimize(self, surface_id: str) -> None:
        if surface_id in self.windows:
            self.windows[surface_id].minimized = True
            if self.focus == surface_id:
                self.focus = next((s for s in reversed(self.order) if not self.windows[s].minimized), None)

    def move(self, surface_id: str, x: int, y: int) -> None:
        """Move a window, keeping its title bar reachable on the canvas."""
        win = self.windows.get(surface_id)
        if win is None:
            return
        win.x = max(-win.w + 64, min(int(x), self.width - 64))
        win.y = max(0, min(int(y), self.height - TITLE_BAR_HEIGHT))

    def resize_canvas(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        for win in self.windows.values():
            self.move(win.surface_id, win.x, win.y)

    # -- persistence ----------------------------------------------------------------------------
    def snapshot(self) -> dict:
        return {"order": list(self.order), "focus": self.focus,
                "windows": [asdict(self.windows[s]) for s in self.order]}

    def restore(self, snap: dict) -> None:
        self.windows = {w["surface_id"]: Window(**w) for w in snap.get("windows", [])}
        self.order = [s for s in snap.get("order", []) if s in self.windows]
        self.focus = snap.get("focus") if snap.get("focus") in self.windows else None
