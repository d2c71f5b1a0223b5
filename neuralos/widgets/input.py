"""Input routing: pointer and keyboard input hit-tested on the scene and delivered as real Qt events.

Playback and the neural-mode shell drive the desktop through this, so their input takes the path a
user's input takes: the scene says what is under the point, the widget behind that node (its deepest
child at the point) receives QMouseEvents in its own coordinates, keys go to the focused widget.
Enter/leave (hover) and click-to-focus, which Qt's window system layer normally does, happen here.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent, QHoverEvent, QKeyEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

from neuralos.errors import BadInput
from neuralos.widgets.whatif import click_focus, hover_chain, target_at

KEYS = {
    "enter": Qt.Key_Return, "return": Qt.Key_Return, "tab": Qt.Key_Tab, "backtab": Qt.Key_Backtab,
    "backspace": Qt.Key_Backspace, "escape": Qt.Key_Escape, "esc": Qt.Key_Escape, "delete": Qt.Key_Delete,
    "del": Qt.Key_Delete, "insert": Qt.Key_Insert, "home": Qt.Key_Home, "end": Qt.Key_End,
    "left": Qt.Key_Left, "right": Qt.Key_Right, "up": Qt.Key_Up, "down": Qt.Key_Down,
    "arrowleft": Qt.Key_Left, "arrowright": Qt.Key_Right, "arrowup": Qt.Key_Up, "arrowdown": Qt.Key_Down,
    "pageup": Qt.Key_PageUp, "pagedown": Qt.Key_PageDown, "space": Qt.Key_Space,
    **{f"f{i}": getattr(Qt, f"Key_F{i}") for i in range(1, 13)},
}
KEY_TEXT = {Qt.Key_Return: "\r", Qt.Key_Tab: "\t", Qt.Key_Backspace: "\b", Qt.Key_Escape: "\x1b",
            Qt.Key_Space: " ", Qt.Key_Delete: "\x7f"}
MODIFIERS = {"ctrl": Qt.ControlModifier, "control": Qt.ControlModifier, "shift": Qt.ShiftModifier,
             "alt": Qt.AltModifier, "meta": Qt.MetaModifier, "cmd": Qt.ControlModifier}


def parse_key(name: str) -> tuple[int, Qt.KeyboardModifier, str]:
    """'Ctrl+Shift+A' -> (key, modifiers, text). Raises BadInput for names it does not know."""
    if not isinstance(name, str) or not name:
        raise BadInput(f"not a key name: {name!r}")
    parts = name.split("+") if name != "+" else ["+"]
    if parts[-1] == "" and len(parts) > 1:        # "Ctrl++"
        parts = parts[:-2] + ["+"]
    mods = Qt.KeyboardModifier.NoModifier
    for m in parts[:-1]:
        if m.strip().lower() not in MODIFIERS:
            raise BadInput(f"unknown modifier {m!r} in key {name!r} (use Ctrl, Shift, Alt, Meta)")
        mods |= MODIFIERS[m.strip().lower()]
    base = parts[-1]
    low = base.strip().lower()
    if low in KEYS:
        key = KEYS[low]
        text = KEY_TEXT.get(key, "")
        if key == Qt.Key_Tab and mods & Qt.ShiftModifier:
            key = Qt.Key_Backtab
    elif len(base) == 1:
        ch = base
        key = ord(ch.upper()) if ch.isascii() and ch.isalnum() else _key_for_char(ch)
        text = ch.lower() if ch.isalpha() and not (mods & Qt.ShiftModifier) else ch
        if mods & Qt.ShiftModifier and ch.isalpha():
            text = ch.upper()
        if mods & Qt.ControlModifier and ch.isascii() and ch.isalpha():
            text = chr(ord(ch.upper()) - 64)
    else:
        raise BadInput(f"unknown key {base!r} in {name!r} (e.g. Enter, Tab, Backspace, Escape, Left, Ctrl+A)")
    if mods & (Qt.AltModifier | Qt.MetaModifier):
        text = ""
    return key, mods, text


def _key_for_char(ch: str) -> int:
    if ch == " ":
        return Qt.Key_Space
    code = ord(ch)
    return code if code < 0x7F else Qt.Key_unknown


class InputRouter:
    def __init__(self, canvas):
        self.canvas = canvas
        self._hover: list[QWidget] = []
        self._grab: QWidget | None = None
        self._buttons = Qt.MouseButton.NoButton
        self._pos = QPointF(-1, -1)

    # -- targeting ------------------------------------------------------------------------------
    def target_at(self, x: float, y: float) -> QWidget:
        """The widget a pointer event at canvas (x, y) goes to: the hit node's deepest child there."""
        return target_at(self.canvas, x, y)

    def _local(self, w: QWidget, x: float, y: float) -> QPointF:
        o = w.mapTo(self.canvas, QPoint(0, 0))
        return QPointF(x - o.x(), y - o.y())

    def _window_pos(self, w: QWidget, local: QPointF) -> QPointF:
        o = w.mapTo(w.window(), QPoint(0, 0))
        return QPointF(local.x() + o.x(), local.y() + o.y())

    def _global(self, w: QWidget, local: QPointF) -> QPointF:
        o = w.mapToGlobal(QPoint(0, 0))
        return QPointF(local.x() + o.x(), local.y() + o.y())

    def _send_mouse(self, w: QWidget, kind: QEvent.Type, x: float, y: float, button=Qt.MouseButton.NoButton,
                    modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        local = self._local(w, x, y)
        ev = QMouseEvent(kind, local, self._window_pos(w, local), self._global(w, local), button, self._buttons,
                         modifiers)
        QApplication.sendEvent(w, ev)

    def _update_hover(self, target: QWidget | None, x: float, y: float) -> None:
        chain = hover_chain(self.canvas, target)
        old = self._hover
        leaving = [w for w in old if w not in chain]
        entering = [w for w in reversed(chain) if w not in old]
        for w in leaving:
            if _alive(w):
                w.setAttribute(Qt.WA_UnderMouse, False)
                if w.testAttribute(Qt.WA_Hover):
                    QApplication.sendEvent(w, QHoverEvent(QEvent.HoverLeave, QPointF(-1, -1), QPointF(-1, -1),
                                                          self._local(w, x, y)))
                QApplication.sendEvent(w, QEvent(QEvent.Leave))
        for w in entering:
            w.setAttribute(Qt.WA_UnderMouse, True)
            local = self._local(w, x, y)
            QApplication.sendEvent(w, QEnterEvent(local, self._window_pos(w, local), self._global(w, local)))
            if w.testAttribute(Qt.WA_Hover):
                QApplication.sendEvent(w, QHoverEvent(QEvent.HoverEnter, local, self._global(w, local),
                                                      QPointF(-1, -1)))
        for w in chain:
            if w not in entering and w.testAttribute(Qt.WA_Hover):
                local = self._local(w, x, y)
                QApplication.sendEvent(w, QHoverEvent(QEvent.HoverMove, local, self._global(w, local),
                                                      self._local(w, self._pos.x(), self._pos.y())))
        self._hover = chain

    # -- pointer --------------------------------------------------------------------------------
    def move(self, x: float, y: float) -> None:
        """Move the pointer (hover; drags while a button is down)."""
        if self._grab is not None and _alive(self._grab):
            self._send_mouse(self._grab, QEvent.MouseMove, x, y)
        else:
            target = self.target_at(x, y)
            self._update_hover(target, x, y)
            self._send_mouse(target, QEvent.MouseMove, x, y)
        self._pos = QPointF(x, y)
        self.canvas.invalidate()

    def press(self, x: float, y: float, button: Qt.MouseButton = Qt.LeftButton) -> None:
        if self._pos != QPointF(x, y) or self._grab is None:
            self.move(x, y)
        target = self.target_at(x, y)
        self._give_focus(target)
        if not _alive(target):
            target = self.target_at(x, y)
        self._buttons |= button
        self._grab = target
        self._send_mouse(target, QEvent.MouseButtonPress, x, y, button)
        self.canvas.invalidate()

    def release(self, x: float, y: float, button: Qt.MouseButton = Qt.LeftButton) -> None:
        target = self._grab if self._grab is not None and _alive(self._grab) else self.target_at(x, y)
        self._buttons &= ~button
        self._grab = None
        if _alive(target):
            self._send_mouse(target, QEvent.MouseButtonRelease, x, y, button)
        self.canvas.invalidate()
        if self._buttons == Qt.MouseButton.NoButton:
            self._update_hover(self.target_at(x, y), x, y)
            self.canvas.invalidate()

    def click(self, x: float, y: float, button: Qt.MouseButton = Qt.LeftButton) -> None:
        self.press(x, y, button)
        self.release(x, y, button)

    def drag(self, x0: float, y0: float, x1: float, y1: float, steps: int = 8) -> None:
        self.press(x0, y0)
        for i in range(1, max(1, steps) + 1):
            t = i / max(1, steps)
            self.move(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        self.release(x1, y1)

    def scroll(self, x: float, y: float, dy: int = -120, dx: int = 0) -> None:
        """A mouse-wheel step at (x, y); negative dy scrolls down (content moves up)."""
        # Qt does not propagate synthesised wheel events to parents: deliver to the innermost scroll
        # area under the point that can still move that way (else the widget itself).
        target = self.target_at(x, y)
        w = target
        while w is not None and w is not self.canvas:
            if isinstance(w, QAbstractScrollArea):
                bar = w.verticalScrollBar() if dy else w.horizontalScrollBar()
                step = dy or dx
                if (step < 0 and bar.value() < bar.maximum()) or (step > 0 and bar.value() > bar.minimum()):
                    target = w.viewport()
                    break
            w = w.parentWidget()
        local = self._local(target, x, y)
        ev = QWheelEvent(local, self._global(target, local), QPoint(0, 0), QPoint(dx, dy), self._buttons,
                         Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(target, ev)
        self.canvas.invalidate()

    def _give_focus(self, target: QWidget) -> None:
        w = click_focus(self.canvas, target)
        if w is not None and self.canvas.window().focusWidget() is not w:
            w.setFocus(Qt.MouseFocusReason)

    # -- keyboard -------------------------------------------------------------------------------
    def focus_widget(self) -> QWidget | None:
        if hasattr(self.canvas, "activate_headless"):
            self.canvas.scene()
            self.canvas.activate_headless()
        fw = self.canvas.window().focusWidget()
        if fw is not None and self.canvas.isAncestorOf(fw) and fw.isVisibleTo(self.canvas):
            return fw
        return None

    def _send_key(self, key: int, mods, text: str) -> bool:
        target = self.focus_widget()
        if target is None:
            return False
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            if not _alive(target):
                break
            QApplication.sendEvent(target, QKeyEvent(kind, key, mods, text))
        self.canvas.invalidate()
        return True

    def key(self, name: str) -> bool:
        """Press and release a named key ("Enter", "Tab", "Ctrl+A" ...). False when nothing has focus."""
        key, mods, text = parse_key(name)
        return self._send_key(key, mods, text)

    def type_text(self, text: str) -> bool:
        """Type any Unicode text into the focused widget, one key event per character."""
        ok = True
        for ch in text:
            if ch == "\n":
                ok &= self.key("Enter")
            elif ch == "\t":
                ok &= self.key("Tab")
            else:
                ok &= self._send_key(_key_for_char(ch) if not (ch.isascii() and ch.isalnum()) else ord(ch.upper()),
                                     Qt.ShiftModifier if ch.isupper() else Qt.KeyboardModifier.NoModifier, ch)
        return ok


def _alive(w) -> bool:
    try:
        w.objectName()
        return True
    except RuntimeError:
        return False
