"""What every component shares: the `Component` base, failed-check messages, scene and colour helpers."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from neuralos.a2ui.checks import failed_checks
from neuralos.a2ui.dynamic import binding_path, resolve, resolve_text
from neuralos.scene import Box
from neuralos.widgets.app import make_font
from neuralos.widgets.text import TextBox
from neuralos.widgets.whatif import has_focus

if TYPE_CHECKING:
    from neuralos.widgets.components.context import BuildContext

SPACING = 8
TEXT_MAX_WIDTH = 420
LABEL_PX = 12


def scene_box(r: QRect, origin: tuple[int, int]) -> Box:
    """A widget-local rect as a scene box, `origin` being the widget's canvas position."""
    return Box(r.x() + origin[0], r.y() + origin[1], r.width(), r.height())


def mix(a: str, b: str, t: float) -> QColor:
    ca, cb = QColor(a), QColor(b)
    return QColor(round(ca.red() + (cb.red() - ca.red()) * t), round(ca.green() + (cb.green() - ca.green()) * t),
                  round(ca.blue() + (cb.blue() - ca.blue()) * t))


def tint(p: QPainter, r: QRect | QRectF, colour: str, t: float, radius: float = 0) -> None:
    """Shade `r` with `colour` at opacity `t` over whatever is painted there. A hover or press shade mixed
    with the window body's colour vanished on a card, whose fill is about that mix in the dark theme."""
    c = QColor(colour)
    c.setAlphaF(t)
    if radius:
        p.save()
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(Qt.NoPen)
        p.setBrush(c)
        p.drawRoundedRect(r, radius, radius)
        p.restore()
    else:
        p.fillRect(r, c)


def take_press(w: QWidget, ctx: BuildContext) -> None:
    """A mouse press on `w`: it takes the focus as a click does, repaints, and the canvas is told."""
    if not w.hasFocus():
        w.setFocus(Qt.MouseFocusReason)
    w.update()
    ctx.changed()


class ComponentHost:
    """Marker for containers that end a component subtree (window bodies, modal panels)."""


class InkSource:
    """Mixin for a widget that chooses the text colour of the Text/Icon components inside it (a Button's face)."""

    def ink_role(self) -> str:
        raise NotImplementedError


def ink_role(w: QWidget, default: str) -> str:
    """The text colour a Text/Icon uses: its own, unless a Button around it says otherwise."""
    p = w.parentWidget()
    while p is not None and not isinstance(p, ComponentHost):
        if isinstance(p, InkSource):
            return p.ink_role()
        p = p.parentWidget()
    return default


class Component(QWidget):
    """One A2UI component as a widget: its component dict, scene key and data scope.

    `refresh()` re-reads dynamic values from the data model without rebuilding; user edits go back
    through `write_value`. `scene_info()` reports what the widget painted, for the scene.
    """

    role = "Text"
    interactive = False

    def __init__(self, ctx: BuildContext, comp: dict, key: str, scope: str, suffix: str, depth: int,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.comp, self.scope, self.suffix, self.depth = ctx, comp, scope, suffix, depth
        self.cid = comp["id"]
        self.key = key
        self.key = ctx.register(self)      # the same key twice (a template child) gets a ~n suffix
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
        return default if v is None else resolve(self.surface, v, self.scope)

    def text_value(self, name: str) -> str:
        v = self.comp.get(name)
        return "" if v is None else resolve_text(self.surface, v, self.scope)

    def bound_path(self, name: str = "value") -> str | None:
        return binding_path(self.comp.get(name), self.scope)

    def local_edit(self) -> Any:
        """The user's last edit of an unbound value (kept in local UI state); None if bound or unedited."""
        return None if self.bound_path() else self.ctx.local.get((self.key, "value"))

    def write_value(self, value: Any) -> None:
        """A user edit: into the bound data path (two-way binding), else into local UI state."""
        path = self.bound_path()
        if path is not None:
            self.ctx.set_data(path, value)
        else:
            self.ctx.local[(self.key, "value")] = value
            self.refresh()
        self.ctx.changed()

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
        return has_focus(w or self)

    def scene_info(self, origin: tuple[int, int], clip: Box | None) -> dict:
        return {}

    def ink(self, default: str = "foreground") -> QColor:
        return QColor(self.theme.text_color(ink_role(self, default)))


class Validated:
    """Mixin: a failed-check message (the first failing check) painted under the control."""

    def init_validation(self) -> None:
        self.msg = TextBox("", make_font(LABEL_PX), wrap=True)

    def check_messages(self) -> list[str]:
        try:
            return failed_checks(self.surface, self.comp, self.scope)
        except Exception:  # noqa: BLE001 - a broken check must not take the window down
            return []

    def msg_height(self, width: int) -> int:
        return self.msg.height_for_width(max(1, width)) + 2 if self.msg.text else 0
