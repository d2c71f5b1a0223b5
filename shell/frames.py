"""Frames on screen: which renderer paints the desktop, how long a frame takes, frames per second.

The canvas's real widgets are always there: they hold the layout and receive all input. In widgets
mode they are what you see, and a frame is one synchronous repaint of the canvas (timed). In neural
mode a renderer model paints each frame from the canvas's `Scene` on a worker thread, and
`FrameOverlay` shows it on top of the widgets (transparent to input, so clicks and keys still reach
the widgets underneath, hit-tested on the same layout).

Fallback (SPEC section 3): no usable model, an exception, a non-finite or misshapen frame, or a
frame later than the deadline paints that frame with the widgets; after `MAX_FAILURES` in a row the
session stays on widgets. Every fallback is visible (`reason`, shown in the status line) and logged.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque

import numpy as np
from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

BUILTIN = ("auto", "neural", "widgets")
MAX_FAILURES = 3
DEADLINE_MS = 1000.0       # a neural frame later than this counts as a miss (the frame is still shown)


def check_frame(out, width: int, height: int) -> np.ndarray:
    """A renderer's output as contiguous (H, W, 3) uint8, or ValueError saying what is wrong."""
    arr = np.asarray(out)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[:2] != (height, width):
        raise ValueError(f"frame has shape {arr.shape}, expected ({height}, {width}, 3)")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.floating) or not np.isfinite(arr).all():
            raise ValueError(f"frame is not a finite image ({arr.dtype})")
        arr = np.clip(np.rint(arr * 255.0 if arr.max() <= 1.0 else arr), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[:, :, :3])


def load_renderer(requested: str):
    """A neural renderer for `auto`/`neural` (the default model) or a plugin name; raises with the
    reason when there is none."""
    from neuralos.plugins.discovery import default_model
    from neuralos.plugins.loading import load_renderer as load

    if requested in ("auto", "neural"):
        info = default_model("renderer")
        if info is None:
            raise LookupError("no usable neural renderer model is installed")
        return load(info)
    return load(requested)


class FrameOverlay(QWidget):
    """Shows the latest neural frame over the canvas; input passes through to the widgets."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.NoFocus)
        self.image: QImage | None = None

    def show_frame(self, frame: np.ndarray) -> None:
        h, w, _ = frame.shape
        self.image = QImage(frame.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        self.setVisible(True)
        self.update()

    def clear(self) -> None:
        self.image = None
        self.setVisible(False)

    def paintEvent(self, event) -> None:
        if self.image is not None:
            p = QPainter(self)
            p.drawImage(QRect(0, 0, self.image.width(), self.image.height()), self.image)
            p.end()


class FramePump(QObject):
    """Paints a frame after every scene change with the active renderer and measures it."""

    changed = Signal()                       # renderer, reason, frame time or fps changed
    _loaded = Signal(object, object, str)    # (token, renderer or None, reason) from the loader thread
    _rendered = Signal(object, object, float)  # (token, frame or exception, ms) from the render thread

    def __init__(self, canvas, overlay: FrameOverlay, requested: str = "auto", parent: QObject | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.overlay = overlay
        self.requested = requested
        self.neural = None
        self.reason: str | None = None        # why the widgets paint although neural was asked for
        self.loading = False
        self.failures = 0
        self.frame_ms: float | None = None
        self.frames = 0
        self._times: deque[float] = deque(maxlen=240)
        self._token = object()
        self._busy = False
        self._dirty = False
        self._previous: np.ndarray | None = None
        self._previous_scene = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.paint)
        self._loaded.connect(self._on_loaded)
        self._rendered.connect(self._on_rendered)
        canvas.scene_changed.connect(self.schedule)
        self.request(requested)

    # -- renderer choice --------------------------------------------------------------------------
    @property
    def active(self) -> str:
        return "neural" if self.neural is not None else "widgets"

    def describe(self) -> str:
        """For the status line: 'widgets', 'neural', 'widgets (fallback: ...)', 'widgets (loading ...)'."""
        if self.loading:
            return f"widgets (loading {self.requested} renderer…)"
        if self.neural is not None:
            name = getattr(self.neural, "name", None)
            return f"neural ({name})" if name and name != "neural" else "neural"
        if self.reason and self.requested != "widgets":
            return f"widgets (fallback: {self.reason})"
        return "widgets"

    def request(self, requested: str) -> None:
        """Switch renderer: `widgets` at once; neural ones load on a thread, widgets paint meanwhile."""
        self.requested = requested
        self._token = token = object()        # results of an earlier request are dropped
        self.neural, self.reason, self.failures = None, None, 0
        self.overlay.clear()
        if requested == "widgets":
            self.loading = False
            self.changed.emit()
            self.schedule()
            return
        self.loading = True
        self.changed.emit()

        def load():
            try:
                renderer, reason = load_renderer(requested), ""
            except Exception as e:   # any reason a model cannot be used: say it, paint with widgets
                renderer, reason = None, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            self._loaded.emit(token, renderer, reason)

        threading.Thread(target=load, name="neuralos-renderer-load", daemon=True).start()

    def _on_loaded(self, token, renderer, reason: str) -> None:
        if token is not self._token:
            return
        self.loading = False
        self.neural = renderer
        if renderer is None:
            self.reason = reason or "no usable neural renderer model"
            log.warning("renderer %r unavailable, painting with widgets: %s", self.requested, self.reason)
        self._previous = self._previous_scene = None
        self.changed.emit()
        self.schedule()

    def _fall_back(self, reason: str) -> None:
        self.failures += 1
        log.warning("neural frame failed (%d in a row): %s", self.failures, reason)
        if self.failures >= MAX_FAILURES:
            self.neural = None
            self.reason = f"{reason} ({MAX_FAILURES} failures in a row; widgets from now on)"
            self.overlay.clear()
        else:
            self.reason = reason
        self.changed.emit()

    # -- painting ---------------------------------------------------------------------------------
    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _exposed(self) -> bool:
        handle = self.canvas.window().windowHandle()
        return handle is not None and handle.isExposed()

    def paint(self) -> None:
        if not self._exposed():
            if self.canvas.window().isVisible():
                QTimer.singleShot(16, self.schedule)   # mapped soon: paint the first frame then
            return
        if self.neural is None:
            self.overlay.clear()
            t0 = time.perf_counter()
            self.canvas.repaint()
            self._done((time.perf_counter() - t0) * 1000.0)
            return
        if self._busy:
            self._dirty = True
            return
        scene = self.canvas.scene()
        regions = scene.dirty_regions(self._previous_scene) if self._previous is not None else None
        previous, renderer, token = self._previous, self.neural, self._token
        self._previous_scene = scene
        self._busy = True

        def render():
            t0 = time.perf_counter()
            try:
                out = check_frame(renderer.render(scene, previous, regions), scene.width, scene.height)
            except Exception as e:
                out = e
            self._rendered.emit(token, out, (time.perf_counter() - t0) * 1000.0)

        threading.Thread(target=render, name="neuralos-neural-frame", daemon=True).start()

    def _on_rendered(self, token, out, ms: float) -> None:
        self._busy = False
        if token is not self._token:
            self.schedule()
            return
        if isinstance(out, Exception):
            self._previous = self._previous_scene = None
            self._fall_back(f"neural renderer failed: {type(out).__name__}: {out}")
            self.overlay.clear()
            t0 = time.perf_counter()
            self.canvas.repaint()
            self._done(ms + (time.perf_counter() - t0) * 1000.0)
        else:
            self._previous = out
            self.overlay.show_frame(out)
            if ms > DEADLINE_MS:
                self._fall_back(f"neural frame took {ms:.0f} ms (deadline {DEADLINE_MS:.0f} ms)")
            else:
                self.failures = 0
            self._done(ms)
        if self._dirty:
            self._dirty = False
            self.schedule()

    def _done(self, ms: float) -> None:
        self.frame_ms = ms
        self.frames += 1
        self._times.append(time.perf_counter())
        self.changed.emit()

    @property
    def fps(self) -> float:
        """Frames painted during the last second."""
        now = time.perf_counter()
        return float(sum(1 for t in self._times if now - t <= 1.0))
