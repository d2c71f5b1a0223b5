"""A window frame around one surface: border, title bar (title, minimise, close), scrollable body."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from neuralos.desktop import BORDER, TITLE_BAR_HEIGHT
from neuralos.widgets.app import make_font
from neuralos.widgets.components import ChromeButton, ComponentHost, ModalOverlay
from neuralos.widgets.text import TextBox

BODY_MARGIN = 16
BUTTON = 22


class Body(QWidget, ComponentHost):
    """Holds the surface's root component with the window's inner margins."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(BODY_MARGIN, BODY_MARGIN, BODY_MARGIN, BODY_MARGIN)
        self.lay.setSpacing(0)
        self.root = None

    def set_root(self, root: QWidget | None) -> None:
        while self.lay.count():
            item = self.lay.takeAt(0)
            if item.widget() is not None and item.widget() is not root:
                item.widget().hide()
        self.root = root
        if root is not None:
            self.lay.addWidget(root)
        self.lay.addStretch(1)


class TitleBar(QWidget):
    """Shows the title; dragging it moves the window (through the session's window manager)."""

    def __init__(self, frame: "WindowFrame"):
        super().__init__(frame)
        self.frame = frame
        self.box = TextBox("", make_font(13, bold=True), wrap=False, align=Qt.AlignLeft | Qt.AlignVCenter,
                           elide=True)
        self._drag: tuple[QPoint, int, int] | None = None

    @property
    def theme(self):
        return self.frame.theme

    def text_rect(self) -> QRect:
        return QRect(10, 0, max(0, self.width() - 10 - 2 * (BUTTON + 4) - 6), self.height())

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self.frame.theme
        p.fillRect(self.rect(), QColor(t.title_active if self.frame.active else t.title))
        self.box.paint(p, self.text_rect(), QColor(t.text_color("title_text")))
        p.end()

    def _canvas_pos(self, event) -> QPoint:
        return self.mapTo(self.frame.canvas, event.position().toPoint())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            win = self.frame.canvas.session.windows.get(self.frame.sid)
            if win is not None:
                self._drag = (self._canvas_pos(event), win.x, win.y)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None and event.buttons() & Qt.LeftButton:
            start, x0, y0 = self._drag
            d = self._canvas_pos(event) - start
            self.frame.canvas.session.window_op("move", self.frame.sid, x0 + d.x(), y0 + d.y())
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None
        event.accept()


class WindowFrame(QWidget):
    def __init__(self, canvas, sid: str, theme):
        super().__init__(canvas)
        self.canvas, self.sid, self.theme = canvas, sid, theme
        self.title_bar = TitleBar(self)
        self.min_btn = ChromeButton("\u2212", self.title_bar, lambda: canvas.session.window_op("minimize", sid), self)
        self.close_btn = ChromeButton("\u2715", self.title_bar, lambda: canvas.session.window_op("close", sid), self)
        self.content = QWidget(self)          # below the title bar; modal overlays cover it
        self.scroll = QScrollArea(self.content)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.body = Body()
        self.body.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.scroll.setWidget(self.body)
        self.scroll.viewport().setAutoFillBackground(False)
        self.body.setAutoFillBackground(False)
        self.apply_theme(theme)

    # -- state ----------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.canvas.session.windows.focus == self.sid

    @property
    def title(self) -> str:
        return self.title_bar.box.text

    def set_title(self, title: str) -> None:
        if self.title_bar.box.set_text(title):
            self.title_bar.update()

    def apply_theme(self, theme) -> None:
        self.theme = theme
        self.setPalette(theme.palette())
        self.update()

    def overlay(self) -> ModalOverlay | None:
        kids = [c for c in self.content.children() if isinstance(c, ModalOverlay) and not c.isHidden()]
        return kids[-1] if kids else None

    # -- geometry -------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        self.layout_chrome()

    def layout_chrome(self) -> None:
        w, h = self.width(), self.height()
        self.title_bar.setGeometry(BORDER, BORDER, w - 2 * BORDER, TITLE_BAR_HEIGHT - BORDER)
        tw, th = self.title_bar.width(), self.title_bar.height()
        top = (th - BUTTON) // 2
        self.close_btn.setGeometry(tw - BUTTON - 4, top, BUTTON, BUTTON)
        self.min_btn.setGeometry(tw - 2 * BUTTON - 8, top, BUTTON, BUTTON)
        self.content.setGeometry(BORDER, TITLE_BAR_HEIGHT, w - 2 * BORDER, max(0, h - TITLE_BAR_HEIGHT - BORDER))
        self.scroll.setGeometry(self.content.rect())

    def content_size(self, max_w: int) -> tuple[int, int]:
        """The body's preferred size (for first placement), at most max_w wide."""
        lay = self.body.layout()
        lay.activate()
        hint = lay.sizeHint()
        w = max(min(hint.width(), max_w), min(360, max_w))
        h = hint.height()
        if lay.hasHeightForWidth():
            # Tall enough even at the width left beside a vertical scroll bar: an AsNeeded bar that
            # shows during a transient layout would otherwise narrow the body, wrap text and stay.
            bar = self.scroll.verticalScrollBar().sizeHint().width()
            h = max(lay.heightForWidth(w), lay.heightForWidth(max(1, w - bar)))
        return w, max(h, lay.minimumSize().height() if lay.minimumSize().height() < 10000 else 0)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        t = self.theme
        p.fillRect(self.rect(), QColor(t.primary if self.active else t.border))
        p.fillRect(self.rect().adjusted(BORDER, BORDER, -BORDER, -BORDER), QColor(t.background))
        p.end()

    # -- keyboard focus stays inside the window (and inside an open modal) ------------------------
    def focusNextPrevChild(self, forward: bool) -> bool:
        scope = self.overlay() or self.content
        chain = []
        w = scope.nextInFocusChain()
        seen = set()
        while w is not None and id(w) not in seen:
            seen.add(id(w))
            if scope.isAncestorOf(w) and w.isVisibleTo(self) and w.isEnabled() and w.focusPolicy() & Qt.TabFocus:
                chain.append(w)
            w = w.nextInFocusChain()
            if w is scope:
                break
        if not chain:
            return False
        cur = self.window().focusWidget()
        i = chain.index(cur) if cur in chain else -1
        nxt = chain[(i + (1 if forward else -1)) % len(chain)] if i >= 0 else chain[0 if forward else -1]
        nxt.setFocus(Qt.TabFocusReason if forward else Qt.BacktabFocusReason)
        p = nxt.parentWidget()
        while p is not None and p is not self:       # scroll every enclosing area to show it
            if isinstance(p, QScrollArea):
                p.ensureWidgetVisible(nxt, 8, 8)
            p = p.parentWidget()
        self.canvas.invalidate()
        return True
