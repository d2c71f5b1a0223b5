"""Layout containers: Row, Column, List (scrolling), Card and Divider."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QBoxLayout, QScrollArea, QSizePolicy, QStyle, QStyleOptionSlider, QVBoxLayout,
                               QWidget)

from neuralos.scene import Part
from neuralos.widgets.components.base import SPACING, Component, scene_box

ALIGN_ROW = {"start": Qt.AlignTop, "center": Qt.AlignVCenter, "end": Qt.AlignBottom}
ALIGN_COL = {"start": Qt.AlignLeft, "center": Qt.AlignHCenter, "end": Qt.AlignRight}
JUSTIFY_GAPS = {   # justify -> stretch before the first child, between children, after the last
    "start": (0, 0, 1), "end": (1, 0, 0), "center": (1, 0, 1), "spaceBetween": (0, 1, 0),
    "spaceAround": (1, 2, 1), "spaceEvenly": (1, 1, 1),
}


def box_layout(horizontal: bool, parent: QWidget) -> QBoxLayout:
    """A row or column without margins, children SPACING apart."""
    lay = QBoxLayout(QBoxLayout.LeftToRight if horizontal else QBoxLayout.TopToBottom, parent)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(SPACING)
    return lay


def cross_alignment(horizontal: bool, align: str) -> Qt.Alignment:
    """A2UI `align` as the Qt alignment across the layout's direction (none for `stretch`)."""
    return (ALIGN_ROW if horizontal else ALIGN_COL).get(align, Qt.Alignment(0))


class FlexComp(Component):
    """Row and Column: a box layout honouring justify, align and the children's weights."""

    role = "Row"
    horizontal = True

    def build(self) -> None:
        self.lay = box_layout(self.horizontal, self)
        self.populate(self.lay, self.comp.get("justify") or "start", self.comp.get("align") or "stretch")

    def populate(self, lay: QBoxLayout, justify: str, align: str) -> None:
        kids = [w for cid, scope, sfx in self.expand() if (w := self.build_child(cid, scope, sfx)) is not None]
        weights = [self._weight(w) for w in kids]
        weighted = any(x is not None for x in weights)
        cross = cross_alignment(self.horizontal, align)
        if justify == "stretch" and not weighted:
            weights = [1] * len(kids)
            weighted = True
        gaps = (0, 0, 0) if weighted else JUSTIFY_GAPS.get(justify, JUSTIFY_GAPS["start"])
        if gaps[0]:
            lay.addStretch(gaps[0])
        for i, w in enumerate(kids):
            if i and gaps[1]:
                lay.addStretch(gaps[1])
            stretch = int(round((weights[i] or 0) * 100)) if weighted else 0
            lay.addWidget(w, stretch, cross)
        if gaps[2]:
            lay.addStretch(gaps[2])
        if self.horizontal and justify != "start":
            self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    @staticmethod
    def _weight(w: Component):
        v = w.comp.get("weight")
        return float(v) if isinstance(v, (int, float)) and v > 0 else None


class RowComp(FlexComp):
    role = "Row"
    horizontal = True


class ColumnComp(FlexComp):
    role = "Column"
    horizontal = False


class ListComp(Component):
    """A scrollable list; vertical lists scroll past MAX_H, horizontal ones past the available width."""

    role = "List"
    MAX_H = 480

    def build(self) -> None:
        self.horizontal = self.comp.get("direction") == "horizontal"
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea(self)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.viewport().setAutoFillBackground(False)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff if not self.horizontal else Qt.ScrollBarAsNeeded)
        inner = QWidget()
        inner.setAutoFillBackground(False)
        lay = box_layout(self.horizontal, inner)
        cross = cross_alignment(self.horizontal, self.comp.get("align") or "stretch")
        self.items = []
        for cid, scope, sfx in self.expand():
            w = self.build_child(cid, scope, sfx, parent=inner)
            if w is not None:
                if self.horizontal:
                    w.setMaximumWidth(max(w.minimumSizeHint().width(), 320))
                lay.addWidget(w, 0, cross)
                self.items.append(w)
        lay.addStretch(1)
        self.inner = inner
        self.scroll.setWidget(inner)
        outer.addWidget(self.scroll)

    def sizeHint(self) -> QSize:
        h = self.inner.sizeHint()
        if self.horizontal:
            bar = self.scroll.horizontalScrollBar().sizeHint().height()
            return QSize(min(h.width(), 640), h.height() + bar)
        return QSize(h.width() + self.scroll.verticalScrollBar().sizeHint().width(), min(h.height(), self.MAX_H))

    def minimumSizeHint(self) -> QSize:
        h = self.inner.minimumSizeHint()
        return QSize(min(h.width(), 120), min(h.height(), 64)) if not self.horizontal else QSize(64, h.height())

    def scene_info(self, origin, clip) -> dict:
        parts = []
        for w in self.items:
            if w.isVisibleTo(self):
                r = QRect(w.mapTo(self, QPoint(0, 0)), w.size())
                parts.append(Part("list.item", scene_box(r, origin)))
        parts += scrollbar_parts(self.scroll, self, origin)
        return {"parts": parts}


def scrollbar_parts(scroll: QScrollArea, rel: QWidget, origin) -> list[Part]:
    """The visible scroll bars of `scroll` and their handles, `origin` being `rel`'s canvas position."""
    out = []
    for bar in (scroll.verticalScrollBar(), scroll.horizontalScrollBar()):
        if not bar.isVisibleTo(rel):
            continue
        top = QRect(bar.mapTo(rel, QPoint(0, 0)), bar.size())
        out.append(Part("scrollbar", scene_box(top, origin)))
        opt = QStyleOptionSlider()
        bar.initStyleOption(opt)
        h = bar.style().subControlRect(QStyle.CC_ScrollBar, opt, QStyle.SC_ScrollBarSlider, bar)
        out.append(Part("scrollbar.handle", scene_box(h.translated(top.topLeft()), origin),
                        frozenset({"pressed"} if bar.isSliderDown() else ())))
    return out


class CardComp(Component):
    role = "Card"
    PAD = 16

    def build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(self.PAD, self.PAD, self.PAD, self.PAD)
        child = self.comp.get("child")
        if isinstance(child, str):
            w = self.build_child(child)
            if w is not None:
                lay.addWidget(w)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(QPen(QColor(self.theme.border), 1))
        p.setBrush(QColor(self.theme.card))
        p.drawRoundedRect(self.rect().toRectF().adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)
        p.end()


class DividerComp(Component):
    role = "Divider"

    def build(self) -> None:
        self.vertical = self.comp.get("axis") == "vertical"
        if self.vertical:
            self.setFixedWidth(1)
            self.setMinimumHeight(16)
            self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Expanding)
        else:
            self.setFixedHeight(1)
            self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        return QSize(1, 16) if self.vertical else QSize(16, 1)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self.theme.border))
        p.end()
