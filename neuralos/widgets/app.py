"""The one QApplication: headless when there is no display, bundled fonts, Fusion, hinting off.

Frames must be byte-identical across machines, so every widget paints with the bundled DejaVu fonts
(`neuralos.resources.FONTS`), with hinting off and greyscale antialiasing, in the Fusion style.
"""
from __future__ import annotations

import os
import sys
from functools import lru_cache

from neuralos.errors import NeuralosError
from neuralos.resources import FONTS

SANS = "DejaVu Sans"
MONO = "DejaVu Sans Mono"
BASE_PX = 14          # body text size in pixels; the variants scale from it

_configured = False


def _has_display() -> bool:
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def ensure_app(headless: bool | None = None):
    """The QApplication singleton, created and configured on first use.

    `headless=True` forces the offscreen platform (only effective before the app exists); by default
    it is used when there is no display.
    """
    global _configured
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if (headless or not _has_display()) and not os.environ.get("QT_QPA_PLATFORM"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication([sys.argv[0] if sys.argv and sys.argv[0] else "neuralos"])
    if not _configured:
        from neuralos import qtfix
        qtfix.apply()      # PySide6 emit() refcount bug: must precede the canvas's frequent emits
        pin_singletons()
        _configure(app)
        _configured = True
    return app


_PINNED = False


def pin_singletons() -> bool:
    """Keep None/True/False alive under a PySide6 reference-count bug.

    PySide6 6.12 (shiboken) returns `None` from every void method (`update()`, `setGeometry()`,
    `QWidget.render()` ...) without a reference of its own, so each call takes one reference from
    `None`; a desktop that repaints for a while drives it to zero and CPython 3.11 aborts with
    "none_dealloc: deallocating None" (3.12+ has immortal singletons). Giving the three singletons a
    huge reference count makes them immortal in effect. Returns True when it applied.
    """
    global _PINNED
    if _PINNED or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return _PINNED
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 48
    _PINNED = True
    return True


def _configure(app) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontDatabase

    missing = []
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf"):
        path = FONTS / name
        if not path.is_file() or QFontDatabase.addApplicationFont(str(path)) < 0:
            missing.append(str(path))
    if missing:
        raise NeuralosError(f"bundled fonts missing or unreadable: {', '.join(missing)}")
    app.setStyle("Fusion")
    app.setFont(make_font(BASE_PX))
    for effect in (Qt.UI_AnimateMenu, Qt.UI_FadeMenu, Qt.UI_AnimateCombo, Qt.UI_AnimateTooltip,
                   Qt.UI_FadeTooltip, Qt.UI_AnimateToolBox):
        app.setEffectEnabled(effect, False)
    from neuralos.widgets.theme import get_theme
    app.setPalette(get_theme("light").palette())


@lru_cache(maxsize=None)
def _font_key(px: int, bold: bool, italic: bool, mono: bool):
    from PySide6.QtGui import QFont

    f = QFont(MONO if mono else SANS)
    f.setPixelSize(px)
    f.setBold(bold)
    f.setItalic(italic)
    f.setHintingPreference(QFont.PreferNoHinting)
    f.setStyleStrategy(QFont.StyleStrategy(QFont.PreferAntialias | QFont.NoSubpixelAntialias))
    f.setKerning(True)
    return f


def make_font(px: int, bold: bool = False, italic: bool = False, mono: bool = False):
    """A bundled DejaVu font at a pixel size, hinting off, greyscale antialiasing."""
    from PySide6.QtGui import QFont

    return QFont(_font_key(int(px), bool(bold), bool(italic), bool(mono)))
