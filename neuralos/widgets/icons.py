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
# Common Material Symbols names agents use beyond the catalog's list (snake_case is normalised first).
EXTRA_GLYPHS = {
    "priorityHigh": "!", "checkCircle": "✓", "cancel": "✕", "schedule": "◷", "accessTime": "◷",
    "thumbUp": "▲", "thumbDown": "▼", "expandMore": "⌄", "expandLess": "⌃", "chevronRight": "›",
    "chevronLeft": "‹", "remove": "−", "clear": "✕", "done": "✓", "place": "⚑", "email": "✉",
    "starBorder": "☆", "musicNote": "♪", "sunny": "☀", "cloud": "☁", "flight": "✈", "today": "▦",
    "calendarMonth": "▦", "keyboard": "⌨", "eject": "⏏", "flag": "⚑", "key": "⚷",
}
FALLBACK_GLYPH = "◆"   # unknown names and custom svgPath icons still show something


def _camel(name: str) -> str:
    head, *rest = name.replace("-", "_").split("_")
    return head[:1].lower() + head[1:] + "".join(p[:1].upper() + p[1:] for p in rest)


def glyph_for(name) -> str:
    if isinstance(name, str) and name:
        key = _camel(name.strip())
        return ICON_GLYPHS.get(key) or EXTRA_GLYPHS.get(key) or FALLBACK_GLYPH
    return FALLBACK_GLYPH
