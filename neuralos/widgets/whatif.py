"""What pointing at or clicking a component would show, built from the real widgets without changing them.

`input_previews(canvas)` yields, for the components of the focused window a user may point at and click next,
the scene and the widget frame the canvas would have once the pointer is over the component (hover), then
right after a click there: hovered, the keyboard focus in it, a text field's cursor where the click puts it.
Nothing is sent to the widgets: hover is their WA_UnderMouse attribute, focus is what `has_focus` answers,
and both are put back before the preview returns. What the click's action does next (a check box's new
value, a planner's reply) is not in a preview. The neural renderer paints previews ahead, into a cache keyed
by the exact conditioning, so a wrong guess costs idle time, never a wrong pixel (`neuralos.neural.live`).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from neuralos.scene import Scene

CLICKABLE = frozenset({"Button", "TextField", "CheckBox", "ChoicePicker", "Slider", "DateTimeInput", "Tabs"})
PREVIEWS = 6          # components previewed (a hover, a click) after each change, nearest the pointer first

_pretend: list[QWidget | None] = []   # while previewing: the one widget that has the focus (None: none)


def has_focus(w: QWidget) -> bool:
    """Whether `w` shows the keyboard focus (what every painter and the scene ask; a preview may pretend)."""
    if _pretend:
        return w is _pretend[-1]
    return w.hasFocus() or (w.window().focusWidget() is w and w.isVisibleTo(w.window()))


def target_at(canvas, x: float, y: float) -> QWidget:
    """The widget a pointer event at canvas (x, y) goes to: the hit node's deepest child there."""
    node = canvas.scene().hit_test(x, y)
    if hasattr(canvas, "activate_headless"):
        canvas.activate_headless()
    w = canvas.widget_for(node.key) if node is not None else None
    if w is None or not w.isVisibleTo(canvas):
        w = canvas
    child = w.childAt(w.mapFrom(canvas, QPoint(int(x), int(y))))
    return child if child is not None else w


def hover_chain(canvas, target: QWidget | None) -> list[QWidget]:
    """`target` and its parents up to the canvas: the widgets the pointer is over."""
    chain, w = [], target
    while w is not None and (w is canvas or canvas.isAncestorOf(w)):
        chain.append(w)
        if w is canvas:
            break
        w = w.parentWidget()
    return chain


def click_focus(canvas, target: QWidget) -> QWidget | None:
    """The widget a click on `target` gives the keyboard focus to (None: the focus stays where it is)."""
    w = target
    while w is not None and w is not canvas:
        if w.isEnabled() and w.focusPolicy() & Qt.ClickFocus:
            return w
        w = w.parentWidget()
    return None


@contextmanager
def _pretend_pointer(canvas, x: float, y: float, click: bool) -> Iterator[None]:
    from neuralos.widgets.editor import LineEditor

    target = target_at(canvas, x, y)
    chain = hover_chain(canvas, target)
    under = [w for w in canvas.findChildren(QWidget) if w.testAttribute(Qt.WA_UnderMouse)]
    if canvas.testAttribute(Qt.WA_UnderMouse):
        under.append(canvas)
    focus = click_focus(canvas, target) if click else None
    editor = focus if isinstance(focus, LineEditor) else None
    kept = (editor._cursor, editor._anchor, editor._hscroll, editor._vscroll) if editor is not None else None
    try:
        for w in under:
            w.setAttribute(Qt.WA_UnderMouse, False)
        for w in chain:
            w.setAttribute(Qt.WA_UnderMouse, True)
        if focus is not None:
            _pretend.append(focus)
        if editor is not None:
            local = editor.mapFrom(canvas, QPoint(int(x), int(y)))
            editor._cursor = editor._anchor = editor.position_at(local.x(), local.y())
            editor._ensure_visible()
        yield
    finally:
        if focus is not None:
            _pretend.pop()
        if editor is not None:
            editor._cursor, editor._anchor, editor._hscroll, editor._vscroll = kept
        for w in chain:
            w.setAttribute(Qt.WA_UnderMouse, False)
        for w in under:
            w.setAttribute(Qt.WA_UnderMouse, True)


def preview_pointer(canvas, x: float, y: float, click: bool = True) -> tuple[Scene, np.ndarray]:
    """(scene, widget frame) of the canvas once the pointer moved to (x, y), and with `click` right after a click
    there, its action aside; the widgets are left as they were."""
    from neuralos.widgets.scene_builder import build_scene

    canvas.scene()                     # settles the layout first, as a real click's frame would
    with _pretend_pointer(canvas, x, y, click):
        return build_scene(canvas), canvas.grab_frame()


def click_targets(scene: Scene, focused_window: str | None, pointer: tuple[float, float] | None = None,
                  limit: int = PREVIEWS) -> list[tuple[float, float]]:
    """Centres of the clickable components of `focused_window` that a click there hits, nearest `pointer`
    first (paint order without one), at most `limit`."""
    points = []
    for n in scene.nodes:
        if n.window != focused_window or n.role not in CLICKABLE or not n.interactive or n.clip is None \
                or n.has("disabled"):
            continue
        x, y = n.clip.center
        hit = scene.hit_test(x, y)
        if hit is not None and hit.key == n.key:
            points.append((x, y))
    if pointer is not None:
        points.sort(key=lambda p: math.hypot(p[0] - pointer[0], p[1] - pointer[1]))
    return points[:limit]


def input_previews(canvas, pointer: tuple[float, float] | None = None,
                   limit: int = PREVIEWS) -> Iterator[tuple[Scene, np.ndarray]]:
    """For each of `click_targets` of the canvas's focused window, the pointer moved there, then a click there
    (`preview_pointer`), one at a time (a caller on the GUI thread can stop between them when the real state
    changes). A preview that looks like the canvas now (the pointer is already there) is left out."""
    now = canvas.scene()
    for x, y in click_targets(now, canvas.session.windows.focus, pointer, limit):
        for click in (False, True):
            scene, frame = preview_pointer(canvas, x, y, click)
            if scene != now:
                yield scene, frame


__all__ = ["CLICKABLE", "PREVIEWS", "click_focus", "click_targets", "has_focus", "hover_chain", "input_previews",
           "preview_pointer", "target_at"]
