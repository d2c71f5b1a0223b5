"""`PaintedItems`: a widget painting its own clickable items (tab headers, picker options)."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from neuralos.widgets.components.base import take_press


class PaintedItems(QWidget):
    """Tracks the item under the mouse and the pressed one; releasing on the pressed item activates it.

    Subclasses say where their items are (`item_rects`) and what activating one does (`activate`);
    `owner` is the component the widget belongs to.
    """

    def __init__(self, owner):
        super().__init__(owner)
        self.owner = owner
        self.hover: int | None = None
        self.pressed: int | None = None
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(True)

    def item_rects(self) -> list[tuple[int, QRect]]:
        """(item index, rect) for every item shown, in this widget's coordinates."""
        raise NotImplementedError

    def activate(self, i: int) -> None:
        raise NotImplementedError

    def index_at(self, pos: QPoint) -> int | None:
        return next((i for i, r in self.item_rects() if r.contains(pos)), None)

    def is_hovered(self, i: int) -> bool:
        return i == self.hover and self.testAttribute(Qt.WA_UnderMouse)

    def item_states(self, i: int) -> set[str]:
        """The item's pointer states for the scene: hovered, pressed."""
        st = set()
        if self.is_hovered(i):
            st.add("hovered")
        if i == self.pressed:
            st.add("pressed")
        return st

    def mousePressEvent(self, event) -> None:
        self.pressed = self.index_at(event.position().toPoint())
        take_press(self, self.owner.ctx)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        hover = self.index_at(event.position().toPoint())
        if hover != self.hover:
            self.hover = hover
            self.update()
            self.owner.ctx.changed()
        event.accept()

    def leaveEvent(self, event) -> None:
        self.hover = None
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        i = self.index_at(event.position().toPoint())
        if i is not None and i == self.pressed:
            self.activate(i)
        self.pressed = None
        self.update()
        self.owner.ctx.changed()
        event.accept()
