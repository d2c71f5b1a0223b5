"""Button (a clickable face around its child component) and ChromeButton (window and modal chrome)."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from neuralos.scene import Part
from neuralos.widgets.app import make_font
from neuralos.widgets.components.base import Component, InkSource, Validated, mix, scene_box, take_press, tint
from neuralos.widgets.components.display import IconComp, TextComp
from neuralos.widgets.text import TextBox


class ButtonFace(QWidget, InkSource):
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
                fill = mix(theme.primary, "#000000", 0.25)
            elif enabled and hovered:
                fill = mix(theme.primary, "#000000", 0.12)
            p.setPen(Qt.NoPen)
            p.setBrush(fill)
            p.drawRoundedRect(r, 6, 6)
        elif variant == "borderless":
            if enabled and (self.down or hovered):
                tint(p, r, theme.primary, 0.22 if self.down else 0.1, radius=6)
        else:
            fill = QColor(theme.button)
            if enabled and self.down:
                fill = mix(theme.button, theme.foreground, 0.18)
            elif enabled and hovered:
                fill = mix(theme.button, theme.foreground, 0.08)
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
            take_press(self, self.owner.ctx)
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


class ButtonComp(Component, Validated):
    """A face around the child; failing checks disable it and show the first message under it."""

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
        face = scene_box(self.face.geometry(), origin)
        parts = []
        if self.variant != "default":
            parts.append(Part("button." + self.variant, face))
        runs = []
        if self.msg.text:
            mr = self.msg_rect()
            parts.append(Part("validation.error", scene_box(mr, origin)))
            runs = self.msg.runs(mr, origin, clip)
        label = " ".join(t.box.text for t in self.face.findChildren(TextComp) if t.box.text)
        return {"box": face, "parts": parts, "text_runs": runs,
                "text": " ".join(t for t in (label, self.msg.text) if t)}


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
            p.setBrush(mix(theme.background, base, 0.45 if self.down else 0.25))
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
