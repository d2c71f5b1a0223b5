"""`verify(info)`: load a model and run one tiny inference, for `neuralos models verify`.

A renderer paints a 64x64 scene (desktop, a window, a button with a label) and must return a
uint8 (64, 64, 3) frame with finite pixels. A planner runs one short plan: if it has a `verify()`
method (a cheap self-test: one short generation or request) that is called; otherwise the first
step of `plan(PlannerState(), "open a notes app", cancel)` must arrive (a `PlanStep`).
"""
from __future__ import annotations

import threading

import numpy as np

from neuralos.plugins.discovery import ModelInfo
from neuralos.errors import first_line
from neuralos.plugins.loading import BrokenModel, load_planner, load_renderer
from neuralos.scene import Box, Scene, SceneNode, TextRun

VERIFY_SIZE = 64


def tiny_scene(size: int = VERIFY_SIZE) -> Scene:
    """A small but complete scene: the desktop, one window with a title and an "OK" button."""
    full = Box(0, 0, size, size)
    win = Box(4, 4, size - 8, size - 8)
    title = Box(win.x, win.y, win.w, 12)
    button = Box(win.x + 8, win.y + 24, win.w - 16, 16)
    label = TextRun("OK", button.x + 6, button.y + 12, 10, box=button)
    return Scene(width=size, height=size, theme={"name": "light", "dark": False}, nodes=[
        SceneNode(key="desktop", surface="", component_id="desktop", role="desktop", box=full, clip=full),
        SceneNode(key="verify/window", surface="verify", component_id="window", role="window", box=win,
                  clip=win, window="verify"),
        SceneNode(key="verify/title", surface="verify", component_id="title", role="window.title", box=title,
                  clip=title, text="Verify", window="verify",
                  text_runs=(TextRun("Verify", title.x + 4, title.y + 9, 8, box=title),)),
        SceneNode(key="verify/ok", surface="verify", component_id="ok", role="Button", box=button, clip=button,
                  text="OK", text_runs=(label,), interactive=True, window="verify"),
    ])


def check_frame(frame, height: int, width: int) -> None:
    """Raise ValueError unless `frame` is what a renderer must return: uint8 (H, W, 3)."""
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"render() returned {type(frame).__name__}, not a numpy array")
    if frame.dtype != np.uint8 or frame.shape != (height, width, 3):
        raise ValueError(f"render() returned {frame.dtype} {frame.shape}; a renderer must return "
                         f"uint8 ({height}, {width}, 3)")


def verify(info: ModelInfo, device: str = "cpu", timeout: float = 120.0) -> ModelInfo:
    """`info` as it stands after loading and one tiny inference: ok, or broken with the reason."""
    if not info.ok:
        return info
    try:
        if info.kind == "renderer":
            renderer = load_renderer(info, device)
            scene = tiny_scene()
            check_frame(renderer.render(scene, None, None), scene.height, scene.width)
        else:
            _smoke_plan(load_planner(info, device), timeout)
    except BrokenModel as e:
        return e.info if e.info.name == info.name and not e.info.ok else info.broken(e.reason)
    except Exception as e:
        return info.broken(f"inference failed: {type(e).__name__}: {first_line(e)}")
    return info


def _smoke_plan(planner, timeout: float) -> None:
    from neuralos.planners.base import PlannerState, PlanStep

    if callable(getattr(planner, "verify", None)):
        planner.verify()
        return
    cancel = threading.Event()
    timer = threading.Timer(timeout, cancel.set)
    timer.start()
    try:
        step = next(iter(planner.plan(PlannerState(), "open a notes app", cancel)), None)
    finally:
        timer.cancel()
        if callable(getattr(planner, "close", None)):
            planner.close()
    if cancel.is_set():
        raise TimeoutError(f"no plan within {timeout:.0f} s")
    if not isinstance(step, PlanStep):
        raise ValueError(f"plan() yielded {type(step).__name__}, not a PlanStep")
