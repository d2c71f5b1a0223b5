"""From free text to intents: split multi-part requests, then let apps and shell commands claim each part.

"open notes and add 'buy milk'" -> ["open notes", "add 'buy milk'"]; each part is tried, in order,
against the apps' own phrases ("set a timer for 5 minutes"), shell commands ("close the
calculator"), app names ("open notes, todo and the calculator") and follow-ups on the app in
context ("add 'buy milk'"). A part nobody claims makes the whole request a `Refusal`.
"""
from __future__ import annotations

import re

from neuralos.planners.base import Refusal
from neuralos.planners.builtin import shell
from neuralos.planners.builtin.app import Ctx, Intent, Part

_VERBS = (r"open|close|add|put|set|start|stop|pause|resume|reset|show|switch|minimi[sz]e|hide|restore|make|create|launch|"
          r"list|convert|calculate|compute|what|what's|whats|go|bring|take|jot|write|note|remind|mark|complete|remove|"
          r"delete|clear|toggle|turn|use|change|focus|check|tick|time|count|new|give|run|tell|how|browse|sign|log|"
          r"i need|i want|i'd like|please|quit|exit|dark|light|unminimi[sz]e|raise")
_SPLIT = re.compile(rf"\s*;\s*|(?<=\w)[.!?]\s+|\s*,?\s+(?:and then|and also|then|and|also|after that|plus)\s+(?=(?:{_VERBS})\b)|"
                    rf"\s*,\s+(?=(?:{_VERBS})\b)")
_OPEN_VERBS = (r"open|launch|start|run|show(?: me)?|bring up|give me|i need|i want|i'd like(?: to see)?|let me see|new|create|"
               r"make|pull up|fire up|get me|can i have|can you open|could you open|display|add|i want to use|use")
_OPEN = re.compile(rf"^(?:please\s+)?(?:(?P<verb>{_OPEN_VERBS})\s+)?(?:up\s+)?(?P<rest>.+?)(?:\s+(?:for me|please|now))*$")
_ARTICLES = re.compile(r"^(?:a|an|the|my|some|another|new|of|me)\s+|\s+(?:app|application|window|program|tool|please)$")
_FILLER = {"to", "the", "a", "an", "my", "some", "me", "for", "please", "up", "app", "application", "window", "use",
           "see", "write", "new", "now", "just", "quickly", "your", "with", "on", "open", "have", "get", "take",
           "look", "at", "little", "simple", "quick", "nice", "small", "make", "keep", "of", "can", "you", "i"}
_FOLLOW = re.compile(r"^(?:please\s+)?(?:also\s+)?(?:add|put|write|append|include|jot down|enter|type)\s+(?P<t>.+?)"
                     r"(?:\s+(?:to it|to that|in it|there|too|as well|also))?$")


def split(text: str) -> list[Part]:
    """The clauses of a multi-part request (quoted text is never split)."""
    whole = Part(text)
    parts, pos = [], 0
    for m in _SPLIT.finditer(whole.low):
        parts.append(whole.clause(pos, m.start()))
        pos = m.end()
    parts.append(whole.clause(pos, len(whole.low)))
    out = []
    for p in parts:
        lead = re.match(r"(?:then|and then|and|also|after that|plus)\s+", p.low)
        out.append(p.clause(lead.end(), len(p.low)) if lead else p)
    return [p for p in out if p.low]


def _clean(chunk: str) -> str:
    prev = None
    while prev != chunk:
        prev, chunk = chunk, _ARTICLES.sub("", chunk.strip())
    return chunk.strip()


def _open(part: Part, apps: dict) -> list[Intent] | None:
    m = _OPEN.match(part.low)
    if not m:
        return None
    chunks = [c for c in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*", m.group("rest")) if c.strip()]
    found = []
    for chunk in chunks:
        name = _clean(chunk)
        app = next((a for a in apps.values() if a._alias_re.fullmatch(name)), None)
        if app is None:
            found = None
            break
        found.append(Intent(app.name, "open"))
    if found:
        return found
    if m.group("verb") and m.group("verb") not in ("add", "use"):
        mentioned = [a for a in apps.values() if a.mentions(part.low)]
        if len(mentioned) == 1:
            rest = mentioned[0]._alias_re.sub(" ", m.group("rest"))
            if set(re.findall(r"[\w']+", rest)) <= _FILLER:
                return [Intent(mentioned[0].name, "open")]
    return None


def _follow_up(part: Part, ctx: Ctx, apps: dict) -> list[Intent] | None:
    m = _FOLLOW.match(part.low)
    if not m:
        return None
    app = ctx.last_app
    if app not in ("notes", "todo"):
        focused = ctx.state.focused
        app = focused.app if focused is not None else None
    if app not in ("notes", "todo"):
        raise Refusal(f"add “{part.group(m, 't')}” where? Say 'add … to my notes' or 'add … to my todo list'")
    return [Intent(app, "add", {"text": part.group(m, "t")})]


def understand(part: Part, ctx: Ctx, apps: dict) -> list[Intent] | None:
    """The intents in one clause, or None when the builtin planner cannot tell what it means."""
    for app in apps.values():
        found = app.understand(part, ctx)
        if found:
            return found
    return shell.understand(part, ctx, apps) or _open(part, apps) or _follow_up(part, ctx, apps)


def understand_all(part: Part, ctx: Ctx, apps: dict) -> list[Intent]:
    """`understand`, and for a clause nobody claims, its " and "-separated pieces (so "open notes and
    order a pizza" is refused for "order a pizza", and "close notes and the timer" still works)."""
    found = understand(part, ctx, apps)
    if found:
        return found
    pieces, pos = [], 0
    for m in re.finditer(r"\s*,\s*(?:and\s+)?|\s+and\s+", part.low):
        pieces.append(part.clause(pos, m.start()))
        pos = m.end()
    pieces.append(part.clause(pos, len(part.low)))
    if len(pieces) > 1:
        out = []
        for piece in pieces:
            got = understand(piece, ctx, apps) if piece.low else None
            if not got:
                raise refusal(piece.text, apps)
            out += got
        return out
    raise refusal(part.text, apps)


def refusal(text: str, apps: dict) -> Refusal:
    text = " ".join(text.split())
    text = text if len(text) <= 80 else text[:77] + "…"
    names = ", ".join(a.title.lower() for a in apps.values() if a.name != "help")
    return Refusal(f"I can't do “{text}” with the builtin planner: it opens {names}, and closes, switches and "
                   "minimises windows or changes the theme (say 'help' for examples). An LLM planner can handle "
                   "free-form requests: use --planner PATH_TO_MODEL or --planner openai-compatible")
