"""The shell in neural mode: every frame from the model, off the GUI thread, with visible fallbacks."""
import functools
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "neural"))

from shell_helpers import CAT, V  # noqa: E402

SIZE = (480, 360)


def form(sid="form"):
    return [
        {"version": V, "createSurface": {"surfaceId": sid, "catalogId": CAT, "theme": {"agentDisplayName": "Form"}}},
        {"version": V, "updateComponents": {"surfaceId": sid, "components": [
            {"id": "root", "component": "Column", "children": ["f", "b"]},
            {"id": "f", "component": "TextField", "label": "Name", "value": {"path": "/name"}},
            {"id": "b", "component": "Button", "child": "bl", "action": {"event": {"name": "go"}}},
            {"id": "bl", "component": "Text", "text": "Go"}]}},
        {"version": V, "updateDataModel": {"surfaceId": sid, "path": "/name", "value": ""}},
    ]


def tiny_neural(cls=None, steps=1):
    from neural_scenes import tiny_model

    from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler
    from neuralos.neural.renderer import NeuralRenderer

    pipe = UIRenderPipeline(model=tiny_model(seed=3), scheduler=default_scheduler(), default_num_inference_steps=steps)
    return (cls or NeuralRenderer)(pipe)


@pytest.fixture
def neural_window(make_window, qtbot, monkeypatch):
    """neural_window(renderer=None, **policy) -> a shown window painting with a tiny neural model."""
    import shell.frames as F

    def make(renderer=None, cooldown_s=60.0, max_misses=3):
        monkeypatch.setattr(F, "FallbackPolicy", functools.partial(F.FallbackPolicy, max_misses=max_misses,
                                                                   cooldown_s=cooldown_s))
        model = renderer or tiny_neural()
        monkeypatch.setattr(F, "load_renderer", lambda requested: model)
        w = make_window(renderer="neural", size=SIZE)
        pump = w.frames
        pump.deadline_ms = pump.first_deadline_ms = 60_000
        qtbot.waitUntil(lambda: pump.model is model and pump._shown is not None, timeout=30000)
        return w

    return make


def wait_frame(qtbot, pump, before: int):
    """Until a new neural frame of the canvas's current state is on screen."""
    qtbot.waitUntil(lambda: pump.neural_frames > before and not pump._busy and pump._shown_scene is not None
                    and pump._shown_scene == pump.canvas.scene(), timeout=30000)


def show_form(w, qtbot):
    """Open `form()` and wait for its neural frame."""
    n = w.frames.neural_frames
    w.session.apply(form())
    wait_frame(qtbot, w.frames, n)


def overlay_pixels(w):
    img = w.overlay.image.convertToFormat(w.overlay.image.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def test_hover_click_and_typing_make_new_neural_frames(neural_window, qtbot):
    from neuralos.widgets.input import InputRouter

    w = neural_window()
    pump = w.frames
    show_form(w, qtbot)
    assert w.overlay.isVisible() and pump.active == "neural" and "renderer: neural" in w.status.renderer.text()
    scene = w.canvas.scene()
    button = next(x for x in scene.nodes if x.role == "Button" and x.surface == "form")
    field = next(x for x in scene.nodes if x.role == "TextField" and x.surface == "form")
    router = InputRouter(w.canvas)
    shown = overlay_pixels(w)

    def step(action):
        nonlocal shown
        n = pump.neural_frames
        action()
        wait_frame(qtbot, pump, n)
        last = pump.last
        assert last.renderer == "neural" and last.reason is None and last.regions
        assert last.scene is w.canvas.scene() or last.scene == w.canvas.scene()     # the state on screen
        now = overlay_pixels(w)
        assert np.array_equal(now, last.frame)                                    # what the user sees
        changed = np.any(now != shown, axis=2)
        inside = np.zeros(changed.shape, bool)
        for b in last.regions:
            inside[b.y:b.bottom, b.x:b.right] = True
        assert changed.any() and not changed[~inside].any()                       # only the dirty regions
        shown = now

    step(lambda: router.move(*button.box.center))                                 # hover
    step(lambda: router.move(5, SIZE[1] - 5))                                     # hover off
    step(lambda: router.click(*field.box.center))                                 # click: focus
    for ch in "Zoë":
        step(lambda ch=ch: router.type_text(ch))                                  # typing
    assert w.session.surfaces["form"].get_data("/name") == "Zoë"
    assert pump.worker.rendered >= 6 and pump.latency_ms is not None


@pytest.mark.parametrize("act", ["click", "move"])
def test_once_input_pauses_what_a_hover_or_click_shows_is_painted_ahead_and_is_a_cache_hit(neural_window, qtbot, act):
    from neuralos.widgets.input import InputRouter

    w = neural_window()
    pump = w.frames
    show_form(w, qtbot)
    qtbot.waitUntil(lambda: pump._ahead is None and pump.worker.idle and pump.worker.painted_ahead >= 1,
                    timeout=30000)                        # after AHEAD_AFTER_MS of no input
    button = next(x for x in w.canvas.scene().nodes if x.role == "Button" and x.surface == "form")
    n = pump.neural_frames
    getattr(InputRouter(w.canvas), act)(*button.clip.center)     # (a click on the field repaints most of this
    wait_frame(qtbot, pump, n)                             # small canvas: a whole frame, never painted ahead)
    last = pump.last
    assert last.renderer == "neural" and last.regions and last.cache_hits >= 1 and last.cache_misses == 0
    assert np.array_equal(overlay_pixels(w), last.frame)


def test_the_gui_stays_responsive_while_a_frame_renders(neural_window, qtbot):
    import threading

    from neuralos.neural.renderer import NeuralRenderer

    class Slow(NeuralRenderer):
        gate = threading.Event()

        def paint(self, cond, box, width, height):
            assert self.gate.wait(30)
            return super().paint(cond, box, width, height)

    Slow.gate.set()
    w = neural_window(tiny_neural(Slow))
    pump = w.frames
    Slow.gate.clear()
    w.session.apply(form())
    qtbot.waitUntil(lambda: pump._busy, timeout=10000)
    ticks = []
    from PySide6.QtCore import QTimer
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    qtbot.wait(300)                                           # the render is blocked; the event loop is not
    timer.stop()
    assert len(ticks) >= 10
    n = pump.neural_frames
    Slow.gate.set()
    wait_frame(qtbot, pump, n)
    assert pump.last.renderer == "neural"


def test_a_late_frame_shows_widget_pixels_then_the_model_and_repeated_misses_fall_back_then_retry(neural_window,
                                                                                                    qtbot):
    import threading

    from neuralos.neural.renderer import NeuralRenderer

    class Slow(NeuralRenderer):
        delay = threading.Event()

        def paint(self, cond, box, width, height):
            if self.delay.is_set():
                time.sleep(1.0)                    # far past the 100 ms deadline, even on a busy machine
            return super().paint(cond, box, width, height)

    w = neural_window(tiny_neural(Slow), cooldown_s=2.0, max_misses=2)
    pump = w.frames
    w.session.apply(form())
    wait_frame(qtbot, pump, 0)
    pump.deadline_ms = 100
    Slow.delay.set()
    widget_frame = None
    for i in range(2):
        n, late = pump.neural_frames, pump.late_frames
        w.session.set_data("form", "/name", "x" * (i + 1))
        qtbot.waitUntil(lambda: pump.late_frames > late, timeout=10000)    # the deadline passed first ...
        assert pump._latest[0] == pump._shown_seq
        widget_frame = pump._latest[2]
        scene = pump._latest[1]
        field = next(x for x in scene.nodes if x.role == "TextField")
        shown = overlay_pixels(w)
        b = field.clip
        assert np.array_equal(shown[b.y:b.bottom, b.x:b.right], widget_frame[b.y:b.bottom, b.x:b.right])
        assert "later than 100 ms" in pump.reason and "widgets painted" in w.status.renderer.text()
        if i == 0:
            qtbot.waitUntil(lambda: pump.neural_frames > n, timeout=10000)   # ... then the model's frame
            assert np.array_equal(overlay_pixels(w), pump.last.frame)
    # two late frames in a row: the worker switches the policy, then the GUI thread takes the overlay down
    qtbot.waitUntil(lambda: pump.active == "widgets" and not w.overlay.isVisible(), timeout=10000)
    assert "2 failures in a row" in pump.reason and "took" in pump.reason
    assert "fallback" in w.status.renderer.text() and "retried" in w.status.renderer.text()
    Slow.delay.clear()
    pump.deadline_ms = 60_000
    qtbot.waitUntil(lambda: pump.active == "neural" and w.overlay.isVisible(), timeout=15000)   # retried
    assert pump.policy.retries >= 1 and pump.last.renderer == "neural"


def test_a_region_fault_shows_widget_pixels_there_and_the_model_repaints_it(neural_window, qtbot):
    from neuralos.neural.renderer import NeuralRenderer

    class Faulty(NeuralRenderer):
        fail = False

        def paint(self, cond, box, width, height):
            if self.fail:
                raise RuntimeError("CUDA error: an illegal memory access")
            return super().paint(cond, box, width, height)

    w = neural_window(tiny_neural(Faulty))
    pump = w.frames
    w.session.apply(form())
    wait_frame(qtbot, pump, 0)
    Faulty.fail = True
    n = pump.neural_frames
    w.session.set_data("form", "/name", "fault")
    wait_frame(qtbot, pump, n)
    last = pump.last
    assert last.widget_regions and "RuntimeError: CUDA error" in last.reason
    b = last.widget_regions[0]
    assert np.array_equal(overlay_pixels(w)[b.y:b.bottom, b.x:b.right], pump._latest[2][b.y:b.bottom, b.x:b.right])
    assert "CUDA error" in w.status.renderer.text() and pump.failures == 1
    Faulty.fail = False
    n = pump.neural_frames
    pump.schedule()                                   # the next frame (any change or none) repairs it
    qtbot.waitUntil(lambda: pump.neural_frames > n and pump.last.widget_regions == [], timeout=30000)
    assert pump.last.regions == [b] and pump.reason is None and pump.failures == 0


def test_load_failure_paints_widgets_says_why_and_loading_is_retried(make_window, qtbot, monkeypatch):
    import shell.frames as F

    monkeypatch.setattr(F, "FallbackPolicy", functools.partial(F.FallbackPolicy, cooldown_s=2.0))
    attempts = []
    model = tiny_neural()

    def load(requested):
        attempts.append(requested)
        if len(attempts) == 1:
            raise OSError("model/diffusion_pytorch_model.safetensors: truncated file")
        return model

    monkeypatch.setattr(F, "load_renderer", load)
    w = make_window(renderer="neural", size=SIZE)
    pump = w.frames
    qtbot.waitUntil(lambda: not pump.loading and pump.reason is not None, timeout=10000)
    assert pump.active == "widgets" and "truncated file" in w.status.renderer.text()
    qtbot.waitUntil(lambda: pump.frames > 0, timeout=10000)           # the widgets paint meanwhile ...
    assert len(attempts) == 1 and pump.active == "widgets"           # ... before the retry
    qtbot.waitUntil(lambda: pump.model is model and pump._shown is not None, timeout=30000)
    assert len(attempts) == 2 and pump.active == "neural" and pump.reason is None
