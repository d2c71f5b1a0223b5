"""Conditioning maps from a hand-built scene: roles, parts, states, geometry, glyphs, theme, previous frame."""
from dataclasses import replace

import numpy as np
import pytest

from neuralos.neural import conditioning as C
from neuralos.scene import MODEL_FORMAT_VERSION, ROLES, STATES, Box, Part, Scene, SceneNode, TextRun

from neural_scenes import hand_scene


@pytest.fixture(scope="module")
def scene():
    return hand_scene()


@pytest.fixture(scope="module")
def cond(scene):
    return C.build_conditioning(scene, None)


def ch(name):
    return C.channel_index(name)


def box_mask(shape, *boxes):
    m = np.zeros(shape, bool)
    for b in boxes:
        m[b.y:b.bottom, b.x:b.right] = True
    return m


def test_channel_layout_is_the_documented_format():
    names = C.CONDITIONING_CHANNEL_NAMES
    assert C.CONDITIONING_CHANNELS == len(names) == len(ROLES) + len(STATES) + 1 + 4 + 1 + 10 + 4
    assert len(set(names)) == len(names)
    assert names[:len(ROLES)] == tuple(f"role:{r}" for r in ROLES)
    assert C.CONDITIONING_VERSION == MODEL_FORMAT_VERSION
    assert names[C.GLYPH_CHANNEL] == "glyph" and names[C.PREVIOUS_FLAG] == "previous:present"
    for s in (C.ROLE_SLICE, C.STATE_SLICE, C.EDGE_SLICE, C.THEME_SLICE, C.PREVIOUS_SLICE):
        assert s.stop - s.start == len(names[s])


def test_shape_dtype_and_range(scene, cond):
    assert cond.shape == (C.CONDITIONING_CHANNELS, scene.height, scene.width) and cond.dtype == np.float32
    assert np.isfinite(cond).all()
    assert cond[:C.PREVIOUS_SLICE.start].min() >= 0 and cond[:C.PREVIOUS_SLICE.start].max() <= 1


def test_slider_parts_land_exactly_on_their_boxes(scene, cond):
    handle = cond[ch("role:slider.handle")]
    assert np.array_equal(handle > 0, box_mask(handle.shape, Box(26, 30, 10, 12)))
    filled = cond[ch("role:slider.filled")]
    assert np.array_equal(filled > 0, box_mask(filled.shape, Box(10, 35, 20, 3)))
    # the handle's own state, and the slider's value over the whole slider
    assert cond[ch("state:hovered"), 35, 30] == 1 and cond[ch("state:hovered"), 36, 60] == 0
    value = cond[C.VALUE_CHANNEL]
    assert np.allclose(value[box_mask(value.shape, Box(10, 30, 80, 12))], 0.25)
    # moving the handle moves the channel: the model cannot miss where it is
    moved = Scene(scene.width, scene.height, scene.theme, [
        n if n.key != "a/slider" else replace(n, value=0.75, parts=(
            n.parts[0], Part("slider.filled", Box(10, 35, 60, 3)), Part("slider.handle", Box(66, 30, 10, 12))))
        for n in scene.nodes])
    h2 = C.build_conditioning(moved, None)[ch("role:slider.handle")]
    assert np.array_equal(h2 > 0, box_mask(h2.shape, Box(66, 30, 10, 12)))


def test_checkbox_indicator_and_checked_state(cond):
    ind = cond[ch("role:check.indicator")]
    assert np.array_equal(ind > 0, box_mask(ind.shape, Box(10, 50, 12, 12)))
    checked = cond[ch("state:checked")]
    # the indicator carries checked, so it shows there only: toggling repaints the indicator, not the label
    assert np.array_equal(checked > 0, box_mask(checked.shape, Box(10, 50, 12, 12)))
    assert cond[ch("role:CheckBox"), 55, 15] == 1  # roles accumulate: indicator inside its CheckBox


def test_states_a_part_carries_show_on_the_part_others_on_the_whole_node(scene):
    cb = next(n for n in scene.nodes if n.key == "a/cb")
    # a state no part carries (disabled, say) still covers the whole check box; the part gets it too
    both = replace(cb, states=frozenset({"checked", "disabled"}))
    cond = C.build_conditioning(Scene(scene.width, scene.height, scene.theme,
                                      [both if n.key == "a/cb" else n for n in scene.nodes]), None)
    assert np.array_equal(cond[ch("state:disabled")] > 0, box_mask(cond.shape[1:], Box(10, 48, 70, 16)))
    assert np.array_equal(cond[ch("state:checked")] > 0, box_mask(cond.shape[1:], Box(10, 50, 12, 12)))
    assert C.own_states(both) == {"disabled"}
    # a window's focus stays on its frame as well as on its title bar
    win = next(n for n in scene.nodes if n.key == "a/@window")
    titled = replace(win, parts=(Part("window.title", Box(5, 5, 118, 16), frozenset({"focused"})),))
    assert C.own_states(titled) == {"focused"}


def test_a_focused_indicator_marks_its_focus_ring_band_within_its_row(scene):
    """The widgets draw a focused indicator's ring 2.5 px outside it, on the check box's row (format 4)."""
    cb = next(n for n in scene.nodes if n.key == "a/cb")
    row = box_mask((scene.height, scene.width), Box(10, 48, 70, 16))

    def focus_in_row(node):
        cond = C.build_conditioning(Scene(scene.width, scene.height, scene.theme,
                                          [node if n.key == "a/cb" else n for n in scene.nodes]), None)
        return (cond[ch("state:focused")] > 0) & row, cond

    focused = replace(cb, states=cb.states | {"focused"},
                      parts=tuple(replace(p, states=p.states | {"focused"}) for p in cb.parts))
    got, cond = focus_in_row(focused)
    # the indicator (10, 50, 12, 12) grown by FOCUS_RING, clipped to its row (10, 48, 70, 16)
    assert C.FOCUS_RING == 3 and np.array_equal(got, box_mask(got.shape, Box(10, 48, 15, 16)))
    assert cond[ch("state:checked"), 48, 23] == 0               # only the focus spreads: the ring shows focus
    assert not focus_in_row(cb)[0].any()
    radio = replace(focused, parts=tuple(replace(p, role="radio.indicator") for p in focused.parts))
    assert np.array_equal(focus_in_row(radio)[0], got)
    crop = C.build_conditioning(Scene(scene.width, scene.height, scene.theme,
                                      [focused if n.key == "a/cb" else n for n in scene.nodes]), None,
                                region=Box(20, 44, 9, 9))
    assert np.array_equal(crop, cond[:, 44:53, 20:29])


def test_glyph_mask_is_ink_exactly_around_text_runs(scene, cond):
    glyph = cond[C.GLYPH_CHANNEL]
    allowed = box_mask(glyph.shape, Box(10, 50, 12, 12))       # the checked indicator's tick
    for n in scene.nodes:
        for r in n.text_runs:
            clip = r.box.intersect(n.clip)
            allowed |= box_mask(glyph.shape, clip)
    assert glyph[~allowed].max() == 0
    # every run has ink, close to its baseline origin (not shifted by a line or a glyph)
    for x, y, ink_box in [(28, 60, Box(28, 49, 24, 12)), (114, 95, Box(114, 85, 18, 11))]:
        ys, xs = np.nonzero(glyph[ink_box.y:ink_box.bottom, ink_box.x:ink_box.right] > 0.5)
        assert len(xs) > 10
        assert abs(ink_box.y + ys.max() - (y - 1)) <= 1          # glyph bottoms sit on the baseline
        assert abs(ink_box.x + xs.min() - x) <= 2                # first glyph starts at the origin


def test_glyph_mask_matches_qpainter_text(scene, cond):
    """The same text drawn with the same font at the same origin gives the same coverage."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor, QImage, QPainter

    run = scene.node("a/cb").text_runs[0]
    img = QImage(scene.width, scene.height, QImage.Format.Format_Alpha8)
    img.fill(0)
    p = QPainter(img)
    p.setFont(C._font(run))
    p.setPen(QColor(255, 255, 255))
    p.drawText(QPointF(run.x, run.y), run.text)
    p.end()
    ref = np.frombuffer(img.constBits(), np.uint8).reshape(scene.height, img.bytesPerLine())[:, :scene.width]
    b = run.box
    got = np.round(cond[C.GLYPH_CHANNEL, b.y:b.bottom, b.x:b.right] * 255)
    assert np.array_equal(got, ref[b.y:b.bottom, b.x:b.right].astype(np.float32))


def test_checked_indicators_ink_their_mark(scene, cond):
    """A checked check box's tick is ink in the glyph map, drawn as the widgets draw it; unchecked, none."""
    from PySide6.QtGui import QColor, QImage, QPainter

    from neuralos.marks import paint_mark

    box = Box(10, 50, 12, 12)
    img = QImage(scene.width, scene.height, QImage.Format.Format_Alpha8)
    img.fill(0)
    p = QPainter(img)
    paint_mark(p, "tick", box, QColor(255, 255, 255))
    p.end()
    ref = np.frombuffer(img.constBits(), np.uint8).reshape(scene.height, img.bytesPerLine())[:, :scene.width]
    got = np.round(cond[C.GLYPH_CHANNEL, box.y:box.bottom, box.x:box.right] * 255)
    assert ref.sum() > 0 and np.array_equal(got, ref[box.y:box.bottom, box.x:box.right].astype(np.float32))
    node = scene.node("a/cb")
    plain = (replace(node.parts[0], states=frozenset()),)
    unchecked = replace(scene, nodes=[replace(n, states=frozenset(), parts=plain) if n is node else n
                                      for n in scene.nodes])
    assert C.build_conditioning(unchecked, None, region=box)[C.GLYPH_CHANNEL].max() == 0
    radio = replace(scene, nodes=[replace(n, parts=(Part("radio.indicator", box, frozenset({"checked"})),))
                                  if n is node else n for n in scene.nodes])
    dot = C.build_conditioning(radio, None, region=box)[C.GLYPH_CHANNEL]
    assert dot[6, 6] == 1 and dot[0, 0] == 0 and not np.array_equal(dot * 255, got)


def test_later_window_occludes_earlier_maps(cond):
    # "Hidden below b" runs under window b (x >= 96, y >= 60): no glyph, no Text role there
    under = (slice(70, 86), slice(97, 120))
    assert cond[C.GLYPH_CHANNEL][under].max() == 0
    assert cond[ch("role:Text")][under].max() == 0
    assert cond[ch("role:window")][under].min() == 1
    assert cond[ch("role:Text"), 75, 50] == 1 and cond[C.GLYPH_CHANNEL, 72:84, 10:90].max() > 0
    # window b's primary colour (surface theme) replaces the base primary inside it only
    prim = cond[C.PRIMARY_SLICE]
    assert np.allclose(prim[:, 90, 120], np.array([0xaa, 0x33, 0x00]) / 255)
    assert np.allclose(prim[:, 10, 10], np.array([0x1a, 0x73, 0xe8]) / 255)
    assert cond[ch("theme:dark")].max() == 0


def test_a_modal_inks_its_close_mark_over_its_own_panel(scene):
    # as `scene_builder` builds it: a scrim, a panel (an occluding window part) and a ✕ run on the close part
    close = Box(100, 22, 16, 16)
    modal = SceneNode("a/modal@overlay", "a", "modal", "Modal", Box(5, 5, 118, 98), Box(5, 5, 118, 98),
                      states=frozenset({"selected"}), interactive=True, window="a",
                      parts=(Part("modal.scrim", Box(5, 5, 118, 98)), Part("window", Box(20, 18, 100, 60)),
                             Part("window.close", close)),
                      text_runs=(TextRun("✕", 104, 34, 13.0, box=close),))
    with_modal = replace(scene, nodes=[*scene.nodes[:-2], modal])
    glyph = C.build_conditioning(with_modal, None)[C.GLYPH_CHANNEL]
    alone = C.glyph_mask([(modal.text_runs[0], close)], Box(0, 0, scene.width, scene.height))
    assert alone.max() > 0.5
    assert np.array_equal(glyph[close.y:close.bottom, close.x:close.right],
                          alone[close.y:close.bottom, close.x:close.right])
    assert glyph[18:78, 20:120].sum() == pytest.approx(alone.sum())   # the panel hides the slider's and label's ink


def test_a_rendered_modal_has_its_close_mark_in_the_glyph_map():
    from neuralos.neural.data import render_state
    from neuralos.neural.states import iter_states

    for state in iter_states("train", 5, sizes=[(512, 384)], sequence=True, kinds=frozenset({"modal-open"})):
        scene = render_state(state).scene
        modal = next((n for n in scene.nodes if n.key.endswith("@overlay")), None)
        if modal is not None:   # the trigger may lie off the canvas after the window moved
            break
    else:
        pytest.fail("none of 5 modal-open sequences opened a modal")
    close = next(p for p in modal.parts if p.role == "window.close").box
    glyph = C.build_conditioning(scene, None, region=close)[C.GLYPH_CHANNEL]
    assert glyph.max() > 0.5 and 0 < (glyph > 0.5).mean() < 0.5   # a ✕, not an empty or a filled box


def test_a_window_leaves_no_trace_of_what_it_covers(scene, cond):
    # a focused, hovered slider with a value and a pressed handle, wholly under window b: it may not show in any map
    hidden = SceneNode("a/hidden", "a", "hidden", "Slider", Box(100, 64, 20, 10), Box(100, 64, 20, 10), value=0.8,
                       states=frozenset({"focused", "hovered"}), interactive=True, window="a",
                       parts=(Part("slider.handle", Box(110, 64, 6, 10), frozenset({"pressed"})),))
    under_b = next(i for i, n in enumerate(scene.nodes) if n.key == "b/@window")
    covered = replace(scene, nodes=[*scene.nodes[:under_b], hidden, *scene.nodes[under_b:]])
    assert np.array_equal(C.build_conditioning(covered, None), cond)
    assert np.array_equal(C.build_conditioning(covered, None, region=Box(90, 58, 40, 30)), cond[:, 58:88, 90:130])


def test_edge_distances_place_borders_and_corners(cond):
    e = {k: cond[ch(f"edge:{k}")] for k in ("left", "right", "top", "bottom")}
    # the button b/ok: Box(104, 80, 40, 20); its button.primary part is the innermost decorated box
    assert e["left"][90, 104] == 0 and e["left"][90, 107] == pytest.approx(3 / C.GEOMETRY_RANGE)
    assert e["right"][90, 143] == 0 and e["top"][80, 120] == 0 and e["bottom"][99, 120] == 0
    assert e["left"][90, 124] == 1 and e["top"][90, 124] == 1          # saturated far inside
    assert e["left"][80, 104] == 0 and e["top"][80, 104] == 0          # the corner pixel
    # a Text is layout-only: inside the label, the edges are the window's (a's left edge at x=4)
    assert e["left"][75, 10] == pytest.approx(min(6, C.GEOMETRY_RANGE) / C.GEOMETRY_RANGE)


def test_previous_frame_is_the_only_pixel_input(scene, cond):
    rng = np.random.default_rng(0)
    prev_a = rng.integers(0, 256, (scene.height, scene.width, 3), dtype=np.uint8)
    prev_b = rng.integers(0, 256, (scene.height, scene.width, 3), dtype=np.uint8)
    ca, cb = C.build_conditioning(scene, prev_a), C.build_conditioning(scene, prev_b)
    rest = slice(0, C.PREVIOUS_SLICE.start)
    # nothing of any frame reaches the scene maps; without a previous frame its maps are zero, flag 0
    assert np.array_equal(ca[rest], cond[rest]) and np.array_equal(cb[rest], cond[rest])
    assert cond[C.PREVIOUS_SLICE].max() == 0 and cond[C.PREVIOUS_FLAG].max() == 0
    assert ca[C.PREVIOUS_FLAG].min() == 1
    assert np.allclose((ca[C.PREVIOUS_SLICE] + 1) * 127.5, prev_a.transpose(2, 0, 1), atol=1e-3)
    with pytest.raises(ValueError, match="previous frame"):
        C.build_conditioning(scene, prev_a[:10])


@pytest.mark.parametrize("region", [Box(0, 0, 160, 120), Box(20, 40, 64, 48), Box(100, 70, 33, 17), Box(0, 0, 1, 1)])
def test_region_equals_crop_of_full_maps(scene, region):
    prev = np.random.default_rng(1).integers(0, 256, (scene.height, scene.width, 3), dtype=np.uint8)
    full = C.build_conditioning(scene, prev)
    crop = C.conditioning_for_region(scene, prev, region)
    assert crop.shape == (C.CONDITIONING_CHANNELS, region.h, region.w)
    assert np.array_equal(crop, full[:, region.y:region.bottom, region.x:region.right])


def test_region_outside_canvas_is_rejected(scene):
    with pytest.raises(ValueError, match="not inside"):
        C.build_conditioning(scene, None, region=Box(150, 0, 20, 20))


def test_clipped_nodes_and_empty_scene():
    s = Scene(32, 24, {"dark": True}, [
        SceneNode("x", "", "x", "Button", Box(0, 0, 10, 10), None, text_runs=(TextRun("hi", 1, 8, 10.0),)),
        SceneNode("y", "", "y", "Card", Box(-5, -5, 20, 20), Box(0, 0, 15, 15)),
    ])
    c = C.build_conditioning(s, None)
    assert c[ch("role:Button")].max() == 0 and c[C.GLYPH_CHANNEL].max() == 0   # fully clipped: absent
    assert c[ch("role:Card")][:15, :15].min() == 1 and c[ch("role:Card")][15:, :].max() == 0
    # geometry uses the full box: the clip edge at x=14 is not a border, the box's right edge is at 14
    assert c[ch("edge:left"), 5, 0] == pytest.approx(5 / C.GEOMETRY_RANGE)
    assert c[ch("theme:dark")].min() == 1
    empty = C.build_conditioning(Scene(8, 8, {}, []), None)
    assert empty[C.EDGE_SLICE].min() == 1 and empty[C.ROLE_SLICE].max() == 0


def test_theme_colours_parse():
    assert C._color("#fff", (0, 0, 0)) == (1.0, 1.0, 1.0)
    assert C._color([255, 0, 0], (0, 0, 0)) == (1.0, 0.0, 0.0)
    assert C._color([0.5, 0.5, 0.5], (0, 0, 0)) == (0.5, 0.5, 0.5)
    assert C._color("nonsense", (0.1, 0.2, 0.3)) == (0.1, 0.2, 0.3)
    assert len(C.theme_vector({})) == 10
