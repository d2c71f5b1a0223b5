"""The shell's main window: intent bar, desktop canvas, taskbar, status line, menus.

    +------------------------------------------------------------------+
    | File  View  Models  Help                                         |
    | [ What do you want to do? ........................ ] [Go] [Cancel]|
    |  desktop canvas: one frame per A2UI surface (widgets or neural)  |
    | [Notes] [Timer]                                     taskbar      |
    | message                       renderer | planner | 3.1 ms 30 fps |
    +------------------------------------------------------------------+
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QDesktopServices, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QScrollArea, QSizePolicy, QStackedLayout,
                               QStatusBar, QVBoxLayout, QWidget)

from neuralos.errors import BadInput, NeuralosError
from neuralos.session import THEMES
from neuralos.widgets.canvas import DesktopCanvas
from neuralos.widgets.theme import get_theme
from shell import DISPLAY_NAME
from shell.frames import BUILTIN, FrameOverlay, FramePump
from shell.planning import ShellPlanner
from shell.taskbar import Taskbar

SAFE_URL_SCHEMES = ("http", "https", "mailto")


def app_icon() -> QIcon:
    from shell.integration import ICON_SIZES, icon_png, icon_svg

    icon = QIcon()
    for n in ICON_SIZES:
        if icon_png(n).is_file():
            icon.addFile(str(icon_png(n)), QSize(n, n))
    if icon.isNull() and icon_svg().is_file():
        icon.addFile(str(icon_svg()))
    return icon


class IntentBar(QWidget):
    submitted = Signal(str)
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("intent")
        self.edit.setPlaceholderText("What do you want to do?  e.g. “open a notes app”, “show a timer for 5 minutes”")
        self.edit.setClearButtonEnabled(True)
        self.go = QPushButton("Go", self)
        self.go.setObjectName("intent-go")
        self.go.setDefault(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("intent-progress")
        self.progress.setRange(0, 0)
        self.progress.setFixedWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel = QPushButton("Cancel", self)
        self.cancel.setObjectName("intent-cancel")
        self.cancel.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 6, 6, 4)
        row.addWidget(self.edit, 1)
        row.addWidget(self.go)
        row.addWidget(self.progress)
        row.addWidget(self.cancel)
        self.edit.returnPressed.connect(self._submit)
        self.go.clicked.connect(self._submit)
        self.cancel.clicked.connect(self.cancel_requested)

    def _submit(self) -> None:
        text = self.edit.text().strip()
        if text:
            self.submitted.emit(text)

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)

    def set_progress(self, fraction) -> None:
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(max(0.0, min(1.0, float(fraction))) * 1000))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self.cancel.isVisible():
            self.cancel_requested.emit()
            return
        super().keyPressEvent(event)


class StatusLine(QStatusBar):
    """Message on the left; renderer, planner and frame time / fps on the right."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.message = QLabel(self)
        self.message.setObjectName("status-message")
        self.message.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.renderer = QLabel(self)
        self.renderer.setObjectName("status-renderer")
        self.planner = QLabel(self)
        self.planner.setObjectName("status-planner")
        self.frame = QLabel("frame — ms · 0 fps", self)
        self.frame.setObjectName("status-frame")
        self.addWidget(self.message, 1)
        for w in (self.renderer, self.planner, self.frame):
            self.addPermanentWidget(w)
        self.error = False

    def show_message(self, text: str, error: bool = False) -> None:
        self.error = error
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.setStyleSheet("color: #cf222e;" if error else "")

    def text(self) -> str:
        """Everything the status line says, for tests and logs."""
        return " | ".join(w.text() for w in (self.message, self.renderer, self.planner, self.frame))


class MainWindow(QMainWindow):
    """The desktop shell. `open_file`, `submit_intent`, `apply_request` are its scriptable surface."""

    def __init__(self, session, *, renderer: str = "auto", planner: str = "builtin",
                 planner_timeout: float | None = None):
        super().__init__()
        self.session = session
        self.setWindowTitle(DISPLAY_NAME)
        self.setWindowIcon(app_icon())
        self.error_box: QMessageBox | None = None
        self.models: list = []
        self._jobs: list = []           # the user's planner requests still running (intents, actions)
        self.pending_planner: ShellPlanner | None = None   # a planner being switched to, still loading

        self.intent_bar = IntentBar(self)
        self.canvas = DesktopCanvas(session)
        self.overlay = FrameOverlay()
        desk = QWidget()
        stack = QStackedLayout(desk)
        stack.setStackingMode(QStackedLayout.StackAll)
        stack.addWidget(self.overlay)
        stack.addWidget(self.canvas)
        self.overlay.raise_()
        self.overlay.hide()
        desk.setFixedSize(self.canvas.size())
        self.desk = desk
        self.scroll = QScrollArea(self)
        self.scroll.setWidget(desk)
        self.scroll.setAlignment(Qt.AlignCenter)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.taskbar = Taskbar(session, self)
        self.status = StatusLine(self)
        self.setStatusBar(self.status)

        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.intent_bar)
        column.addWidget(self.scroll, 1)
        column.addWidget(self.taskbar)
        self.setCentralWidget(central)

        self.frames = FramePump(self.canvas, self.overlay, renderer, self)
        self.frames.changed.connect(self._update_renderer_status)
        self.frames.switch_failed.connect(self._on_renderer_switch_failed)
        self.planner = self._make_planner(planner, planner_timeout)
        self.intent_bar.submitted.connect(self.submit_intent)
        self.intent_bar.cancel_requested.connect(self.cancel_plan)
        self.canvas.action_triggered.connect(self.on_action)
        self.canvas.open_url_requested.connect(self.on_open_url)
        self._unsubscribe = session.subscribe(self._on_changes)

        self._build_menus()
        self._apply_chrome_theme()
        self._update_renderer_status()
        self._update_planner_status()
        self._fps_timer = QTimer(self)
        self._fps_timer.timeout.connect(self._update_frame_status)
        self._fps_timer.start(500)
        self.resize(self.canvas.width(), self.canvas.height() + 140)
        self._fitted = False
        self.status.show_message("Ready. Type an intent above, or open an A2UI file (Ctrl+O).")
        self.intent_bar.edit.setFocus(Qt.OtherFocusReason)     # typing starts an intent

    # -- menus ------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = file_menu.addAction("&Open A2UI File…", self.choose_file)
        self.open_action.setShortcut(QKeySequence.Open)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.Quit)

        view = bar.addMenu("&View")
        theme_menu = view.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            act = theme_menu.addAction(name.capitalize())
            act.setData(name)
            act.setCheckable(True)
            self.theme_group.addAction(act)
            self.theme_actions[name] = act
        self.view_renderer_menu = view.addMenu("&Renderer")
        self.theme_group.triggered.connect(self._on_theme_action)
        focus_intent = view.addAction("Focus the &Intent Bar", self._focus_intent_bar)
        focus_intent.setShortcut(QKeySequence("Ctrl+L"))

        models = bar.addMenu("&Models")
        self.models_renderer_menu = models.addMenu("&Renderers")
        self.models_planner_menu = models.addMenu("&Planners")
        models.addSeparator()
        self.rescan_action = models.addAction("Re&scan Plugin Folders", self.rescan_models)
        self.renderer_group = QActionGroup(self)
        self.planner_group = QActionGroup(self)
        self.renderer_group.triggered.connect(self._on_renderer_action)
        self.planner_group.triggered.connect(self._on_planner_action)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(f"&About {DISPLAY_NAME}", self._about)
        self._rebuild_model_menus()

    def _rebuild_model_menus(self) -> None:
        for group in (self.renderer_group, self.planner_group):
            for act in group.actions():
                group.removeAction(act)
                act.deleteLater()
        for menu in (self.view_renderer_menu, self.models_renderer_menu, self.models_planner_menu):
            menu.clear()
        plugin_renderers = [m for m in self.models if m.kind == "renderer"]
        plugin_planners = [m for m in self.models if m.kind == "planner"]

        def add(group, menus, label, value, enabled=True, tip=""):
            act = QAction(label, self)
            act.setCheckable(True)
            act.setEnabled(enabled)
            act.setData(value)
            if tip:
                act.setToolTip(tip)
                act.setStatusTip(tip)
            group.addAction(act)
            for m in menus:
                m.addAction(act)
            return act

        both = (self.view_renderer_menu, self.models_renderer_menu)
        for name in BUILTIN:
            add(self.renderer_group, both, {"auto": "Auto (neural, widgets as fallback)", "neural": "Neural",
                                            "widgets": "Widgets"}[name], name)
        if plugin_renderers:
            for menu in both:
                menu.addSeparator()
        for m in plugin_renderers:
            add(self.renderer_group, both, m.name + ("" if m.ok else " (broken)"), m.name, m.ok,
                m.reason or m.description)
        try:
            from neuralos.planners.registry import available_planners
            named = available_planners()
        except ImportError:
            named = ["builtin"]
        for name in named:
            add(self.planner_group, (self.models_planner_menu,), name, name)
        for m in plugin_planners:
            add(self.planner_group, (self.models_planner_menu,), m.name + ("" if m.ok else " (broken)"), m.name,
                m.ok, m.reason or m.description)
        if not plugin_renderers and not plugin_planners:
            note = self.models_planner_menu.addAction("No plugin models found")
            note.setEnabled(False)
        self._check_model_actions()

    def _check_model_actions(self) -> None:
        planner = self.pending_planner or self.planner
        for group, current in ((self.renderer_group, self.frames.requested), (self.planner_group, planner.name)):
            for act in group.actions():
                act.setChecked(act.data() == current)

    def on_models_changed(self, models: list) -> None:
        """The plugin folders changed (watcher): list the new models; a vanished active one falls back."""
        self.models = list(models)
        self._rebuild_model_menus()
        names = {m.name for m in self.models if m.ok}
        gone = self.frames.requested
        if gone not in BUILTIN and gone not in names:
            self.set_renderer("auto", keep_previous=False)     # never keep painting with a vanished model
            self.status.show_message(f"Renderer {gone!r} is gone from the plugin folder; switched to auto.",
                                     error=True)

    def watch_models(self, interval: float = 1.0) -> None:
        """List the plugin folders' models now and follow their changes while running (no restart)."""
        try:
            from neuralos.plugins.qtwatch import QtModelWatcher
        except ImportError:
            return
        if getattr(self, "model_watcher", None) is None:
            self.model_watcher = QtModelWatcher(parent=self, interval=interval)
            self.model_watcher.changed.connect(self.on_models_changed)
            self.model_watcher.start()

    def rescan_models(self) -> None:
        watcher = getattr(self, "model_watcher", None)
        if watcher is not None:
            if not watcher.rescan():
                self.status.show_message("Plugin folders rescanned: no change.")
            return
        try:
            from neuralos.plugins.discovery import discover
        except ImportError:
            self.status.show_message("No plugin folder support in this build.", error=True)
            return
        self.on_models_changed(discover())
        self.status.show_message(f"Plugin folders rescanned: {len(self.models)} model(s).")

    # -- renderer, planner, theme -----------------------------------------------------------------
    def set_renderer(self, name: str, keep_previous: bool = True) -> None:
        """Switch the renderer while running; if the new one fails to load, the previous one stays."""
        self.frames.request(name, keep_previous=keep_previous)
        self._check_model_actions()
        self.status.show_message(f"Renderer: {name} requested.")

    def _on_renderer_switch_failed(self, name: str, reason: str) -> None:
        self._check_model_actions()
        self.status.show_message(f"Could not switch the renderer to {name}: {reason}. "
                                 f"Still using {self.frames.describe()}.", error=True)

    def set_planner(self, name: str) -> None:
        """Switch the planner while running. The new one loads while the current one stays in use;
        it replaces it only when it loaded, else the current one stays and the status line says why."""
        self._drop_pending_planner()
        if name == self.planner.name and self.planner.available:
            self._update_planner_status()
            self._check_model_actions()
            return
        if self.planner.available:
            self.pending_planner = self._make_planner(name, self.planner.timeout)
            self.status.show_message(f"Planner: loading {name}…")
        else:                                   # nothing usable to keep: replace it at once
            self._replace_planner(self._make_planner(name, self.planner.timeout))
        self._update_planner_status()
        self._check_model_actions()

    def _replace_planner(self, planner: ShellPlanner) -> None:
        old, self.planner = self.planner, planner
        old.close()
        old.deleteLater()
        self._jobs = []
        self.intent_bar.set_busy(False)

    def _drop_pending_planner(self) -> None:
        pending, self.pending_planner = self.pending_planner, None
        if pending is not None:
            pending.close()
            pending.deleteLater()

    def _make_planner(self, name: str, timeout: float | None) -> ShellPlanner:
        planner = ShellPlanner(self.session, name, lambda frames=self.frames: frames.active, self, timeout)
        planner.loaded.connect(self._on_planner_loaded)
        planner.started.connect(self._on_plan_started)
        planner.progress.connect(self._on_plan_progress)
        planner.finished.connect(self._on_plan_finished)
        planner.command.connect(self._on_shell_command)
        return planner

    # Menus and planners call bound methods, never lambdas over self: a connection holds its callable from C++,
    # where Python's collector cannot see it, so a lambda over self would keep a closed window alive for good.
    def _on_theme_action(self, act: QAction) -> None:
        self.set_theme(act.data())

    def _on_renderer_action(self, act: QAction) -> None:
        self.set_renderer(act.data())

    def _on_planner_action(self, act: QAction) -> None:
        self.set_planner(act.data())

    def _focus_intent_bar(self) -> None:
        self.intent_bar.edit.setFocus(Qt.ShortcutFocusReason)

    def set_theme(self, name: str) -> None:
        self.session.set_theme(name)

    def _apply_chrome_theme(self) -> None:
        theme = get_theme(self.session.theme)
        for w in (self.intent_bar, self.taskbar, self.status, self.menuBar()):
            w.setPalette(theme.palette())
            w.setAutoFillBackground(True)
        # A palette, never a style sheet: style sheets cascade into the canvas and repaint its widgets.
        viewport = self.scroll.viewport()
        palette = viewport.palette()
        palette.setColor(QPalette.Window, QColor(theme.desktop))
        viewport.setPalette(palette)
        viewport.setAutoFillBackground(True)
        for name, act in self.theme_actions.items():
            act.setChecked(name == self.session.theme)

    def _on_changes(self, changes) -> None:
        if any(c.kind == "theme" for c in changes):
            self._apply_chrome_theme()

    # -- status -----------------------------------------------------------------------------------
    def _update_renderer_status(self) -> None:
        text = self.frames.describe()
        self.status.renderer.setText(f"renderer: {text}")
        self.status.renderer.setToolTip(text)
        if self.frames.reason and self.frames.requested != "widgets" and not self.frames.loading:
            self.status.renderer.setStyleSheet("color: #9a6700;")
        else:
            self.status.renderer.setStyleSheet("")

    def _update_planner_status(self) -> None:
        p = self.planner
        if p.loading:
            text = f"planner: {p.name} (loading…)"
        elif p.available:
            text = f"planner: {p.name}"
            if self.pending_planner is not None:
                text += f" (loading {self.pending_planner.name}…)"
        else:
            text = f"planner: none ({p.reason})"
        self.status.planner.setText(text if len(text) < 60 else text[:57] + "…")
        self.status.planner.setToolTip(text)

    def _update_frame_status(self) -> None:
        ms = self.frames.frame_ms
        self.status.frame.setText(f"frame {ms:.1f} ms · {self.frames.fps:.0f} fps" if ms is not None
                                  else "frame — ms · 0 fps")

    def report_error(self, title: str, text: str) -> None:
        """Status line (red) plus a message box that does not block the event loop."""
        self.status.show_message(f"{title}: {text}", error=True)
        box = self.error_box
        if box is None or not box.isVisible():
            box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
            box.setObjectName("error-box")
            box.setWindowModality(Qt.WindowModal)
            self.error_box = box
            box.open()
        else:
            box.setWindowTitle(title)
            box.setText(text)

    # -- files ------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open A2UI File", str(Path.home()),
                                              "A2UI messages (*.json *.jsonl);;All files (*)")
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        """Load A2UI messages (JSONL, array or {messages}) and apply them as one batch: whole or not at all."""
        from neuralos.a2ui.io import load_messages

        name = Path(path).name
        try:
            messages = load_messages(path)
            self.session.apply(messages, source=str(path))
        except BadInput as e:
            self.report_error(f"Could not open {name}", str(e))
            return False
        self.status.show_message(f"Opened {name}: {len(messages)} message(s) applied.")
        return True

    # -- planner ----------------------------------------------------------------------------------
    def submit_intent(self, text: str) -> bool:
        text = text.strip()
        if not text:
            return False
        if self.planner.loading:
            self.status.show_message(f"The {self.planner.name} planner is still loading; try again in a moment.")
            return False
        if not self.planner.available:
            self.status.show_message(
                f"No planner is available, so “{text}” cannot be planned: {self.planner.reason}. "
                "You can still open A2UI files (File ▸ Open) or stream A2UI on stdin.", error=True)
            return False
        try:
            self._jobs.append(self.planner.submit(text))
        except NeuralosError as e:
            self.status.show_message(f"Intent not sent: {e}", error=True)
            return False
        self.intent_bar.edit.clear()
        self.intent_bar.set_busy(True)
        self.status.show_message(f"Planning “{text}”…")
        return True

    def on_action(self, action: dict) -> None:
        body = action.get("action", {})
        label = f"“{body.get('name', '?')}” from {body.get('surfaceId', '?')}"
        if not self.planner.available:
            self.status.show_message(f"Action {label}: no planner to handle it ({self.planner.reason or 'loading'}).",
                                     error=True)
            return
        try:
            self._jobs.append(self.planner.submit(action))
        except NeuralosError as e:
            self.status.show_message(f"Action {label} not sent: {e}", error=True)
            return
        self.intent_bar.set_busy(True)

    def cancel_plan(self) -> None:
        self.planner.cancel()
        self.status.show_message("Cancelling…")

    def _on_planner_loaded(self, planner: ShellPlanner) -> None:
        if planner is self.pending_planner:
            if planner.available:
                self.pending_planner = None
                self._replace_planner(planner)
                self.status.show_message(f"Planner: switched to {planner.name}.")
            else:
                self._drop_pending_planner()
                self.status.show_message(f"Could not switch the planner to {planner.name}: {planner.reason}. "
                                         f"Still using {self.planner.name}.", error=True)
        elif planner is not self.planner:
            return                              # a dropped switch
        self._update_planner_status()
        self._check_model_actions()

    def _on_plan_started(self, text: str) -> None:
        if text:
            self.status.show_message(text)

    def _on_plan_progress(self, text: str, fraction) -> None:
        self.intent_bar.set_progress(fraction)
        if text:
            self.status.show_message(text)

    def _on_plan_finished(self, result, internal: bool = False) -> None:
        self._jobs = [j for j in self._jobs if not j.done]
        self.intent_bar.set_busy(bool(self._jobs))
        if result is None or (internal and (result.ok or result.cancelled)):
            return
        if result.ok:
            applied = len(result.messages)
            took = f" ({result.elapsed_s * 1000:.0f} ms)" if result.elapsed_s else ""
            self.status.show_message((result.reply or f"Done: {applied} message(s) applied") + took)
        elif result.cancelled:
            self.status.show_message("Cancelled; nothing was changed.")
        else:
            self.status.show_message(f"Planner: {result.error}", error=not result.refused)

    def _on_shell_command(self, cmd) -> None:
        if cmd.op == "renderer":
            self.set_renderer(cmd.value)
        elif cmd.op == "planner":
            QTimer.singleShot(0, lambda: self.set_planner(cmd.value))   # not from inside its own signal

    # -- links ------------------------------------------------------------------------------------
    def ask(self, title: str, text: str) -> bool:
        """A yes/no question to the user (the one place the shell asks; tests replace it)."""
        return QMessageBox.question(self, title, text, QMessageBox.Yes | QMessageBox.No,
                                    QMessageBox.No) == QMessageBox.Yes

    def on_open_url(self, url: str) -> bool:
        """An app asked to open a link: only after the user says yes, and only web/mail links."""
        qurl = QUrl(url)
        if not qurl.isValid() or qurl.scheme().lower() not in SAFE_URL_SCHEMES:
            self.status.show_message(f"Refused to open {url!r}: only http, https and mailto links open.",
                                     error=True)
            return False
        if not self.ask("Open link?", f"An app on the desktop wants to open this link in your browser:\n\n{url}\n\n"
                                      "Open it?"):
            self.status.show_message(f"Did not open {url}.")
            return False
        QDesktopServices.openUrl(qurl)
        self.status.show_message(f"Opened {url} in the browser.")
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            QTimer.singleShot(0, self.fit_canvas)

    def fit_canvas(self) -> None:
        """Grow the window so the whole canvas shows without scrolling (as far as the screen allows)."""
        viewport = self.scroll.viewport().size()
        dw = max(0, self.desk.width() - viewport.width())
        dh = max(0, self.desk.height() - viewport.height())
        if self.scroll.verticalScrollBar().isVisible():
            dw = max(0, dw - self.scroll.verticalScrollBar().width())
        if self.scroll.horizontalScrollBar().isVisible():
            dh = max(0, dh - self.scroll.horizontalScrollBar().height())
        if not (dw or dh):
            return
        size = self.size()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        w, h = size.width() + dw, size.height() + dh
        if screen is not None:
            w, h = min(w, screen.width()), min(h, screen.height())
        self.resize(w, h)

    # -- requests from a second launch ------------------------------------------------------------
    def bring_to_front(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def _about(self) -> None:
        from importlib.metadata import PackageNotFoundError, version as package_version

        try:
            version = package_version("neuralos")
        except PackageNotFoundError:
            version = ""
        QMessageBox.about(self, f"About {DISPLAY_NAME}",
                          f"<b>{DISPLAY_NAME}</b> {version}<br>A generative-UI desktop: intents become A2UI "
                          "state, painted by a neural renderer or by Qt widgets.")

    def shutdown(self) -> None:
        """Stop planner threads, playback and listeners (before the journal's final flush). Idempotent."""
        if self._unsubscribe is None:
            return
        self._unsubscribe()
        self._unsubscribe = None
        self._fps_timer.stop()
        self.frames.close()
        self._drop_pending_planner()
        playback = getattr(self, "playback", None)
        if playback is not None and not playback.done:
            playback.stop()
        watcher = getattr(self, "model_watcher", None)
        if watcher is not None:
            watcher.stop()
        self.planner.close()
        self.taskbar.close()
        self.canvas.close_canvas()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
        # Closing the shell ends the session even when hidden top-level widgets (offscreen canvases,
        # a dialog's parentless helper) would keep Qt's quit-on-last-window from firing.
        QCoreApplication.quit()
