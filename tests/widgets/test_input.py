"""InputRouter: key names, Unicode typing, delivery to the widget under the point."""
import pytest
from PySide6.QtCore import Qt

from tests.widgets.conftest import surface
from neuralos.errors import BadInput
from neuralos.widgets.input import InputRouter, parse_key


def test_parse_key_names():
    assert parse_key("Enter")[0] == Qt.Key_Return
    assert parse_key("ctrl+a")[:2] == (Qt.Key_A, Qt.ControlModifier)
    assert parse_key("Ctrl+A")[2] == "\x01"
    assert parse_key("Shift+Tab")[0] == Qt.Key_Backtab
    assert parse_key("a") == (Qt.Key_A, Qt.NoModifier, "a")
    assert parse_key("Shift+a")[2] == "A"
    assert parse_key("Ctrl++")[0] == ord("+")
    assert parse_key("ArrowLeft")[0] == Qt.Key_Left and parse_key("F5")[0] == Qt.Key_F5
    for bad in ("", "Hyper+A", "NoSuchKey"):
        with pytest.raises(BadInput):
            parse_key(bad)


@pytest.fixture
def form(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": ["a", "b", "long"]},
             {"id": "a", "component": "TextField", "label": "A", "value": {"path": "/a"}},
             {"id": "b", "component": "TextField", "label": "B", "value": {"path": "/b"}},
             {"id": "long", "component": "TextField", "label": "Long", "value": {"path": "/long"},
              "variant": "longText"}]
    session, canvas = make_canvas(surface("f", comps, {"a": "", "b": "", "long": ""}))
    return session, canvas, InputRouter(canvas)


def field(canvas, key):
    return next(p for p in canvas.scene().node(key).parts if p.role == "input.frame").box


def test_keys_go_to_the_focused_field_only(form):
    session, canvas, r = form
    assert r.type_text("lost") is False           # nothing focused yet
    r.click(*field(canvas, "f/a").center)
    r.type_text("¡Hola, 世界! 👋🏽")
    r.key("Tab")
    r.type_text("second")
    data = session.surfaces["f"].data
    assert data["a"] == "¡Hola, 世界! 👋🏽" and data["b"] == "second"


def test_editing_keys(form):
    session, canvas, r = form
    r.click(*field(canvas, "f/a").center)
    r.type_text("hello brave world")
    r.key("Ctrl+Left")
    r.key("Ctrl+Backspace")
    assert session.surfaces["f"].data["a"] == "hello world"
    r.key("Home")
    r.key("Shift+Right")
    r.key("Shift+Right")
    node = canvas.scene().node("f/a")
    assert any(p.role == "input.selection" for p in node.parts)
    r.type_text("J")
    assert session.surfaces["f"].data["a"] == "Jllo world"
    r.key("End")
    r.key("Delete")
    r.key("Backspace")
    assert session.surfaces["f"].data["a"] == "Jllo worl"
    r.key("Ctrl+A")
    r.key("Ctrl+C")
    r.key("End")
    r.key("Ctrl+V")
    assert session.surfaces["f"].data["a"] == "Jllo worlJllo worl"


def test_click_places_the_cursor(form):
    session, canvas, r = form
    r.click(*field(canvas, "f/a").center)
    r.type_text("abcdef")
    node = canvas.scene().node("f/a")
    run = node.text_runs[-1]
    assert run.text == "abcdef"
    editor = canvas.widget_for("f/a").editor
    # click just right of the third glyph: the cursor lands after "abc"
    x = run.x + editor._x_of("abcdef", 3) + 0.4
    r.click(x, run.y - 4)
    assert editor.cursor_position() == 3
    cursor = next(p for p in canvas.scene().node("f/a").parts if p.role == "input.cursor").box
    assert abs(cursor.x - (run.x + editor._x_of("abcdef", 3))) <= 1


def test_long_text_wraps_and_keeps_the_cursor_visible(form):
    session, canvas, r = form
    r.click(*field(canvas, "f/long").center)
    r.type_text("word " * 80 + "\nlast line")
    assert session.surfaces["f"].data["long"].endswith("\nlast line")
    node = canvas.scene().node("f/long")
    frame = field(canvas, "f/long")
    cursor = next(p for p in node.parts if p.role == "input.cursor").box
    assert frame.contains(cursor.x, cursor.y) and frame.contains(cursor.x, cursor.bottom - 1)
    runs = [t for t in node.text_runs if t.box is not None and t.box.y >= frame.y]
    assert any(t.text == "last line" for t in runs)
    assert all(t.x + 1 >= frame.x for t in runs)
    r.key("Up")
    r.key("Up")
    r.type_text("X")
    assert "X" in session.surfaces["f"].data["long"] and not session.surfaces["f"].data["long"].endswith("X")


def test_single_line_scrolls_to_keep_the_cursor_visible(form):
    session, canvas, r = form
    r.click(*field(canvas, "f/a").center)
    r.type_text("0123456789" * 20)
    node = canvas.scene().node("f/a")
    frame = field(canvas, "f/a")
    cursor = next(p for p in node.parts if p.role == "input.cursor").box
    assert frame.x < cursor.x < frame.right
    run = node.text_runs[-1]
    assert run.x < frame.x                      # scrolled: the start is left of the frame
    r.key("Home")
    assert canvas.scene().node("f/a").text_runs[-1].x > frame.x


def test_events_reach_the_deepest_widget(form):
    _s, canvas, r = form
    target = r.target_at(*field(canvas, "f/b").center)
    assert target is canvas.widget_for("f/b").editor
    assert r.target_at(1000, 700) is canvas


def test_router_survives_a_rebuild_during_a_click(make_canvas):
    """A button whose action makes the agent replace the window's components mid-click."""
    comps = [{"id": "root", "component": "Button", "child": "t", "action": {"event": {"name": "go"}}},
             {"id": "t", "component": "Text", "text": "Go"}]
    session, canvas = make_canvas(surface("s", comps))
    r = InputRouter(canvas)

    def on_action(msg):
        session.apply([{"version": "v0.9", "updateComponents": {"surfaceId": "s", "components": [
            {"id": "t", "component": "Text", "text": "Went"}]}}])
    canvas.action_triggered.connect(on_action)
    r.click(*canvas.scene().node("s/root").box.center)
    r.move(5, 5)
    assert canvas.scene().node("s/t").text == "Went"
    r.click(*canvas.scene().node("s/root").box.center)
