"""The desktop canvas: incremental updates, two-way binding, hit-testing, window chrome, determinism."""
import json

import numpy as np
import pytest

from tests.conftest import EXAMPLES
from tests.widgets import kitchen
from tests.widgets.conftest import surface
from neuralos.widgets.input import InputRouter


def frame_part(node, role="input.frame"):
    return next(p for p in node.parts if p.role == role)


def update(session, sid, path, value):
    session.apply([{"version": "v0.9", "updateDataModel": {"surfaceId": sid, "path": path, "value": value}}])


@pytest.fixture
def sink(make_canvas):
    session, canvas = make_canvas(kitchen.messages(), size=(1024, 1000))
    return session, canvas, InputRouter(canvas)


def test_typing_updates_the_data_model(sink):
    session, canvas, r = sink
    r.click(*frame_part(canvas.scene().node("kitchen/name")).box.center)
    r.key("End")
    r.type_text(" Lovelace – Zoë 🌍 日本")
    assert session.surfaces["kitchen"].data["name"] == "Ada Lovelace – Zoë 🌍 日本"
    node = canvas.scene().node("kitchen/name")
    assert "Ada Lovelace – Zoë 🌍 日本" in node.text and "focused" in node.states
    assert any(p.role == "input.cursor" for p in node.parts)
    r.key("Backspace")
    r.key("Ctrl+A")
    r.type_text("X")
    assert session.surfaces["kitchen"].data["name"] == "X"


def test_data_update_refreshes_without_rebuild_keeping_focus_and_cursor(sink):
    session, canvas, r = sink
    before = canvas.widget_for("kitchen/name")
    r.click(*frame_part(canvas.scene().node("kitchen/name")).box.center)
    r.key("End")
    r.key("Left")
    editor = before.editor
    assert editor.cursor_position() == 2
    update(session, "kitchen", "/name", "Adam")
    assert canvas.widget_for("kitchen/name") is before        # refreshed in place
    assert editor.text() == "Adam" and editor.cursor_position() == 2
    assert canvas.window().focusWidget() is editor
    assert "Adam" in canvas.scene().node("kitchen/name").text
    update(session, "kitchen", "/agree", False)
    assert "checked" not in canvas.scene().node("kitchen/agree").states
    update(session, "kitchen", "/volume", 80)
    assert canvas.scene().node("kitchen/volume").value == pytest.approx(0.8)
    update(session, "kitchen", "/colors", ["blue"])
    radios = [p for p in canvas.scene().node("kitchen/colors").parts if p.role == "radio.indicator"]
    assert ["checked" in p.states for p in radios] == [False, False, True]


def test_components_update_rebuilds_that_surface_and_keeps_focus(sink):
    session, canvas, r = sink
    r.click(*frame_part(canvas.scene().node("kitchen/name")).box.center)
    old = canvas.widget_for("kitchen/title")
    session.apply([{"version": "v0.9", "updateComponents": {"surfaceId": "kitchen", "components": [
        {"id": "title", "component": "Text", "text": "Renamed", "variant": "h1"}]}}])
    assert canvas.widget_for("kitchen/title") is not old
    assert canvas.scene().node("kitchen/title").text == "Renamed"
    assert "focused" in canvas.scene().node("kitchen/name").states


def test_template_list_grows_and_shrinks(sink):
    session, canvas, _r = sink
    update(session, "kitchen", "/items/3", {"title": "Fourth"})
    assert canvas.scene().node("kitchen/item-title#3").text == "Fourth"
    update(session, "kitchen", "/items", [{"title": "Only"}])
    sc = canvas.scene()
    assert sc.node("kitchen/item-title#0").text == "Only" and sc.node("kitchen/item-title#1") is None


def test_hit_test_returns_the_component_under_the_point(sink):
    _s, canvas, _r = sink
    sc = canvas.scene()
    for key in ("kitchen/name", "kitchen/agree", "kitchen/volume", "kitchen/when", "kitchen/save",
                "kitchen/cancel", "kitchen/help", "kitchen/colors", "kitchen/tags",
                "kitchen/@close", "kitchen/@minimize", "kitchen/@title"):
        node = sc.node(key)
        assert sc.hit_test(*node.clip.center).key == key, key
    tab = next(p for p in sc.node("kitchen/tabs").parts if p.role == "tab")
    assert sc.hit_test(*tab.box.center).key == "kitchen/tabs"
    # plain text is not interactive: the click goes to the window around it
    title = sc.node("kitchen/title")
    assert sc.hit_test(*title.box.center).key == "kitchen/@window"
    assert sc.hit_test(*title.box.center, interactive_only=False).key == "kitchen/@window"
    assert sc.hit_test(1020, 990).key == "@desktop"


def test_hover_press_focus_states(sink):
    _s, canvas, r = sink
    c = canvas.scene().node("kitchen/save").box.center
    r.move(*c)
    assert "hovered" in canvas.scene().node("kitchen/save").states
    r.press(*c)
    st = canvas.scene().node("kitchen/save").states
    assert {"hovered", "pressed", "focused"} <= st
    r.release(*c)
    r.move(1020, 990)
    st = canvas.scene().node("kitchen/save").states
    assert "hovered" not in st and "pressed" not in st and "focused" in st
    r.move(*canvas.scene().node("kitchen/@close").box.center)
    assert "hovered" in canvas.scene().node("kitchen/@close").states


def test_pixels_show_hover_and_focus(sink):
    _s, canvas, r = sink
    base = canvas.grab_frame()
    b = canvas.scene().node("kitchen/help").box
    r.move(*b.center)
    hovered = canvas.grab_frame()
    assert (hovered[b.y:b.bottom, b.x:b.right] != base[b.y:b.bottom, b.x:b.right]).any()
    assert (hovered[:b.y] == base[:b.y]).all()


def test_button_event_and_open_url(sink):
    _s, canvas, r = sink
    actions, urls = [], []
    canvas.action_triggered.connect(actions.append)
    canvas.open_url_requested.connect(urls.append)
    r.click(*canvas.scene().node("kitchen/save").box.center)
    assert actions[0]["action"]["name"] == "save" and actions[0]["action"]["context"] == {"who": "Ada"}
    assert actions[0]["action"]["surfaceId"] == "kitchen" and actions[0]["version"] == "v0.9"
    r.click(*canvas.scene().node("kitchen/cancel").box.center)
    assert urls == ["https://example.com/help"]
    r.key("Space")     # keyboard activation of the focused button
    assert urls == ["https://example.com/help"] * 2


def test_checkbox_slider_choice_tabs(sink):
    session, canvas, r = sink
    r.click(*canvas.scene().node("kitchen/agree").box.center)
    assert session.surfaces["kitchen"].data["agree"] is False
    r.key("Space")
    assert session.surfaces["kitchen"].data["agree"] is True
    node = canvas.scene().node("kitchen/volume")
    handle, groove = frame_part(node, "slider.handle"), frame_part(node, "slider.groove")
    r.drag(*handle.box.center, groove.box.x + groove.box.w, handle.box.center[1])
    assert session.surfaces["kitchen"].data["volume"] == 100
    assert canvas.scene().node("kitchen/volume").value == 1.0
    r.key("Left")
    assert session.surfaces["kitchen"].data["volume"] == 99
    items = [p for p in canvas.scene().node("kitchen/colors").parts if p.role == "list.item"]
    r.click(*items[0].box.center)
    assert session.surfaces["kitchen"].data["colors"] == ["red"]
    chips = [p for p in canvas.scene().node("kitchen/tags").parts if p.role.startswith("chip")]
    r.click(*chips[0].box.center)
    assert session.surfaces["kitchen"].data["tags"] == ["c"]
    r.click(*frame_part(canvas.scene().node("kitchen/tags")).box.center)
    r.type_text("ET")
    assert canvas.scene().node("kitchen/tags").text == "Tags Beta"
    tab = next(p for p in canvas.scene().node("kitchen/tabs").parts if p.role == "tab")
    r.click(*tab.box.center)
    sc = canvas.scene()
    assert sc.node("kitchen/about").text == "About this app" and sc.node("kitchen/name") is None
    assert next(p for p in sc.node("kitchen/tabs").parts if p.role == "tab.selected").box == tab.box


def test_datetime_input(sink):
    session, canvas, r = sink
    node = canvas.scene().node("kitchen/when")
    assert "2025-03-14 15:09" in node.text
    r.click(*frame_part(node).box.center)
    r.key("Ctrl+A")
    r.type_text("2024-02-29 08:05\n")
    assert session.surfaces["kitchen"].data["when"] == "2024-02-29T08:05:00"
    r.key("Home")
    r.key("Up")
    assert session.surfaces["kitchen"].data["when"] == "2025-02-28T08:05:00"
    r.key("Ctrl+A")
    r.type_text("not a date\n")
    node = canvas.scene().node("kitchen/when")
    assert session.surfaces["kitchen"].data["when"] == "2025-02-28T08:05:00"
    assert "invalid" in node.states and any(p.role == "validation.error" for p in node.parts)


def test_datetime_min_max(make_canvas):
    comps = [{"id": "root", "component": "DateTimeInput", "value": {"path": "/d"}, "enableDate": True,
              "min": "2024-01-01", "max": "2024-12-31", "label": "Day"}]
    session, canvas = make_canvas(surface("d", comps, {"d": "2024-06-01"}))
    r = InputRouter(canvas)
    node = canvas.scene().node("d/root")
    assert "2024-06-01" in node.text and "HH" not in node.text
    r.click(*frame_part(node).box.center)
    r.key("Ctrl+A")
    r.type_text("2025-01-01\n")
    assert session.surfaces["d"].data["d"] == "2024-06-01"
    assert "Must be at or before 2024-12-31" in canvas.scene().node("d/root").text
    r.key("Ctrl+A")
    r.type_text("2024-12-31\n")
    assert session.surfaces["d"].data["d"] == "2024-12-31"


def test_modal_opens_over_the_window_and_closes(sink):
    _s, canvas, r = sink
    r.click(*canvas.scene().node("kitchen/open-btn").box.center)
    sc = canvas.scene()
    overlay = sc.node("kitchen/modal@overlay")
    assert overlay is not None and any(p.role == "modal.scrim" for p in overlay.parts)
    assert sc.node("kitchen/modal-text").text == "Inside the modal"
    assert sc.nodes.index(overlay) > sc.nodes.index(sc.node("kitchen/tags"))   # painted on top
    assert sc.hit_test(*sc.node("kitchen/name").box.center).key == overlay.key   # scrim blocks the form
    r.key("Escape")
    assert canvas.scene().node("kitchen/modal@overlay") is None
    r.click(*canvas.scene().node("kitchen/open-btn").box.center)
    r.click(overlay.box.x + 2, overlay.box.y + 2)
    assert canvas.scene().node("kitchen/modal@overlay") is None


def test_tab_key_cycles_inside_the_window(sink):
    _s, canvas, r = sink
    r.click(*frame_part(canvas.scene().node("kitchen/name")).box.center)
    seen = []
    for _ in range(30):
        r.key("Tab")
        fw = canvas.window().focusWidget()
        assert canvas.frames["kitchen"].isAncestorOf(fw)
        seen.append(fw)
    assert len(set(seen)) > 5


def test_window_drag_raise_minimise_close(make_canvas):
    msgs = surface("a", [{"id": "root", "component": "Text", "text": "First window"}])
    msgs += surface("b", [{"id": "root", "component": "Text", "text": "Second window"}])
    session, canvas = make_canvas(msgs)
    r = InputRouter(canvas)
    sc = canvas.scene()
    assert [n.surface for n in sc.nodes if n.role == "window"] == ["a", "b"]      # b on top
    assert session.windows.focus == "b"
    t = sc.node("a/@title").box
    r.drag(t.x + 20, t.y + 10, t.x + 420, t.y + 210)
    wa = session.windows.get("a")
    assert (wa.x, wa.y) == (t.x - 1 + 400, t.y - 1 + 200)
    sc = canvas.scene()
    assert sc.node("a/@window").box.x == wa.x
    assert [n.surface for n in sc.nodes if n.role == "window"] == ["b", "a"]      # click raised a
    assert session.windows.focus == "a" and "focused" in sc.node("a/@window").states
    r.click(*sc.node("a/@minimize").box.center)
    assert session.windows.get("a").minimized and canvas.scene().node("a/@window") is None
    assert "First window" not in canvas.scene().texts()
    session.window_op("raise", "a")
    assert canvas.scene().node("a/@window") is not None
    r.click(*canvas.scene().node("a/@close").box.center)
    assert "a" not in session.surfaces and canvas.scene().node("a/root") is None
    assert canvas.scene().node("b/root").text == "Second window"


def test_window_opens_when_root_arrives_and_sizes_to_content(make_canvas):
    session, canvas = make_canvas()
    session.apply(surface("s", [{"id": "x", "component": "Text", "text": "pending"}]), allow_pending=True)
    assert session.windows.get("s") is None and canvas.scene().node("s/@window") is None
    session.apply([{"version": "v0.9", "updateComponents": {"surfaceId": "s", "components": [
        {"id": "root", "component": "Column", "children": ["x"]}]}}])
    win = session.windows.get("s")
    assert win is not None and canvas.scene().node("s/x").text == "pending"
    assert win.h < 200


def test_frames_are_byte_identical(make_canvas, app):
    msgs = json.loads(EXAMPLES[0].read_text())["messages"]
    _s1, c1 = make_canvas(msgs)
    _s2, c2 = make_canvas(msgs)
    f1, f2 = c1.grab_frame(), c2.grab_frame()
    assert f1.shape == (768, 1024, 3) and np.array_equal(f1, f2)
    assert np.array_equal(c1.grab_frame(), f1)
    assert c1.scene().to_dict() == c2.scene().to_dict()


def test_scene_is_cached_until_a_change(sink):
    session, canvas, _r = sink
    s1 = canvas.scene()
    assert canvas.scene() is s1
    update(session, "kitchen", "/name", "Bob")
    s2 = canvas.scene()
    assert s2 is not s1 and "Bob" in s2.node("kitchen/name").text
    regions = s2.dirty_regions(s1)
    name = s2.node("kitchen/name").box
    assert regions and all(b.intersect(name) or True for b in regions)
    assert any(b.intersect(name) for b in regions)


def test_theme_switch(sink):
    session, canvas, _r = sink
    light = canvas.grab_frame()
    session.set_theme("dark")
    assert canvas.scene().theme["dark"] is True
    assert not np.array_equal(canvas.grab_frame(), light)


def test_restored_session_draws_its_windows(make_canvas, app):
    from neuralos.session import Session
    from neuralos.widgets.canvas import DesktopCanvas
    session, canvas = make_canvas(kitchen.messages())
    session.window_op("move", "kitchen", 200, 100)
    snap = json.loads(json.dumps(session.snapshot()))
    s2 = Session(1024, 768)
    s2.restore(snap)
    c2 = DesktopCanvas(s2)
    try:
        assert c2.scene().node("kitchen/@window").box.x == 200
        assert np.array_equal(c2.grab_frame(), canvas.grab_frame())
    finally:
        c2.close_canvas()
        c2.deleteLater()


def test_tab_scrolls_the_focused_field_into_view(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": [f"f{i}" for i in range(30)]}]
    comps += [{"id": f"f{i}", "component": "TextField", "label": f"Field {i}", "value": {"path": f"/v{i}"}}
              for i in range(30)]
    session, canvas = make_canvas(surface("t", comps), size=(800, 400))
    r = InputRouter(canvas)
    assert canvas.scene().node("t/f29").clip is None
    r.click(*frame_part(canvas.scene().node("t/f0")).box.center)
    for _ in range(29):
        r.key("Tab")
    node = canvas.scene().node("t/f29")
    assert "focused" in node.states and node.clip is not None
    r.type_text("last")
    assert session.surfaces["t"].data["v29"] == "last"


def test_nothing_is_focused_until_the_user_focuses_it(make_canvas):
    msgs = kitchen.messages() + surface("other", [{"id": "root", "component": "TextField", "label": "Other",
                                                    "value": {"path": "/o"}}])
    session, canvas = make_canvas(msgs, size=(1024, 1000))
    r = InputRouter(canvas)
    sc = canvas.scene()
    assert not any("focused" in n.states for n in sc.nodes if n.role not in ("window", "window.title"))
    assert not any(p.role == "input.cursor" for n in sc.nodes for p in n.parts)
    assert r.type_text("x") is False
    # focus in one window; minimising it must not hand the focus to the other window's field
    session.window_op("raise", "kitchen")
    r.click(*frame_part(canvas.scene().node("kitchen/name")).box.center)
    session.window_op("minimize", "kitchen")
    assert "focused" not in canvas.scene().node("other/root").states
    assert r.type_text("x") is False and session.surfaces["other"].data.get("o") in (None, "")


def test_canvas_created_before_the_state_draws_the_same(make_canvas):
    msgs = kitchen.messages()
    session, before = make_canvas()
    session.apply(msgs)
    _s2, after = make_canvas(msgs)
    assert np.array_equal(before.grab_frame(), after.grab_frame())
    assert before.scene().to_dict() == after.scene().to_dict()
