"""Modal: its trigger in the layout; activating the trigger opens the content over the window with a scrim."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from neuralos.widgets.components.base import Component, ComponentHost
from neuralos.widgets.components.buttons import ButtonComp, ButtonFace, ChromeButton
from neuralos.widgets.theme import SCRIM_ALPHA


class ModalComp(Component):
    """Shows its trigger; the open state survives rebuilds (local UI state)."""

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
