"""Shell commands in words: close / minimise / switch to / restore windows, theme, renderer.

"close the calculator" -> deleteSurface; "minimise everything" -> minimize commands; "switch to
notes" -> raise (or open notes if none is open); "dark mode" -> theme command.
"""
from __future__ import annotations

import re

from neuralos.planners.base import Refusal
from neuralos.planners.builtin.app import Ctx, Intent, Part
from neuralos.session import THEMES

_ALL = r"(?:all(?: (?:of )?the)?(?: windows| apps)?|everything|every(?: single)? window|all windows|them all|all of them|the lot)"
_THIS = r"(?:it|this|that|this window|that window|the window|the current window|current window|this app|the app)"
_CLOSE = re.compile(r"^(?:please\s+)?(?:close|quit|exit|kill|dismiss|shut(?: down)?|get rid of|remove|end)\s+(?P<t>.+?)(?:\s+please)?$")
_MIN = re.compile(r"^(?:please\s+)?(?:minimi[sz]e|hide|iconify|collapse|put away|tuck away)\s+(?P<t>.+?)(?:\s+please)?$")
_RESTORE = re.compile(r"^(?:please\s+)?(?:restore|unminimi[sz]e|unhide|un-minimi[sz]e|bring back|show)\s+(?P<t>"
                      + _ALL + r"|all(?: the)? (?:hidden|minimi[sz]ed) windows|(?:the\s+)?(?:hidden|minimi[sz]ed) windows)$")
_UNMIN = re.compile(r"^(?:please\s+)?(?:restore|unminimi[sz]e|unhide|un-minimi[sz]e|bring back)\s+(?P<t>.+)$")
_SWITCH = re.compile(r"^(?:please\s+)?(?:switch(?: back)? to|go(?: back)? to|focus(?: on)?|bring up|raise|return to|back to|"
                     r"show(?: me)?|open up|jump to|take me to|let me see)\s+(?P<t>.+?)(?:\s+(?:window|app))?(?:\s+please)?$|"
                     r"^(?:please\s+)?bring\s+(?P<t2>.+?)\s+(?:to the front|forward|to front)$")
_THEME = re.compile(r"^(?:please\s+)?(?:switch|change|go|turn|set|use|enable|activate|put|make (?:it|everything|the desktop)|"
                    r"make|give me|i want|i'd like)?\s*(?:on\s+|to\s+|the\s+|it\s+|a\s+|into\s+)*"
                    r"(?P<t>dark|darker|light|lighter|night|day|bright)(?:\s+(?:mode|theme|colou?rs?|look))?(?:\s+on)?(?:\s+(?:mode|theme))?(?:\s+please)?$")
_THEME_OFF = re.compile(r"^(?:please\s+)?(?:turn|switch)\s+off\s+(?:the\s+)?(?P<t>dark|light|night)\s+(?:mode|theme)$|"
                        r"^(?:please\s+)?(?:disable)\s+(?:the\s+)?(?P<t2>dark|light|night)\s+(?:mode|theme)$")
_TOGGLE = re.compile(r"^(?:please\s+)?(?:toggle|flip|switch|swap|change)\s+(?:the\s+)?(?:theme|dark mode|light mode|colou?rs|mode)$")
_RENDERER = re.compile(r"^(?:please\s+)?(?:use|switch to|change to|select|pick|set|render with|go)?\s*(?:the\s+)?(?:renderer\s+(?:to\s+)?)?"
                       r"(?P<r>neural|the neural|widgets?|qt(?: widgets?)?|auto(?:matic)?)(?:\s+render(?:er|ing))?(?:\s+mode)?$")
_STRIP = re.compile(r"^(?:the|my|a|an|that|this|those|these)\s+|\s+(?:window|windows|app|apps|application|program|please)$")


def _clean(target: str) -> str:
    prev = None
    while prev != target:
        prev, target = target, _STRIP.sub("", target.strip())
    return target.strip()


def find_windows(target: str, ctx: Ctx, apps: dict) -> list[str]:
    """Open windows that `target` names: all, it/this, an id, a title, or an app's name."""
    low = target.strip()
    ids = ctx.open_ids()
    if re.fullmatch(_ALL, low):
        return ids
    if re.fullmatch(_THIS, low):
        focused = ctx.state.focused
        if ctx.created:
            return [list(ctx.created)[-1]]
        return [focused.id] if focused is not None and ctx.exists(focused.id) else []
    name = _clean(low)
    if not name:
        return []
    exact = [sid for sid in ids if sid.lower() == name or _title(ctx, sid).lower() == name]
    if exact:
        return exact
    by_app = [sid for sid in ids if ctx.app_of(sid) in apps and apps[ctx.app_of(sid)].mentions(name)
              and re.fullmatch(apps[ctx.app_of(sid)]._alias_re.pattern + r"(?:\s+list)?", name)]
    if by_app:
        return by_app
    words = set(re.findall(r"\w+", name))
    return [sid for sid in ids if words and words <= set(re.findall(r"\w+", _title(ctx, sid).lower() + " " + sid.lower()))]


def _title(ctx: Ctx, sid: str) -> str:
    s = ctx.state.surface(sid)
    if s is not None:
        return s.title
    app = ctx.created.get(sid)
    return ctx.planner.apps[app].title if app in ctx.planner.apps else sid


def understand(part: Part, ctx: Ctx, apps: dict) -> list[Intent] | None:
    low = part.low
    m = _THEME_OFF.match(low)
    if m:
        t = m.group("t") or m.group("t2")
        return [Intent(None, "theme", {"theme": "light" if t in ("dark", "night") else "dark"})]
    if _TOGGLE.match(low):
        return [Intent(None, "theme", {"theme": "light" if ctx.state.theme == "dark" else "dark"})]
    m = _THEME.match(low)
    if m:
        t = m.group("t")
        return [Intent(None, "theme", {"theme": "dark" if t in ("dark", "darker", "night") else "light"})]
    m = _RENDERER.match(low)
    if m and ("render" in low or low.startswith(("use ", "switch to ", "render with "))):
        r = m.group("r").replace("the ", "")
        name = "neural" if r == "neural" else "auto" if r.startswith("auto") else "widgets"
        return [Intent(None, "renderer", {"renderer": name})]
    m = _CLOSE.match(low)
    if m:
        return [Intent(None, "close", {"target": m.group("t"), "text": part.group(m, "t")})]
    m = _RESTORE.match(low)
    if m:
        return [Intent(None, "restore", {"target": "all"})]
    m = _MIN.match(low)
    if m:
        return [Intent(None, "minimize", {"target": m.group("t"), "text": part.group(m, "t")})]
    m = _UNMIN.match(low)
    if m:
        return [Intent(None, "restore", {"target": m.group("t"), "text": part.group(m, "t")})]
    m = _SWITCH.match(low)
    if m:
        t = m.group("t") or m.group("t2")
        name = "t" if m.group("t") else "t2"
        targets = find_windows(t, ctx, apps)
        if targets:
            return [Intent(None, "raise", {"target": t, "text": part.group(m, name)})]
        return None   # "show me a timer": not a window; let the apps have it
    return None


def run(ctx: Ctx, intent: Intent, apps: dict) -> None:
    verb = intent.verb
    if verb == "theme":
        theme = intent.args["theme"]
        if theme not in THEMES:
            raise Refusal(f"there is no {theme} theme")
        ctx.command("theme", value=theme)
        ctx.reply(f"Switched to the {theme} theme.")
        return
    if verb == "renderer":
        ctx.command("renderer", value=intent.args["renderer"])
        ctx.reply(f"Switching to the {intent.args['renderer']} renderer.")
        return
    target = intent.args.get("target", "")
    shown = intent.args.get("text", target)
    if verb == "restore" and target == "all":
        ids = [s.id for s in ctx.state.surfaces.values() if s.minimized and ctx.exists(s.id)]
        for sid in ids:
            ctx.command("raise", sid)
        ctx.reply(f"Restored {len(ids)} window{'s' if len(ids) != 1 else ''}." if ids else "No window is minimised.")
        return
    ids = find_windows(target, ctx, apps)
    if not ids and verb in ("close", "minimize"):      # "close notes and the calculator"
        pieces = [p for p in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", target) if p.strip()]
        found = [find_windows(p, ctx, apps) for p in pieces] if len(pieces) > 1 else []
        if found and all(found):
            ids = list(dict.fromkeys(sid for group in found for sid in group))
    if not ids:
        if not ctx.open_ids():
            raise Refusal(f"there is no window open to {verb}")
        raise Refusal(f"there is no window “{shown}” open (open: "
                      + ", ".join(_title(ctx, s) for s in ctx.open_ids()) + ")")
    titles = ", ".join(_title(ctx, s) for s in ids)
    if verb == "close":
        for sid in ids:
            ctx.delete(sid)
        ctx.reply(f"Closed {titles}.")
    elif verb == "minimize":
        for sid in ids:
            if sid in ctx.state.surfaces:
                ctx.command("minimize", sid)
        ctx.reply(f"Minimised {titles}.")
    elif verb in ("raise", "restore"):
        sid = ids[-1]
        ctx.raise_(sid)
        ctx.last_app = ctx.app_of(sid)
        ctx.reply(f"Switched to {_title(ctx, sid)}.")
