"""The taskbar: one button per open window, in opening order.

The focused window's button is checked; a minimised window's button is shown in italics. Clicking a
button raises its window (restoring it when minimised); clicking the focused window's button
minimises it, as on common desktops.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from neuralos.session import window_title


class Taskbar(QWidget):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.buttons: dict[str, QToolButton] = {}
        self.setObjectName("taskbar")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 3, 6, 3)
        self._layout.setSpacing(4)
        self.empty = QLabel("No windows open — type an intent above, or open an A2UI file")
        self.empty.setEnabled(False)
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        self._pending = False
        self._unsubscribe = session.subscribe(lambda changes: self.schedule_refresh())
        self.refresh()

    def schedule_refresh(self) -> None:
        """Refresh once the current change has been laid out (the canvas opens windows then)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self.refresh)

    def refresh(self) -> None:
        self._pending = False
        wm = self.session.windows
        ids = [sid for sid in self.session.surfaces if wm.get(sid) is not None]
        for sid in list(self.buttons):
            if sid not in ids:
                self.buttons.pop(sid).deleteLater()
        for i, sid in enumerate(ids):
            button = self.buttons.get(sid)
            if button is None:
                button = QToolButton(self)
                button.setCheckable(True)
                button.setToolButtonStyle(Qt.ToolButtonTextOnly)
                button.setObjectName(f"task-{sid}")
                button.clicked.connect(lambda _=False, s=sid: self.activate(s))
                self.buttons[sid] = button
            self._layout.insertWidget(i, button)
            win = wm.get(sid)
            title = win.title or window_title(self.session.surfaces[sid])
            button.setText(title)
            button.setToolTip(f"{title} (minimised)" if win.minimized else title)
            font = button.font()
            font.setItalic(win.minimized)
            button.setFont(font)
            button.setChecked(wm.focus == sid and not win.minimized)
        self.empty.setVisible(not ids)

    def activate(self, sid: str) -> None:
        wm = self.session.windows
        win = wm.get(sid)
        if win is None:
            return
        if wm.focus == sid and not win.minimized:
            self.session.window_op("minimize", sid)
        else:
            self.session.window_op("raise", sid)
        self.refresh()

    def close(self) -> bool:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        return super().close()
