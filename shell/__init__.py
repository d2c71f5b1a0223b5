"""The neuralos desktop shell: the Qt application around the desktop canvas.

Main window (`shell.window`), intent bar, taskbar, status line and menus; stdin A2UI input for agents
(`shell.agent`); the single-instance guard (`shell.single`); desktop integration (`shell.integration`);
the time-to-first-frame measure (`shell.bench`). `shell.app.run(options)` starts it all.

This module is Qt-free: it names the application, so that the CLI and packaging can use the names
without importing Qt.
"""
from __future__ import annotations

APP_ID = "io.github.neuralos.NeuralOS"   # reverse-DNS id: desktop file, AppStream id, icon name
APP_NAME = "neuralos"                    # QApplication name: WM_CLASS class, settings, data folder
ORG_NAME = "neuralos"
ORG_DOMAIN = "neuralos.github.io"
DISPLAY_NAME = "NeuralOS"                # what people read: window title, menus, the desktop entry
