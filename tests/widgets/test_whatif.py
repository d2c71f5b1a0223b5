"""whatif: a hover's or a click's scene and widget frame, previewed exactly, with the real widgets left as they were."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from tests.widgets.conftest import surface
from neuralos.widgets.input import InputRouter
from neuralos.widgets.whatif import click_targets, input_previews, preview_pointer


@pytest.fixture
def form(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": ["name", "notes", "agree", "go"]},
             {"id": "name", "component": "TextField", "label": "Name", "value": {"path": "/name"}},
             {"id": "notes", "component": "TextField", "label": "Notes", "value": {"path": "/notes"},
              "variant": "longText"},
             {"id": "agree", "component": "CheckBox", "label": "Agree", "value": {"path": "/agree"}},
             {"id": "go", "component": "Button", "child": "go-l", "action": {"event": {"name": "go"}}},
             {"id": "go-l", "component": "Text", "text": "Go"}]
    session, canvas = make_canvas(surface("f", comps, {"name": "Ada Lovelace", "notes": "", "agree": False}))
    return session, canvas, InputRouter(canvas)


def looks(canvas):
    """What a preview must not change: the scene, the frame, the focus, the hovered widgets, the text cursors."""
    from neuralos.widgets.editor import LineEditor

    editors = canvas.findChildren(LineEditor)
    return (canvas.scene().to_json(), canvas.grab_frame().tobytes(), canvas.window().focusWidget(),
            [w for w in canvas.findChildren(QWidget) if w.testAttribute(Qt.WA_UnderMouse)],
            [(e._cursor, e._anchor, e._hscroll) for e in editors])


@pytest.mark.parametrize("key, dx", [("f/name", 0.0), ("f/name", -0.3), ("f/notes", 0.0), ("f/go", 0.0)])
def test_a_previewed_click_is_the_real_click(form, key, dx):
    session, canvas, router = form
    router.click(*canvas.scene().node("f/agree").clip.center)      # focus and hover are elsewhere first
    node = canvas.scene().node(key)
    x, y = node.clip.center[0] + dx * node.clip.w, node.clip.center[1]
    before = looks(canvas)
    scene, frame = preview_pointer(canvas, x, y)
    assert looks(canvas) == before                                  # nothing real changed
    router.click(x, y)
    assert scene == canvas.scene()
    assert np.array_equal(frame, canvas.grab_frame())
    assert scene.to_json() != before[0]                             # and the click did change the look


@pytest.mark.parametrize("key", ["f/name", "f/agree", "f/go"])
def test_a_previewed_hover_is_the_real_pointer_move(form, key):
    session, canvas, router = form
    router.click(*canvas.scene().node("f/notes").clip.center)      # focus and hover are elsewhere first
    x, y = canvas.scene().node(key).clip.center
    before = looks(canvas)
    scene, frame = preview_pointer(canvas, x, y, click=False)
    assert looks(canvas) == before
    router.move(x, y)
    assert scene == canvas.scene()
    node = scene.node(key)
    assert "hovered" in node.states | {s for p in node.parts for s in p.states}
    assert np.array_equal(frame, canvas.grab_frame())
    assert "focused" in scene.node("f/notes").states                # the focus stays where it was


def test_a_text_field_preview_puts_the_cursor_where_the_click_does(form):
    session, canvas, router = form
    node = canvas.scene().node("f/name")
    left, right = (preview_pointer(canvas, node.clip.x + f * node.clip.w, node.clip.center[1])[0] for f in (0.1, 0.9))
    cursor = [next(p.box for p in s.node("f/name").parts if p.role == "input.cursor") for s in (left, right)]
    assert cursor[0].x < cursor[1].x
    assert not any(p.role == "input.cursor" for p in canvas.scene().node("f/name").parts)


def test_a_preview_leaves_out_what_the_action_does(form):
    session, canvas, router = form
    box = canvas.scene().node("f/agree").clip
    scene, _ = preview_pointer(canvas, *box.center)
    assert {"hovered", "focused"} <= scene.node("f/agree").states and "checked" not in scene.node("f/agree").states
    router.click(*box.center)
    assert "checked" in canvas.scene().node("f/agree").states and scene != canvas.scene()
    assert session.surfaces["f"].get_data("/agree") is True


def test_click_targets_are_the_focused_windows_clickables_nearest_first(form, make_canvas):
    session, canvas, router = form
    scene = canvas.scene()
    keys = ["f/name", "f/notes", "f/agree", "f/go"]
    centres = {k: scene.node(k).clip.center for k in keys}
    assert sorted(click_targets(scene, "f")) == sorted(centres.values())
    assert click_targets(scene, "f", pointer=centres["f/go"])[0] == centres["f/go"]
    assert click_targets(scene, "f", pointer=centres["f/go"], limit=2) == \
        [centres["f/go"], centres["f/agree"]]
    assert click_targets(scene, "elsewhere") == []
    previews = list(input_previews(canvas))                         # a hover and a click on each
    assert len(previews) == 8 and all(s.width == 1024 and f.shape == (768, 1024, 3) for s, f in previews)
    router.move(*centres["f/go"])
    assert len(list(input_previews(canvas))) == 7                   # the pointer is on f/go: its hover is now
