"""Light and dark themes: a Fusion QPalette plus the few colours the custom-painted parts use.

A surface's `theme.primaryColor` replaces the primary colour for that window (primary buttons,
active input borders, slider fill, checked indicators, the selected tab). `Theme.scene_dict()` is what
goes into `Scene.theme`: every colour as "#rrggbb".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Theme:
    name: str
    dark: bool
    desktop: str          # canvas background
    background: str       # window body
    foreground: str       # normal text
    muted: str            # captions, secondary text
    primary: str          # highlights (surface primaryColor overrides it)
    on_primary: str       # text on primary fills
    base: str             # input fields
    button: str           # default button face
    card: str             # card fill
    border: str           # frames, dividers
    error: str            # validation messages, invalid borders
    title: str            # inactive title bar
    title_active: str     # focused window's title bar
    title_text: str
    placeholder: str      # media placeholder fill
    scrim: str            # modal backdrop colour (painted at SCRIM_ALPHA)
    # Testing hook: paint every text run in this colour (glyph-alignment checks). Never themed.
    ink: str | None = field(default=None, compare=True)

    def with_primary(self, color: str | None) -> "Theme":
        if color and _HEX.match(color) and color.lower() != self.primary:
            return replace(self, primary=color.lower(), on_primary=_contrast(color))
        return self

    def text_color(self, which: str = "foreground") -> str:
        return self.ink or getattr(self, which)

    def qcolor(self, which: str):
        from PySide6.QtGui import QColor

        return QColor(getattr(self, which))

    def palette(self):
        """The Fusion palette for widgets painted by the style (sliders, scroll bars)."""
        from PySide6.QtGui import QColor, QPalette

        c = QColor
        pal = QPalette(c(self.button), c(self.background))
        roles = {
            QPalette.Window: self.background, QPalette.WindowText: self.foreground,
            QPalette.Base: self.base, QPalette.AlternateBase: self.card,
            QPalette.Text: self.foreground, QPalette.Button: self.button,
            QPalette.ButtonText: self.foreground, QPalette.Highlight: self.primary,
            QPalette.HighlightedText: self.on_primary, QPalette.PlaceholderText: self.muted,
            QPalette.ToolTipBase: self.card, QPalette.ToolTipText: self.foreground,
            QPalette.Link: self.primary, QPalette.BrightText: self.error,
        }
        for role, colour in roles.items():
            pal.setColor(QPalette.All, role, c(colour))
        for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
            pal.setColor(QPalette.Disabled, role, c(self.muted))
        pal.setColor(QPalette.Disabled, QPalette.Highlight, c(self.border))
        return pal

    def scene_dict(self, surfaces: dict[str, str] | None = None) -> dict:
        d = {"name": self.name, "dark": self.dark}
        for k in ("background", "foreground", "primary", "desktop", "muted", "base", "button", "card",
                  "border", "error", "title", "title_active", "title_text", "placeholder", "scrim",
                  "on_primary"):
            d[k] = getattr(self, k)
        d["scrim_alpha"] = SCRIM_ALPHA
        if surfaces:
            d["surface_primary"] = dict(sorted(surfaces.items()))
        return d


SCRIM_ALPHA = 110   # of 255


def _contrast(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 160 else "#ffffff"


THEMES = {
    "light": Theme(
        name="light", dark=False, desktop="#4a6d94", background="#ffffff", foreground="#1f2328",
        muted="#59636e", primary="#1a73e8", on_primary="#ffffff", base="#ffffff", button="#eef0f3",
        card="#f6f8fa", border="#c8d0d9", error="#cf222e", title="#e4e8ed", title_active="#cfd8e3",
        title_text="#1f2328", placeholder="#dde3ea", scrim="#000000",
    ),
    "dark": Theme(
        name="dark", dark=True, desktop="#1b2838", background="#1e1f22", foreground="#e6e7e9",
        muted="#9ba1a9", primary="#4c8df6", on_primary="#ffffff", base="#141517", button="#33363b",
        card="#2a2c30", border="#464a51", error="#ff6b6b", title="#2b2d31", title_active="#3a3f47",
        title_text="#e6e7e9", placeholder="#3a3e44", scrim="#000000",
    ),
}


def get_theme(name: str) -> Theme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r} (choose {', '.join(THEMES)})") from None


def surface_theme(base: Theme, surface) -> Theme:
    """The theme one surface's window paints with: the base theme plus its primaryColor."""
    return base.with_primary((getattr(surface, "theme", None) or {}).get("primaryColor"))
