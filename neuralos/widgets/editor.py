"""A text input painted through the shared text layout, so the scene knows where every glyph is.

Single-line (scrolls horizontally) or multi-line (wraps, scrolls vertically); obscured and numeric
variants; selection, clipboard, word moves, IME commits and any Unicode text from key events. The
cursor does not blink (frames are a pure function of the state).
"""
from __future__ import annotations

import math
import re
import unicodedata

from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QGuiApplication, QKeySequence, QPainter, QPen, QTextLayout
from PySide6.QtWidgets import QSizePolicy, QWidget

from neuralos.widgets.text import line_height, py_to_u16, u16_to_py, wrap_paragraph
from neuralos.widgets.whatif import has_focus

PAD_X, PAD_Y, BORDER, RADIUS = 8, 6, 1, 4
NUMBER_CHARS = set("0123456789.,-+eE")
_WORD = re.compile(r"\w+|[^\w\s]+", re.UNICODE)


def _printable(text: str) -> bool:
    return bool(text) and all(unicodedata.category(c)[0] != "C" or c in "\t" for c in text)


class LineEditor(QWidget):
    text_edited = Signal(str)     # the user changed the text
    submitted = Signal()          # Enter in a single-line editor
    editing_finished = Signal()   # focus left the editor

    def __init__(self, ctx, *, multiline: bool = False, obscured: bool = False, number: bool = False,
                 rows: int = 4, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.multiline, self.obscured, self.number, self.rows = multiline, obscured, number, rows
        self._text = ""
        self._cursor = 0
        self._anchor = 0
        self._hscroll = 0.0
        self._vscroll = 0
        self.invalid = False
        self.placeholder = ""
        self.setFocusPolicy(Qt.StrongFocus)
        self.setAttribute(Qt.WA_InputMethodEnabled, True)
        self.setCursor(Qt.IBeamCursor)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self._layouts: dict[str, QTextLayout] = {}

    # -- model ----------------------------------------------------------------------------------
    def text(self) -> str:
        return self._text

    def cursor_position(self) -> int:
        return self._cursor

    def selection(self) -> tuple[int, int]:
        return (min(self._cursor, self._anchor), max(self._cursor, self._anchor))

    def set_text(self, text: str) -> None:
        """Programmatic update (data-model refresh): keeps the cursor where it was when possible."""
        text = "" if text is None else str(text)
        if not self.multiline:
            text = text.replace("\n", " ")
        if text == self._text:
            return
        self._text = text
        self._cursor = min(self._cursor, len(text))
        self._anchor = min(self._anchor, len(text))
        self._ensure_visible()
        self.update()

    def set_cursor_position(self, pos: int, keep_anchor: bool = False) -> None:
        self._cursor = max(0, min(int(pos), len(self._text)))
        if not keep_anchor:
            self._anchor = self._cursor
        self._ensure_visible()
        self.update()

    def select_all(self) -> None:
        self._anchor, self._cursor = 0, len(self._text)
        self._ensure_visible()
        self.update()

    def is_focused(self) -> bool:
        return has_focus(self)

    def _edit(self, text: str, cursor: int) -> None:
        if text == self._text:
            self._cursor = self._anchor = cursor
            self._ensure_visible()
            self.update()
            return
        self._text = text
        self._cursor = self._anchor = max(0, min(cursor, len(text)))
        self._ensure_visible()
        self.update()
        self.text_edited.emit(text)

    def insert(self, s: str) -> None:
        if not self.multiline:
            s = s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        if self.number:
            s = "".join(c for c in s if c in NUMBER_CHARS)
        a, b = self.selection()
        if not s and a == b:
            return
        self._edit(self._text[:a] + s + self._text[b:], a + len(s))

    # -- geometry -------------------------------------------------------------------------------
    @property
    def font_(self):
        return self.font()

    def display_text(self) -> str:
        return "\u2022" * len(self._text) if self.obscured else self._text

    def inner_rect(self) -> QRect:
        return self.rect().adjusted(BORDER + PAD_X, BORDER + PAD_Y, -(BORDER + PAD_X), -(BORDER + PAD_Y))

    def sizeHint(self) -> QSize:
        lh = line_height(self.font())
        rows = self.rows if self.multiline else 1
        return QSize(240, lh * rows + 2 * (PAD_Y + BORDER))

    def minimumSizeHint(self) -> QSize:
        return QSize(64, self.sizeHint().height())

    def _visual_lines(self) -> list[tuple[int, int]]:
        """(start, end) of each visual line, as indices into the text."""
        text = self.display_text()
        if not self.multiline:
            return [(0, len(text))]
        width = max(8, self.inner_rect().width() - 2)
        out, base = [], 0
        for para in text.split("\n"):
            for s, e, _w in wrap_paragraph(para, self.font(), width):
                out.append((base + s, base + e))
            base += len(para) + 1
        return out

    def _layout_for(self, s: str) -> QTextLayout:
        lay = self._layouts.get(s)
        if lay is None:
            if len(self._layouts) > 64:
                self._layouts.clear()
            lay = QTextLayout(s, self.font())
            lay.beginLayout()
            lay.createLine()
            lay.endLayout()
            self._layouts[s] = lay
        return lay

    def _x_of(self, line_text: str, i: int) -> float:
        return self._layout_for(line_text).lineAt(0).cursorToX(py_to_u16(line_text, i))[0]

    def _line_of(self, pos: int, lines=None) -> int:
        lines = lines or self._visual_lines()
        for n, (s, e) in enumerate(lines):
            if pos <= e and (n + 1 == len(lines) or pos < lines[n + 1][0]):
                return n
        return len(lines) - 1

    def cursor_point(self, pos: int | None = None) -> tuple[float, int]:
        """(x, line index) of a text position, in content coordinates (before scrolling)."""
        pos = self._cursor if pos is None else pos
        lines = self._visual_lines()
        n = self._line_of(pos, lines)
        s, e = lines[n]
        text = self.display_text()
        return self._x_of(text[s:e], min(pos, e) - s), n

    def position_at(self, x: float, y: float) -> int:
        """The text position nearest to widget point (x, y)."""
        inner = self.inner_rect()
        lines = self._visual_lines()
        lh = line_height(self.font())
        n = 0 if not self.multiline else max(0, min(len(lines) - 1, int((y - inner.y() + self._vscroll) // lh)))
        s, e = lines[n]
        text = self.display_text()[s:e]
        u = self._layout_for(text).lineAt(0).xToCursor(x - inner.x() + self._hscroll)
        return s + u16_to_py(text, u)

    def _ensure_visible(self) -> None:
        inner = self.inner_rect()
        if inner.width() <= 0:
            return
        x, n = self.cursor_point()
        if self.multiline:
            self._hscroll = 0.0
            lh = line_height(self.font())
            top, bottom = n * lh, (n + 1) * lh
            if top < self._vscroll:
                self._vscroll = top
            elif bottom > self._vscroll + inner.height():
                self._vscroll = bottom - inner.height()
            total = len(self._visual_lines()) * lh
            self._vscroll = max(0, min(self._vscroll, max(0, total - inner.height())))
        else:
            width = self._x_of(self.display_text(), len(self._text))
            avail = inner.width() - 1
            if width <= avail:
                self._hscroll = 0.0
            elif x - self._hscroll > avail:
                self._hscroll = x - avail
            elif x - self._hscroll < 0:
                self._hscroll = x
            self._hscroll = float(math.floor(max(0.0, min(self._hscroll, width - avail))))

    def resizeEvent(self, event) -> None:
        self._ensure_visible()
        super().resizeEvent(event)

    # -- what is painted (shared with the scene) --------------------------------------------------
    def painted_lines(self) -> list[tuple[str, int, int]]:
        """(text, x, baseline) in widget coordinates, as painted (clipped to inner_rect)."""
        inner = self.inner_rect()
        fm = QFontMetricsF(self.font())
        lh, ascent = line_height(self.font()), int(round(fm.ascent()))
        text = self.display_text()
        out = []
        if not self.multiline:
            top = inner.y() + (inner.height() - lh) // 2
            out.append((text, inner.x() - int(self._hscroll), top + ascent))
            return out
        for n, (s, e) in enumerate(self._visual_lines()):
            out.append((text[s:e].rstrip("\n"), inner.x(), inner.y() + n * lh - self._vscroll + ascent))
        return out

    def cursor_rect(self) -> QRect:
        inner = self.inner_rect()
        x, n = self.cursor_point()
        lh = line_height(self.font())
        if self.multiline:
            top = inner.y() + n * lh - self._vscroll
        else:
            top = inner.y() + (inner.height() - lh) // 2
        return QRect(inner.x() + int(round(x - self._hscroll)), top, 1, lh)

    def selection_rects(self) -> list[QRect]:
        a, b = self.selection()
        if a == b:
            return []
        inner = self.inner_rect()
        lh = line_height(self.font())
        text = self.display_text()
        out = []
        for n, (s, e) in enumerate(self._visual_lines()):
            lo, hi = max(a, s), min(b, e)
            if lo > hi or (lo == hi and not (s <= a < e or (lo == e and b > e))):
                continue
            x0 = self._x_of(text[s:e], lo - s)
            x1 = self._x_of(text[s:e], hi - s) + (4 if b > e and self.multiline else 0)
            top = inner.y() + (n * lh - self._vscroll if self.multiline else (inner.height() - lh) // 2)
            r = QRect(inner.x() + int(round(x0 - self._hscroll)), top,
                      max(1, int(round(x1 - x0))), lh).intersected(inner)
            if not r.isEmpty():
                out.append(r)
        return out

    def paintEvent(self, event) -> None:
        theme = self.ctx.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        focused = self.is_focused()
        enabled = self.isEnabled()
        border = theme.error if self.invalid else theme.primary if focused else theme.border
        width = 2 if (focused or self.invalid) else 1
        p.setPen(QPen(QColor(border), width))
        p.setBrush(QColor(theme.base if enabled else theme.card))
        half = width / 2
        p.drawRoundedRect(self.rect().toRectF().adjusted(half, half, -half, -half), RADIUS, RADIUS)
        p.setRenderHint(QPainter.Antialiasing, False)
        inner = self.inner_rect()
        p.setClipRect(inner)
        sel = QColor(theme.primary)
        sel.setAlpha(70)
        for r in self.selection_rects():
            p.fillRect(r, sel)
        p.setFont(self.font())
        if self._text:
            p.setPen(QColor(theme.text_color("foreground" if enabled else "muted")))
            for text, x, baseline in self.painted_lines():
                if text:
                    p.drawText(QPointF(x, baseline), text)
        elif self.placeholder:
            p.setPen(QColor(theme.text_color("muted")))
            for text, x, baseline in self._placeholder_lines():
                p.drawText(QPointF(x, baseline), text)
        if focused and enabled:
            p.fillRect(self.cursor_rect(), QColor(theme.foreground))
        p.end()

    def _placeholder_lines(self) -> list[tuple[str, int, int]]:
        inner = self.inner_rect()
        fm = QFontMetricsF(self.font())
        lh = line_height(self.font())
        top = inner.y() + ((inner.height() - lh) // 2 if not self.multiline else 0)
        return [(self.placeholder, inner.x(), top + int(round(fm.ascent())))]

    def shown_lines(self) -> list[tuple[str, int, int]]:
        """What the scene reports as text: the typed text, or the placeholder while empty."""
        if self._text:
            return [t for t in self.painted_lines() if t[0]]
        return self._placeholder_lines() if self.placeholder else []

    # -- input ----------------------------------------------------------------------------------
    def _word_left(self, pos: int) -> int:
        starts = [m.start() for m in _WORD.finditer(self._text) if m.start() < pos]
        return starts[-1] if starts else 0

    def _word_right(self, pos: int) -> int:
        ends = [m.end() for m in _WORD.finditer(self._text) if m.end() > pos]
        return ends[0] if ends else len(self._text)

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        shift = bool(mods & Qt.ShiftModifier)
        ctrl = bool(mods & Qt.ControlModifier)
        a, b = self.selection()
        if event.matches(QKeySequence.SelectAll):
            self.select_all()
        elif event.matches(QKeySequence.Copy):
            if a != b and not self.obscured:
                QGuiApplication.clipboard().setText(self._text[a:b])
        elif event.matches(QKeySequence.Cut):
            if a != b and not self.obscured:
                QGuiApplication.clipboard().setText(self._text[a:b])
                self.insert("")
        elif event.matches(QKeySequence.Paste):
            self.insert(QGuiApplication.clipboard().text())
        elif key in (Qt.Key_Left, Qt.Key_Right):
            if a != b and not shift:
                self.set_cursor_position(a if key == Qt.Key_Left else b)
            elif key == Qt.Key_Left:
                self.set_cursor_position(self._word_left(self._cursor) if ctrl else self._cursor - 1, shift)
            else:
                self.set_cursor_position(self._word_right(self._cursor) if ctrl else self._cursor + 1, shift)
        elif key in (Qt.Key_Home, Qt.Key_End):
            if self.multiline and not ctrl:
                lines = self._visual_lines()
                s, e = lines[self._line_of(self._cursor, lines)]
                self.set_cursor_position(s if key == Qt.Key_Home else e, shift)
            else:
                self.set_cursor_position(0 if key == Qt.Key_Home else len(self._text), shift)
        elif key in (Qt.Key_Up, Qt.Key_Down) and self.multiline:
            x, n = self.cursor_point()
            lines = self._visual_lines()
            m = n - 1 if key == Qt.Key_Up else n + 1
            if 0 <= m < len(lines):
                s, e = lines[m]
                t = self.display_text()[s:e]
                u = self._layout_for(t).lineAt(0).xToCursor(x)
                self.set_cursor_position(min(e, s + u16_to_py(t, u)), shift)
            else:
                self.set_cursor_position(0 if key == Qt.Key_Up else len(self._text), shift)
        elif key == Qt.Key_Backspace:
            if a != b:
                self.insert("")
            elif a > 0:
                start = self._word_left(a) if ctrl else a - 1
                self._edit(self._text[:start] + self._text[a:], start)
        elif key == Qt.Key_Delete:
            if a != b:
                self.insert("")
            elif a < len(self._text):
                end = self._word_right(a) if ctrl else a + 1
                self._edit(self._text[:a] + self._text[end:], a)
        elif key in (Qt.Key_Return, Qt.Key_Enter):
            if self.multiline and not ctrl:
                self.insert("\n")
            else:
                self.submitted.emit()
        elif not (mods & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier)) and _printable(event.text()):
            self.insert(event.text())
        else:
            event.ignore()
            return
        event.accept()

    def inputMethodEvent(self, event) -> None:
        if event.commitString():
            self.insert(event.commitString())
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton:
            event.ignore()
            return
        if not self.hasFocus():
            self.setFocus(Qt.MouseFocusReason)
        pos = event.position()
        self.set_cursor_position(self.position_at(pos.x(), pos.y()), bool(event.modifiers() & Qt.ShiftModifier))
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.LeftButton:
            pos = event.position()
            self.set_cursor_position(self.position_at(pos.x(), pos.y()), True)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        pos = self.position_at(event.position().x(), event.position().y())
        for m in _WORD.finditer(self._text):
            if m.start() <= pos <= m.end():
                self._anchor, self._cursor = m.start(), m.end()
                self.update()
                break
        event.accept()

    def focusInEvent(self, event) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:
        self.update()
        self.editing_finished.emit()
        super().focusOutEvent(event)
