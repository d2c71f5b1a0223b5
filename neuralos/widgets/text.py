"""Text layout shared by painting and scene extraction, so `text_runs` are exactly where glyphs go.

Every piece of text the widget renderer shows is painted through `TextBox.paint`, which draws each
laid-out line with `QPainter.drawText(QPointF(x, baseline), line)` at integer positions. The scene
reads the same lines (`TextBox.lines`), so a run's origin is the painted glyph origin by construction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTextLayout, QTextOption

from neuralos.scene import Box, TextRun


def u16_len(s: str) -> int:
    """Length in UTF-16 code units (what Qt's text positions count)."""
    return len(s.encode("utf-16-le")) // 2


def u16_to_py(s: str, u: int) -> int:
    """Python index of UTF-16 position `u` in `s`."""
    n = 0
    for i, ch in enumerate(s):
        if n >= u:
            return i
        n += 2 if ord(ch) > 0xFFFF else 1
    return len(s)


def py_to_u16(s: str, i: int) -> int:
    return u16_len(s[:i])


@dataclass(frozen=True)
class Line:
    text: str
    x: int          # glyph origin (left of the first glyph's advance box)
    baseline: int
    width: float    # natural advance width


def font_flags(font: QFont) -> tuple[float, bool, bool, bool]:
    px = font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 96 / 72
    return float(px), font.bold(), font.italic(), "Mono" in font.family()


def line_height(font: QFont) -> int:
    fm = QFontMetricsF(font)
    return int(math.ceil(fm.ascent() + fm.descent()))


def wrap_paragraph(text: str, font: QFont, width: float | None) -> list[tuple[int, int, float]]:
    """(start, end, natural width) of each visual line of one paragraph (Python indices)."""
    if text == "":
        return [(0, 0, 0.0)]
    layout = QTextLayout(text, font)
    opt = QTextOption()
    opt.setWrapMode(QTextOption.WrapAtWordBoundaryOrAnywhere if width is not None else QTextOption.NoWrap)
    layout.setTextOption(opt)
    layout.beginLayout()
    out = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(1.0, width) if width is not None else 1e7)
        start = u16_to_py(text, line.textStart())
        end = u16_to_py(text, line.textStart() + line.textLength())
        out.append((start, end, line.naturalTextWidth()))
    layout.endLayout()
    return out or [(0, len(text), 0.0)]


class TextBox:
    """One block of text in one font: natural size, height-for-width, lines, painting, runs."""

    def __init__(self, text: str = "", font: QFont | None = None, *, wrap: bool = True,
                 align: Qt.AlignmentFlag = Qt.AlignLeft | Qt.AlignTop, elide: bool = False):
        self.text = text
        self.font = font if font is not None else QFont()
        self.wrap = wrap
        self.align = align
        self.elide = elide
        self._cache: dict = {}

    # -- configuration --------------------------------------------------------------------------
    def set_text(self, text: str) -> bool:
        text = "" if text is None else str(text)
        if text == self.text:
            return False
        self.text = text
        self._cache.clear()
        return True

    def set_font(self, font: QFont) -> None:
        if font != self.font:
            self.font = font
            self._cache.clear()

    # -- measuring ------------------------------------------------------------------------------
    @property
    def line_height(self) -> int:
        return line_height(self.font)

    def natural_width(self) -> int:
        fm = QFontMetricsF(self.font)
        return int(math.ceil(max((fm.horizontalAdvance(p) for p in self.text.split("\n")), default=0)))

    def height_for_width(self, width: int) -> int:
        return self.line_height * len(self._layout(width if self.wrap else None))

    def size_hint(self, max_width: int | None = None) -> tuple[int, int]:
        w = self.natural_width()
        if max_width is not None and self.wrap and w > max_width:
            return max_width, self.height_for_width(max_width)
        return w, self.line_height * max(1, self.text.count("\n") + 1)

    def _layout(self, width: int | None) -> list[tuple[str, float]]:
        key = ("layout", width)
        if key not in self._cache:
            lines = []
            fm = QFontMetricsF(self.font)
            for para in self.text.split("\n"):
                fits = width is None or fm.horizontalAdvance(para) <= width + 0.01
                for s, e, w in wrap_paragraph(para, self.font, None if fits else width):
                    lines.append((para[s:e].rstrip(" \t\u2028"), w))
            self._cache[key] = lines
        return self._cache[key]

    def lines(self, rect: QRect) -> list[Line]:
        """The painted lines for a layout rect (widget coordinates)."""
        key = ("lines", rect.x(), rect.y(), rect.width(), rect.height())
        if key in self._cache:
            return self._cache[key]
        fm = QFontMetricsF(self.font)
        if self.elide:
            text = self.text.replace("\n", " ")
            shown = fm.elidedText(text, Qt.ElideRight, max(0, rect.width()))
            laid = [(shown, fm.horizontalAdvance(shown))] if shown else []
        else:
            laid = self._layout(rect.width() if self.wrap else None)
        lh = self.line_height
        total = lh * len(laid)
        if self.align & Qt.AlignVCenter:
            top = rect.y() + (rect.height() - total) // 2
        elif self.align & Qt.AlignBottom:
            top = rect.y() + rect.height() - total
        else:
            top = rect.y()
        ascent = int(round(fm.ascent()))
        out = []
        for i, (t, w) in enumerate(laid):
            if self.align & Qt.AlignHCenter:
                x = rect.x() + int(math.floor((rect.width() - w) / 2))
            elif self.align & Qt.AlignRight:
                x = rect.x() + int(math.floor(rect.width() - w))
            else:
                x = rect.x()
            out.append(Line(t, x, top + i * lh + ascent, w))
        self._cache[key] = out
        return out

    # -- output ---------------------------------------------------------------------------------
    def paint(self, painter: QPainter, rect: QRect, color: QColor | str) -> None:
        painter.save()
        painter.setFont(self.font)
        painter.setPen(QColor(color))
        for line in self.lines(rect):
            if line.text:
                painter.drawText(QPointF(line.x, line.baseline), line.text)
        painter.restore()

    def runs(self, rect: QRect, origin: tuple[int, int], clip: Box | None = None) -> list[TextRun]:
        """Text runs in canvas coordinates; `origin` is the widget's top-left on the canvas."""
        ox, oy = origin
        px, bold, italic, mono = font_flags(self.font)
        box = Box(rect.x() + ox, rect.y() + oy, rect.width(), rect.height())
        if clip is not None:
            box = box.intersect(clip)
            if box is None:
                return []
        return [TextRun(l.text, float(l.x + ox), float(l.baseline + oy), px, bold, italic, mono, box)
                for l in self.lines(rect) if l.text.strip()]


def draw_run(painter: QPainter, run: TextRun, color: QColor | str) -> None:
    """Paint one scene text run the way the widget renderer paints it (used by glyph-mask checks)."""
    from neuralos.widgets.app import make_font

    painter.save()
    painter.setFont(make_font(int(round(run.size_px)), run.bold, run.italic, run.mono))
    painter.setPen(QColor(color))
    if run.box is not None:
        painter.setClipRect(QRectF(run.box.x, run.box.y, run.box.w, run.box.h))
    painter.drawText(QPointF(run.x, run.y), run.text)
    painter.restore()
