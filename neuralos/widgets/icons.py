"""The basic catalog's icon names as glyphs of the bundled DejaVu Sans (every one is in the font)."""
from __future__ import annotations

ICON_GLYPHS = {
    "accountCircle": "☻", "add": "✚", "arrowBack": "←", "arrowForward": "→", "attachFile": "⌘",
    "calendarToday": "▦", "call": "☏", "camera": "◉", "check": "✓", "close": "✕", "delete": "⌫",
    "download": "⬇", "edit": "✎", "event": "◷", "error": "⊗", "fastForward": "≫", "favorite": "♥",
    "favoriteOff": "♡", "folder": "❐", "help": "?", "home": "⌂", "info": "ℹ", "locationOn": "⚑",
    "lock": "⚷", "lockOpen": "⚐", "mail": "✉", "menu": "☰", "moreVert": "⋮", "moreHoriz": "⋯",
    "notificationsOff": "⊘", "notifications": "✱", "pause": "‖", "payment": "¤", "person": "☺",
    "phone": "☎", "photo": "▣", "play": "▶", "print": "⌨", "refresh": "↻", "rewind": "«",
    "search": "⚲", "send": "➤", "settings": "⚙", "share": "⇪", "shoppingCart": "⊔", "skipNext": "⇥",
    "skipPrevious": "⇤", "star": "★", "starHalf": "✬", "starOff": "☆", "stop": "■", "upload": "⬆",
    "visibility": "⊙", "visibilityOff": "⊘", "volumeDown": "◁", "volumeMute": "⊖", "volumeOff": "⊗",
    "volumeUp": "♪", "warning": "⚠",
}
FALLBACK_GLYPH = "◆"   # unknown names and custom svgPath icons still show something


def glyph_for(name) -> str:
    if isinstance(name, str):
        return ICON_GLYPHS.get(name) or ICON_GLYPHS.get(name[:1].lower() + name[1:]) or FALLBACK_GLYPH
    return FALLBACK_GLYPH
