"""Frames on screen: which renderer paints the desktop, how long a frame takes, frames per second.

The canvas's real widgets are always there: they hold the layout and receive all input. In widgets
mode they are what you see, and a frame is one synchronous repaint of the canvas (timed). In neural
mode every frame the user sees is painted by the model: each scene change is sent to a
`neuralos.neural.live.LiveWorker` (rendering off the GUI thread, latest request wins), which repaints
only the dirty regions, and `FrameOverlay` shows the result on top of the widgets (transparent to
input, so clicks and keys still reach the widgets underneath, hit-tested on the same layout).

Fallback (SPEC section 3), always visible in the status line (`reason`) and logged:
- no usable model, or it fails to load: widgets; loading is retried after a cool-down;
- an exception or non-finite output in a region: that region gets the widget renderer's pixels
  (grabbed with each request), and it is repainted by the model on the next frame;
- a frame not shown by its deadline (`deadline_ms`): the widget pixels of the changed regions are shown
  at the deadline, the neural frame replaces them when it arrives, and the late frame counts as a miss;
- `MAX_MISSES` faulty or late frames in a row: the session paints with widgets for `COOLDOWN_S`, then
  the neural renderer is retried (`neuralos.neural.live.FallbackPolicy`).
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

from neuralos.errors import first_line
from neuralos.neural.live import (MAX_MISSES, PASTE_MARGIN, FallbackPolicy, LiveFrame, LiveRenderer, LiveWorker,
                                  PendingFrame, check_frame, dirty_regions)
from neuralos.widgets.collector import freeze_long_lived

log = logging.getLogger(__name__)

BUILTIN = ("auto", "neural", "widgets")
MAX_FAILURES = MAX_MISSES
DEADLINE_MS = 250.0          # a change not on screen by then: widgets paint it meanwhile; a later frame is a miss
FIRST_DEADLINE_MS = 15000.0  # the same for whole frames (first one, theme change): on a small CPU they take seconds
AHEAD_AFTER_MS = 150         # painting ahead starts once input has paused this long (not between keys of typing:
                             # a request waits for the paint ahead in progress)

__all__ = ["BUILTIN", "DEADLINE_MS", "FIRST_DEADLINE_MS", "FrameOverlay", "FramePump", "check_frame", "load_renderer"]


def _device() -> str:
    try:
        import torch
        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


def load_renderer(requested: str):
    """A neural renderer for `auto`/`neural` (the default model) or a plugin name; raises with the
    reason when there is none. On a machine with a GPU the model goes there."""
    from neuralos.plugins.discovery import default_model
    from neuralos.plugins.loading import load_renderer as load

    if requested in ("auto", "neural"):
        info = default_model("renderer")
        if info is None:
            raise LookupError("no usable neural renderer model is installed")
        return load(info, _device())
    return load(requested, _device())


class FrameOverlay(QWidget):
    """Shows the latest neural frame over the canvas; input passes through to the widgets."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.NoFocus)
        self.image: QImage | None = None

    def show_frame(self, frame: np.ndarray, regions=None) -> None:
        """Show `frame`; with `regions` (boxes), only those parts are repainted on screen."""
        h, w, _ = frame.shape
        frame = np.ascontiguousarray(frame)
        self.image = QImage(frame.data, w, h, 3 * w, QImage.Format_RGB888).copy()
        # The frame covers the whole canvas: Qt need not paint the widgets underneath.
        self.setAttribute(Qt.WA_OpaquePaintEvent, (w, h) == (self.width(), self.height()))
        if not self.isVisible():
            self.setVisible(True)
            self.update()
        elif regions is None:
            self.update()
        else:
            for r in regions:
                self.update(QRect(r.x, r.y, r.w, r.h))

    def clear(self) -> None:
        self.image = None
        self.setAttribute(Qt.WA_OpaquePaintEvent, False)
        self.setVisible(False)

    def paintEvent(self, event) -> None:
        if self.image is not None:
            p = QPainter(self)
            r = event.rect()
            p.drawImage(r, self.image, r)
            p.end()


class FramePump(QObject):
    """Paints a frame after every scene change with the active renderer and measures it."""

    changed = Signal()                         # renderer, reason, frame time or fps changed
    switch_failed = Signal(str, str)           # (requested name, reason): a switch failed, the previous one stays
    _loaded = Signal(object, object, str)      # (token, renderer or None, reason) from the loader thread
    _rendered = Signal(object, object)         # (token, LiveFrame) from the render worker

    def __init__(self, canvas, overlay: FrameOverlay, requested: str = "auto", parent: QObject | None = None):
        super().__init__(parent)
        self.canvas = canvas
        self.overlay = overlay
        self.requested = requested
        self.model = None                      # the loaded neural renderer (kept while the session is on widgets)
        self.model_name: str | None = None     # its name: the plugin model's, or the renderer's own
        self.live: LiveRenderer | None = None
        self.worker: LiveWorker | None = None
        self.policy = FallbackPolicy()
        self.deadline_ms = DEADLINE_MS
        self.first_deadline_ms = FIRST_DEADLINE_MS
        self.reason: str | None = None         # why (part of) the picture comes from the widgets
        self.loading = False
        self.frame_ms: float | None = None     # time to paint the last frame
        self.latency_ms: float | None = None   # scene change to that frame on screen (neural mode)
        self.frames = 0
        self.neural_frames = 0
        self.late_frames = 0
        self.settings: dict = {}
        self.last: LiveFrame | None = None
        self._times: deque[float] = deque(maxlen=240)
        self._token = object()                 # the render worker's: frames of an earlier worker are dropped
        self._load_token = object()            # the latest load's: results of earlier loads are dropped
        self._switch_from: tuple | None = None  # (requested, model) to go back to if the pending switch fails
        self._shown: np.ndarray | None = None  # the frame on the overlay, its scene and request number
        self._shown_scene = None
        self._shown_seq = 0
        self._latest: tuple | None = None      # (seq, scene, widget frame) of the newest request
        self._submitted: dict[int, float] = {}  # request -> when, for requests not on screen yet
        self._prev_result: np.ndarray | None = None
        self._ahead = None                     # (scene shown, its click previews still to hand to the worker)
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.paint)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._on_deadline)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._on_retry)
        self._ahead_timer = QTimer(self)       # one click preview per event-loop turn: input is never held up long
        self._ahead_timer.setSingleShot(True)
        self._ahead_timer.timeout.connect(self._next_ahead)
        self._loaded.connect(self._on_loaded)
        self._rendered.connect(self._on_rendered)
        canvas.scene_changed.connect(self.schedule)
        self.request(requested, keep_previous=False)

    # -- renderer choice --------------------------------------------------------------------------
    @property
    def neural(self):
        """The neural renderer painting the frames now (None while widgets paint)."""
        if self.model is None or self.policy.retry_in() is not None:
            return None
        return self.model

    @neural.setter
    def neural(self, renderer) -> None:
        self._install(renderer)

    @property
    def active(self) -> str:
        return "neural" if self.neural is not None else "widgets"

    @property
    def failures(self) -> int:
        return self.policy.consecutive

    @property
    def _busy(self) -> bool:
        return self.worker is not None and not self.worker.idle

    def describe(self) -> str:
        """For the status line: 'widgets', 'neural (crisp-ui)', 'widgets (fallback: ...)', 'widgets (loading ...)'."""
        if self.loading and self.model is None:
            return f"widgets (loading {self.requested} renderer…)"
        if self.requested == "widgets":
            return "widgets"
        if self.model is None or self.policy.retry_in() is not None:
            why = self.policy.session_reason or self.reason or "no usable neural renderer model"
            return f"widgets (fallback: {why})"
        name = self.model_name
        label = f"neural ({name})" if name and name != "neural" else "neural"
        if self.loading:
            return f"{label}; loading {self.requested} renderer…"
        if self._shown is None:
            return f"{label}, painting its first frame (widgets meanwhile)"
        if self.reason:
            return f"{label}; widgets painted part of the last frame: {self.reason}"
        return label

    def request(self, requested: str, keep_previous: bool = True) -> None:
        """Switch renderer: `widgets` at once; neural ones load on a thread while the current renderer
        keeps painting. With `keep_previous`, a switch whose model fails to load goes back to the
        previous renderer (`switch_failed` says why); without it (start-up, a vanished model) the
        widgets paint with the reason shown and loading is retried after a cool-down."""
        previous = self._switch_from or (self.requested, self.model)   # a pending switch's own origin
        self.requested = requested
        self._load_token = token = object()   # results of an earlier request are dropped
        self._switch_from = previous if keep_previous and requested != "widgets" else None
        if self._switch_from is None or self.model is None:   # else the model in use paints until the new one is ready
            self._token = object()
            self._close_worker()
            self.model, self.model_name, self.reason = None, None, None
            self.policy = FallbackPolicy()
            self._show_widgets()
            if requested == "widgets":
                self.loading = False
                self.changed.emit()
                self.schedule()
                return
        self.loading = True
        self.changed.emit()
        self._load(token)

    def _load(self, token) -> None:
        requested = self.requested

        def load():
            try:
                renderer, reason = load_renderer(requested), ""
            except Exception as e:   # any reason a model cannot be used: say it, paint with widgets
                renderer, reason = None, first_line(e)
            try:
                self._loaded.emit(token, renderer, reason)
            except RuntimeError:     # the window closed while the model loaded
                pass

        threading.Thread(target=load, name="neuralos-renderer-load", daemon=True).start()

    def _on_loaded(self, token, renderer, reason: str) -> None:
        if token is not self._load_token or self._closed:
            return
        self.loading = False
        switch, self._switch_from = self._switch_from, None
        if renderer is None and switch is not None:     # a failed switch: back to what was in use
            name, reason = self.requested, reason or "no usable neural renderer model"
            previous, model = switch
            log.warning("cannot switch the renderer to %r, keeping %r: %s", name, previous, reason)
            if model is not None and model is self.model:
                self.requested = previous
                self.changed.emit()
            else:
                self.request(previous, keep_previous=False)
            self.switch_failed.emit(name, reason)
            return
        if renderer is None:
            self.reason = reason or "no usable neural renderer model"
            self.policy.disable(self.reason)
            log.warning("renderer %r unavailable, painting with widgets: %s (retried in %g s)", self.requested,
                        self.reason, self.policy.cooldown_s)
            self._retry.start(int(self.policy.cooldown_s * 1000))
            self.changed.emit()
            self.schedule()
            return
        self._install(renderer, None if self.requested in BUILTIN else self.requested)

    def _install(self, renderer, name: str | None = None) -> None:
        """Paint with `renderer` from now on (a fresh engine: the next frame is whole)."""
        from neuralos.neural.live import configure

        self._close_worker()
        self._token = token = object()
        self.model, self.reason = renderer, None
        self.model_name = name or getattr(renderer, "name", None)
        self.policy.reset()
        self._show_widgets()
        if renderer is not None:
            try:
                self.settings = configure(renderer)
            except Exception as e:   # settings are an optimisation: never a reason not to paint
                log.warning("could not apply renderer settings: %s", e)
            self.live = LiveRenderer(renderer, policy=self.policy)
            self.worker = LiveWorker(self.live, lambda frame: self._rendered.emit(token, frame))
            freeze_long_lived()      # the imports and the model: no later collection walks them (collector.py)
            log.info("neural renderer %s: %s", getattr(renderer, "name", type(renderer).__name__), self.settings)
        self.changed.emit()
        self.schedule()

    def _close_worker(self) -> None:
        self._deadline.stop()
        if self.worker is not None:
            self.worker.close(wait=False)    # a render in progress finishes on its own; its result is dropped
        self.worker, self.live, self._latest, self._prev_result = None, None, None, None
        self._submitted.clear()
        self._ahead = None
        self._ahead_timer.stop()

    def close(self) -> None:
        """Stop rendering (the window is closing)."""
        self._closed = True
        self._token = self._load_token = object()
        self._retry.stop()
        self._timer.stop()
        self._close_worker()

    def _on_retry(self) -> None:
        if self._closed or self.requested == "widgets":
            return
        if self.model is None and not self.loading:
            self._load(self._load_token)      # a model may have been installed since
        else:
            self.schedule()                   # the cool-down is over: paint with the model again

    def _show_widgets(self) -> None:
        self.overlay.clear()
        self._shown, self._shown_scene, self._shown_seq = None, None, 0

    # -- painting ---------------------------------------------------------------------------------
    def schedule(self) -> None:
        if not self._timer.isActive() and not self._closed:
            self._timer.start()

    def _exposed(self) -> bool:
        handle = self.canvas.window().windowHandle()
        return handle is not None and handle.isExposed()

    def paint(self) -> None:
        if self._closed:
            return
        if not self._exposed():
            if self.canvas.window().isVisible():
                QTimer.singleShot(16, self.schedule)   # mapped soon: paint the first frame then
            return
        if self.model is None or self.worker is None or not self.policy.neural_allowed():
            if self._shown is not None:
                self._show_widgets()
                self.changed.emit()
            wait = self.policy.retry_in()
            if self.model is not None and wait is not None and not self._retry.isActive():
                self._retry.start(int(wait * 1000) + 10)
            t0 = time.perf_counter()
            self.canvas.repaint()
            self._done((time.perf_counter() - t0) * 1000.0)
            return
        scene = self.canvas.scene()
        pending = PendingFrame()               # the widget renderer's pixels of this state, for fallback: ...
        seq = self.worker.submit(scene, pending, self.deadline_ms, self.first_deadline_ms)
        widgets = pending.set_from(self.canvas.grab_frame)   # ... grabbed while the worker already paints
        self._latest = (seq, scene, widgets)
        self._submitted[seq] = time.perf_counter()
        if not self._deadline.isActive():
            self._deadline.start(int(self.deadline_ms))

    def _arm_deadline(self) -> None:
        """After a frame is shown: the deadline of the oldest change still not on screen."""
        self._deadline.stop()
        waiting = [t for s, t in self._submitted.items() if s > self._shown_seq]
        if waiting:
            left = self.deadline_ms - (time.perf_counter() - min(waiting)) * 1000.0
            self._deadline.start(max(0, int(left)))

    def _on_deadline(self) -> None:
        """The newest state is not on screen in time: show the widgets' pixels of what changed."""
        latest = self._latest
        if latest is None or self._closed or self.worker is None:
            return
        seq, scene, widgets = latest
        if self._shown_seq >= seq:
            return
        waiting = [t for s, t in self._submitted.items() if s > self._shown_seq]
        waited = (time.perf_counter() - min(waiting)) * 1000.0 if waiting else self.deadline_ms
        if self._shown is None:
            self.reason = f"the first neural frame is taking {waited:.0f} ms"
            self.changed.emit()
            return                            # the widgets are on screen until then
        regions = dirty_regions(scene, self._shown_scene, margin=PASTE_MARGIN)
        frame = self._shown.copy()
        for r in regions:
            frame[r.y:r.bottom, r.x:r.right] = widgets[r.y:r.bottom, r.x:r.right]
        self.late_frames += 1
        self.reason = f"neural frame later than {self.deadline_ms:.0f} ms; widgets painted {len(regions)} region(s)"
        log.warning("neural frame %d late after %.0f ms: widgets paint %d region(s) meanwhile", seq, waited,
                    len(regions))
        self.overlay.show_frame(frame, regions)
        self._shown, self._shown_scene, self._shown_seq = frame, scene, seq
        self._done(waited)
        self.changed.emit()

    def _on_rendered(self, token, result: LiveFrame) -> None:
        if token is not self._token or self._closed:
            return
        self.last = result
        prev_result, self._prev_result = self._prev_result, result.frame
        submitted = self._submitted.get(result.seq)
        for s in [s for s in self._submitted if s <= result.seq]:
            del self._submitted[s]
        waited = (result.finished - submitted) * 1000.0 if submitted and result.finished else result.ms
        if self.policy.retry_in() is not None:           # faults or misses switched the session to widgets
            self.reason = self.policy.session_reason
            self._show_widgets()
            self.paint()
            self.changed.emit()
            return
        if result.seq < self._shown_seq:
            self._arm_deadline()
            return                                       # a newer state is on screen already
        if result.renderer == "widgets" and result.full:
            self.reason = result.reason
            self._show_widgets()                         # nothing of the model's to show: the live widgets
            t0 = time.perf_counter()
            self.canvas.repaint()
            self._done((time.perf_counter() - t0) * 1000.0)
            return
        if self._shown is not None and self._shown is result.frame:
            pass                                         # nothing changed on screen
        elif self._shown is not None and self._shown is prev_result:
            self.overlay.show_frame(result.frame, result.regions)   # it builds on the frame on screen
        else:
            self.overlay.show_frame(result.frame)
        self._shown, self._shown_scene, self._shown_seq = result.frame, result.scene, result.seq
        self.reason = result.reason if (result.widget_regions or result.late) else None
        self.neural_frames += 1
        self.latency_ms = waited
        self._arm_deadline()
        self._done(result.ms)
        if self._latest is not None and result.seq == self._latest[0]:
            self._start_ahead(result.scene)

    def _start_ahead(self, shown) -> None:
        """The newest frame is on screen: have the worker paint ahead what pointing at and clicking each component
        near the pointer would show (`neuralos.widgets.whatif`), so that such a hover or click is a cache hit."""
        from PySide6.QtGui import QCursor

        from neuralos.widgets.whatif import input_previews

        if self.live is None or not self.live.paints_ahead:
            return
        p = self.canvas.mapFromGlobal(QCursor.pos())
        self._ahead = (shown, input_previews(self.canvas, (p.x(), p.y())))
        self._ahead_timer.start(AHEAD_AFTER_MS)

    def _next_ahead(self) -> None:
        if self._ahead is None:
            return
        shown, previews = self._ahead
        if self._closed or self.worker is None or self.canvas.scene() is not shown:
            self._ahead = None                  # the state moved on: these guesses are stale
            return
        try:
            preview = next(previews, None)
        except Exception:                       # a guess is never worth a fault: the next frame paints as ever
            log.exception("previewing an input failed")
            preview = None
        if preview is None:
            self._ahead = None
            return
        self.worker.paint_ahead(shown, *preview)
        self._ahead_timer.start(0)

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
