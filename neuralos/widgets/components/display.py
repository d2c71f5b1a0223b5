"""Text and Icon: painted text (simple Markdown shown plain) and icon glyphs or SVG paths."""
from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QSizePolicy

from neuralos.scene import PathInk
from neuralos.svg_ink import ICON_PX, fit_icon, paint_ink
from neuralos.widgets.app import BASE_PX, make_font
from neuralos.widgets.components.base import TEXT_MAX_WIDTH, Component
from neuralos.widgets.icons import glyph_for
from neuralos.widgets.text import TextBox

VARIANT_PX = {"h1": 35, "h2": 28, "h3": 24, "h4": 21, "h5": 18, "caption": 12, "body": BASE_PX}


def variant_font(variant: str | None):
    v = variant if variant in VARIANT_PX else "body"
    return make_font(VARIANT_PX[v], bold=v.startswith("h"), italic=False)


_MD = re.compile(r"(\*\*|__|`)")


def markdown_plain(text: str) -> str:
    """Simple Markdown shown as plain text: emphasis and code markers dropped, bullets as dots."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped[:2] in ("- ", "* ", "+ "):
            line = line[: len(line) - len(stripped)] + "\u2022 " + stripped[2:]
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = _MD.sub("", line)
        line = re.sub(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])", r"\1", line)
        line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)
        out.append(line)
    return "\n".join(out)


class TextComp(Component):
    role = "Text"

    def build(self) -> None:
        variant = self.comp.get("variant") or "body"
        self.variant = variant if variant in VARIANT_PX else "body"
        self.box = TextBox("", variant_font(self.variant), wrap=True)
        sp = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)

    def refresh(self) -> None:
        if self.box.set_text(markdown_plain(self.text_value("text"))):
            self.updateGeometry()
            self.update()

    def sizeHint(self) -> QSize:
        w, h = self.box.size_hint(TEXT_MAX_WIDTH)
        return QSize(w, h)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(self.box.natural_width(), 48), self.box.line_height)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        return self.box.height_for_width(max(1, w))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        self.box.paint(p, self.rect(), self.ink("muted" if self.variant == "caption" else "foreground"))
        p.end()

    def scene_info(self, origin, clip) -> dict:
        return {"text": self.box.text, "text_runs": self.box.runs(self.rect(), origin, clip)}


class IconComp(Component):
    role = "Icon"

    def build(self) -> None:
        self.box = TextBox("", make_font(20), wrap=False, align=Qt.AlignCenter)
        self.svg: PathInk | None = None          # a custom icon's ink, in widget coordinates
        self.setFixedSize(ICON_PX, ICON_PX)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)

    def refresh(self) -> None:
        name = self.comp.get("name")
        if isinstance(name, dict) and "svgPath" in name:
            self.svg = fit_icon(str(name["svgPath"]), 0, 0)
            self.name = "svgPath"
            changed = self.box.set_text("" if self.svg is not None else glyph_for(None))
        else:
            self.name = self.value("name")
            changed = self.box.set_text(glyph_for(self.name))
        if changed:
            self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        if self.svg is not None:
            paint_ink(p, self.svg, self.ink())
        else:
            self.box.paint(p, self.rect(), self.ink())
        p.end()

    def scene_info(self, origin, clip) -> dict:
        paths = () if self.svg is None else (replace(self.svg, x=self.svg.x + origin[0], y=self.svg.y + origin[1]),)
        return {"text_runs": self.box.runs(self.rect(), origin, clip), "paths": paths}
