"""Indicator marks: which parts show one, and the shapes drawn (ink inside the indicator only)."""
import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from neuralos.marks import mark_of, paint_mark
from neuralos.scene import Box


def test_only_checked_indicators_have_a_mark():
    assert mark_of("check.indicator", {"checked", "hovered"}) == "tick"
    assert mark_of("radio.indicator", frozenset({"checked"})) == "dot"
    assert mark_of("check.indicator", {"hovered", "focused"}) is None
    assert mark_of("CheckBox", {"checked"}) is None
    assert mark_of("chip.selected", {"checked", "selected"}) is None


def ink(kind: str, box: Box, size=(32, 32)) -> np.ndarray:
    img = QImage(size[0], size[1], QImage.Format.Format_Alpha8)
    img.fill(0)
    p = QPainter(img)
    try:
        paint_mark(p, kind, box, QColor(255, 255, 255))
    finally:
        p.end()
    return np.frombuffer(img.constBits(), np.uint8).reshape(size[1], img.bytesPerLine())[:, :size[0]].copy()


def test_marks_are_ink_inside_their_box(qapp):
    box = Box(8, 6, 16, 16)
    tick, dot = ink("tick", box), ink("dot", box)
    outside = np.ones(tick.shape, bool)
    outside[box.y:box.bottom, box.x:box.right] = False
    for a in (tick, dot):
        assert a.max() == 255 and a[outside].max() == 0
    assert dot[13, 14] == 255 and tick[13, 14] < 60             # the dot fills the middle, the tick skirts it
    assert tick[17, 14] > 200 and dot[17, 14] == 0              # the tick's lowest point
    assert np.array_equal(ink("tick", Box(9, 6, 16, 16))[:, 1:], tick[:, :-1])    # it moves with its box


def test_unknown_mark_is_an_error(qapp):
    with pytest.raises(ValueError, match="unknown mark 'star'"):
        ink("star", Box(0, 0, 16, 16))
