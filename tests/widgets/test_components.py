"""Every component type appears in a scene with its parts, and honours its catalog properties."""
import pytest

from tests.widgets import kitchen
from tests.widgets.conftest import surface
from neuralos.scene import COMPONENT_ROLES


@pytest.fixture
def sink(make_canvas):
    return make_canvas(kitchen.messages(), size=(1024, 1000))


def parts(node, role):
    return [p for p in node.parts if p.role == role]


def test_every_component_role_is_in_the_scene(sink, app):
    session, canvas = sink
    canvas.widget_for("kitchen/modal").open()
    roles = {n.role for n in canvas.scene().nodes}
    assert set(COMPONENT_ROLES) <= roles


def test_parts_of_each_component(sink):
    _s, canvas = sink
    sc = canvas.scene()
    assert parts(sc.node("kitchen/name"), "input.frame")
    assert len(parts(sc.node("kitchen/tabs"), "tab.selected")) == 1 and parts(sc.node("kitchen/tabs"), "tab")
    slider = sc.node("kitchen/volume")
    groove, filled, handle = (parts(slider, r)[0] for r in ("slider.groove", "slider.filled", "slider.handle"))
    assert groove.box.x <= filled.box.x and filled.box.right <= handle.box.right
    assert slider.value == pytest.approx(0.30)
    assert parts(sc.node("kitchen/agree"), "check.indicator")[0].states >= {"checked"}
    colors = sc.node("kitchen/colors")
    radios = parts(colors, "radio.indicator")
    assert len(radios) == 3 and [("checked" in r.states) for r in radios] == [False, True, False]
    tags = sc.node("kitchen/tags")
    assert len(parts(tags, "chip.selected")) == 2 and len(parts(tags, "chip")) == 1
    assert parts(tags, "input.frame")   # filterable
    for key in ("kitchen/img", "kitchen/video", "kitchen/audio"):
        assert parts(sc.node(key), "placeholder")
    assert parts(sc.node("kitchen/save"), "button.primary")
    assert parts(sc.node("kitchen/cancel"), "button.borderless")
    assert len(parts(sc.node("kitchen/list"), "list.item")) == 3


def test_text_variants_sizes_and_weights(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": [f"t-{v}" for v in
                                                               ("h1", "h2", "h3", "h4", "h5", "body", "caption")]}]
    comps += [{"id": f"t-{v}", "component": "Text", "text": v.upper(), "variant": v}
              for v in ("h1", "h2", "h3", "h4", "h5", "body", "caption")]
    _s, canvas = make_canvas(surface("t", comps))
    runs = {n.component_id: n.text_runs[0] for n in canvas.scene().nodes if n.role == "Text"}
    sizes = [runs[f"t-{v}"].size_px for v in ("h1", "h2", "h3", "h4", "h5", "body", "caption")]
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == 7
    assert runs["t-h1"].bold and not runs["t-body"].bold


def test_row_justify_and_weights(make_canvas):
    def row(**props):
        comps = [{"id": "root", "component": "Row", "children": ["a", "b"], **props},
                 {"id": "a", "component": "Text", "text": "A"}, {"id": "b", "component": "Text", "text": "B"}]
        _s, canvas = make_canvas(surface("r", comps))
        sc = canvas.scene()
        return sc.node("r/root").box, sc.node("r/a").box, sc.node("r/b").box

    root, a, b = row(justify="spaceBetween")
    assert a.x == root.x and b.right == root.right
    root, a, b = row(justify="end")
    assert b.right == root.right and a.x > root.x
    root, a, b = row(justify="center")
    assert abs((a.x - root.x) - (root.right - b.right)) <= 1
    comps = [{"id": "root", "component": "Row", "children": ["a", "b"]},
             {"id": "a", "component": "Text", "text": "A", "weight": 1},
             {"id": "b", "component": "Text", "text": "B", "weight": 3}]
    _s, canvas = make_canvas(surface("w", comps))
    sc = canvas.scene()
    wa, wb = sc.node("w/a").box.w, sc.node("w/b").box.w
    assert wb == pytest.approx(3 * wa, rel=0.1)


def test_column_align_center(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": ["a", "wide"], "align": "center"},
             {"id": "a", "component": "Text", "text": "A"},
             {"id": "wide", "component": "Text", "text": "a much wider line of text"}]
    _s, canvas = make_canvas(surface("c", comps))
    sc = canvas.scene()
    root, a = sc.node("c/root").box, sc.node("c/a").box
    assert abs(a.center[0] - root.center[0]) <= 1


def test_divider_axis(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": ["h", "row"]},
             {"id": "h", "component": "Divider"},
             {"id": "row", "component": "Row", "children": ["x", "v", "y"]},
             {"id": "x", "component": "Text", "text": "left"}, {"id": "v", "component": "Divider", "axis": "vertical"},
             {"id": "y", "component": "Text", "text": "right"}]
    _s, canvas = make_canvas(surface("d", comps))
    sc = canvas.scene()
    h, v = sc.node("d/h").box, sc.node("d/v").box
    assert h.h == 1 and h.w > 100 and v.w == 1 and v.h >= 16


def test_icons_are_visible_glyphs(make_canvas):
    from neuralos.widgets.icons import ICON_GLYPHS
    import json
    from neuralos.resources import A2UI_SPEC
    names = json.loads((A2UI_SPEC / "catalogs/basic/catalog.json").read_text())[
        "components"]["Icon"]["allOf"][2]["properties"]["name"]["oneOf"][0]["enum"]
    assert set(names) == set(ICON_GLYPHS)
    comps = [{"id": "root", "component": "Row", "children": [f"i{k}" for k in range(len(names))] + ["svg"]}]
    comps += [{"id": f"i{k}", "component": "Icon", "name": n} for k, n in enumerate(names)]
    comps.append({"id": "svg", "component": "Icon", "name": {"svgPath": "M2 2 L22 2 L22 22 Z"}})
    _s, canvas = make_canvas(surface("i", comps), size=(2048, 400))
    frame = canvas.grab_frame()
    sc = canvas.scene()
    bg = frame[sc.node("i/i0").box.y, sc.node("i/i0").box.x]
    for k in range(len(names)):
        b = sc.node(f"i/i{k}").box
        patch = frame[b.y:b.bottom, b.x:b.right]
        assert (abs(patch.astype(int) - bg.astype(int)).sum(axis=2) > 100).sum() > 8, names[k]
    b = sc.node("i/svg").box
    assert (abs(frame[b.y:b.bottom, b.x:b.right].astype(int) - bg.astype(int)).sum(axis=2) > 100).sum() > 50


def test_media_never_fetched_and_labelled(make_canvas, monkeypatch):
    import socket
    import urllib.request

    def boom(*a, **k):
        raise AssertionError("network access during rendering")
    monkeypatch.setattr(socket, "create_connection", boom)
    monkeypatch.setattr(urllib.request, "urlopen", boom)
    comps = [{"id": "root", "component": "Column", "children": ["img", "av", "vid", "aud"]},
             {"id": "img", "component": "Image", "url": "file:///etc/passwd", "description": "Secret"},
             {"id": "av", "component": "Image", "url": "https://x.test/me.png", "variant": "avatar"},
             {"id": "vid", "component": "Video", "url": "https://x.test/clip.mp4"},
             {"id": "aud", "component": "AudioPlayer", "url": "https://x.test/a.mp3", "description": "Podcast"}]
    _s, canvas = make_canvas(surface("m", comps))
    sc = canvas.scene()
    assert sc.node("m/img").text == "Secret"
    assert sc.node("m/av").box.w == sc.node("m/av").box.h == 40
    assert sc.node("m/vid").text == "clip.mp4"
    assert sc.node("m/aud").text == "Podcast"


def test_template_items_get_indexed_keys_and_relative_scopes(sink):
    _s, canvas = sink
    sc = canvas.scene()
    assert [sc.node(f"kitchen/item-title#{i}").text for i in range(3)] == ["First", "Second", "Third"]


def test_textfield_variants(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": ["pw", "num", "re"]},
             {"id": "pw", "component": "TextField", "label": "Password", "variant": "obscured",
              "value": {"path": "/pw"}},
             {"id": "num", "component": "TextField", "label": "Age", "variant": "number", "value": {"path": "/n"}},
             {"id": "re", "component": "TextField", "label": "Code", "value": {"path": "/code"},
              "validationRegexp": "[A-Z]{3}"}]
    session, canvas = make_canvas(surface("v", comps, {"pw": "hunter2", "n": "", "code": "abc"}))
    sc = canvas.scene()
    assert "hunter2" not in sc.node("v/pw").text and "\u2022" * 7 in sc.node("v/pw").text
    assert "invalid" in sc.node("v/re").states and parts(sc.node("v/re"), "validation.error")
    session.apply([{"version": "v0.9", "updateDataModel": {"surfaceId": "v", "path": "/code", "value": "ABC"}}])
    assert "invalid" not in canvas.scene().node("v/re").states
    from neuralos.widgets.input import InputRouter
    r = InputRouter(canvas)
    r.click(*parts(canvas.scene().node("v/num"), "input.frame")[0].box.center)
    r.type_text("4x2.5")
    assert session.surfaces["v"].data["n"] == "42.5"


def test_button_checks_disable_and_show_message(make_canvas):
    comps = [{"id": "root", "component": "Column", "children": ["f", "b"]},
             {"id": "f", "component": "TextField", "label": "Email", "value": {"path": "/email"}},
             {"id": "bl", "component": "Text", "text": "Send"},
             {"id": "b", "component": "Button", "child": "bl", "action": {"event": {"name": "send"}},
              "checks": [{"condition": {"call": "email", "args": {"value": {"path": "/email"}}},
                          "message": "Enter a valid email"}]}]
    session, canvas = make_canvas(surface("b", comps, {"email": "nope"}))
    actions = []
    canvas.action_triggered.connect(actions.append)
    node = canvas.scene().node("b/b")
    assert {"disabled", "invalid"} <= node.states and "Enter a valid email" in node.text
    from neuralos.widgets.input import InputRouter
    InputRouter(canvas).click(*node.box.center)
    assert actions == []
    session.apply([{"version": "v0.9", "updateDataModel": {"surfaceId": "b", "path": "/email", "value": "a@b.co"}}])
    node = canvas.scene().node("b/b")
    assert "disabled" not in node.states and not parts(node, "validation.error")
    InputRouter(canvas).click(*node.box.center)
    assert len(actions) == 1 and actions[0]["action"]["name"] == "send"


def test_primary_color_reaches_scene_and_pixels(make_canvas):
    comps = [{"id": "root", "component": "Button", "child": "l", "variant": "primary",
              "action": {"event": {"name": "go"}}}, {"id": "l", "component": "Text", "text": "Go"}]
    _s, canvas = make_canvas(surface("p", comps, theme={"primaryColor": "#ff0000"}))
    sc = canvas.scene()
    assert sc.theme["surface_primary"]["p"] == "#ff0000"
    b = parts(sc.node("p/root"), "button.primary")[0].box
    frame = canvas.grab_frame()
    assert tuple(frame[b.y + 3, b.x + 4]) == (255, 0, 0)


def test_dark_theme_in_scene(make_canvas):
    _s, canvas = make_canvas(kitchen.messages(), theme="dark")
    t = canvas.scene().theme
    assert t["dark"] is True and t["name"] == "dark" and t["background"].startswith("#")
    frame = canvas.grab_frame()
    assert tuple(frame[5, 5]) == tuple(int(t["desktop"][i:i + 2], 16) for i in (1, 3, 5))


def test_icon_glyphs_are_in_the_bundled_font(app):
    from PySide6.QtGui import QFont, QRawFont
    from neuralos.widgets.app import make_font
    from neuralos.widgets.icons import EXTRA_GLYPHS, FALLBACK_GLYPH, ICON_GLYPHS, glyph_for
    f = make_font(20)
    f.setStyleStrategy(QFont.NoFontMerging)
    raw = QRawFont.fromFont(f)
    for name, glyph in {**ICON_GLYPHS, **EXTRA_GLYPHS, "fallback": FALLBACK_GLYPH}.items():
        assert all(raw.supportsCharacter(ord(c)) for c in glyph), name
    assert glyph_for("arrow_back") == ICON_GLYPHS["arrowBack"] and glyph_for("priority_high") == "!"
    assert glyph_for("no-such-icon") == glyph_for(None) == glyph_for(42) == FALLBACK_GLYPH


def test_long_vertical_list_scrolls(make_canvas):
    from neuralos.widgets.input import InputRouter
    comps = [{"id": "root", "component": "List", "children": {"path": "/rows", "componentId": "row"}},
             {"id": "row", "component": "Text", "text": {"path": "label"}}]
    rows = [{"label": f"Row {i}"} for i in range(60)]
    session, canvas = make_canvas(surface("l", comps, {"rows": rows}))
    sc = canvas.scene()
    node = sc.node("l/root")
    assert node.box.h <= 480 and parts(node, "scrollbar") and parts(node, "scrollbar.handle")
    assert sc.node("l/row#0").clip is not None and sc.node("l/row#59").clip is None
    assert "Row 59" not in sc.texts()
    handle = parts(node, "scrollbar.handle")[0].box
    r = InputRouter(canvas)
    for _ in range(40):
        r.scroll(*node.box.center, dy=-120)
    sc = canvas.scene()
    assert sc.node("l/row#59").clip is not None and sc.node("l/row#0").clip is None
    assert parts(sc.node("l/root"), "scrollbar.handle")[0].box.y > handle.y


def test_horizontal_list(make_canvas):
    comps = [{"id": "root", "component": "List", "direction": "horizontal", "children": ["a", "b", "c"]},
             {"id": "a", "component": "Text", "text": "Alpha"}, {"id": "b", "component": "Text", "text": "Beta"},
             {"id": "c", "component": "Text", "text": "Gamma"}]
    _s, canvas = make_canvas(surface("h", comps))
    sc = canvas.scene()
    a, b, c = (sc.node(f"h/{k}").box for k in "abc")
    assert a.right <= b.x and b.right <= c.x and a.y == b.y == c.y
    assert len(parts(sc.node("h/root"), "list.item")) == 3


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_hover_and_press_shades_show_on_a_card(make_canvas, theme):
    """Tabs, list rows and borderless buttons shade what is under them; mixed with the window body's
    colour, the dark theme's hover was the card's own fill (2 levels off)."""
    from neuralos.widgets.input import InputRouter
    comps = [
        {"id": "root", "component": "Card", "child": "col"},
        {"id": "col", "component": "Column", "children": ["tabs", "colors", "cancel"]},
        {"id": "tabs", "component": "Tabs", "tabs": [{"title": "Form", "child": "a"}, {"title": "About", "child": "b"}]},
        {"id": "a", "component": "Text", "text": "A"}, {"id": "b", "component": "Text", "text": "B"},
        {"id": "colors", "component": "ChoicePicker", "label": "Colour", "value": {"path": "/c"},
         "options": [{"label": "Red", "value": "red"}, {"label": "Green", "value": "green"}]},
        {"id": "cl", "component": "Text", "text": "Cancel"},
        {"id": "cancel", "component": "Button", "child": "cl", "variant": "borderless", "action": {"event": {"name": "x"}}},
    ]
    _s, canvas = make_canvas(surface("w", comps, {"c": ["red"]}), size=(640, 480), theme=theme)
    r = InputRouter(canvas)
    sc = canvas.scene()
    targets = {"tab": next(p for p in sc.node("w/tabs").parts if p.role == "tab").box,
               "row": [p for p in sc.node("w/colors").parts if p.role == "list.item"][1].box,
               "borderless": sc.node("w/cancel").box}
    base = canvas.grab_frame().astype(int)
    for name, b in targets.items():
        x, y = b.right - 4, b.y + 4      # inside the shade, clear of text and indicators
        r.move(*b.center)
        hovered = canvas.grab_frame().astype(int)
        r.press(*b.center)
        pressed = canvas.grab_frame().astype(int)
        r.release(*b.center)
        r.move(630, 470)
        assert abs(hovered[y, x] - base[y, x]).max() >= 6, name
        assert abs(pressed[y, x] - hovered[y, x]).max() >= 6, name
