"""The desktop canvas: one window frame per open surface, laid out once per state change.

`DesktopCanvas` subscribes to a `Session` and keeps real Qt widgets in step with it incrementally:
components change -> that surface's widget tree is rebuilt; data change -> bound widgets refresh in
place (focus and cursor survive); window operations -> frames move, stack, hide. `scene()` is the
laid-out `Scene` (cached until the next change), `grab_frame()` the RGB pixels.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget

from neuralos.a2ui.actions import build_action
from neuralos.a2ui.functions import OpenUrlRequest
from neuralos.desktop import MARGIN, BORDER
from neuralos.scene import Scene
from neuralos.session import window_title
from neuralos.widgets.app import ensure_app
from neuralos.widgets.components import BuildContext, ModalComp
from neuralos.widgets.theme import get_theme, surface_theme
from neuralos.widgets.window import WindowFrame

_INPUT_EVENTS = {QEvent.MouseButtonPress, QEvent.MouseButtonRelease, QEvent.MouseButtonDblClick, QEvent.MouseMove,
                 QEvent.KeyPress, QEvent.KeyRelease, QEvent.FocusIn, QEvent.FocusOut, QEvent.Enter, QEvent.Leave,
                 QEvent.Wheel, QEvent.InputMethod, QEvent.HoverEnter, QEvent.HoverLeave, QEvent.HoverMove}


class DesktopCanvas(QWidget):
    action_triggered = Signal(dict)       # an A2UI client-to-server `action` message
    open_url_requested = Signal(str)      # an openUrl function call: the shell asks the user first
    scene_changed = Signal()              # the scene (and the frame) may look different now

    def __init__(self, session, parent: QWidget | None = None):
        ensure_app()
        super().__init__(parent)
        self.session = session
        self.local_state: dict[str, dict] = {}       # UI-only state per surface (tab, modal open ...)
        self.frames: dict[str, WindowFrame] = {}
        self.contexts: dict[str, BuildContext] = {}
        self.base_theme = get_theme(session.theme)
        self._scene: Scene | None = None
        self._after: list = []
        self._building = False
        self._change_pending = False
        self._headless = False
        self.setFixedSize(session.windows.width, session.windows.height)
        self.setPalette(self.base_theme.palette())
        self.setFocusPolicy(Qt.NoFocus)
        self._unsubscribe = session.subscribe(self._on_changes)
        QCoreApplication.instance().installEventFilter(self)
        for sid in list(session.surfaces):
            self._rebuild(sid)
        self._sync_windows()

    def close_canvas(self) -> None:
        """Stop following the session (the canvas can then be deleted)."""
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except ValueError:
                pass
            self._unsubscribe = None
        QCoreApplication.instance().removeEventFilter(self)

    # -- public API -----------------------------------------------------------------------------
    def scene(self) -> Scene:
        """The laid-out scene; computed once per change and cached."""
        self._settle()
        if self._scene is None:
            from neuralos.widgets.scene_builder import build_scene
            self._scene = build_scene(self)
            self._change_pending = False
        return self._scene

    def grab_frame(self) -> np.ndarray:
        """The whole canvas as an (H, W, 3) uint8 RGB array."""
        self._settle()
        self.activate_headless()     # focus is painted only in the active window
        w, h = self.width(), self.height()
        img = QImage(w, h, QImage.Format_RGB32)
        img.fill(QColor(self.base_theme.desktop))
        p = QPainter(img)
        self.render(p, QPoint(0, 0), renderFlags=QWidget.RenderFlag.DrawChildren | QWidget.RenderFlag.DrawWindowBackground)
        p.end()
        img = img.convertToFormat(QImage.Format_RGB888)
        arr = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes())
        return arr.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()

    def widget_for(self, key: str) -> QWidget | None:
        """The widget behind a scene node key (components, window chrome, modal overlays)."""
        sid, _, rest = key.partition("/")
        frame = self.frames.get(sid)
        if rest.startswith("@") and frame is not None:
            return {"@window": frame, "@title": frame.title_bar, "@close": frame.close_btn,
                    "@minimize": frame.min_btn}.get(rest)
        if key.endswith("@overlay"):
            w = self.widget_for(key[: -len("@overlay")])
            return w.overlay if isinstance(w, ModalComp) else None
        ctx = self.contexts.get(sid)
        return ctx.widgets.get(key) if ctx is not None else None

    def activate_headless(self) -> None:
        """Make a headless canvas (one it showed itself, never on screen) the active window, so
        focus moves deliver focus events as they do in the shell. No-op for an embedded canvas."""
        if self._headless and not self.isActiveWindow():
            import warnings
            from PySide6.QtWidgets import QApplication
            had = self.focusWidget()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                QApplication.setActiveWindow(self)   # deprecated, but synchronous and needs no platform
            if had is None and self.focusWidget() is not None:
                self.focusWidget().clearFocus()      # activation focuses the first field; a user would not

    def invalidate(self) -> None:
        """Something visible changed: drop the cached scene and repaint."""
        self._scene = None
        self.update()
        if not self._change_pending:       # one signal per change until the scene is read again
            self._change_pending = True
            self.scene_changed.emit()

    def set_theme_name(self, name: str) -> None:
        self.session.set_theme(name)

    # -- used by components ---------------------------------------------------------------------
    def dispatch_action(self, sid: str, component: dict, scope: str) -> None:
        surface = self.session.surfaces.get(sid)
        if surface is None:
            return
        result = build_action(surface, component, scope)
        if isinstance(result, OpenUrlRequest):
            self.open_url_requested.emit(result.url)
        elif isinstance(result, dict) and result:
            self.action_triggered.emit(result)

    def modal_host(self, sid: str) -> QWidget | None:
        frame = self.frames.get(sid)
        return frame.content if frame is not None else None

    def after_build(self, fn) -> None:
        if self._building:
            self._after.append(fn)
        else:
            fn()

    # -- session changes ------------------------------------------------------------------------
    def _on_changes(self, changes) -> None:
        rebuild, refresh = [], []          # window moves, focus and order: `_sync_windows` below
        for c in changes:
            if c.kind in ("created", "components"):
                rebuild.append(c.surface_id)
            elif c.kind == "data":
                refresh.append(c.surface_id)
            elif c.kind == "deleted":
                self._remove(c.surface_id)
            elif c.kind == "theme":
                self._apply_theme()
        for sid in dict.fromkeys(rebuild):
            self._rebuild(sid)
        for sid in dict.fromkeys(refresh):
            if sid not in rebuild:
                self._refresh(sid)
        self._sync_windows()
        self.invalidate()

    def _remove(self, sid: str) -> None:
        frame = self.frames.pop(sid, None)
        self.contexts.pop(sid, None)
        self.local_state.pop(sid, None)
        if frame is not None:
            fw = self.window().focusWidget()
            if fw is not None and frame.isAncestorOf(fw):
                fw.clearFocus()
            frame.hide()
            frame.setParent(None)
            frame.deleteLater()

    def _refresh(self, sid: str) -> None:
        ctx = self.contexts.get(sid)
        if ctx is None or sid not in self.session.surfaces:
            return
        if any(w.needs_rebuild() for w in list(ctx.widgets.values())):
            self._rebuild(sid)
            return
        for w in list(ctx.widgets.values()):
            w.refresh()

    def _rebuild(self, sid: str) -> None:
        surface = self.session.surfaces.get(sid)
        if surface is None:
            self._remove(sid)
            return
        frame = self.frames.get(sid)
        if frame is None and surface.root is None:
            return          # the window opens when there is something to show
        theme = surface_theme(self.base_theme, surface)
        if frame is None:
            frame = WindowFrame(self, sid, theme)
            self.frames[sid] = frame
        frame.set_title(window_title(surface))
        focus_key, cursor = self._focus_memo(sid)
        old = self.contexts.get(sid)
        fw = self.window().focusWidget()
        if fw is not None and frame.isAncestorOf(fw):
            fw.clearFocus()        # or Qt hands the focus to the next field, maybe in another window
        if old is not None:
            old_root = frame.body.root
            if old_root is not None:
                old_root.hide()
                old_root.setParent(None)
                old_root.deleteLater()
            overlay = frame.overlay()
            while overlay is not None:
                overlay.hide()
                overlay.setParent(None)
                overlay.deleteLater()
                overlay = frame.overlay()
        ctx = BuildContext(self, sid, theme)
        self.contexts[sid] = ctx
        self._building = True
        try:
            root = ctx.build("root", "/", "", 0, parent=frame.body)
        finally:
            self._building = False
        frame.body.set_root(root)
        if root is not None:
            root.show()   # a child added to a visible parent is not shown by itself
        frame.apply_theme(theme)
        wm = self.session.windows
        if wm.get(sid) is None:
            frame.resize(wm.width, wm.height)
            frame.layout_chrome()
            cw, ch = frame.content_size(wm.width - 2 * MARGIN - 2 * BORDER)
            wm.open(sid, window_title(surface), cw, ch)
        self._place(sid)
        if not frame.isVisible() and self.isVisible():
            frame.show()
        after, self._after = self._after, []
        for fn in after:
            fn()
        self._restore_focus(sid, focus_key, cursor)

    def _focus_memo(self, sid: str) -> tuple[str | None, int | None]:
        ctx = self.contexts.get(sid)
        fw = self.window().focusWidget()
        if ctx is None or fw is None:
            return None, None
        best = None
        for key, w in ctx.widgets.items():
            if w is fw or w.isAncestorOf(fw):
                best = key          # the deepest component holding the focus wins (registration order)
        cursor = fw.cursor_position() if hasattr(fw, "cursor_position") else None
        return best, cursor

    def _restore_focus(self, sid: str, key: str | None, cursor: int | None) -> None:
        if key is None:
            return
        ctx = self.contexts.get(sid)
        w = ctx.widgets.get(key) if ctx else None
        if w is None:
            return
        target = w if w.focusPolicy() & Qt.ClickFocus else next(
            (c for c in w.findChildren(QWidget) if c.focusPolicy() & Qt.ClickFocus), None)
        if target is not None:
            target.setFocus(Qt.OtherFocusReason)
            if cursor is not None and hasattr(target, "set_cursor_position"):
                target.set_cursor_position(cursor)

    def _apply_theme(self) -> None:
        self.base_theme = get_theme(self.session.theme)
        self.setPalette(self.base_theme.palette())
        for sid, ctx in self.contexts.items():
            surface = self.session.surfaces.get(sid)
            if surface is None:
                continue
            ctx.theme = surface_theme(self.base_theme, surface)
            self.frames[sid].apply_theme(ctx.theme)
            for w in ctx.widgets.values():
                w.update()
        self.update()

    def _place(self, sid: str) -> None:
        frame, win = self.frames.get(sid), self.session.windows.get(sid)
        if frame is None:
            return
        if win is None:
            frame.hide()
            return
        if frame.geometry().getRect() != (win.x, win.y, win.w, win.h):
            frame.setGeometry(win.x, win.y, win.w, win.h)
            frame.layout_chrome()
        if win.minimized and not frame.isHidden():
            fw = self.window().focusWidget()
            if fw is not None and frame.isAncestorOf(fw):
                fw.clearFocus()
        frame.setVisible(not win.minimized)
        frame.set_title(win.title or frame.title)

    def _sync_windows(self) -> None:
        wm = self.session.windows
        if (wm.width, wm.height) != (self.width(), self.height()):
            self.setFixedSize(wm.width, wm.height)
        for sid in list(self.frames):
            self._place(sid)
        for sid in wm.order:
            if sid in self.frames:
                self.frames[sid].raise_()
        for frame in self.frames.values():
            frame.title_bar.update()
            frame.update()

    # -- events ---------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        t = event.type()
        if t in _INPUT_EVENTS and isinstance(obj, QWidget) and self.isAncestorOf(obj):
            if t == QEvent.MouseButtonPress:
                for sid, frame in self.frames.items():
                    if frame is obj or frame.isAncestorOf(obj):
                        wm = self.session.windows
                        if wm.focus != sid or (wm.order and wm.order[-1] != sid):
                            self.session.window_op("raise", sid)
                        break
            self.invalidate()
        return False

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(self.base_theme.desktop))
        p.end()

    def _settle(self) -> None:
        """Apply pending deletions and layout requests so geometry is final."""
        if self.parent() is None and not self.isVisible():
            self.setAttribute(Qt.WA_DontShowOnScreen, True)
            self.show()
            self._headless = True
            for sid, frame in self.frames.items():
                win = self.session.windows.get(sid)
                frame.setVisible(win is not None and not win.minimized)
            self.activate_headless()
        app = QCoreApplication.instance()
        app.sendPostedEvents(None, QEvent.DeferredDelete)
        for _ in range(4):
            app.sendPostedEvents(None, QEvent.LayoutRequest)
        for frame in self.frames.values():
            frame.layout_chrome()
            frame.body.layout().activate()
        app.sendPostedEvents(None, QEvent.LayoutRequest)
