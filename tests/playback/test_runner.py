"""Playing scripts on the real canvas: input through the shell's event path, expectations, outputs."""
import json

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent

from neuralos.errors import BadInput
from neuralos.playback.runner import PlaybackRunner, json_equal
from neuralos.playback.script import loads

from playback_helpers import FORM, decode, png, surface

SPEC_FIELDS = {"kind", "ok", "error", "start_ms", "latency_ms", "frames", "renderer_used", "fallback_reason"}


def test_contract_script_passes_with_every_output(play):
    text = "size: 640x480\nsteps:\n" + FORM + """\
  - expect: {text: "Contract demo"}
  - click: {id: f}
  - type: "Zoë"
  - expect: {data: {surface: demo, path: /name, equals: "Zoë"}}
  - expect: {component: TextField, value: "Zoë"}
  - snapshot: typed
"""
    result, out = play(text)
    assert result.ok and result.exit_code == 0, result.failure
    assert [s.ok for s in result.steps] == [True] * 7
    for f in ("video.mp4", "final.png", "snapshots/typed.png", "trace.json"):
        assert (out / f).stat().st_size > 0, f

    trace = json.loads((out / "trace.json").read_text())
    assert trace["ok"] is True and trace["exit_code"] == 0 and trace["size"] == [640, 480]
    assert trace["steps_passed"] == trace["steps_total"] == 7
    for step in trace["steps"]:
        assert SPEC_FIELDS <= set(step)
        assert step["renderer_used"] == "widgets" and step["fallback_reason"] is None
    kinds = [s["kind"] for s in trace["steps"]]
    assert kinds == ["a2ui", "expect", "click", "type", "expect", "expect", "snapshot"]
    click, typing = trace["steps"][2], trace["steps"][3]
    assert click["frames"] == 3 and typing["frames"] == 3          # hover, press, release; one per char
    assert click["latency_ms"] > 0 and typing["latency_ms"] > 0    # both changed the screen
    assert trace["steps"][1]["latency_ms"] is None                 # an expectation has no input
    starts = [s["start_ms"] for s in trace["steps"]]
    assert starts == sorted(starts)
    state = trace["final_state"]
    assert state["surfaces"][0]["dataModel"]["name"] == "Zoë"
    assert state["windows"]["order"] == ["demo"]

    info, frames = decode(out / "video.mp4")
    assert info["codec"] == "h264" and (info["width"], info["height"]) == (640, 480) and info["fps"] == 30
    assert info["frames"] == len(frames) == trace["timings"]["video_frames"]
    assert len(frames) == sum(s["ticks"] for s in trace["steps"]) + 3 + 15   # + opening and closing holds
    assert frames[-1].std() > 10                                   # not blank: a window on a desktop
    assert np.abs(frames[-1].astype(int) - png(out / "final.png")).mean() < 3
    # The video shows the typing happen: the text field region changes between the first and last frame.
    assert np.abs(frames[0].astype(int) - frames[-1]).max() > 100
    assert np.array_equal(png(out / "snapshots/typed.png"), png(out / "final.png"))


def test_unicode_typing_reaches_the_data_model_and_the_screen(play):
    typed = "Zoë Ærøskøbing — 日本語 ✓ 🙂"
    text = "size: 640x480\nsteps:\n" + FORM + f"""\
  - click: {{id: f}}
  - type: "{typed}"
  - expect: {{data: {{path: /name, equals: "{typed}"}}}}
  - expect: {{component: f, value: "{typed}"}}
  - expect: {{text: "Ærøskøbing"}}
"""
    result, out = play(text)
    assert result.ok, result.failure
    assert result.steps[2].frames == len(typed)


def test_checkbox_slider_and_button_through_clicks(play):
    text = "size: 640x480\nsteps:\n" + FORM + """\
  - click: {text: "Subscribe"}
  - expect: {data: {path: /subscribed, equals: true}}
  - expect: {component: CheckBox, value: true}
  - click: {id: s}
  - key: End
  - expect: {data: {path: /volume, equals: 10}}
  - key: Left
  - expect: {component: Slider, value: 9}
  - click: {text: Save}
"""
    result, out = play(text)
    assert result.ok, result.failure
    trace = json.loads((out / "trace.json").read_text())
    [entry] = trace["actions"]
    assert entry["action"]["action"]["name"] == "save" and entry["action"]["action"]["context"] == {"name": ""}
    assert entry["step"] == 10 and entry["sent"] is True        # button actions go to the planner
    # The builtin planner did not make this window, so it says so; the click itself worked.
    assert "did not make" in trace["steps"][-1]["detail"]["planner_errors"][0]
    assert trace["steps"][-1]["ok"] is True


def test_failing_expectation_stops_with_exit_1_and_partial_outputs(play):
    text = "size: 640x480\nsteps:\n" + FORM + """\
  - click: {id: f}
  - type: "abc"
  - expect: {text: "Nope"}
  - type: "never typed"
"""
    result, out = play(text)
    assert not result.ok and result.exit_code == 1
    assert "demo.yaml:9: expected a visible component showing 'Nope'; visible texts: 'Demo', 'Contract demo', " \
           "'Name abc', 'Subscribe', 'Volume 2', 'Save'" in result.failure
    assert [s.ok for s in result.steps] == [True, True, True, False]        # the last step never ran
    trace = json.loads((out / "trace.json").read_text())
    assert trace["ok"] is False and trace["exit_code"] == 1
    assert trace["failure"]["line"] == 9 and trace["failure"]["step"] == 4
    assert trace["steps"][-1]["error"].startswith("expected a visible component showing 'Nope'")
    assert trace["final_state"]["surfaces"][0]["dataModel"]["name"] == "abc"
    info, frames = decode(out / "video.mp4")
    assert info["frames"] == len(frames) == trace["timings"]["video_frames"] > 0
    assert (out / "final.png").exists()


@pytest.mark.parametrize("step, message", [
    ('click: {text: "Delete"}', "click: no visible component shows 'Delete'; visible texts: 'Demo', 'Contract demo'"),
    ("click: {id: nope}", "click: no visible component has id 'nope'; visible ids: 'b', 'bl', 'c', 'close'"),
    ("expect: {surfaces: 2}", "expected 2 open surfaces, saw 1 ('demo')"),
    ("expect: {data: {path: /name, equals: x}}", 'expected data /name == "x", saw demo: ""'),
    ("expect: {data: {surface: zz, path: /name, equals: x}}", "there is no such surface (open: 'demo')"),
    ("expect: {component: Slider, value: 3}", 'saw Slider \'s\' = 2'),
    ("expect: {component: Tabs, value: 3}", "expected a visible Tabs (type or id) with value 3, but none is visible"),
])
def test_step_failures_say_what_was_expected_and_seen(play, step, message):
    result, _ = play("size: 640x480\nsteps:\n" + FORM + f"  - {step}\n")
    assert result.exit_code == 1
    assert message in result.failure


def test_rejected_a2ui_at_run_time_fails_the_step_and_changes_nothing(play):
    # After a click the script no longer knows the state up front, so this is caught when it runs.
    text = "size: 640x480\nsteps:\n" + FORM + """\
  - click: {at: [600, 400]}
  - a2ui:
      - {"version": "v0.9", "updateComponents": {"surfaceId": "demo", "components": [
          {"id": "root", "component": "Column", "children": ["missing"]}]}}
"""
    result, out = play(text)
    assert result.exit_code == 1
    assert "A2UI rejected (nothing applied)" in result.failure and "'missing'" in result.failure
    trace = json.loads((out / "trace.json").read_text())
    comps = {c["id"]: c for c in trace["final_state"]["surfaces"][0]["components"]}
    assert comps["root"]["children"] == ["t", "f", "c", "s", "b"]


def test_same_script_twice_gives_identical_frames(play):
    text = "size: 480x360\nsteps:\n" + FORM + """\
  - click: {id: f}
  - type: "déjà vu"
  - click: {text: Subscribe}
  - wait: 0.3
  - snapshot: end
"""
    (r1, o1), (r2, o2) = play(text), play(text)
    assert r1.ok and r2.ok
    assert (o1 / "final.png").read_bytes() == (o2 / "final.png").read_bytes()
    assert (o1 / "snapshots/end.png").read_bytes() == (o2 / "snapshots/end.png").read_bytes()
    _, f1 = decode(o1 / "video.mp4")
    _, f2 = decode(o2 / "video.mp4")
    assert len(f1) == len(f2) and all(np.array_equal(a, b) for a, b in zip(f1, f2))


def test_wait_advances_the_video_clock_exactly(play):
    text = "size: 320x240\nsteps:\n" + FORM + "  - wait: 1.5\n  - wait: 0\n"
    result, out = play(text)
    assert result.ok
    wait = result.steps[1]
    assert wait.ticks == 45 and wait.start_ms == pytest.approx(200.0)   # 3 opening + 3 a2ui ticks
    assert result.steps[2].ticks == 0


def test_neural_renderer_or_a_visible_fallback(play):
    result, out = play("size: 320x240\nsteps:\n" + FORM + "  - expect: {text: Contract demo}\n",
                       renderer="neural")
    assert result.ok, result.failure
    trace = json.loads((out / "trace.json").read_text())
    for step in trace["steps"]:
        if step["renderer_used"] == "widgets":
            assert step["fallback_reason"], "falling back to widgets must say why"
    if trace["renderer"]["used"] == "widgets":
        assert trace["renderer"]["fallback_reason"]


def test_gif_for_readmes(play):
    result, out = play("size: 800x600\nsteps:\n" + FORM + "  - click: {id: c}\n", gif=True)
    from PIL import Image

    g = Image.open(out / "video.gif")
    assert g.size == (640, 480) and g.n_frames >= 2


def test_click_point_off_the_canvas_is_bad_input_before_anything_runs(tmp_path):
    s = loads("size: 320x240\nsteps:\n  - click: {at: [400, 10]}\n", "demo.yaml")
    with pytest.raises(BadInput, match=r"demo.yaml:3: click point \[400, 10\] is off the 320x240 canvas"):
        PlaybackRunner(s, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_renderer_is_bad_input(tmp_path):
    s = loads("steps:\n  - wait: 0\n", "demo.yaml")
    with pytest.raises(BadInput, match="no renderer named 'warp'"):
        PlaybackRunner(s, tmp_path / "out", renderer="warp")


def test_json_equal():
    assert json_equal(1, 1.0) and not json_equal(True, 1) and not json_equal(0, False)
    assert json_equal({"a": [1, "x"]}, {"a": [1.0, "x"]}) and not json_equal([1], [1, 2])
    assert not json_equal(None, "") and json_equal(None, None)


def test_play_async_drives_an_existing_canvas_from_the_event_loop(tmp_path):
    """How `neuralos shell --script` plays a script on the visible desktop: one step per timer turn."""
    from PySide6.QtCore import QEventLoop, QTimer

    from neuralos.session import Session
    from neuralos.widgets.canvas import DesktopCanvas

    session = Session(480, 360)
    canvas = DesktopCanvas(session)
    script = loads("steps:\n" + FORM + "  - click: {id: f}\n  - type: Ωmega\n"
                   "  - expect: {data: {path: /name, equals: Ωmega}}\n", "demo.yaml", simulate=False)
    runner = PlaybackRunner(script, tmp_path / "out", canvas=canvas, realtime=False)
    assert runner.size == (480, 360)          # the canvas's own size
    seen, done = [], []
    loop = QEventLoop()
    runner.play_async(on_step=lambda r: seen.append((r.kind, r.ok)),
                      on_finished=lambda r: (done.append(r), loop.quit()))
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()
    assert seen == [("a2ui", True), ("click", True), ("type", True), ("expect", True)]
    assert done and done[0].ok and done[0].exit_code == 0
    assert session.surfaces["demo"].data["name"] == "Ωmega"     # it played on the shell's own session
    assert (tmp_path / "out" / "video.mp4").exists()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert shiboken6.isValid(canvas) and canvas.scene().nodes      # the shell's canvas is never let go
    canvas.close_canvas()


def test_finishing_deletes_the_runners_own_canvas_and_stops_it_following_the_session():
    """Left to the collector, a finished run's canvas would go on filtering every application event."""
    runner = PlaybackRunner(loads("steps:\n" + FORM + "  - click: {id: f}\n", "demo.yaml"), None, renderer="widgets")
    assert runner.run().ok
    canvas, session = runner.canvas, runner.session
    assert shiboken6.isValid(canvas) and not session._listeners
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert not shiboken6.isValid(canvas)
    assert "demo" in session.surfaces           # the state lives on without it


def test_intents_and_button_actions_go_through_the_builtin_planner(play):
    text = """\
size: 800x600
steps:
  - intent: "make a to-do list"
  - expect: {surfaces: 1}
  - click: {id: new-item}
  - type: "Crème brûlée for Zoë"
  - click: {text: Add}
  - expect: {text: "Crème brûlée for Zoë"}
  - expect: {data: {path: /items/0/text, equals: "Crème brûlée for Zoë"}}
  - expect: {component: CheckBox, value: false}
"""
    result, out = play(text)
    assert result.ok, result.failure
    intent, add = result.steps[0], result.steps[4]
    assert intent.frames >= 1 and intent.latency_ms > 0 and intent.detail["planner"] == "builtin"
    assert add.frames >= 4            # hover, press, release, then the planner's batch
    assert "Added" in add.detail["replies"][0]
    trace = json.loads((out / "trace.json").read_text())
    assert trace["actions"][0]["sent"] and trace["actions"][0]["action"]["action"]["name"] == "add_item"


def test_an_intent_the_planner_cannot_do_fails_the_step(play):
    result, _ = play("steps:\n  - intent: \"xyzzy plugh\"\n")
    assert result.exit_code == 1 and "demo.yaml:2:" in result.failure


def test_unknown_planner_is_bad_input(tmp_path):
    s = loads("steps:\n  - wait: 0\n", "demo.yaml")
    with pytest.raises(BadInput, match="no planner named 'nope'"):
        PlaybackRunner(s, tmp_path / "out", planner="nope")
    assert not (tmp_path / "out").exists()


class BoxPainter:
    """A renderer plugin of the documented interface: paints every scene node's box in a role colour."""

    def __init__(self, fail_after=None, nan=False):
        self.calls = []
        self.fail_after, self.nan = fail_after, nan

    def render(self, scene, previous, regions):
        self.calls.append((previous is not None, None if regions is None else list(regions)))
        if self.fail_after is not None and len(self.calls) > self.fail_after:
            raise RuntimeError("out of GPU memory")
        out = np.zeros((scene.height, scene.width, 3), np.float32 if self.nan else np.uint8)
        for n in scene.nodes:
            if n.clip is not None:
                c = n.clip
                out[c.y:c.bottom, c.x:c.right] = (hash(n.role) % 200 + 30, len(n.text) * 7 % 256, 90)
        if self.nan:
            out[0, 0, 0] = np.nan
        return out


def test_neural_renderer_paints_the_frames(play, monkeypatch):
    import neuralos.playback.runner as R

    painter = BoxPainter()
    monkeypatch.setattr(R, "_load_neural", lambda requested, seed: (painter, None))
    text = "size: 320x240\nsteps:\n" + FORM + "  - click: {id: f}\n  - type: Zoë\n  - expect: {data: {path: /name, equals: Zoë}}\n"
    result, out = play(text, renderer="neural")
    assert result.ok, result.failure
    trace = json.loads((out / "trace.json").read_text())
    assert trace["renderer"] == {"requested": "neural", "used": "neural", "fallback_reason": None}
    assert all(s["renderer_used"] == "neural" and s["fallback_reason"] is None for s in trace["steps"])
    assert painter.calls[0] == (False, None)                    # the first frame is a whole frame
    assert all(prev and regions is not None for prev, regions in painter.calls[1:])   # then dirty regions
    final = png(out / "final.png")
    assert set(np.unique(final[:, :, 2])) <= {0, 90}            # every pixel came from the plugin
    assert any(regions for _, regions in painter.calls[1:])     # typing repainted only what changed


def test_a_failing_neural_renderer_falls_back_visibly(play, monkeypatch):
    import neuralos.playback.runner as R

    painter = BoxPainter(fail_after=2)
    monkeypatch.setattr(R, "_load_neural", lambda requested, seed: (painter, None))
    text = "size: 320x240\nsteps:\n" + FORM + "  - click: {id: f}\n  - type: abc\n  - expect: {text: Contract demo}\n"
    result, out = play(text, renderer="auto")
    assert result.ok, result.failure                            # the desktop never stops working
    trace = json.loads((out / "trace.json").read_text())
    click = trace["steps"][1]
    assert click["renderer_used"] == "widgets"
    assert click["fallback_reason"].startswith("neural renderer failed: RuntimeError: out of GPU memory")
    assert "3 failures in a row; widgets for 10 s, then the neural renderer is retried" in \
        trace["renderer"]["fallback_reason"]
    assert trace["renderer"]["used"] == "widgets"
    assert len(painter.calls) == 5                              # 2 good frames, 3 failures, none in the cool-down
    assert trace["steps"][-2]["fallback_reason"]                # later steps still say why


def test_non_finite_neural_frames_are_not_shown(play, monkeypatch):
    import neuralos.playback.runner as R

    monkeypatch.setattr(R, "_load_neural", lambda requested, seed: (BoxPainter(nan=True), None))
    result, out = play("size: 320x240\nsteps:\n" + FORM, renderer="neural")
    assert result.ok
    step = result.steps[0]
    assert step.renderer_used == "widgets" and "not a finite image" in step.fallback_reason


def test_click_on_a_covered_target_fails_instead_of_hitting_the_window_on_top(play):
    wide = "A line of text wide enough to make this window span most of the desktop"
    back = surface("back", [{"id": "root", "component": "Column", "children": ["w", "r"]},
                            {"id": "w", "component": "Text", "text": wide},
                            {"id": "r", "component": "Row", "justify": "end", "children": ["b"]},
                            {"id": "b", "component": "Button", "child": "l", "action": {"event": {"name": "go"}}},
                            {"id": "l", "component": "Text", "text": "Hidden"}], title="Back")
    front = surface("front", [{"id": "root", "component": "Column", "children": ["w", "x"]},
                              {"id": "w", "component": "Text", "text": wide + " too"},
                              {"id": "x", "component": "TextField", "label": "Cover", "value": {"path": "/v"}}],
                    data={"v": ""}, title="Front")
    result, out = play("size: 640x480\nsteps:\n" + back + front + "  - click: {text: Hidden}\n")
    assert result.exit_code == 1, result.steps[-1]
    assert "click: text 'Hidden' is visible in window 'back' but covered by window 'front'" in result.failure
    assert json.loads((out / "trace.json").read_text())["actions"] == []
