"""The main window: chrome, status line, opening files, intents, taskbar, links, theme, renderer fallback."""
import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from shell import APP_ID, APP_NAME, DISPLAY_NAME
from shell_helpers import LOGIN, jsonl, notes


def test_main_window_builds_with_identity_menus_and_canvas(make_window):
    w = make_window()
    app = QApplication.instance()
    assert app.applicationName() == APP_NAME and app.desktopFileName() == APP_ID
    assert w.windowTitle() == DISPLAY_NAME
    assert not w.windowIcon().isNull()
    menus = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert menus == ["File", "View", "Models", "Help"]
    assert w.canvas.size().width() == 800 and w.canvas.isVisible()
    assert w.intent_bar.edit.isVisible() and w.intent_bar.go.isVisible()
    assert not w.intent_bar.cancel.isVisible()
    assert w.taskbar.empty.isVisible()
    renderer_items = [a.data() for a in w.renderer_group.actions()]
    assert renderer_items[:3] == ["auto", "neural", "widgets"]
    assert next(a for a in w.renderer_group.actions() if a.data() == "widgets").isChecked()


def test_status_line_shows_renderer_planner_and_frame_time(make_window, qtbot):
    w = make_window()
    w.open_file(LOGIN)
    qtbot.waitUntil(lambda: w.frames.frames > 0 and w.frames.frame_ms is not None)
    w._update_frame_status()
    text = w.status.text()
    assert "renderer: widgets" in text
    assert "planner: " in text
    assert "fps" in text and " ms" in text
    ms = w.frames.frame_ms
    assert 0 < ms < 10_000
    assert f"frame {ms:.1f} ms" in w.status.frame.text()


def test_auto_renderer_falls_back_to_widgets_visibly_without_a_model(make_window, qtbot):
    w = make_window(renderer="auto")
    qtbot.waitUntil(lambda: not w.frames.loading, timeout=30000)
    if w.frames.neural is not None:
        pytest.skip("a neural renderer model is installed here")
    assert w.frames.active == "widgets"
    assert "renderer: widgets (fallback: " in w.status.renderer.text()
    assert w.frames.reason


def test_open_file_applies_the_example_and_lists_its_window(make_window, qtbot):
    w = make_window()
    assert w.open_file(LOGIN)
    assert list(w.session.surfaces) == ["gallery-login-form"]
    qtbot.waitUntil(lambda: "gallery-login-form" in w.taskbar.buttons)
    assert w.taskbar.buttons["gallery-login-form"].isChecked()
    assert "Opened 09_login-form.json" in w.status.message.text()
    assert not w.status.error
    assert w.canvas.scene().find(text="Sign in") or w.canvas.scene().texts()


def test_open_bad_file_changes_nothing_and_says_where(make_window, tmp_path, qtbot):
    w = make_window()
    w.open_file(LOGIN)
    before = json.dumps(w.session.snapshot(), sort_keys=True)
    # line 2 is fine on its own, line 3 refers to a surface that does not exist: nothing may apply
    bad = tmp_path / "half.jsonl"
    bad.write_text(jsonl(notes("other")[:2]) + json.dumps(
        {"version": "v0.9", "updateDataModel": {"surfaceId": "nope", "path": "/x", "value": 1}}) + "\n")
    assert not w.open_file(bad)
    assert json.dumps(w.session.snapshot(), sort_keys=True) == before
    assert w.status.error and "Could not open half.jsonl" in w.status.message.text()
    assert "/2/updateDataModel/surfaceId" in w.status.message.text()
    qtbot.waitUntil(lambda: w.error_box is not None and w.error_box.isVisible())
    assert "nope" in w.error_box.text()
    w.error_box.close()

    broken = tmp_path / "broken.json"
    broken.write_text('{"messages": [\n  {"version": "v0.9",\n  oops}\n]}')
    assert not w.open_file(broken)
    assert f"{broken}:3" in w.status.message.text()
    missing = tmp_path / "missing.json"
    assert not w.open_file(missing)
    assert "no such file" in w.status.message.text()
    assert json.dumps(w.session.snapshot(), sort_keys=True) == before


def test_intent_without_a_planner_says_so_and_changes_nothing(make_window, qtbot):
    w = make_window(planner="no-such-planner-here")
    assert not w.planner.available and w.planner.reason
    assert "planner: none" in w.status.planner.text()
    qtbot.keyClicks(w.intent_bar.edit, "open a notes app")
    qtbot.mouseClick(w.intent_bar.go, Qt.LeftButton)
    msg = w.status.message.text()
    assert "No planner is available" in msg and "open a notes app" in msg and w.status.error
    assert w.session.surfaces == {}
    assert w.intent_bar.edit.text() == "open a notes app"      # kept, so it can be sent later


def test_intent_runs_on_the_builtin_planner_off_the_gui_thread(make_window, qtbot):
    w = make_window()
    assert w.planner.available, w.planner.reason
    qtbot.keyClicks(w.intent_bar.edit, "open a notes app")
    qtbot.keyClick(w.intent_bar.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: len(w.session.surfaces) >= 1 and not w.planner.busy, timeout=30000)
    qtbot.waitUntil(lambda: not w.intent_bar.cancel.isVisible())
    assert w.intent_bar.edit.text() == ""
    assert not w.status.error, w.status.message.text()


def test_taskbar_raises_minimises_and_restores(make_window, qtbot):
    w = make_window()
    w.session.apply(notes("a", "Alpha"))
    w.session.apply(notes("b", "Beta"))
    qtbot.waitUntil(lambda: set(w.taskbar.buttons) == {"a", "b"})
    wm = w.session.windows
    ba, bb = w.taskbar.buttons["a"], w.taskbar.buttons["b"]
    assert (ba.text(), bb.text()) == ("Alpha", "Beta")
    assert wm.focus == "b" and bb.isChecked() and not ba.isChecked()

    qtbot.mouseClick(ba, Qt.LeftButton)          # raise a
    assert wm.focus == "a" and wm.order[-1] == "a" and ba.isChecked()
    qtbot.mouseClick(ba, Qt.LeftButton)          # focused: minimise it
    assert wm.get("a").minimized and wm.focus == "b"
    assert ba.font().italic() and not ba.isChecked()
    assert not w.canvas.frames["a"].isVisible()
    qtbot.mouseClick(ba, Qt.LeftButton)          # restore
    assert not wm.get("a").minimized and wm.focus == "a"
    assert w.canvas.frames["a"].isVisible()

    w.session.window_op("close", "b")
    qtbot.waitUntil(lambda: set(w.taskbar.buttons) == {"a"})


def test_open_url_asks_first_and_never_opens_unasked(make_window, monkeypatch):
    w = make_window()
    opened, asked = [], []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toString())))
    monkeypatch.setattr(w, "ask", lambda title, text: asked.append(text) or False)
    assert not w.on_open_url("https://example.org/a")
    assert asked and "https://example.org/a" in asked[0] and opened == []
    monkeypatch.setattr(w, "ask", lambda title, text: True)
    assert w.on_open_url("https://example.org/b")
    assert opened == ["https://example.org/b"]
    asked.clear()
    monkeypatch.setattr(w, "ask", lambda title, text: asked.append(text) or True)
    assert not w.on_open_url("file:///etc/passwd")
    assert asked == [] and opened == ["https://example.org/b"]
    assert w.status.error


def test_open_url_from_a_button_goes_through_the_question(make_window, monkeypatch, qtbot):
    w = make_window()
    w.session.apply([
        {"version": "v0.9", "createSurface": {"surfaceId": "links", "catalogId": notes()[0]["createSurface"]["catalogId"]}},
        {"version": "v0.9", "updateComponents": {"surfaceId": "links", "components": [
            {"id": "root", "component": "Button", "child": "l",
             "action": {"functionCall": {"call": "openUrl", "args": {"url": "https://a2ui.org"}}}},
            {"id": "l", "component": "Text", "text": "Docs"}]}}])
    asked = []
    monkeypatch.setattr(w, "ask", lambda title, text: asked.append(text) or False)
    from neuralos.widgets.input import InputRouter
    InputRouter(w.canvas).click(*w.canvas.scene().node("links/root").box.center)
    qtbot.waitUntil(lambda: bool(asked))
    assert "https://a2ui.org" in asked[0]


def test_theme_menu_switches_the_desktop(make_window):
    w = make_window()
    w.theme_actions["dark"].trigger()
    assert w.session.theme == "dark"
    assert w.canvas.base_theme.name == "dark"
    assert w.theme_actions["dark"].isChecked()
    w.theme_actions["light"].trigger()
    assert w.session.theme == "light"


class FakeNeural:
    """A renderer model stand-in with a controllable output, to drive the fallback rules."""

    def __init__(self, out):
        self.out = out
        self.calls = 0

    def render(self, scene, previous, regions):
        self.calls += 1
        if isinstance(self.out, Exception):
            raise self.out
        return self.out(scene) if callable(self.out) else self.out


def test_neural_frames_show_over_the_widgets_and_faults_fall_back(make_window, qtbot):
    w = make_window()
    pump = w.frames
    good = FakeNeural(lambda s: np.full((s.height, s.width, 3), 7, np.uint8))
    pump.neural, pump.requested = good, "neural"
    pump.schedule()
    qtbot.waitUntil(lambda: good.calls >= 1 and w.overlay.isVisible())
    assert w.overlay.image.pixelColor(5, 5).red() == 7
    assert pump.active == "neural" and "renderer: neural" in w.status.renderer.text()

    bad = FakeNeural(lambda s: np.full((s.height, s.width, 3), np.nan, np.float32))
    pump.neural = bad
    for _ in range(3):
        n = bad.calls
        pump.schedule()
        qtbot.waitUntil(lambda: (bad.calls > n and not pump._busy) or pump.neural is None)
    qtbot.waitUntil(lambda: pump.neural is None)
    assert bad.calls == 3
    assert pump.active == "widgets" and not w.overlay.isVisible()
    assert "3 failures in a row" in pump.reason and "not a finite image" in pump.reason
    assert "fallback" in w.status.renderer.text()


class SlowPlanner:
    """A planner that streams a window, then waits (checking `cancel`) before finishing."""

    name = "slow"

    def __init__(self):
        import threading
        self.release = threading.Event()

    def describe(self):
        return self.name

    def plan(self, state, request, cancel=None):
        from neuralos.planners.base import PlanStep
        from shell_helpers import notes as batch
        yield PlanStep(messages=batch("slow", "Slow"), status="drafting the window…", progress=0.5)
        while not self.release.is_set():
            if cancel is not None and cancel.wait(0.02):
                return
        yield PlanStep(status="done", progress=1.0, reply="All done.")

    def close(self):
        self.release.set()


def test_intent_shows_progress_and_cancel_undoes_it(make_window, qtbot, monkeypatch):
    from neuralos.planners import registry
    slow = SlowPlanner()
    monkeypatch.setitem(registry._FACTORIES, "slow", lambda: slow)
    w = make_window(planner="slow")
    assert w.planner.available and "planner: slow" in w.status.planner.text()
    assert w.submit_intent("make something slowly")
    qtbot.waitUntil(lambda: "slow" in w.session.surfaces)          # applied while still planning
    assert w.intent_bar.progress.isVisible() and w.intent_bar.cancel.isVisible()
    qtbot.waitUntil(lambda: w.intent_bar.progress.value() == 500)
    assert "drafting the window" in w.status.message.text()
    qtbot.mouseClick(w.intent_bar.cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: not w.intent_bar.cancel.isVisible(), timeout=10000)
    assert "slow" not in w.session.surfaces                           # cancel undid what it applied
    assert "Cancelled" in w.status.message.text()

    slow.release.set()
    assert w.submit_intent("again, to the end")
    qtbot.waitUntil(lambda: not w.intent_bar.cancel.isVisible(), timeout=10000)
    assert "slow" in w.session.surfaces and w.status.message.text().startswith("All done.")


def test_models_menu_lists_plugin_models_and_broken_ones_disabled(make_window, tmp_path):
    from neuralos.plugins.discovery import ModelInfo
    w = make_window()
    models = [ModelInfo("tiny-ui", "renderer", "neuralos-ui", tmp_path / "a", description="a small renderer"),
              ModelInfo("bad-one", "renderer", "diffusers", tmp_path / "b", status="broken",
                        reason="no model_index.json"),
              ModelInfo("my-llm", "planner", "transformers", tmp_path / "c")]
    w.on_models_changed(models)
    renderers = {a.data(): a for a in w.renderer_group.actions()}
    assert list(renderers) == ["auto", "neural", "widgets", "tiny-ui", "bad-one"]
    assert renderers["tiny-ui"].isEnabled() and not renderers["bad-one"].isEnabled()
    assert "no model_index.json" in renderers["bad-one"].toolTip()
    assert "my-llm" in [a.data() for a in w.planner_group.actions()]
    view_items = [a.data() for a in w.view_renderer_menu.actions() if a.data()]
    assert view_items == list(renderers)
    assert renderers["widgets"].isChecked()

    w.set_renderer("tiny-ui")                      # the folder is not a loadable model: visible fallback
    assert renderers["tiny-ui"].isChecked()
    w.on_models_changed(models[1:])               # tiny-ui vanished from the plugin folder
    assert w.frames.requested == "auto"
    assert "gone from the plugin folder" in w.status.message.text()


def test_a_closed_main_window_is_freed_without_the_cycle_collector(shell_app, qtbot):
    """Connections hold their callables from C++, out of the collector's sight: none may hold the window."""
    import gc
    import weakref

    from neuralos.session import Session
    from shell.window import MainWindow

    w = MainWindow(Session(640, 480), renderer="widgets", planner="builtin")
    w.show()
    qtbot.waitUntil(lambda: not w.planner.loading, timeout=20000)
    w.set_planner("no-such-planner")            # a pending planner's `loaded` reaches the window too
    qtbot.waitUntil(lambda: w.pending_planner is None, timeout=20000)
    assert "no-such-planner" in w.status.text() and w.planner.name == "builtin"
    gone = weakref.ref(w)
    w.close()
    enabled = gc.isenabled()
    gc.disable()
    try:
        del w
        assert gone() is None
    finally:
        if enabled:
            gc.enable()
