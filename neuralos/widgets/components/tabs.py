"""Tabs: painted tab headers over a stack of pages; the selected tab survives rebuilds (local UI state)."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

from neuralos.a2ui.dynamic import resolve_text
from neuralos.scene import Part
from neuralos.widgets.app import BASE_PX, make_font
from neuralos.widgets.components.base import SPACING, Component, scene_box, tint
from neuralos.widgets.components.painted_items import PaintedItems
from neuralos.widgets.text import TextBox, line_height


class TabBar(PaintedItems):
    """Tab headers, painted here; click or Left/Right to select."""

    PAD_X, PAD_Y = 14, 8

    def __init__(self, owner: "TabsComp"):
        super().__init__(owner)
        self.boxes: list[TextBox] = []
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def set_titles(self, titles: list[str]) -> None:
        if [b.text for b in self.boxes] != titles:
            self.boxes = [TextBox(t, make_font(BASE_PX, bold=True), wrap=False, align=Qt.AlignCenter) for t in titles]
            self.updateGeometry()
            self.update()

    def tab_rects(self) -> list[QRect]:
        x, out = 0, []
        h = self.height()
        for b in self.boxes:
            w = b.natural_width() + 2 * self.PAD_X
            out.append(QRect(x, 0, w, h - 2))
            x += w
        return out

    def item_rects(self) -> list[tuple[int, QRect]]:
        return list(enumerate(self.tab_rects()))

    def activate(self, i: int) -> None:
        self.owner.select(i)

    def sizeHint(self) -> QSize:
        lh = line_height(make_font(BASE_PX, bold=True))
        return QSize(sum(b.natural_width() + 2 * self.PAD_X for b in self.boxes), lh + 2 * self.PAD_Y + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(self.sizeHint().width(), 120), self.sizeHint().height())

    def paintEvent(self, event) -> None:
        theme = self.owner.theme
        p = QPainter(self)
        p.fillRect(QRect(0, self.height() - 1, self.width(), 1), QColor(theme.border))
        sel = self.owner.selected
        for i, (r, b) in enumerate(zip(self.tab_rects(), self.boxes)):
            if i == self.pressed:
                tint(p, r, theme.primary, 0.18)
            elif self.is_hovered(i):
                tint(p, r, theme.foreground, 0.06)
            if i == sel:
                p.fillRect(QRect(r.x(), self.height() - 3, r.width(), 3), QColor(theme.primary))
            b.paint(p, r, QColor(theme.text_color("foreground" if i == sel else "muted")))
        if self.owner.focused(self) and 0 <= sel < len(self.boxes):
            p.setPen(QPen(QColor(theme.primary), 1, Qt.DotLine))
            p.setBrush(Qt.NoBrush)
            p.drawRect(self.tab_rects()[sel].adjusted(2, 2, -3, -3))
        p.end()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Left, Qt.Key_Right) and self.boxes:
            step = -1 if event.key() == Qt.Key_Left else 1
            self.owner.select((self.owner.selected + step) % len(self.boxes))
            event.accept()
        else:
            event.ignore()


class TabsComp(Component):
    role = "Tabs"
    interactive = True

    def build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(SPACING)
        self.bar = TabBar(self)
        lay.addWidget(self.bar)
        self.stack_host = QWidget(self)
        self.stack = QStackedLayout(self.stack_host)
        self.pages: list[QWidget] = []
        for tab in self.comp.get("tabs") or ():
            page = None
            if isinstance(tab, dict) and isinstance(tab.get("child"), str):
                page = self.build_child(tab["child"], parent=self.stack_host)
            page = page or QWidget(self.stack_host)
            self.stack.addWidget(page)
            self.pages.append(page)
        lay.addWidget(self.stack_host, 1)
        n = len(self.pages)
        self.selected = min(max(0, int(self.ctx.local.get((self.key, "tab"), 0))), max(0, n - 1))
        if n:
            self.stack.setCurrentIndex(self.selected)

    def refresh(self) -> None:
        titles = [resolve_text(self.surface, t.get("title"), self.scope) if isinstance(t, dict) else ""
                  for t in self.comp.get("tabs") or ()]
        self.bar.set_titles(titles)

    def select(self, i: int) -> None:
        if 0 <= i < len(self.pages) and i != self.selected:
            self.selected = i
            self.ctx.local[(self.key, "tab")] = i
            self.stack.setCurrentIndex(i)
            self.bar.update()
            self.ctx.changed()

    def scene_info(self, origin, clip) -> dict:
        bar_origin = (origin[0] + self.bar.x(), origin[1] + self.bar.y())
        parts, runs = [], []
        for i, (r, b) in enumerate(zip(self.bar.tab_rects(), self.bar.boxes)):
            st = self.bar.item_states(i)
            if i == self.selected:
                st.add("selected")
                if self.focused(self.bar):
                    st.add("focused")
            parts.append(Part("tab.selected" if i == self.selected else "tab", scene_box(r, bar_origin),
                              frozenset(st)))
            runs += b.runs(r, bar_origin, clip)
        return {"text": " ".join(b.text for b in self.bar.boxes), "text_runs": runs, "parts": parts,
                "states": {"focused"} if self.focused(self.bar) else set()}
