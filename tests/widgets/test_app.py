"""The shared QApplication setup and the text layout the scene depends on."""
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication

from neuralos.widgets.app import BASE_PX, ensure_app, make_font
from neuralos.widgets.text import TextBox, py_to_u16, u16_to_py
from neuralos.widgets.theme import THEMES, get_theme


def test_app_is_a_configured_singleton(app):
    assert ensure_app() is app is QApplication.instance()
    assert app.style().name().lower() == "fusion"
    f = app.font()
    assert QFontInfo(f).family() == "DejaVu Sans" and f.pixelSize() == BASE_PX
    assert f.hintingPreference() == QFont.PreferNoHinting


def test_fonts_are_the_bundled_dejavu(app):
    for mono, family in ((False, "DejaVu Sans"), (True, "DejaVu Sans Mono")):
        f = make_font(20, bold=True, mono=mono)
        assert QFontInfo(f).family() == family and QFontInfo(f).bold()
        assert f.hintingPreference() == QFont.PreferNoHinting
        assert f.styleStrategy() & QFont.NoSubpixelAntialias


def test_utf16_index_conversion():
    s = "a🌍b日"
    assert py_to_u16(s, 2) == 3 and u16_to_py(s, 3) == 2 and u16_to_py(s, 99) == len(s)


def test_textbox_wraps_and_aligns(app):
    box = TextBox("alpha beta gamma delta", make_font(14), wrap=True)
    w = box.natural_width()
    assert len(box.lines(QRect(0, 0, w, 100))) == 1
    narrow = box.lines(QRect(0, 0, w // 2, 100))
    assert len(narrow) >= 2 and " ".join(l.text for l in narrow) == "alpha beta gamma delta"
    assert box.height_for_width(w // 2) == box.line_height * len(narrow)
    centered = TextBox("mid", make_font(14), wrap=False, align=Qt.AlignCenter)
    (line,) = centered.lines(QRect(0, 0, 100, 40))
    assert abs(line.x + line.width / 2 - 50) <= 1
    elided = TextBox("a very long title that will not fit", make_font(14), wrap=False, elide=True)
    (line,) = elided.lines(QRect(0, 0, 80, 20))
    assert line.text.endswith("…") and line.width <= 80
    assert TextBox("two\nlines", make_font(14)).size_hint()[1] == 2 * box.line_height


def test_themes_have_hex_colours():
    for name in THEMES:
        d = get_theme(name).scene_dict()
        assert {"name", "dark", "background", "foreground", "primary"} <= d.keys()
        for k, v in d.items():
            if isinstance(v, str) and k != "name":
                assert v.startswith("#") and len(v) == 7, (k, v)
    t = get_theme("light").with_primary("#123456")
    assert t.primary == "#123456" and t.on_primary == "#ffffff"
    assert get_theme("light").with_primary("not a colour") == get_theme("light")


def test_void_qt_calls_cannot_free_none(app):
    """PySide6 6.12 leaks a reference to None per void call; the app pins the singletons (py<3.12)."""
    import sys
    from PySide6.QtWidgets import QWidget
    w = QWidget()
    for _ in range(20000):
        w.update()
    assert sys.getrefcount(None) > 1_000_000
