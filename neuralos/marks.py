"""Indicator marks: the tick of a checked check box and the dot of a selected radio button.

One geometry for both renderers: the widget renderer strokes and fills these shapes in its colours, and the
neural conditioning draws the same shapes into its glyph coverage map (ink without colour), so the model is
told exactly which pixels of a checked indicator are ink, as it is for text. Without them a state the model
must infer from a flag ("checked") comes out as a filled box with no tick.
"""
from __future__ import annotations

from typing import Iterable

from neuralos.scene import Box

MARK_ROLES = {"check.indicator": "tick", "radio.indicator": "dot"}
TICK_PEN_PX = 2.0


def mark_of(role: str, states: Iterable[str]) -> str | None:
    """The mark a part of `role` with `states` (its own and its node's) shows: "tick" or "dot" for a checked
    indicator, else None."""
    return MARK_ROLES.get(role) if "checked" in states else None


def paint_mark(p, kind: str, box: Box, color) -> None:
    """Draw mark `kind` inside the indicator `box` (painter coordinates) with QPainter `p` in QColor `color`,
    antialiased."""
    if kind not in MARK_ROLES.values():
        raise ValueError(f"unknown mark {kind!r}")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QPainter, QPainterPath, QPen

    rf = QRectF(box.x, box.y, box.w, box.h).adjusted(0.5, 0.5, -0.5, -0.5)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if kind == "dot":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        p.drawEllipse(rf.center(), box.w * 0.2, box.h * 0.2)
    else:
        pen = QPen(color, TICK_PEN_PX)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        x, y, w, h = rf.x(), rf.y(), rf.width(), rf.height()
        path = QPainterPath(QPointF(x + w * 0.24, y + h * 0.52))
        path.lineTo(QPointF(x + w * 0.43, y + h * 0.70))
        path.lineTo(QPointF(x + w * 0.77, y + h * 0.32))
        p.drawPath(path)
    p.restore()
