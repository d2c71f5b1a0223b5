"""`LabeledInput`: label above, the control, the first failed-check message below."""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QVBoxLayout, QWidget

from neuralos.scene import Part, TextRun
from neuralos.widgets.app import make_font
from neuralos.widgets.components.base import LABEL_PX, Component, Validated, scene_box
from neuralos.widgets.editor import LineEditor
from neuralos.widgets.text import TextBox, font_flags


class LabeledInput(Component, Validated):
    """The frame of TextField, DateTimeInput, Slider and ChoicePicker: subclasses add their control
    between `init_label()` and `finish_layout()`."""

    interactive = True

    def init_label(self) -> None:
        self.label = TextBox("", make_font(LABEL_PX, bold=True), wrap=True)
        self.init_validation()
        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(4)
        self.label_spacer = QWidget(self)
        self.label_spacer.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.label_spacer.setFixedHeight(0)
        self.lay.addWidget(self.label_spacer)
        self.msg_spacer = QWidget(self)
        self.msg_spacer.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.msg_spacer.setFixedHeight(0)

    def finish_layout(self) -> None:
        self.lay.addWidget(self.msg_spacer)

    def set_label(self, text: str) -> None:
        if self.label.set_text(text):
            self.label_spacer.setFixedHeight(self.label.line_height if text else 0)
            self.label_spacer.setVisible(bool(text))

    def show_messages(self, msgs: list[str]) -> None:
        """Show the first failed-check message (none when the list is empty)."""
        text = msgs[0] if msgs else ""
        if self.msg.set_text(text):
            self.msg_spacer.setFixedHeight(self.msg.line_height * max(1, text.count("\n") + 1) if text else 0)
            self.msg_spacer.setVisible(bool(text))
            self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        if self.label.text:
            self.label.paint(p, self.label_spacer.geometry(), QColor(self.theme.text_color("muted")))
        if self.msg.text:
            self.msg.paint(p, self.msg_rect(), QColor(self.theme.text_color("error")))
        p.end()

    def msg_rect(self) -> QRect:
        g = self.msg_spacer.geometry()
        return QRect(0, g.y(), self.width(), max(g.height(), self.msg.line_height))

    def label_runs(self, origin, clip) -> list:
        return self.label.runs(self.label_spacer.geometry(), origin, clip) if self.label.text else []

    def msg_info(self, origin, clip) -> tuple[list, list]:
        if not self.msg.text:
            return [], []
        r = self.msg_rect()
        return [Part("validation.error", scene_box(r, origin))], self.msg.runs(r, origin, clip)

    def editor_parts(self, ed: LineEditor, origin, clip) -> tuple[list, list]:
        """Scene parts (frame, selection, cursor) and text runs of a LineEditor inside this input."""
        eo = (origin[0] + ed.x(), origin[1] + ed.y())
        st = set()
        if self.focused(ed):
            st.add("focused")
        if self.hovered(ed):
            st.add("hovered")
        if ed.invalid:
            st.add("invalid")
        parts = [Part("input.frame", scene_box(ed.rect(), eo), frozenset(st))]
        inner = scene_box(ed.inner_rect(), eo)
        for r in ed.selection_rects():
            parts.append(Part("input.selection", scene_box(r, eo)))
        if self.focused(ed) and ed.isEnabled():
            cur = scene_box(ed.cursor_rect(), eo).intersect(inner.grow(1))
            if cur is not None:
                parts.append(Part("input.cursor", cur))
        px, bold, italic, mono = font_flags(ed.font())
        box = inner.intersect(clip) if clip is not None else inner
        runs = []
        if box is not None:
            for text, x, baseline in ed.shown_lines():
                if text.strip():
                    runs.append(TextRun(text, float(x + eo[0]), float(baseline + eo[1]), px, bold, italic, mono, box))
        return parts, runs

    def states(self) -> set[str]:
        s = super().states()
        if self.msg.text:
            s.add("invalid")
        return s
