"""The 18 basic-catalog components as Qt widgets.

Every component is a `Component` (a QWidget) that knows its A2UI component, its scene key and its data
scope. `refresh()` re-reads dynamic values from the data model without rebuilding (two-way binding the
other way); user edits write back through `BuildContext.set_data`. `scene_info()` reports what the
widget painted, for the scene: text runs (from the same layout that painted them), parts, states.

All text is painted through `neuralos.widgets.text.TextBox`; media is never fetched (placeholders).
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time as dtime
from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QBoxLayout, QHBoxLayout, QScrollArea, QSizePolicy, QSlider, QStackedLayout,
                               QStyle, QStyleOptionSlider, QVBoxLayout, QWidget)

from neuralos.scene import Box, Part
from neuralos.widgets import _a2ui as a2
from neuralos.widgets.app import BASE_PX, make_font
from neuralos.widgets.editor import LineEditor
from neuralos.widgets.icons import glyph_for
from neuralos.widgets.text import TextBox, line_height

MAX_DEPTH = 64
SPACING = 8
TEXT_MAX_WIDTH = 420

VARIANT_PX = {"h1": 35, "h2": 28, "h3": 24, "h4": 21, "h5": 18, "caption": 12, "body": BASE_PX}
LABEL_PX = 12


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


def _box(r: QRect, origin: tuple[int, int]) -> Box:
    return Box(r.x() + origin[0], r.y() + origin[1], r.width(), r.height())


def _mix(a: str, b: str, t: float) -> QColor:
    ca, cb = QColor(a), QColor(b)
    return QColor(round(ca.red() + (cb.red() - ca.red()) * t), round(ca.green() + (cb.green() - ca.green()) * t),
                  round(ca.blue() + (cb.blue() - ca.blue()) * t))


# -- build context ---------------------------------------------------------------------------------
class BuildContext:
    """Everything the components of one surface share: session, theme, registry, local UI state."""

    def __init__(self, canvas, surface_id: str, theme):
        self.canvas = canvas
        self.sid = surface_id
        self.theme = theme
        self.widgets: dict[str, Component] = {}
        self.local: dict = canvas.local_state.setdefault(surface_id, {})

    @property
    def surface(self):
        return self.canvas.session.surfaces[self.sid]

    def register(self, w: "Component") -> str:
        key, n = w.key, 2
        while key in self.widgets:
            key = f"{w.key}~{n}"
            n += 1
        self.widgets[key] = w
        return key

    def set_data(self, path: str, value: Any) -> None:
        self.canvas.session.set_data(self.sid, path, value)

    def dispatch(self, component: dict, scope: str) -> None:
        self.canvas.dispatch_action(self.sid, component, scope)

    def changed(self) -> None:
        self.canvas.invalidate()

    def build(self, cid: str, scope: str, suffix: str, depth: int, parent: QWidget | None = None):
        comp = self.surface.components.get(cid)
        if not isinstance(comp, dict) or depth > MAX_DEPTH:
            return None
        cls = COMPONENTS.get(comp.get("component"))
        if cls is None:
            return None
        w = cls(self, comp, f"{self.sid}/{cid}{suffix}", scope, suffix, depth, parent)
        w.build()
        w.refresh()
        return w


def ink_role(w: QWidget, default: str) -> str:
    """The text colour a Text/Icon uses: its own, unless a Button around it says otherwise."""
    p = w.parentWidget()
    while p is not None and not isinstance(p, ComponentHost):
        if isinstance(p, ButtonFace):
            return p.ink_role()
        p = p.parentWidget()
    return default


class ComponentHost:
    """Marker for containers that end a component subtree (window bodies, modal panels)."""


# -- base -----------------------------------------------------------------------------------------
class Component(QWidget):
    role = "Text"
    interactive = False

    def __init__(self, ctx: BuildContext, comp: dict, key: str, scope: str, suffix: str, depth: int,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.comp, self.scope, self.suffix, self.depth = ctx, comp, scope, suffix, depth
        self.cid = comp["id"]
        self.key = key
        self.key = ctx.register(self)
        self.child_components: list[Component] = []
        self.template_sig: tuple | None = None

    # -- data -----------------------------------------------------------------------------------
    @property
    def surface(self):
        return self.ctx.surface

    @property
    def theme(self):
        return self.ctx.theme

    def value(self, name: str, default=None):
        v = self.comp.get(name)
        return default if v is None else a2.resolve(self.surface, v, self.scope)

    def text_value(self, name: str) -> str:
        v = self.comp.get(name)
        return "" if v is None else a2.resolve_text(self.surface, v, self.scope)

    def bound_path(self, name: str = "value") -> str | None:
        return a2.binding_path(self.comp.get(name), self.scope)

    def build(self) -> None:
        pass

    def refresh(self) -> None:
        """Re-read dynamic values from the data model (no rebuild)."""

    def build_child(self, cid: str, scope: str | None = None, suffix: str | None = None, parent=None):
        w = self.ctx.build(cid, self.scope if scope is None else scope,
                           self.suffix if suffix is None else suffix, self.depth + 1, parent or self)
        if w is not None:
            self.child_components.append(w)
        return w

    def expand(self) -> list[tuple[str, str, str]]:
        """(child id, scope, key suffix) for the children, templates expanded over their data list."""
        children = self.comp.get("children")
        out = []
        if isinstance(children, dict):
            for i, (cid, scope) in enumerate(self.surface.expand_children(self.comp, self.scope)):
                out.append((cid, scope, f"{self.suffix}#{i}"))
            self.template_sig = tuple(s for _c, s, _x in out)
        elif isinstance(children, list):
            out = [(c, self.scope, self.suffix) for c in children if isinstance(c, str)]
        return out

    def needs_rebuild(self) -> bool:
        """True when a template's data list changed shape (items added/removed)."""
        if self.template_sig is None:
            return False
        now = tuple(s for _c, s in self.surface.expand_children(self.comp, self.scope))
        return now != self.template_sig

    # -- scene ----------------------------------------------------------------------------------
    def states(self) -> set[str]:
        s = set()
        if not self.isEnabled():
            s.add("disabled")
        return s

    def hovered(self, w: QWidget | None = None) -> bool:
        return (w or self).testAttribute(Qt.WA_UnderMouse)

    def focused(self, w: QWidget | None = None) -> bool:
        w = w or self
        return w.hasFocus() or (w.window().focusWidget() is w and w.isVisibleTo(w.window()))

    def scene_info(self, origin: tuple[int, int], clip: Box | None) -> dict:
        return {}

    def ink(self, default: str = "foreground") -> QColor:
        return QColor(self.theme.text_color(ink_role(self, default)))


# -- Text, Icon, media ----------------------------------------------------------------------------
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
    SIZE = 24

    def build(self) -> None:
        self.box = TextBox("", make_font(20), wrap=False, align=Qt.AlignCenter)
        self.svg: QPainterPath | None = None
        self.setFixedSize(self.SIZE, self.SIZE)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)

    def refresh(self) -> None:
        name = self.comp.get("name")
        if isinstance(name, dict) and "svgPath" in name:
            self.svg = svg_path(str(name["svgPath"]))
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
            p.setRenderHint(QPainter.Antialiasing, True)
            b = self.svg.boundingRect()
            scale = (self.SIZE - 2) / max(24.0, b.width(), b.height())
            p.translate(1, 1)
            p.scale(scale, scale)
            p.fillPath(self.svg, self.ink())
        else:
            self.box.paint(p, self.rect(), self.ink())
        p.end()

    def scene_info(self, origin, clip) -> dict:
        return {"text_runs": self.box.runs(self.rect(), origin, clip)}


def svg_path(d: str) -> QPainterPath | None:
    """An SVG path's M/L/H/V/C/S/Q/T/Z commands (absolute and relative) as a QPainterPath."""
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


IMAGE_SIZES = {   # variant -> (preferred w, h, expanding width)
    "icon": (24, 24, False), "avatar": (40, 40, False), "smallFeature": (100, 100, False),
    "mediumFeature": (300, 200, True), "largeFeature": (400, 300, True), "header": (400, 200, True),
}


def _url_label(url: str) -> str:
    tail = re.split(r"[/?#]", url.rstrip("/"))
    name = next((t for t in reversed(tail) if t and "=" not in t), "") if "/" in url else url
    return name[:80]


class MediaComp(Component):
    """Image, Video and AudioPlayer: a labelled placeholder. Nothing named by the state is fetched."""

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
        p.drawRoundedRect(self.rect().toRectF(), 6, 6)

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
                "parts": [Part("placeholder", _box(self.rect(), origin))]}


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

    def paint_frame(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(self.theme.placeholder))
        if self.variant == "avatar":
            p.drawEllipse(self.rect().toRectF())
        else:
            p.drawRoundedRect(self.rect().toRectF(), 2 if self.variant == "icon" else 6, 6)


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


# -- layout containers -----------------------------------------------------------------------------
ALIGN_ROW = {"start": Qt.AlignTop, "center": Qt.AlignVCenter, "end": Qt.AlignBottom}
ALIGN_COL = {"start": Qt.AlignLeft, "center": Qt.AlignHCenter, "end": Qt.AlignRight}


class FlexComp(Component):
    """Row and Column: a box layout honouring justify, align and the children's weights."""

    role = "Row"
    horizontal = True

    def build(self) -> None:
        self.lay = QBoxLayout(QBoxLayout.LeftToRight if self.horizontal else QBoxLayout.TopToBottom, self)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(SPACING)
        self.populate(self.lay, self.comp.get("justify") or "start", self.comp.get("align") or "stretch")

    def populate(self, lay: QBoxLayout, justify: str, align: str) -> None:
        kids = [w for cid, scope, sfx in self.expand() if (w := self.build_child(cid, scope, sfx)) is not None]
        weights = [self._weight(w) for w in kids]
        weighted = any(x is not None for x in weights)
        cross = (ALIGN_ROW if self.horizontal else ALIGN_COL).get(align, Qt.Alignment(0))
        if justify == "stretch" and not weighted:
            weights = [1] * len(kids)
            weighted = True
        gaps = {"start": (0, 0, 1), "end": (1, 0, 0), "center": (1, 0, 1), "spaceBetween": (0, 1, 0),
                "spaceAround": (1, 2, 1), "spaceEvenly": (1, 1, 1)}.get(justify, (0, 0, 1))
        if weighted:
            gaps = (0, 0, 0)
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
        lay = QBoxLayout(QBoxLayout.LeftToRight if self.horizontal else QBoxLayout.TopToBottom, inner)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(SPACING)
        align = self.comp.get("align") or "stretch"
        cross = (ALIGN_ROW if self.horizontal else ALIGN_COL).get(align, Qt.Alignment(0))
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
                parts.append(Part("list.item", _box(r, origin)))
        parts += scrollbar_parts(self.scroll, self, origin)
        return {"parts": parts}


def scrollbar_parts(scroll: QScrollArea, rel: QWidget, origin) -> list[Part]:
    out = []
    for bar in (scroll.verticalScrollBar(), scroll.horizontalScrollBar()):
        if not bar.isVisibleTo(rel):
            continue
        top = QRect(bar.mapTo(rel, QPoint(0, 0)), bar.size())
        out.append(Part("scrollbar", _box(top, origin)))
        opt = QStyleOptionSlider()
        bar.initStyleOption(opt)
        h = bar.style().subControlRect(QStyle.CC_ScrollBar, opt, QStyle.SC_ScrollBarSlider, bar)
        out.append(Part("scrollbar.handle", _box(h.translated(top.topLeft()), origin),
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


# -- Tabs and Modal --------------------------------------------------------------------------------
class TabBar(QWidget):
    """Tab headers, painted here; click or Left/Right to select."""

    PAD_X, PAD_Y = 14, 8

    def __init__(self, owner: "TabsComp"):
        super().__init__(owner)
        self.owner = owner
        self.boxes: list[TextBox] = []
        self.pressed: int | None = None
        self.hover: int | None = None
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)
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

    def sizeHint(self) -> QSize:
        lh = line_height(make_font(BASE_PX, bold=True))
        return QSize(sum(b.natural_width() + 2 * self.PAD_X for b in self.boxes), lh + 2 * self.PAD_Y + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(self.sizeHint().width(), 120), self.sizeHint().height())

    def index_at(self, pos: QPoint) -> int | None:
        return next((i for i, r in enumerate(self.tab_rects()) if r.contains(pos)), None)

    def paintEvent(self, event) -> None:
        theme = self.owner.theme
        p = QPainter(self)
        p.fillRect(QRect(0, self.height() - 1, self.width(), 1), QColor(theme.border))
        sel = self.owner.selected
        for i, (r, b) in enumerate(zip(self.tab_rects(), self.boxes)):
            if i == self.pressed:
                p.fillRect(r, _mix(theme.background, theme.primary, 0.18))
            elif i == self.hover and self.testAttribute(Qt.WA_UnderMouse):
                p.fillRect(r, _mix(theme.background, theme.foreground, 0.06))
            if i == sel:
                p.fillRect(QRect(r.x(), self.height() - 3, r.width(), 3), QColor(theme.primary))
            b.paint(p, r, QColor(theme.text_color("foreground" if i == sel else "muted")))
        if self.owner.focused(self) and 0 <= sel < len(self.boxes):
            p.setPen(QPen(QColor(theme.primary), 1, Qt.DotLine))
            p.setBrush(Qt.NoBrush)
            p.drawRect(self.tab_rects()[sel].adjusted(2, 2, -3, -3))
        p.end()

    def mousePressEvent(self, event) -> None:
        self.pressed = self.index_at(event.position().toPoint())
        if not self.hasFocus():
            self.setFocus(Qt.MouseFocusReason)
        self.update()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        hover = self.index_at(event.position().toPoint())
        if hover != self.hover:
            self.hover = hover
            self.update()
        event.accept()

    def leaveEvent(self, event) -> None:
        self.hover = None
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        i = self.index_at(event.position().toPoint())
        if i is not None and i == self.pressed:
            self.owner.select(i)
        self.pressed = None
        self.update()
        event.accept()

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
        titles = [a2.resolve_text(self.surface, t.get("title"), self.scope) if isinstance(t, dict) else ""
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
            st = set()
            if i == self.bar.hover and self.bar.testAttribute(Qt.WA_UnderMouse):
                st.add("hovered")
            if i == self.bar.pressed:
                st.add("pressed")
            if i == self.selected:
                st.add("selected")
                if self.focused(self.bar):
                    st.add("focused")
            parts.append(Part("tab.selected" if i == self.selected else "tab", _box(r, bar_origin), frozenset(st)))
            runs += b.runs(r, bar_origin, clip)
        return {"text": " ".join(b.text for b in self.bar.boxes), "text_runs": runs, "parts": parts,
                "states": {"focused"} if self.focused(self.bar) else set()}


class ModalComp(Component):
    """Shows its trigger; activating the trigger opens the content over the window with a scrim."""

    role = "Modal"

    def build(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.trigger = None
        if isinstance(self.comp.get("trigger"), str):
            self.trigger = self.build_child(self.comp["trigger"])
        if self.trigger is not None:
            lay.addWidget(self.trigger)
            face = self.trigger.findChild(ButtonFace) if not isinstance(self.trigger, ButtonComp) else self.trigger.face
            if face is not None:
                face.intercept = self.open
            else:
                self.trigger.installEventFilter(self)
                self.trigger.setAttribute(Qt.WA_TransparentForMouseEvents, False)
        self.overlay: ModalOverlay | None = None
        if self.ctx.local.get((self.key, "open")):
            self.ctx.canvas.after_build(self.open)

    def eventFilter(self, obj, event) -> bool:
        from PySide6.QtCore import QEvent
        if event.type() == QEvent.MouseButtonRelease and event.button() == Qt.LeftButton:
            self.open()
            return True
        return False

    def mousePressEvent(self, event) -> None:
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if self.trigger is not None and self.trigger.geometry().contains(event.position().toPoint()):
            self.open()
        event.accept()

    def open(self) -> None:
        if self.overlay is not None:
            return
        host = self.ctx.canvas.modal_host(self.ctx.sid)
        if host is None:
            return
        self.ctx.local[(self.key, "open")] = True
        self.overlay = ModalOverlay(self, host)
        self.ctx.changed()

    def close(self) -> None:
        self.ctx.local.pop((self.key, "open"), None)
        if self.overlay is not None:
            ov, self.overlay = self.overlay, None
            fw = self.window().focusWidget()
            if fw is not None and (fw is ov or ov.isAncestorOf(fw)):
                fw.clearFocus()
            for w in ov.findChildren(Component):
                self.ctx.widgets.pop(w.key, None)
            ov.hide()
            ov.deleteLater()
            face = self.trigger.findChild(ButtonFace) if self.trigger is not None else None
            if face is not None and face.isVisibleTo(self.window()):
                face.setFocus(Qt.OtherFocusReason)
            self.ctx.changed()

    @property
    def is_open(self) -> bool:
        return self.overlay is not None


class ModalOverlay(QWidget, ComponentHost):
    """The scrim over the window body and the centred panel holding the modal's content."""

    PAD = 20

    def __init__(self, modal: ModalComp, host: QWidget):
        super().__init__(host)
        self.modal = modal
        self.key = modal.key + "@overlay"
        self.setGeometry(host.rect())
        self.panel = QWidget(self)
        lay = QVBoxLayout(self.panel)
        lay.setContentsMargins(self.PAD, self.PAD + 12, self.PAD, self.PAD)
        self.content = None
        if isinstance(modal.comp.get("content"), str):
            self.content = modal.build_child(modal.comp["content"], parent=self.panel)
            if self.content is not None:
                lay.addWidget(self.content)
        self.close_btn = ChromeButton("✕", self.panel, modal.close, modal)
        self.setFocusPolicy(Qt.StrongFocus)
        self.layout_panel()
        self.show()
        self.raise_()
        host.installEventFilter(self)
        first = next((w for w in self.panel.findChildren(QWidget)
                      if w.focusPolicy() & Qt.TabFocus and w.isEnabled() and w.isVisibleTo(self)), None)
        (first or self).setFocus(Qt.PopupFocusReason)

    def eventFilter(self, obj, event) -> bool:
        from PySide6.QtCore import QEvent
        if obj is self.parentWidget() and event.type() == QEvent.Resize:
            self.setGeometry(obj.rect())
            self.layout_panel()
        return False

    def layout_panel(self) -> None:
        self.panel.layout().activate()
        hint = self.panel.sizeHint()
        w = min(max(hint.width(), 240), self.width() - 32)
        h = self.panel.heightForWidth(w) if self.panel.hasHeightForWidth() else hint.height()
        h = min(max(h, hint.height()), self.height() - 32)
        self.panel.setGeometry((self.width() - w) // 2, (self.height() - h) // 2, w, h)
        self.close_btn.setGeometry(w - 28, 6, 22, 22)

    def paintEvent(self, event) -> None:
        from neuralos.widgets.theme import SCRIM_ALPHA
        theme = self.modal.theme
        p = QPainter(self)
        scrim = QColor(theme.scrim)
        scrim.setAlpha(SCRIM_ALPHA)
        p.fillRect(self.rect(), scrim)
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(QPen(QColor(theme.border), 1))
        p.setBrush(QColor(theme.background))
        p.drawRoundedRect(QRectF(self.panel.geometry()).adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)
        p.end()

    def mousePressEvent(self, event) -> None:
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        if not self.panel.geometry().contains(event.position().toPoint()):
            self.modal.close()
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape:
            self.modal.close()
            event.accept()
        else:
            event.ignore()


class ChromeButton(QWidget):
    """A small glyph button (window close/minimise, modal close)."""

    def __init__(self, glyph: str, parent: QWidget, on_click, owner):
        super().__init__(parent)
        self.on_click, self.owner = on_click, owner
        self.box = TextBox(glyph, make_font(13), wrap=False, align=Qt.AlignCenter)
        self.down = False
        self.danger = glyph == "✕"
        self.setFocusPolicy(Qt.NoFocus)

    def paintEvent(self, event) -> None:
        theme = self.owner.theme
        p = QPainter(self)
        hovered = self.testAttribute(Qt.WA_UnderMouse)
        if self.down or hovered:
            p.setRenderHint(QPainter.Antialiasing, True)
            p.setPen(Qt.NoPen)
            base = theme.error if self.danger else theme.foreground
            p.setBrush(_mix(theme.background, base, 0.45 if self.down else 0.25))
            p.drawRoundedRect(self.rect().toRectF(), 4, 4)
        self.box.paint(p, self.rect(), QColor(theme.text_color("title_text")))
        p.end()

    def mousePressEvent(self, event) -> None:
        self.down = event.button() == Qt.LeftButton
        self.update()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        was, self.down = self.down, False
        self.update()
        event.accept()
        if was and self.rect().contains(event.position().toPoint()):
            self.on_click()

    def states(self) -> set[str]:
        s = set()
        if self.testAttribute(Qt.WA_UnderMouse):
            s.add("hovered")
        if self.down:
            s.add("pressed")
        return s


# -- Button ----------------------------------------------------------------------------------------
class ButtonFace(QWidget):
    """The clickable face of a Button; its A2UI child is laid out inside."""

    def __init__(self, owner: "ButtonComp"):
        super().__init__(owner)
        self.owner = owner
        self.down = False
        self.intercept = None     # a Modal trigger opens the modal instead of dispatching
        self.setFocusPolicy(Qt.StrongFocus)
        self.setCursor(Qt.PointingHandCursor)

    def ink_role(self) -> str:
        if not self.isEnabled():
            return "muted"
        return {"primary": "on_primary", "borderless": "primary"}.get(self.owner.variant, "foreground")

    def paintEvent(self, event) -> None:
        theme, variant = self.owner.theme, self.owner.variant
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        r = self.rect().toRectF().adjusted(0.5, 0.5, -0.5, -0.5)
        hovered = self.testAttribute(Qt.WA_UnderMouse)
        enabled = self.isEnabled()
        if variant == "primary":
            fill = QColor(theme.primary) if enabled else QColor(theme.border)
            if enabled and self.down:
                fill = _mix(theme.primary, "#000000", 0.25)
            elif enabled and hovered:
                fill = _mix(theme.primary, "#000000", 0.12)
            p.setPen(Qt.NoPen)
            p.setBrush(fill)
            p.drawRoundedRect(r, 6, 6)
        elif variant == "borderless":
            if enabled and (self.down or hovered):
                p.setPen(Qt.NoPen)
                p.setBrush(_mix(theme.background, theme.primary, 0.22 if self.down else 0.1))
                p.drawRoundedRect(r, 6, 6)
        else:
            fill = QColor(theme.button)
            if enabled and self.down:
                fill = _mix(theme.button, theme.foreground, 0.18)
            elif enabled and hovered:
                fill = _mix(theme.button, theme.foreground, 0.08)
            p.setPen(QPen(QColor(theme.border), 1))
            p.setBrush(fill)
            p.drawRoundedRect(r, 6, 6)
        if self.owner.focused(self) and enabled:
            p.setPen(QPen(QColor(theme.primary), 2))
            p.setBrush(Qt.NoBrush)
            p.drawRoundedRect(self.rect().toRectF().adjusted(1, 1, -1, -1), 6, 6)
        p.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.down = True
            if not self.hasFocus():
                self.setFocus(Qt.MouseFocusReason)
            self.update()
            self.owner.ctx.changed()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        was, self.down = self.down, False
        self.update()
        self.owner.ctx.changed()
        event.accept()
        if was and event.button() == Qt.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activate()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Space, Qt.Key_Return, Qt.Key_Enter) and not event.isAutoRepeat():
            self.activate()
            event.accept()
        else:
            event.ignore()

    def activate(self) -> None:
        if not self.isEnabled():
            return
        if self.intercept is not None:
            self.intercept()
        else:
            self.owner.ctx.dispatch(self.owner.comp, self.owner.scope)


class Validated:
    """Mixin: a failed-check message (the first failing check) painted under the control."""

    def init_validation(self) -> None:
        self.msg = TextBox("", make_font(LABEL_PX), wrap=True)

    def check_messages(self) -> list[str]:
        try:
            return a2.failed_checks(self.surface, self.comp, self.scope)
        except Exception:  # noqa: BLE001 - a broken check must not take the window down
            return []

    def msg_height(self, width: int) -> int:
        return self.msg.height_for_width(max(1, width)) + 2 if self.msg.text else 0


class ButtonComp(Component, Validated):
    role = "Button"
    interactive = True

    def build(self) -> None:
        self.variant = self.comp.get("variant") if self.comp.get("variant") in ("primary", "borderless") else "default"
        self.init_validation()
        self.face = ButtonFace(self)
        lay = QHBoxLayout(self.face)
        lay.setSpacing(6)
        self.child = None
        if isinstance(self.comp.get("child"), str):
            self.child = self.build_child(self.comp["child"], parent=self.face)
            if self.child is not None:
                lay.addWidget(self.child, 0, Qt.AlignCenter)
        if self.variant == "borderless":
            m = (4, 2)
        elif isinstance(self.child, IconComp):
            m = (6, 3)          # icon-only buttons: square-ish, as tall as text buttons
        else:
            m = (14, 7)
        lay.setContentsMargins(m[0], m[1], m[0], m[1])
        weighted = isinstance(self.comp.get("weight"), (int, float)) and self.comp["weight"] > 0
        self.setSizePolicy(QSizePolicy.Expanding if weighted else QSizePolicy.Maximum, QSizePolicy.Fixed)

    def refresh(self) -> None:
        msgs = self.check_messages()
        self.face.setEnabled(not msgs)
        if self.msg.set_text(msgs[0] if msgs else ""):
            self.updateGeometry()
        self.update()
        self.face.update()

    def face_size(self) -> QSize:
        return self.face.layout().sizeHint().expandedTo(QSize(32, 24))

    def sizeHint(self) -> QSize:
        f = self.face_size()
        w = max(f.width(), min(self.msg.natural_width(), 280) if self.msg.text else 0)
        return QSize(w, f.height() + self.msg_height(w))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def resizeEvent(self, event) -> None:
        f = self.face_size()
        self.face.setGeometry(0, 0, min(self.width(), max(f.width(), self.width() if self.stretch_face() else 0)),
                              f.height())

    def stretch_face(self) -> bool:
        return self.sizePolicy().horizontalPolicy() == QSizePolicy.Expanding

    def msg_rect(self) -> QRect:
        top = self.face.height() + 2
        return QRect(0, top, self.width(), self.height() - top)

    def paintEvent(self, event) -> None:
        if self.msg.text:
            p = QPainter(self)
            self.msg.paint(p, self.msg_rect(), QColor(self.theme.text_color("error")))
            p.end()

    def states(self) -> set[str]:
        s = set()
        if not self.face.isEnabled():
            s |= {"disabled", "invalid"}
        if self.hovered(self.face):
            s.add("hovered")
        if self.face.down:
            s.add("pressed")
        if self.focused(self.face):
            s.add("focused")
        return s

    def scene_info(self, origin, clip) -> dict:
        face = _box(self.face.geometry(), origin)
        parts = []
        if self.variant != "default":
            parts.append(Part("button." + self.variant, face))
        runs = []
        if self.msg.text:
            mr = self.msg_rect()
            parts.append(Part("validation.error", _box(mr, origin)))
            runs = self.msg.runs(mr, origin, clip)
        label = " ".join(t.box.text for t in self.face.findChildren(TextComp) if t.box.text)
        return {"box": face, "parts": parts, "text_runs": runs,
                "text": " ".join(t for t in (label, self.msg.text) if t)}


# -- inputs ----------------------------------------------------------------------------------------
class LabeledInput(Component, Validated):
    """Label above, control, failed-check message below (TextField, DateTimeInput, Slider, ChoicePicker)."""

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

    def set_message(self, text: str) -> None:
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
        return [Part("validation.error", _box(r, origin))], self.msg.runs(r, origin, clip)

    def editor_parts(self, ed: LineEditor, origin, clip) -> tuple[list, list]:
        eo = (origin[0] + ed.x(), origin[1] + ed.y())
        st = set()
        if self.focused(ed):
            st.add("focused")
        if self.hovered(ed):
            st.add("hovered")
        if ed.invalid:
            st.add("invalid")
        parts = [Part("input.frame", _box(ed.rect(), eo), frozenset(st))]
        inner = _box(ed.inner_rect(), eo)
        for r in ed.selection_rects():
            parts.append(Part("input.selection", _box(r, eo)))
        if self.focused(ed) and ed.isEnabled():
            cur = _box(ed.cursor_rect(), eo).intersect(inner.grow(1))
            if cur is not None:
                parts.append(Part("input.cursor", cur))
        from neuralos.widgets.text import font_flags
        from neuralos.scene import TextRun
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


class TextFieldComp(LabeledInput):
    role = "TextField"

    def build(self) -> None:
        self.init_label()
        variant = self.comp.get("variant") or "shortText"
        self.editor = LineEditor(self.ctx, multiline=variant == "longText", obscured=variant == "obscured",
                                 number=variant == "number", parent=self)
        self.lay.addWidget(self.editor)
        self.finish_layout()
        self.editor.text_edited.connect(self._edited)
        self.editor.submitted.connect(self._submitted)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def _edited(self, text: str) -> None:
        path = self.bound_path()
        if path is not None:
            self.ctx.set_data(path, text)
        else:
            self.ctx.local[(self.key, "value")] = text
            self.refresh()
        self.ctx.changed()

    def _submitted(self) -> None:
        self.ctx.changed()

    def current_value(self) -> str:
        if self.bound_path() is None and (self.key, "value") in self.ctx.local:
            return self.ctx.local[(self.key, "value")]
        return self.text_value("value")

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        value = self.current_value()
        self.editor.set_text(value)
        msgs = self.check_messages()
        pattern = self.comp.get("validationRegexp")
        if isinstance(pattern, str) and value:
            try:
                if re.fullmatch(pattern, value) is None:
                    msgs.append("Does not match the expected format")
            except re.error:
                pass
        self.set_message(msgs[0] if msgs else "")
        self.editor.invalid = bool(msgs)
        self.editor.update()

    def scene_info(self, origin, clip) -> dict:
        parts, runs = self.editor_parts(self.editor, origin, clip)
        mparts, mruns = self.msg_info(origin, clip)
        shown = self.editor.display_text()
        text = " ".join(t for t in (self.label.text, shown, self.msg.text) if t)
        return {"text": text, "text_runs": self.label_runs(origin, clip) + runs + mruns, "parts": parts + mparts,
                "states": {"focused"} if self.focused(self.editor) else set()}


class CheckBoxComp(Component, Validated):
    role = "CheckBox"
    interactive = True
    IND = 18

    def build(self) -> None:
        self.box = TextBox("", make_font(BASE_PX), wrap=True)
        self.init_validation()
        self.down = False
        self.checked = False
        self.setFocusPolicy(Qt.StrongFocus)
        sp = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    def refresh(self) -> None:
        changed = self.box.set_text(self.text_value("label"))
        local = self.ctx.local.get((self.key, "value"))
        self.checked = bool(a2.truthy(self.value("value"))) if local is None or self.bound_path() else local
        msgs = self.check_messages()
        changed |= self.msg.set_text(msgs[0] if msgs else "")
        if changed:
            self.updateGeometry()
        self.update()

    def text_x(self) -> int:
        return self.IND + 8

    def sizeHint(self) -> QSize:
        w = self.text_x() + min(self.box.natural_width(), TEXT_MAX_WIDTH)
        return QSize(w, self.heightForWidth(w))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        tw = max(1, w - self.text_x())
        return max(self.IND + 4, self.box.height_for_width(tw)) + self.msg_height(tw)

    def label_rect(self) -> QRect:
        tw = max(1, self.width() - self.text_x())
        h = max(self.IND + 4, self.box.height_for_width(tw))
        lh = self.box.line_height
        top = (self.IND + 4 - lh) // 2 if self.box.height_for_width(tw) <= lh else 0
        return QRect(self.text_x(), max(0, top), tw, h)

    def indicator_rect(self) -> QRect:
        return QRect(1, 2, self.IND, self.IND)

    def msg_rect(self) -> QRect:
        tw = max(1, self.width() - self.text_x())
        top = max(self.IND + 4, self.box.height_for_width(tw))
        return QRect(self.text_x(), top, tw, self.height() - top)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        paint_indicator(p, self.indicator_rect(), self.theme, self.checked, radio=False,
                        hovered=self.hovered(), pressed=self.down, focused=self.focused(),
                        enabled=self.isEnabled(), invalid=bool(self.msg.text))
        self.box.paint(p, self.label_rect(), self.ink())
        if self.msg.text:
            self.msg.paint(p, self.msg_rect(), QColor(self.theme.text_color("error")))
        p.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.down = True
            if not self.hasFocus():
                self.setFocus(Qt.MouseFocusReason)
            self.update()
            self.ctx.changed()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        was, self.down = self.down, False
        if was and self.rect().contains(event.position().toPoint()):
            self.toggle()
        self.update()
        self.ctx.changed()
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space:
            self.toggle()
            event.accept()
        else:
            event.ignore()

    def toggle(self) -> None:
        new = not self.checked
        path = self.bound_path()
        if path is not None:
            self.ctx.set_data(path, new)
        else:
            self.ctx.local[(self.key, "value")] = new
            self.refresh()
        self.ctx.changed()

    def states(self) -> set[str]:
        s = super().states()
        if self.checked:
            s.add("checked")
        if self.hovered():
            s.add("hovered")
        if self.down:
            s.add("pressed")
        if self.focused():
            s.add("focused")
        if self.msg.text:
            s.add("invalid")
        return s

    def scene_info(self, origin, clip) -> dict:
        st = frozenset(s for s in self.states() if s in ("checked", "hovered", "pressed", "focused"))
        parts = [Part("check.indicator", _box(self.indicator_rect(), origin), st)]
        runs = self.box.runs(self.label_rect(), origin, clip)
        if self.msg.text:
            parts.append(Part("validation.error", _box(self.msg_rect(), origin)))
            runs += self.msg.runs(self.msg_rect(), origin, clip)
        return {"text": " ".join(t for t in (self.box.text, self.msg.text) if t), "text_runs": runs, "parts": parts}


def paint_indicator(p: QPainter, r: QRect, theme, checked: bool, *, radio: bool, hovered=False, pressed=False,
                    focused=False, enabled=True, invalid=False) -> None:
    p.save()
    p.setRenderHint(QPainter.Antialiasing, True)
    rf = QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5)
    primary = theme.primary if enabled else theme.border
    if checked:
        p.setPen(QPen(QColor(primary), 1))
        p.setBrush(_mix(primary, "#000000", 0.15) if pressed else QColor(primary))
    else:
        edge = theme.error if invalid else theme.primary if (hovered or focused) and enabled else theme.border
        p.setPen(QPen(QColor(edge), 1.5 if (hovered or focused or invalid) else 1))
        p.setBrush(_mix(theme.base, theme.foreground, 0.12) if pressed else QColor(theme.base))
    if radio:
        p.drawEllipse(rf)
        if checked:
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(theme.on_primary))
            c = rf.center()
            p.drawEllipse(c, r.width() * 0.2, r.height() * 0.2)
    else:
        p.drawRoundedRect(rf, 3, 3)
        if checked:
            pen = QPen(QColor(theme.on_primary), 2)
            pen.setCapStyle(Qt.RoundCap)
            pen.setJoinStyle(Qt.RoundJoin)
            p.setPen(pen)
            x, y, w, h = rf.x(), rf.y(), rf.width(), rf.height()
            path = QPainterPath(QPointF(x + w * 0.24, y + h * 0.52))
            path.lineTo(QPointF(x + w * 0.43, y + h * 0.70))
            path.lineTo(QPointF(x + w * 0.77, y + h * 0.32))
            p.setBrush(Qt.NoBrush)
            p.drawPath(path)
    if focused and enabled:
        p.setPen(QPen(_mix(theme.background, theme.primary, 0.5), 2))
        p.setBrush(Qt.NoBrush)
        if radio:
            p.drawEllipse(rf.adjusted(-2.5, -2.5, 2.5, 2.5))
        else:
            p.drawRoundedRect(rf.adjusted(-2.5, -2.5, 2.5, 2.5), 4, 4)
    p.restore()


class OptionsView(QWidget):
    """ChoicePicker options: a vertical list with check/radio indicators, or wrapping chips."""

    ROW_PAD = 6
    IND = 16
    CHIP_PAD_X, CHIP_PAD_Y, CHIP_GAP = 12, 5, 6

    def __init__(self, owner: "ChoicePickerComp"):
        super().__init__(owner)
        self.owner = owner
        self.font_ = make_font(BASE_PX)
        self.boxes: list[TextBox] = []
        self.values: list[str] = []
        self.current = 0
        self.hover: int | None = None
        self.pressed: int | None = None
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)
        sp = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    @property
    def chips(self) -> bool:
        return self.owner.chips

    def set_options(self, options: list[tuple[str, str]]) -> None:
        if [(b.text, v) for b, v in zip(self.boxes, self.values)] == options and len(options) == len(self.boxes):
            return
        self.boxes = [TextBox(label, self.font_, wrap=not self.chips, align=Qt.AlignLeft | Qt.AlignVCenter)
                      for label, _v in options]
        self.values = [v for _l, v in options]
        self.current = min(self.current, max(0, len(options) - 1))
        self.updateGeometry()
        self.update()

    def rects(self, width: int) -> list[QRect]:
        out = []
        lh = line_height(self.font_)
        if self.chips:
            x = y = 0
            h = lh + 2 * self.CHIP_PAD_Y
            for b in self.boxes:
                w = b.natural_width() + 2 * self.CHIP_PAD_X
                if x and x + w > width:
                    x, y = 0, y + h + self.CHIP_GAP
                out.append(QRect(x, y, min(w, max(1, width)), h))
                x += w + self.CHIP_GAP
        else:
            y = 0
            tw = max(1, width - self.IND - 16)
            for b in self.boxes:
                h = max(self.IND, b.height_for_width(tw)) + 2 * self.ROW_PAD
                out.append(QRect(0, y, width, h))
                y += h
        return out

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        rs = self.rects(w)
        return rs[-1].bottom() + 1 if rs else 0

    def sizeHint(self) -> QSize:
        if self.chips:
            w = min(480, sum(b.natural_width() + 2 * self.CHIP_PAD_X + self.CHIP_GAP for b in self.boxes))
        else:
            w = self.IND + 16 + min(TEXT_MAX_WIDTH, max((b.natural_width() for b in self.boxes), default=0))
        return QSize(max(w, 40), self.heightForWidth(max(w, 40)))

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self.heightForWidth(80) if not self.chips else 0)

    def indicator_rect(self, r: QRect) -> QRect:
        return QRect(r.x() + 4, r.y() + self.ROW_PAD + (line_height(self.font_) - self.IND) // 2,
                     self.IND, self.IND)

    def label_rect(self, r: QRect) -> QRect:
        if self.chips:
            return QRect(r.x() + self.CHIP_PAD_X, r.y(), r.width() - 2 * self.CHIP_PAD_X, r.height())
        return QRect(r.x() + self.IND + 12, r.y() + self.ROW_PAD, r.width() - self.IND - 16,
                     r.height() - 2 * self.ROW_PAD)

    def visible_indexes(self) -> list[int]:
        return self.owner.visible_indexes()

    def layout_items(self) -> list[tuple[int, QRect]]:
        idx = self.visible_indexes()
        saved = self.boxes
        self.boxes = [saved[i] for i in idx]
        try:
            rs = self.rects(self.width())
        finally:
            self.boxes = saved
        return list(zip(idx, rs))

    def paintEvent(self, event) -> None:
        theme = self.owner.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        selected = self.owner.selected
        focused = self.owner.focused(self)
        for i, r in self.layout_items():
            on = self.values[i] in selected
            hovered = i == self.hover and self.testAttribute(Qt.WA_UnderMouse)
            pressed = i == self.pressed
            if self.chips:
                rf = QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5)
                fill = _mix(theme.background, theme.primary, 0.18) if on else QColor(theme.button)
                if hovered or pressed:
                    fill = _mix(fill.name(), theme.foreground, 0.12 if pressed else 0.06)
                p.setPen(QPen(QColor(theme.primary if on else theme.border), 1))
                p.setBrush(fill)
                p.drawRoundedRect(rf, r.height() / 2, r.height() / 2)
                if focused and i == self.current:
                    p.setPen(QPen(QColor(theme.primary), 2))
                    p.setBrush(Qt.NoBrush)
                    p.drawRoundedRect(rf.adjusted(1, 1, -1, -1), r.height() / 2, r.height() / 2)
                self.boxes[i].paint(p, self.label_rect(r), QColor(theme.text_color("foreground")))
            else:
                if hovered or pressed:
                    p.fillRect(r, _mix(theme.background, theme.foreground, 0.1 if pressed else 0.05))
                paint_indicator(p, self.indicator_rect(r), theme, on, radio=not self.owner.multiple,
                                hovered=hovered, pressed=pressed, focused=focused and i == self.current)
                self.boxes[i].paint(p, self.label_rect(r), QColor(theme.text_color("foreground")))
        p.end()

    def index_at(self, pos: QPoint) -> int | None:
        return next((i for i, r in self.layout_items() if r.contains(pos)), None)

    def mousePressEvent(self, event) -> None:
        self.pressed = self.index_at(event.position().toPoint())
        if not self.hasFocus():
            self.setFocus(Qt.MouseFocusReason)
        if self.pressed is not None:
            self.current = self.pressed
        self.update()
        self.owner.ctx.changed()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        h = self.index_at(event.position().toPoint())
        if h != self.hover:
            self.hover = h
            self.update()
            self.owner.ctx.changed()
        event.accept()

    def leaveEvent(self, event) -> None:
        self.hover = None
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        i = self.index_at(event.position().toPoint())
        if i is not None and i == self.pressed:
            self.owner.toggle(i)
        self.pressed = None
        self.update()
        self.owner.ctx.changed()
        event.accept()

    def keyPressEvent(self, event) -> None:
        idx = self.visible_indexes()
        if not idx:
            event.ignore()
            return
        pos = idx.index(self.current) if self.current in idx else 0
        if event.key() in (Qt.Key_Up, Qt.Key_Left):
            self.current = idx[max(0, pos - 1)]
        elif event.key() in (Qt.Key_Down, Qt.Key_Right):
            self.current = idx[min(len(idx) - 1, pos + 1)]
        elif event.key() in (Qt.Key_Space, Qt.Key_Return, Qt.Key_Enter):
            self.owner.toggle(self.current)
        else:
            event.ignore()
            return
        self.update()
        self.owner.ctx.changed()
        event.accept()


class ChoicePickerComp(LabeledInput):
    role = "ChoicePicker"

    def build(self) -> None:
        self.init_label()
        self.multiple = self.comp.get("variant") == "multipleSelection"
        self.chips = self.comp.get("displayStyle") == "chips"
        self.selected: list[str] = []
        self.filter = None
        if self.comp.get("filterable") is True:
            self.filter = LineEditor(self.ctx, parent=self)
            self.filter.placeholder = "Filter"
            self.filter.text_edited.connect(self._filtered)
            self.lay.addWidget(self.filter)
        self.view = OptionsView(self)
        self.lay.addWidget(self.view)
        self.finish_layout()
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)

    def _filtered(self, text: str) -> None:
        self.ctx.local[(self.key, "filter")] = text
        self.view.updateGeometry()
        self.view.update()
        self.ctx.changed()

    def visible_indexes(self) -> list[int]:
        q = (self.filter.text() if self.filter is not None else "").casefold()
        return [i for i, b in enumerate(self.view.boxes) if q in b.text.casefold()]

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        opts = []
        for o in self.comp.get("options") or ():
            if isinstance(o, dict):
                opts.append((a2.resolve_text(self.surface, o.get("label"), self.scope), str(o.get("value", ""))))
        self.view.set_options(opts)
        if self.filter is not None:
            self.filter.set_text(self.ctx.local.get((self.key, "filter"), ""))
        local = self.ctx.local.get((self.key, "value"))
        value = self.value("value") if local is None or self.bound_path() else local
        if isinstance(value, str):
            value = [value]
        self.selected = [str(v) for v in value] if isinstance(value, list) else []
        msgs = self.check_messages()
        self.set_message(msgs[0] if msgs else "")
        self.view.update()
        self.update()

    def toggle(self, i: int) -> None:
        v = self.view.values[i]
        if self.multiple:
            new = [x for x in self.selected if x != v] if v in self.selected else self.selected + [v]
        else:
            new = [v]
        path = self.bound_path()
        if path is not None:
            self.ctx.set_data(path, new)
        else:
            self.ctx.local[(self.key, "value")] = new
            self.refresh()
        self.ctx.changed()

    def scene_info(self, origin, clip) -> dict:
        vo = (origin[0] + self.view.x(), origin[1] + self.view.y())
        parts, runs = [], self.label_runs(origin, clip)
        if self.filter is not None:
            fparts, fruns = self.editor_parts(self.filter, origin, clip)
            parts += fparts
            runs += fruns
        focused = self.focused(self.view)
        shown = []
        for i, r in self.view.layout_items():
            st = set()
            if self.view.values[i] in self.selected:
                st |= {"checked", "selected"}
            if i == self.view.hover and self.view.testAttribute(Qt.WA_UnderMouse):
                st.add("hovered")
            if i == self.view.pressed:
                st.add("pressed")
            if focused and i == self.view.current:
                st.add("focused")
            st = frozenset(st)
            if self.chips:
                parts.append(Part("chip.selected" if "selected" in st else "chip", _box(r, vo), st))
            else:
                parts.append(Part("list.item", _box(r, vo), st))
                parts.append(Part("check.indicator" if self.multiple else "radio.indicator",
                                  _box(self.view.indicator_rect(r), vo), st))
            runs += self.view.boxes[i].runs(self.view.label_rect(r), vo, clip)
            shown.append(self.view.boxes[i].text)
        mparts, mruns = self.msg_info(origin, clip)
        text = " ".join(t for t in [self.label.text, *shown, self.msg.text] if t)
        return {"text": text, "text_runs": runs + mruns, "parts": parts + mparts,
                "states": {"focused"} if focused or (self.filter is not None and self.focused(self.filter)) else set()}


def _fmt_number(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


class SliderComp(LabeledInput):
    role = "Slider"
    TICKS = 1000

    def build(self) -> None:
        self.init_label()
        row = QHBoxLayout()
        row.setSpacing(10)
        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setFocusPolicy(Qt.StrongFocus)
        self.slider.setMinimumWidth(120)
        self.value_box = TextBox("", make_font(LABEL_PX), wrap=False, align=Qt.AlignRight | Qt.AlignVCenter)
        self.value_space = QWidget(self)
        self.value_space.setAttribute(Qt.WA_TransparentForMouseEvents)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_space)
        self.lay.addLayout(row)
        self.finish_layout()
        self.lo, self.hi = 0.0, 1.0
        self.num = 0.0
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderPressed.connect(self.ctx.changed)
        self.slider.sliderReleased.connect(self.ctx.changed)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def _range(self) -> tuple[float, float, bool]:
        lo = self.comp.get("min", 0)
        hi = self.comp.get("max", 100)
        lo = float(lo) if isinstance(lo, (int, float)) else 0.0
        hi = float(hi) if isinstance(hi, (int, float)) else 100.0
        if hi <= lo:
            hi = lo + 1
        integral = lo.is_integer() and hi.is_integer() and hi - lo <= self.TICKS and hi - lo >= 2
        return lo, hi, integral

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        self.lo, self.hi, self.integral = self._range()
        ticks = int(self.hi - self.lo) if self.integral else self.TICKS
        local = self.ctx.local.get((self.key, "value"))
        raw = self.value("value") if local is None or self.bound_path() else local
        try:
            v = float(raw)
            if math.isnan(v) or math.isinf(v):
                v = self.lo
        except (TypeError, ValueError):
            v = self.lo
        self.num = min(max(v, self.lo), self.hi)
        self.slider.blockSignals(True)
        self.slider.setRange(0, ticks)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(1, ticks // 10))
        self.slider.setValue(int(round((self.num - self.lo) / (self.hi - self.lo) * ticks)))
        self.slider.blockSignals(False)
        self.value_box.set_text(_fmt_number(self.num))
        widest = max(self.value_box.natural_width(), TextBox(_fmt_number(self.hi), make_font(LABEL_PX)).natural_width(),
                     TextBox(_fmt_number(self.lo), make_font(LABEL_PX)).natural_width())
        self.value_space.setFixedSize(widest, self.slider.sizeHint().height())
        msgs = self.check_messages()
        self.set_message(msgs[0] if msgs else "")
        self.update()

    def _moved(self, tick: int) -> None:
        ticks = self.slider.maximum() or 1
        v = self.lo + (self.hi - self.lo) * tick / ticks
        v = round(v) if self.integral else round(v, 6)
        path = self.bound_path()
        if path is not None:
            self.ctx.set_data(path, v)
        else:
            self.ctx.local[(self.key, "value")] = v
            self.refresh()
        self.ctx.changed()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        p = QPainter(self)
        self.value_box.paint(p, self.value_space.geometry(), QColor(self.theme.text_color("muted")))
        p.end()

    def scene_info(self, origin, clip) -> dict:
        so = (origin[0] + self.slider.x(), origin[1] + self.slider.y())
        opt = QStyleOptionSlider()
        self.slider.initStyleOption(opt)
        style = self.slider.style()
        groove = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self.slider)
        handle = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self.slider)
        st = set()
        if self.slider.isSliderDown():
            st.add("pressed")
        if self.hovered(self.slider):
            st.add("hovered")
        if self.focused(self.slider):
            st.add("focused")
        parts = [Part("slider.groove", _box(groove, so))]
        filled_w = handle.center().x() - groove.x()
        if filled_w > 0:
            parts.append(Part("slider.filled", _box(QRect(groove.x(), groove.y(), filled_w, groove.height()), so)))
        parts.append(Part("slider.handle", _box(handle, so), frozenset(st)))
        runs = self.label_runs(origin, clip) + self.value_box.runs(self.value_space.geometry(), origin, clip)
        mparts, mruns = self.msg_info(origin, clip)
        frac = (self.num - self.lo) / (self.hi - self.lo)
        text = " ".join(t for t in (self.label.text, self.value_box.text, self.msg.text) if t)
        return {"text": text, "text_runs": runs + mruns, "parts": parts + mparts, "value": float(frac),
                "states": st - {"hovered"}}


# -- DateTimeInput -----------------------------------------------------------------------------------
def parse_iso(text: str):
    """A date, time or datetime from ISO 8601 text (also 'YYYY-MM-DD HH:MM'); None if not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    t = text.strip().replace("Z", "+00:00")
    for parser in (datetime.fromisoformat, date.fromisoformat, dtime.fromisoformat):
        try:
            return parser(t)
        except ValueError:
            continue
    return None


class DateTimeComp(LabeledInput):
    role = "DateTimeInput"

    def build(self) -> None:
        self.init_label()
        self.use_date = bool(self.comp.get("enableDate"))
        self.use_time = bool(self.comp.get("enableTime"))
        if not (self.use_date or self.use_time):
            self.use_date = self.use_time = True
        self.editor = LineEditor(self.ctx, parent=self)
        self.editor.placeholder = " ".join(x for x in ("YYYY-MM-DD" if self.use_date else "",
                                                        "HH:MM" if self.use_time else "") if x)
        self.editor.setFixedWidth(max(160, self.editor.sizeHint().width() - 40))
        self.lay.addWidget(self.editor)
        self.finish_layout()
        self.editor.submitted.connect(self.commit)
        self.editor.editing_finished.connect(self.commit)
        self.editor.text_edited.connect(self._typing)
        self.editor.keyPressEvent = self._editor_key(self.editor.keyPressEvent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def _editor_key(self, original):
        def handler(event):
            if event.key() in (Qt.Key_Up, Qt.Key_Down):
                self.step(1 if event.key() == Qt.Key_Up else -1)
                event.accept()
            else:
                original(event)
        return handler

    def fmt(self, v) -> str:
        if isinstance(v, datetime):
            parts = [v.strftime("%Y-%m-%d") if self.use_date else "", v.strftime("%H:%M") if self.use_time else ""]
        elif isinstance(v, date):
            parts = [v.strftime("%Y-%m-%d") if self.use_date else "", "00:00" if self.use_time else ""]
        elif isinstance(v, dtime):
            parts = ["", v.strftime("%H:%M")] if self.use_time else ["", ""]
        else:
            return ""
        return " ".join(p for p in parts if p)

    def to_iso(self, v) -> str:
        if self.use_date and self.use_time:
            return v.strftime("%Y-%m-%dT%H:%M:00")
        if self.use_date:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%H:%M")

    def parse_input(self, text: str):
        t = text.strip()
        try:
            if self.use_date and self.use_time:
                return datetime.strptime(t.replace("T", " "), "%Y-%m-%d %H:%M")
            if self.use_date:
                return datetime.strptime(t, "%Y-%m-%d")
            return datetime.strptime(t, "%H:%M")
        except ValueError:
            return None

    def bounds(self):
        out = []
        for name in ("min", "max"):
            v = parse_iso(self.text_value(name)) if self.comp.get(name) is not None else None
            if isinstance(v, date) and not isinstance(v, datetime):
                v = datetime(v.year, v.month, v.day, 0 if name == "min" else 23, 0 if name == "min" else 59)
            elif isinstance(v, dtime):
                v = datetime(1900, 1, 1, v.hour, v.minute)
            out.append(v.replace(tzinfo=None) if isinstance(v, datetime) else None)
        return out

    def _compare_key(self, v: datetime) -> datetime:
        return v if self.use_date else datetime(1900, 1, 1, v.hour, v.minute)

    def error_for(self, v) -> str:
        lo, hi = self.bounds()
        if lo is not None and self._compare_key(v) < lo:
            return f"Must be at or after {self.fmt(lo)}"
        if hi is not None and self._compare_key(v) > hi:
            return f"Must be at or before {self.fmt(hi)}"
        return ""

    def _typing(self, text: str) -> None:
        self.ctx.local[(self.key, "draft")] = text
        self.ctx.local.pop((self.key, "error"), None)
        self.ctx.changed()

    def commit(self) -> None:
        draft = self.ctx.local.get((self.key, "draft"))
        if draft is None:
            return
        if not draft.strip():
            self.ctx.local.pop((self.key, "draft"), None)
            self._write("")
            return
        v = self.parse_input(draft)
        if v is None:
            self.ctx.local[(self.key, "error")] = f"Enter as {self.editor.placeholder}"
        elif self.error_for(v):
            self.ctx.local[(self.key, "error")] = self.error_for(v)
        else:
            self.ctx.local.pop((self.key, "draft"), None)
            self.ctx.local.pop((self.key, "error"), None)
            self._write(self.to_iso(v))
            return
        self.refresh()
        self.ctx.changed()

    def _write(self, iso: str) -> None:
        path = self.bound_path()
        if path is not None:
            self.ctx.set_data(path, iso)
        else:
            self.ctx.local[(self.key, "value")] = iso
            self.refresh()
        self.ctx.changed()

    def current(self):
        local = self.ctx.local.get((self.key, "value"))
        raw = self.text_value("value") if local is None or self.bound_path() else local
        v = parse_iso(raw)
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)
        if isinstance(v, date):
            return datetime(v.year, v.month, v.day)
        if isinstance(v, dtime):
            return datetime(1900, 1, 1, v.hour, v.minute)
        return None

    def step(self, direction: int) -> None:
        """Up/Down: change the field under the cursor (year, month, day, hour, minute) by one."""
        from datetime import timedelta
        v = self.parse_input(self.editor.text()) or self.current() or datetime(2000, 1, 1, 0, 0)
        pos = self.editor.cursor_position()
        fields = (["year"] * 5 + ["month"] * 3 + ["day"] * 3 if self.use_date else []) + \
                 (["hour"] * 3 + ["minute"] * 3 if self.use_time else [])
        field = fields[min(pos, len(fields) - 1)] if fields else "day"
        if field == "year":
            try:
                v = v.replace(year=max(1, v.year + direction))
            except ValueError:
                v = v.replace(year=max(1, v.year + direction), day=28)
        elif field == "month":
            m = (v.month - 1 + direction) % 12 + 1
            try:
                v = v.replace(month=m)
            except ValueError:
                v = v.replace(month=m, day=28)
        elif field == "day":
            v += timedelta(days=direction)
        elif field == "hour":
            v += timedelta(hours=direction)
        else:
            v += timedelta(minutes=direction)
        if self.error_for(v):
            return
        self.ctx.local.pop((self.key, "draft"), None)
        self.ctx.local.pop((self.key, "error"), None)
        self._write(self.to_iso(v))
        self.editor.set_cursor_position(pos)

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        draft = self.ctx.local.get((self.key, "draft"))
        self.editor.set_text(draft if draft is not None else self.fmt(self.current()))
        msgs = [self.ctx.local[(self.key, "error")]] if (self.key, "error") in self.ctx.local else []
        msgs += self.check_messages()
        self.set_message(msgs[0] if msgs else "")
        self.editor.invalid = bool(msgs)
        self.editor.update()

    def scene_info(self, origin, clip) -> dict:
        parts, runs = self.editor_parts(self.editor, origin, clip)
        mparts, mruns = self.msg_info(origin, clip)
        text = " ".join(t for t in (self.label.text, self.editor.text(), self.msg.text) if t)
        return {"text": text, "text_runs": self.label_runs(origin, clip) + runs + mruns, "parts": parts + mparts,
                "states": {"focused"} if self.focused(self.editor) else set()}


COMPONENTS: dict[str, type[Component]] = {
    "Text": TextComp, "Image": ImageComp, "Icon": IconComp, "Video": VideoComp, "AudioPlayer": AudioComp,
    "Row": RowComp, "Column": ColumnComp, "List": ListComp, "Card": CardComp, "Tabs": TabsComp,
    "Modal": ModalComp, "Divider": DividerComp, "Button": ButtonComp, "TextField": TextFieldComp,
    "CheckBox": CheckBoxComp, "ChoicePicker": ChoicePickerComp, "Slider": SliderComp,
    "DateTimeInput": DateTimeComp,
}
