"""The shell's planner: intents and button actions go to `PlannerRunner`, off the GUI thread.

The planner loads on a thread (a local LLM can take a while) and runs on the runner's threads; every
session change it makes is handed to the GUI thread (`call`), so widgets, the canvas and the journal
only ever change there. Runner events become Qt signals for the intent bar's progress display.
"""
from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import QObject, Qt, Signal

from neuralos.errors import first_line
from neuralos.planners.base import PlannerError


class _Box:
    def __init__(self, fn):
        self.fn, self.value, self.error = fn, None, None
        self.done = threading.Event()


class ShellPlanner(QObject):
    """`submit(request)` runs a request; signals report progress. `available` once loaded."""

    loaded = Signal(object)           # this planner, ready (or failed: see `reason`)
    started = Signal(str)             # a request started: status text
    progress = Signal(str, object)    # status text, progress 0..1 or None
    finished = Signal(object, bool)   # PlanResult, internal (a planner's own timer tick, not the user)
    command = Signal(object)          # ShellCommand for the shell (renderer / planner switch)
    _event = Signal(object)
    _run = Signal(object)
    _ready = Signal(object, str)

    def __init__(self, session, name: str, renderer_name: Callable[[], str], parent: QObject | None = None,
                 timeout: float | None = None):
        super().__init__(parent)
        self.session = session
        self.name = name
        self.renderer_name = renderer_name
        self.timeout = timeout
        self.planner = None
        self.runner = None
        self.reason = ""
        self.loading = True
        self._closing = False
        self._gui_thread = threading.get_ident()
        self._event.connect(self._on_event, Qt.QueuedConnection)
        self._run.connect(self._run_box, Qt.QueuedConnection)
        self._ready.connect(self._on_ready, Qt.QueuedConnection)
        threading.Thread(target=self._load, name="neuralos-planner-load", daemon=True).start()

    # -- loading ----------------------------------------------------------------------------------
    def _load(self) -> None:
        from neuralos.planners import registry

        try:
            planner, reason = registry.get_planner(self.name), ""
        except Exception as e:   # unknown name, broken model folder, missing library: say why
            planner, reason = None, first_line(e)
        try:
            self._ready.emit(planner, reason)
        except RuntimeError:     # the shell dropped this planner while it loaded (switched again, closed)
            close = getattr(planner, "close", None)
            if callable(close):
                close()

    def _on_ready(self, planner, reason: str) -> None:
        self.loading = False
        if self._closing:
            return
        if planner is None:
            self.reason = reason
        else:
            from neuralos.planners.runner import DEFAULT_TIMEOUT, PlannerRunner

            self.planner = planner
            self.name = getattr(planner, "name", self.name)
            self.runner = PlannerRunner(self.session, planner, timeout=self.timeout or DEFAULT_TIMEOUT,
                                        call=self._marshal, on_event=self._event.emit,
                                        on_command=self.command.emit, renderer=self.renderer_name)
        self.loaded.emit(self)

    @property
    def available(self) -> bool:
        return self.runner is not None

    @property
    def busy(self) -> bool:
        return self.runner is not None and self.runner.busy

    # -- requests ---------------------------------------------------------------------------------
    def submit(self, request):
        if self.runner is None:
            raise PlannerError(self.reason or f"the {self.name} planner is still loading")
        return self.runner.submit(request)

    def cancel(self) -> None:
        if self.runner is not None:
            self.runner.cancel()

    def close(self) -> None:
        self._closing = True
        if self.runner is not None:
            self.runner.close()
            self.runner = None
        close = getattr(self.planner, "close", None)
        if callable(close):
            close()

    def _on_event(self, event) -> None:
        internal = event.job.internal       # clock ticks and timers: no progress display for those
        if event.kind == "started" and not internal:
            self.started.emit(event.text)
        elif event.kind in ("status", "applied") and not internal:
            self.progress.emit(event.text, event.progress)
        elif event.kind == "finished":
            self.finished.emit(event.job.result, internal)

    # -- running session changes on the GUI thread ------------------------------------------------
    def _marshal(self, fn):
        if threading.get_ident() == self._gui_thread:
            return fn()
        box = _Box(fn)
        self._run.emit(box)
        while not box.done.wait(0.1):
            if self._closing:
                raise PlannerError("the shell is closing")
        if box.error is not None:
            raise box.error
        return box.value

    def _run_box(self, box: _Box) -> None:
        try:
            box.value = box.fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the planner thread
            box.error = e
        finally:
            box.done.set()
