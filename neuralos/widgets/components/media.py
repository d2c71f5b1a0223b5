"""Image, Video and AudioPlayer: labelled placeholders. Nothing the state names is ever fetched."""
from __future__ import annotations

import re

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy

from neuralos.scene import Part
from neuralos.widgets.app import make_font
from neuralos.widgets.components.base import LABEL_PX, Component, scene_box
from neuralos.widgets.text import TextBox

IMAGE_SIZES = {   # variant -> (preferred w, h, expanding width)
    "icon": (24, 24, False), "avatar": (40, 40, False), "smallFeature": (100, 100, False),
    "mediumFeature": (300, 200, True), "largeFeature": (400, 300, True), "header": (400, 200, True),
}


def _url_label(url: str) -> str:
    tail = re.split(r"[/?#]", url.rstrip("/"))
    name = next((t for t in reversed(tail) if t and "=" not in t), "") if "/" in url else url
    return name[:80]


class MediaComp(Component):
    """A placeholder: a rounded frame, a glyph and (when there is room) the description or file name."""

    GLYPH = "▣"

    def build(self) -> None:
        self.label = TextBox("", make_font(LABEL_PX), wrap=False, align=Qt.AlignHCenter | Qt.AlignTop, elide=True)
        self.glyph = TextBox(self.GLYPH, make_font(22), wrap=False, align=Qt.AlignCenter)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self._size()

    def _size(self) -> None:
        self.setMinimumSize(24, 24)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def label_text(self) -> str:
        desc = self.text_value("description")
        return desc or _url_label(self.text_value("url"))

    def refresh(self) -> None:
        if self.label.set_text(self.label_text()):
            self.update()

    def glyph_rect(self) -> QRect:
        r = self.rect()
        if r.height() >= 64:
            return QRect(r.x(), r.y() + r.height() // 2 - 24, r.width(), 32)
        return r

    def label_rect(self) -> QRect | None:
        r = self.rect()
        if r.height() < 64 or r.width() < 48:
            return None
        return QRect(r.x() + 8, r.y() + r.height() // 2 + 12, r.width() - 16, self.label.line_height)

    def paint_frame(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(self.theme.placeholder))
        self.draw_frame(p, self.rect().toRectF())

    def draw_frame(self, p: QPainter, r: QRectF) -> None:
        p.drawRoundedRect(r, 6, 6)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        self.paint_frame(p)
        self.glyph.paint(p, self.glyph_rect(), self.ink("muted"))
        lr = self.label_rect()
        if lr is not None:
            self.label.paint(p, lr, self.ink("muted"))
        p.end()

    def scene_info(self, origin, clip) -> dict:
        runs = self.glyph.runs(self.glyph_rect(), origin, clip)
        lr = self.label_rect()
        if lr is not None:
            runs += self.label.runs(lr, origin, clip)
        return {"text": self.label.text if lr is not None else "", "text_runs": runs,
                "parts": [Part("placeholder", scene_box(self.rect(), origin))]}


class ImageComp(MediaComp):
    role = "Image"
    GLYPH = "▲"

    def _size(self) -> None:
        variant = self.comp.get("variant") or "mediumFeature"
        w, h, expand = IMAGE_SIZES.get(variant, IMAGE_SIZES["mediumFeature"])
        self.variant = variant
        self._hint = QSize(w, h)
        if expand:
            self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            self.setMinimumSize(48, h)
            self.setMaximumHeight(h)
            if variant == "mediumFeature":
                self.setMaximumWidth(w)
        else:
            self.setFixedSize(w, h)
        if variant in ("icon", "avatar"):
            self.glyph.set_font(make_font(12 if variant == "icon" else 18))

    def sizeHint(self) -> QSize:
        return self._hint

    def draw_frame(self, p: QPainter, r: QRectF) -> None:
        if self.variant == "avatar":
            p.drawEllipse(r)
        else:
            p.drawRoundedRect(r, 2 if self.variant == "icon" else 6, 6)


class VideoComp(MediaComp):
    role = "Video"
    GLYPH = "▶"

    def _size(self) -> None:
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setMinimumSize(120, 180)
        self.setMaximumHeight(180)

    def sizeHint(self) -> QSize:
        return QSize(320, 180)

    def label_text(self) -> str:
        return _url_label(self.text_value("url")) or "Video"


class AudioComp(MediaComp):
    """A player bar: glyph, title and an empty progress track."""

    role = "AudioPlayer"
    GLYPH = "▶"
    H = 48

    def _size(self) -> None:
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setMinimumSize(160, self.H)
        self.setMaximumHeight(self.H)
        self.label.align = Qt.AlignLeft | Qt.AlignVCenter

    def sizeHint(self) -> QSize:
        return QSize(320, self.H)

    def label_text(self) -> str:
        return self.text_value("description") or _url_label(self.text_value("url")) or "Audio"

    def glyph_rect(self) -> QRect:
        return QRect(8, (self.H - 32) // 2, 32, 32)

    def label_rect(self) -> QRect | None:
        return QRect(48, 6, max(0, self.width() - 56), self.label.line_height)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        self.paint_frame(p)
        self.glyph.paint(p, self.glyph_rect(), self.ink("foreground"))
        self.label.paint(p, self.label_rect(), self.ink("foreground"))
        p.fillRect(self.track_rect(), QColor(self.theme.border))
        p.end()

    def track_rect(self) -> QRect:
        return QRect(48, self.H - 14, max(0, self.width() - 60), 3)
