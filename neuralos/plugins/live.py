"""Swap the renderer or planner in use while running: load off the caller's thread, replace on success.

    active = ActiveModel("renderer", on_change=status_line.update)
    active.switch("crisp-ui")             # returns a Future[ModelInfo] at once; loading runs on a worker
    active.model                          # the model in use: the old one until the new one is ready

A switch that fails (unknown name, broken folder, load error) leaves the current model in use and
reports why; switches run one at a time, in order. The previous model is closed (if it has
`close()`) only after the new one is in place. Callbacks run on the worker thread: a Qt shell
forwards them to the GUI thread with a queued signal.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from neuralos.errors import NeuralosError
from neuralos.plugins.discovery import ModelInfo
from neuralos.plugins.loading import BrokenModel, load_planner, load_renderer, resolve

log = logging.getLogger(__name__)
# on_change(name, model, error): after a switch; model is None and error the reason when it failed.
OnChange = Callable[[str, object | None, str | None], None]


class ActiveModel:
    """The renderer or planner in use, and safe live switching between plugin models."""

    def __init__(self, kind: str, device: str = "cpu", on_change: OnChange | None = None,
                 name: str | None = None, model: object | None = None):
        if kind not in ("renderer", "planner"):
            raise ValueError(f"kind must be renderer or planner, not {kind!r}")
        self.kind, self.device, self.on_change = kind, device, on_change
        self.name, self.model = name, model
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"neuralos-{kind}-loader")

    def switch(self, model: ModelInfo | str, models: list[ModelInfo] | None = None) -> Future:
        """Start switching to `model` (a name or ModelInfo). The future's result is the ModelInfo,
        ok when the switch happened, broken (with the reason) when the old model stayed."""
        return self._worker.submit(self._switch, model, models)

    def current(self) -> tuple[str | None, object | None]:
        """(name, model) in use, read together."""
        with self._lock:
            return self.name, self.model

    def close(self) -> None:
        """Stop the worker (pending switches still run) and close the model in use."""
        self._worker.shutdown(wait=True)
        _close(self.model)

    def _switch(self, model: ModelInfo | str, models: list[ModelInfo] | None) -> ModelInfo:
        load = load_renderer if self.kind == "renderer" else load_planner
        name = model if isinstance(model, str) else model.name
        try:
            info = resolve(model, self.kind, models)
            loaded = load(info, self.device)
        except BrokenModel as e:
            return self._failed(name, e.info, e.reason)
        except NeuralosError as e:
            return self._failed(name, None, str(e))
        except Exception as e:  # never let a switch take the running shell down
            log.exception("switching %s to %s failed", self.kind, name)
            return self._failed(name, None, f"{type(e).__name__}: {e}")
        with self._lock:
            old, self.name, self.model = self.model, info.name, loaded
        if old is not loaded:
            _close(old)
        self._notify(info.name, loaded, None)
        return info

    def _failed(self, name: str, info: ModelInfo | None, reason: str) -> ModelInfo:
        self._notify(name, None, reason)
        if info is None:
            info = ModelInfo(name=name, kind=self.kind, format="", path=None)
        return info.broken(reason)

    def _notify(self, name: str, model: object | None, error: str | None) -> None:
        if self.on_change is not None:
            try:
                self.on_change(name, model, error)
            except Exception:
                log.exception("%s switch callback failed", self.kind)


def _close(model: object | None) -> None:
    close = getattr(model, "close", None)
    if callable(close):
        try:
            close()
        except Exception:
            log.exception("closing %s failed", type(model).__name__)
