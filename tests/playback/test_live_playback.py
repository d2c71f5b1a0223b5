"""Playback videos painted by a real (tiny) neural model through the live engine: deterministic, regional."""
import json
import sys
from pathlib import Path

import numpy as np

from playback_helpers import FORM, png

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "neural"))

SCRIPT = "size: 320x240\nsteps:\n" + FORM + "  - click: {id: f}\n  - type: Zoë\n  - click: {id: c}\n" \
         "  - expect: {data: {path: /name, equals: Zoë}}\n"


def tiny(seed=4):
    from neural_scenes import tiny_model

    from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler
    from neuralos.neural.renderer import NeuralRenderer

    return NeuralRenderer(UIRenderPipeline(model=tiny_model(seed=seed), scheduler=default_scheduler(),
                                           default_num_inference_steps=2))


def test_neural_playback_is_painted_by_the_model_regionally_and_deterministically(play, monkeypatch):
    import neuralos.playback.runner as R

    made = []

    def load(requested, seed):
        made.append(tiny())
        return made[-1], None

    monkeypatch.setattr(R, "_load_neural", load)
    runs = []
    for _ in range(2):
        result, out = play(SCRIPT, renderer="neural")
        assert result.ok, result.failure
        trace = json.loads((out / "trace.json").read_text())
        assert trace["renderer"] == {"requested": "neural", "used": "neural", "fallback_reason": None}
        assert all(s["renderer_used"] == "neural" and s["fallback_reason"] is None for s in trace["steps"])
        assert all(f["renderer"] == "neural" for f in trace["frames"])
        runs.append((png(out / "final.png"), out))
    assert np.array_equal(runs[0][0], runs[1][0])                          # the same script, the same video
    assert (out / "video.mp4").stat().st_size > 0
    live = made[-1]
    assert live.steps == 2


def test_playback_frames_change_only_inside_dirty_regions(monkeypatch):
    """Every neural frame differs from the one before only where the scene changed."""
    import neuralos.playback.runner as R
    from neuralos.neural import live as L
    from neuralos.playback.script import loads

    frames = []
    real_render = L.LiveRenderer.render

    def spy(self, scene, widgets=None, *a, **k):
        out = real_render(self, scene, widgets, *a, **k)
        frames.append(out)
        return out

    monkeypatch.setattr(L.LiveRenderer, "render", spy)
    monkeypatch.setattr(R, "_load_neural", lambda requested, seed: (tiny(), None))
    result = R.PlaybackRunner(loads(SCRIPT, "s.yaml"), None, renderer="neural").run()
    assert result.ok, result.failure
    assert frames[0].full and len(frames) > 5
    changed = 0
    for a, b in zip(frames, frames[1:]):
        mask = np.ones(b.frame.shape[:2], bool)
        for r in b.regions:
            mask[r.y:r.bottom, r.x:r.right] = False
        assert np.array_equal(a.frame[mask], b.frame[mask])
        changed += bool(b.regions)
    assert changed >= 4 and sum(not f.full for f in frames[1:] if f.regions) >= 3   # hover, focus, typing


def test_a_missing_model_is_looked_for_again_after_the_cool_down_on_the_video_clock(monkeypatch):
    import neuralos.playback.runner as R
    from neuralos.session import Session
    from neuralos.widgets.canvas import DesktopCanvas

    attempts = []

    def load(requested, seed):
        attempts.append(requested)
        return (None, "no usable neural renderer model: not installed yet") if len(attempts) == 1 else (tiny(), None)

    monkeypatch.setattr(R, "_load_neural", load)
    clock = [0.0]
    canvas = DesktopCanvas(Session(160, 120))
    painter = R._Painter(canvas, "auto", 0, clock=lambda: clock[0])
    frame, used, reason = painter.paint()
    assert used == "widgets" and reason == "no usable neural renderer model: not installed yet"
    assert np.array_equal(frame, canvas.grab_frame()) and painter.current_name == "widgets"
    clock[0] = R.RETRY_AFTER_S - 0.1
    assert painter.paint()[1] == "widgets" and len(attempts) == 1           # still cooling down
    clock[0] = R.RETRY_AFTER_S + 0.1
    frame, used, reason = painter.paint()
    assert used == "neural" and reason is None and len(attempts) == 2       # found it: the model paints
    assert painter.current_name == "neural" and not np.array_equal(frame, canvas.grab_frame())
    canvas.close_canvas()
