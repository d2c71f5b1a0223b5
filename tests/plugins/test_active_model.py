"""Live switching: a new model replaces the old only when it loaded; failures keep the old one."""
import shutil
import threading
import time

import numpy as np

from neuralos.plugins import ModelWatcher
from neuralos.plugins.live import ActiveModel
from neuralos.plugins.pipeline_renderer import PipelineRenderer
from neuralos.plugins.verify import tiny_scene

# A tiny model loads in about a second; a starved 2-core CI machine once took over 60 s (the suite ran 2.7x slower
# than usual). A hang still fails, here or at pytest-timeout, with every thread's stack (faulthandler_timeout).
LOAD_S = 240


class Old:
    closed = False

    def plan(self, state, request, cancel=None):
        yield from ()

    def close(self):
        self.closed = True


def test_renderer_switches_and_failed_switch_keeps_previous(models_dir, place):
    from neuralos.neural.renderer import NeuralRenderer
    place("renderer", models_dir / "diff")
    place("ui", models_dir / "ui")
    broken = place("renderer", models_dir / "half")
    weights = broken / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    events = []
    active = ActiveModel("renderer", on_change=lambda *e: events.append(e))
    try:
        assert active.switch("diff").result(timeout=LOAD_S).ok
        assert active.name == "diff" and isinstance(active.model, PipelineRenderer)
        before = active.model
        result = active.switch("half").result(timeout=LOAD_S)
        assert result.status == "broken" and "truncated" in result.reason
        assert active.current() == ("diff", before)
        assert active.switch("no-such").result(timeout=LOAD_S).status == "broken"
        assert active.current() == ("diff", before)
        assert active.switch("ui").result(timeout=LOAD_S).ok
        assert isinstance(active.model, NeuralRenderer)
        assert active.model.render(tiny_scene()).shape == (64, 64, 3)
        assert [(name, error is None) for name, _, error in events] == \
            [("diff", True), ("half", False), ("no-such", False), ("ui", True)]
        assert "no renderer named 'no-such'" in events[2][2]
    finally:
        active.close()


def test_planner_switch_closes_the_old_one_after_the_new_one_is_in(models_dir, place):
    place("planner", models_dir / "llm")
    old = Old()
    active = ActiveModel("planner", name="builtin", model=old)
    try:
        assert active.switch("llm").result(timeout=LOAD_S).ok
        assert active.name == "llm" and old.closed
        assert active.switch("llm-missing").result(timeout=LOAD_S).status == "broken"
        assert active.name == "llm"
    finally:
        active.close()


def test_kind_mismatch_is_refused(models_dir, place):
    place("planner", models_dir / "llm")
    active = ActiveModel("renderer")
    try:
        result = active.switch("llm").result(timeout=LOAD_S)
        assert result.status == "broken" and "'llm' is a planner, not a renderer" in result.reason
        assert active.model is None
    finally:
        active.close()


def test_a_dropped_in_model_can_be_switched_to_while_running(models_dir, built):
    appeared = threading.Event()
    watcher = ModelWatcher(lambda models: any(m.name == "new" and m.ok for m in models) and appeared.set(),
                           packages=False).start()
    active = ActiveModel("renderer")
    try:
        shutil.copytree(built("renderer"), models_dir / ".new")
        (models_dir / ".new").rename(models_dir / "new")
        t0 = time.monotonic()
        assert appeared.wait(3) and time.monotonic() - t0 < 2.5
        info = next(m for m in watcher.models if m.name == "new")
        assert active.switch(info).result(timeout=LOAD_S).ok
        frame = active.model.render(tiny_scene())
        assert frame.dtype == np.uint8
    finally:
        watcher.stop()
        active.close()
