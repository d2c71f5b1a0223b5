"""Text runs in the scene are exactly where the widget renderer paints glyphs.

The frame is rendered twice, all text once in black and once in white: the pixels that differ are the
text ink. A mask painted from the scene's text runs alone (same font, hinting off) must cover the
same pixels.
"""
import dataclasses
import json

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from tests.conftest import EXAMPLES
from tests.widgets import kitchen
from neuralos.widgets import render_messages, theme as theme_mod
from neuralos.widgets.text import draw_run


def ink_frames(messages, monkeypatch, theme="light", size=(1024, 768)):
    base = theme_mod.THEMES[theme]
    out = []
    for ink in ("#000000", "#ffffff"):
        monkeypatch.setitem(theme_mod.THEMES, theme, dataclasses.replace(base, ink=ink))
        out.append(render_messages(messages, size=size, theme=theme))
    monkeypatch.setitem(theme_mod.THEMES, theme, base)
    return out


def run_mask(scene, coverage: bool = False) -> np.ndarray:
    """Where the scene's text runs put glyphs: a boolean mask, or the grey image (255 = no ink)."""
    img = QImage(scene.width, scene.height, QImage.Format_RGB32)
    img.fill(QColor("#ffffff"))
    p = QPainter(img)
    for n in scene.nodes:
        for r in n.text_runs:
            draw_run(p, r, "#000000")
    p.end()
    img = img.convertToFormat(QImage.Format_RGB888)
    a = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(scene.height, img.bytesPerLine())
    grey = a[:, : scene.width * 3].reshape(scene.height, scene.width, 3).min(axis=2).astype(int)
    return grey if coverage else grey < 250


def check_alignment(messages, monkeypatch, **kw):
    (black, scene), (white, scene2) = ink_frames(messages, monkeypatch, **kw)
    assert [n.text_runs for n in scene.nodes] == [n.text_runs for n in scene2.nodes]
    ink = np.abs(black.astype(int) - white.astype(int)).max(axis=2) > 5
    mask = run_mask(scene)
    assert ink.sum() > 200, "no text painted?"
    missing = ink & ~mask          # painted text the scene does not know about
    extra = mask & ~ink            # scene text where nothing was painted
    assert missing.sum() <= 0.01 * ink.sum(), (missing.sum(), ink.sum(), np.argwhere(missing)[:5])
    assert extra.sum() <= 0.01 * mask.sum(), (extra.sum(), mask.sum(), np.argwhere(extra)[:5])


@pytest.mark.parametrize("path", [p for p in EXAMPLES if p.stem[:2] in ("01", "09", "13", "17")],
                         ids=lambda p: p.stem)
def test_text_runs_match_painted_ink_examples(app, path, monkeypatch):
    check_alignment(json.loads(path.read_text())["messages"], monkeypatch)


def test_text_runs_match_painted_ink_every_component(app, monkeypatch):
    check_alignment(kitchen.messages(), monkeypatch, size=(1024, 1000))


def test_text_runs_match_painted_ink_dark(app, monkeypatch):
    check_alignment(kitchen.messages(theme={"primaryColor": "#aa3377"}), monkeypatch, theme="dark",
                    size=(1024, 1000))


def test_text_runs_match_after_interaction(make_canvas, monkeypatch):
    """Focused, scrolled, selected, filtered and modal states: runs still sit on the painted ink."""
    from neuralos.widgets.input import InputRouter
    base = theme_mod.THEMES["light"]
    monkeypatch.setitem(theme_mod.THEMES, "light", dataclasses.replace(base, ink="#000000"))
    session, canvas = make_canvas(kitchen.messages(), size=(1024, 1000))
    r = InputRouter(canvas)

    def frame_of(key):
        return next(p for p in canvas.scene().node(key).parts if p.role == "input.frame").box

    r.click(*frame_of("kitchen/name").center)
    r.type_text(" — a much longer name that has to scroll sideways in the field 日本語")
    r.key("Shift+Home")
    r.click(*frame_of("kitchen/notes").center)
    r.type_text(" and more words " * 30)
    r.click(*frame_of("kitchen/tags").center)
    r.type_text("a")
    r.move(*canvas.scene().node("kitchen/tabs").parts[1].box.center)
    r.click(*canvas.scene().node("kitchen/open-btn").box.center)
    black, scene = canvas.grab_frame(), canvas.scene()
    monkeypatch.setitem(theme_mod.THEMES, "light", dataclasses.replace(base, ink="#ffffff"))
    session.set_theme("light")
    white, scene2 = canvas.grab_frame(), canvas.scene()
    assert [n.text_runs for n in scene.nodes] == [n.text_runs for n in scene2.nodes]
    assert scene.node("kitchen/modal@overlay") is not None
    # The modal's scrim dims the ink behind it, so compare strong pixels against any coverage:
    # painted ink with no run glyph at all, or a solid run glyph where nothing changed.
    diff = np.abs(black.astype(int) - white.astype(int)).max(axis=2)
    cover = 255 - run_mask(scene, coverage=True)
    missing, extra = (diff > 64) & (cover == 0), (cover > 64) & (diff == 0)
    assert missing.sum() <= 0.002 * (diff > 64).sum(), np.argwhere(missing)[:5]
    assert extra.sum() <= 0.002 * (cover > 64).sum(), np.argwhere(extra)[:5]
    assert (diff > 64).sum() > 5000


def test_indicator_marks_match_painted_ink(app, monkeypatch):
    """The tick and dot of checked indicators: the conditioning's glyph coverage is the painted ink."""
    from neuralos.neural.conditioning import GLYPH_CHANNEL, build_conditioning

    base = theme_mod.THEMES["light"]
    frames = []
    for on_primary in ("#000000", "#ffffff"):   # only the marks are painted in on_primary inside an indicator
        monkeypatch.setitem(theme_mod.THEMES, "light", dataclasses.replace(base, on_primary=on_primary))
        frames.append(render_messages(kitchen.messages(), size=(1024, 1000), theme="light"))
    (black, scene), (white, _) = frames
    parts = [p for n in scene.nodes for p in n.parts if p.role.endswith(".indicator") and "checked" in p.states]
    assert {p.role for p in parts} == {"check.indicator", "radio.indicator"}
    glyph = build_conditioning(scene, None)[GLYPH_CHANNEL]
    for p in parts:
        b = p.box
        ink = np.abs(white[b.y:b.bottom, b.x:b.right].astype(int) - black[b.y:b.bottom, b.x:b.right]).max(axis=2)
        coverage = np.round(glyph[b.y:b.bottom, b.x:b.right] * 255)
        assert ink.max() > 200, p
        assert np.abs(ink - coverage).max() <= 2, (p, np.abs(ink - coverage).max())


def test_custom_icon_paths_match_painted_ink(app, monkeypatch):
    """An Icon's svgPath: the conditioning's glyph coverage is the ink the widget renderer fills, in a window's
    corner too (clipped), and the scene carries the path through JSON."""
    from neuralos.neural.conditioning import GLYPH_CHANNEL, build_conditioning
    from neuralos.scene import Scene
    from tests.widgets.conftest import surface

    paths = ["M4 4h16v16H4z", "M12 2 L22 22 L2 22 Z", "m2 12 c0-6 20-6 20 0 s-20 6-20 0z",
             "M0 0 L48 0 L48 48 Z", "M6 6 Q12 0 18 6 T18 18 V20 H6 z"]
    comps = [{"id": "root", "component": "Row", "children": [f"p{k}" for k in range(len(paths))]}]
    comps += [{"id": f"p{k}", "component": "Icon", "name": {"svgPath": d}} for k, d in enumerate(paths)]
    (black, scene), (white, _) = ink_frames(surface("icons", comps), monkeypatch, size=(640, 480))
    nodes = [n for n in scene.nodes if n.paths]
    assert [n.paths[0].d for n in nodes] == paths
    assert Scene.from_dict(json.loads(scene.to_json())) == scene
    glyph = build_conditioning(scene, None)[GLYPH_CHANNEL]
    for n in nodes:
        b = n.clip
        ink = np.abs(white[b.y:b.bottom, b.x:b.right].astype(int) - black[b.y:b.bottom, b.x:b.right]).max(axis=2)
        coverage = np.round(glyph[b.y:b.bottom, b.x:b.right] * 255)
        assert ink.max() > 200 and (ink > 128).sum() > 40, n.key
        assert np.abs(ink - coverage).max() <= 2, (n.key, np.abs(ink - coverage).max())
