"""An Icon's `svgPath`: its path data as a QPainterPath, and the ink both renderers draw from it.

One geometry for both, as `neuralos.marks` is for indicator marks: the widget renderer fills the path in its
ink colour, and the neural conditioning fills the same path, at the same place and scale, into its glyph
coverage map (`PathInk` in the scene), so the model is told which pixels of a custom icon are ink.
"""
from __future__ import annotations

import re

from neuralos.scene import PathInk

ICON_PX = 24        # an Icon's square box
ICON_INSET = 1      # the path is fitted inside the box with this margin


def fit_icon(d: str, x: float, y: float) -> PathInk | None:
    """The ink of path data `d` fitted into an icon box whose corner is (x, y), as the Icon component paints it: paths
    drawn on a 24-unit grid (Material's) keep their size, larger ones shrink to fit; None for unparsable data."""
    path = svg_path(d)
    if path is None:
        return None
    b = path.boundingRect()
    scale = (ICON_PX - 2 * ICON_INSET) / max(24.0, b.width(), b.height())
    return PathInk(d, x + ICON_INSET, y + ICON_INSET, scale)


def paint_ink(p, ink: PathInk, color) -> None:
    """Fill `ink`'s path with QPainter `p` in QColor `color`, antialiased (painter coordinates)."""
    path = svg_path(ink.d)
    if path is None:
        return
    from PySide6.QtGui import QPainter

    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.translate(ink.x, ink.y)
    p.scale(ink.scale, ink.scale)
    p.fillPath(path, color)
    p.restore()


def svg_path(d: str):
    """An SVG path's M/L/H/V/C/S/Q/T/Z commands (absolute and relative) as a QPainterPath (None when empty or
    unparsable)."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPainterPath

    tokens = re.findall(r"[MmLlHhVvCcSsQqTtZzAa]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", d)
    path, i, cmd = QPainterPath(), 0, None
    cur = QPointF(0, 0)
    start = QPointF(0, 0)
    last_ctrl = None
    try:
        while i < len(tokens):
            if tokens[i].isalpha():
                cmd = tokens[i]
                i += 1
                if cmd in "Zz":
                    path.closeSubpath()
                    cur = QPointF(start)
                    continue
            if cmd is None:
                return None
            rel = cmd.islower()
            c = cmd.upper()

            def num():
                nonlocal i
                v = float(tokens[i])
                i += 1
                return v

            def pt():
                x, y = num(), num()
                return QPointF(cur.x() + x, cur.y() + y) if rel else QPointF(x, y)

            if c == "M":
                cur = pt()
                path.moveTo(cur)
                start = QPointF(cur)
                cmd = "l" if rel else "L"
            elif c == "L":
                cur = pt()
                path.lineTo(cur)
            elif c == "H":
                x = num()
                cur = QPointF(cur.x() + x if rel else x, cur.y())
                path.lineTo(cur)
            elif c == "V":
                y = num()
                cur = QPointF(cur.x(), cur.y() + y if rel else y)
                path.lineTo(cur)
            elif c == "C":
                c1, c2, end = pt(), pt(), pt()
                path.cubicTo(c1, c2, end)
                last_ctrl, cur = c2, end
                continue
            elif c == "S":
                c1 = QPointF(2 * cur.x() - last_ctrl.x(), 2 * cur.y() - last_ctrl.y()) if last_ctrl else QPointF(cur)
                c2, end = pt(), pt()
                path.cubicTo(c1, c2, end)
                last_ctrl, cur = c2, end
                continue
            elif c == "Q":
                c1, end = pt(), pt()
                path.quadTo(c1, end)
                last_ctrl, cur = c1, end
                continue
            elif c == "T":
                c1 = QPointF(2 * cur.x() - last_ctrl.x(), 2 * cur.y() - last_ctrl.y()) if last_ctrl else QPointF(cur)
                end = pt()
                path.quadTo(c1, end)
                last_ctrl, cur = c1, end
                continue
            elif c == "A":   # arcs: approximated by a straight segment to the end point
                for _ in range(5):
                    num()
                cur = pt()
                path.lineTo(cur)
            last_ctrl = None
    except (IndexError, ValueError):
        return None if path.isEmpty() else path
    return None if path.isEmpty() else path
