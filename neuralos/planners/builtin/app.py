"""What every builtin app shares: the `App` base class, parsed `Intent`s and the planning `Ctx`.

An app owns the surfaces whose theme says `"neuralosApp": <its name>`. It opens them (`open`),
answers their buttons (`on_action`, from A2UI `action` messages) and understands its own phrases
(`understand`: "add milk to my todo list" -> Intent("todo", "add", {"items": ["milk"]})).

`Ctx` collects one request's effects. Apps read and change a surface's data through `ctx.data(sid)`
(a working copy); `ctx.finish()` turns everything into one atomic batch: new surfaces, components,
data-model updates of only the keys that changed, deletions, and shell commands.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from neuralos.planners.base import PlannerState, PlanStep, Refusal, ShellCommand
from neuralos.planners.builtin import ui

if TYPE_CHECKING:
    from neuralos.planners.builtin.planner import BuiltinPlanner


@dataclass
class Intent:
    """One understood request: `verb` on `app` (None for shell commands) with `args`."""

    app: str | None
    verb: str
    args: dict = field(default_factory=dict)
    text: str = ""


_QUOTES = {"'": "'", '"': '"', "\u2018": "\u2019", "\u201c": "\u201d"}


class Part:
    """One clause of an intent, ready for patterns.

    `low` is the text lower-cased, with runs of spaces collapsed and each quoted span replaced by a
    placeholder `\\x00N\\x00` (so patterns never look inside what the user quoted); `quoted[N]` is the
    span's text. `original(start, end)` maps a slice of `low` back to the user's own text.
    """

    def __init__(self, text: str):
        self.text = text.strip().rstrip(".!?").strip()
        self.quoted: list[str] = []
        chars: list[str] = []
        spans: list[tuple[int, int]] = []
        s, i = self.text, 0
        while i < len(s):
            ch = s[i]
            close = _QUOTES.get(ch)
            if close and (i == 0 or not s[i - 1].isalnum()):
                end = s.find(close, i + 1)
                while end != -1 and end + 1 < len(s) and s[end + 1].isalnum():
                    end = s.find(close, end + 1)
                if end > i + 1:
                    token = f"\x00{len(self.quoted)}\x00"
                    self.quoted.append(s[i + 1:end])
                    chars += list(token)
                    spans += [(i, end + 1)] * len(token)
                    i = end + 1
                    continue
            if ch.isspace():
                if chars and chars[-1] == " ":
                    i += 1
                    continue
                ch = " "
            chars.append("'" if ch == "\u2019" else ch.lower())
            spans.append((i, i + 1))
            i += 1
        self.low = "".join(chars)
        self._spans = spans

    def original(self, start: int, end: int) -> str:
        """The user's text for `low[start:end]`; a fragment that is one quoted span loses its quotes."""
        frag = self.low[start:end]
        lead = len(frag) - len(frag.lstrip())
        start, end = start + lead, start + len(frag.rstrip())
        if start >= end:
            return ""
        m = re.fullmatch(r"\x00(\d+)\x00", self.low[start:end])
        if m:
            return self.quoted[int(m.group(1))]
        return self.text[self._spans[start][0]:self._spans[end - 1][1]]

    def group(self, m: re.Match, name: str) -> str:
        """The user's text for a named group of a match on `low`."""
        return self.original(m.start(name), m.end(name)) if m.group(name) is not None else ""

    def items(self, m: re.Match, name: str) -> list[str]:
        """A group split into list items ("eggs, milk and bread"); quoted items stay whole."""
        start = m.start(name)
        out = []
        for piece in re.finditer(r"[^,;]+", m.group(name)):
            chunk_start = start + piece.start()
            sub = piece.group(0)
            pos = 0
            for sep in re.finditer(r"\s+and\s+", sub):
                out.append(self.original(chunk_start + pos, chunk_start + sep.start()))
                pos = sep.end()
            out.append(self.original(chunk_start + pos, chunk_start + len(sub)))
        return [o.strip(" .") for o in out if o.strip(" .")]

    def clause(self, start: int, end: int) -> "Part":
        """A sub-clause (for multi-part intents), quotes kept."""
        frag = self.low[start:end]
        lead = len(frag) - len(frag.lstrip())
        start, end = start + lead, start + len(frag.rstrip())
        if start >= end:
            return Part("")
        return Part(self.text[self._spans[start][0]:self._spans[end - 1][1]])


def split_items(text: str) -> list[str]:
    """"eggs, milk and bread" -> ["eggs", "milk", "bread"] (quoted items stay whole)."""
    part = Part(text)
    m = re.fullmatch(r"(?P<all>.*)", part.low)
    return part.items(m, "all")


class App:
    """Base class of builtin apps. Subclasses set the class attributes and override hooks."""

    name = "app"
    title = "App"
    about = ""                      # one line for the help window
    examples: tuple[str, ...] = ()
    aliases = r"(?!x)x"             # regex for the app's names ("notes?|notepad")
    singleton = True                # reuse the open window instead of opening another

    def __init__(self, planner: "BuiltinPlanner"):
        self.planner = planner
        self._alias_re = re.compile(rf"\b(?:{self.aliases})\b")

    def mentions(self, low: str) -> bool:
        return bool(self._alias_re.search(low))

    # -- hooks ------------------------------------------------------------------------------------
    def initial_data(self, ctx: "Ctx", args: dict) -> dict:
        return {}

    def components(self, ctx: "Ctx", sid: str, data: dict) -> list[dict]:
        raise NotImplementedError

    def understand(self, part: Part, ctx: "Ctx") -> list[Intent] | None:
        """Intents for phrases only this app understands (beyond "open <app>"), or None."""
        return None

    def run(self, ctx: "Ctx", intent: Intent) -> None:
        """Carry out an intent of this app. The default opens it."""
        self.open(ctx, intent.args)

    def on_action(self, ctx: "Ctx", sid: str, name: str, context: dict) -> None:
        raise Refusal(f"the {self.title} app has no button called {name!r}")

    def after_open(self, ctx: "Ctx", sid: str) -> None:
        """Called when the app's window is opened or raised (timers schedule their tick here)."""

    # -- helpers ----------------------------------------------------------------------------------
    def open(self, ctx: "Ctx", args: dict | None = None) -> str:
        """Raise the app's window if open (singleton apps), else create it. Returns its id."""
        args = args or {}
        existing = ctx.surfaces_of(self.name)
        if existing and self.singleton:
            sid = existing[-1]
            ctx.raise_(sid)
            self.reopen(ctx, sid, args)
        else:
            sid = ctx.new_id(self.name)
            data = self.initial_data(ctx, args)
            ctx.create(sid, self.name, self.title, data)
            ctx.set_components(sid, self.components(ctx, sid, ctx.data(sid)))
        ctx.last_app = self.name
        self.after_open(ctx, sid)
        return sid

    def reopen(self, ctx: "Ctx", sid: str, args: dict) -> None:
        """An open window was asked for again with `args` (e.g. a new timer duration)."""


class Ctx:
    """One request's working state; see the module docstring."""

    def __init__(self, state: PlannerState, planner: "BuiltinPlanner"):
        self.state = state
        self.planner = planner
        self.now = planner.clock()
        self.messages: list[dict] = []
        self.commands: list[ShellCommand] = []
        self.replies: list[str] = []
        self.created: dict[str, str] = {}       # sid -> app, made by this request
        self.deleted: set[str] = set()
        self.last_app: str | None = None
        self._work: dict[str, Any] = {}
        self._orig: dict[str, Any] = {}

    # -- surfaces ---------------------------------------------------------------------------------
    def exists(self, sid: str) -> bool:
        return sid in self.created or (sid in self.state.surfaces and sid not in self.deleted)

    def app_of(self, sid: str) -> str | None:
        if sid in self.created:
            return self.created[sid]
        s = self.state.surface(sid)
        return s.app if s is not None else None

    def surfaces_of(self, app: str) -> list[str]:
        ids = [s.id for s in self.state.by_app(app) if s.id not in self.deleted]
        return ids + [sid for sid, a in self.created.items() if a == app]

    def open_ids(self) -> list[str]:
        """Open windows, bottom first (the state's z-order, then this request's new ones)."""
        return [s for s in self.state.order if self.exists(s)] + [s for s in self.created if s not in self.state.order]

    def new_id(self, app: str) -> str:
        sid, n = app, 1
        while self.exists(sid) or sid in self.state.surfaces:
            n += 1
            sid = f"{app}-{n}"
        return sid

    def create(self, sid: str, app: str, title: str, data: dict) -> None:
        self.messages.append(ui.create_surface(sid, title, app))
        self.created[sid] = app
        self.deleted.discard(sid)
        self._work[sid] = copy.deepcopy(data)
        self._orig[sid] = None

    def set_components(self, sid: str, components: list[dict]) -> None:
        self.messages.append(ui.update_components(sid, components))

    def delete(self, sid: str) -> None:
        if sid in self.created:
            self.created.pop(sid)
        self.deleted.add(sid)
        self._work.pop(sid, None)
        self.messages.append(ui.delete_surface(sid))

    def data(self, sid: str) -> Any:
        """A working copy of the surface's data model; changes are sent by `finish()`."""
        if sid not in self._work:
            s = self.state.surface(sid)
            value = copy.deepcopy(s.data) if s is not None else {}
            self._work[sid] = value if isinstance(value, dict) else {}
            self._orig[sid] = copy.deepcopy(self._work[sid])
        return self._work[sid]

    # -- shell ------------------------------------------------------------------------------------
    def raise_(self, sid: str) -> None:
        cmd = ShellCommand("raise", sid)
        if sid in self.state.surfaces and cmd not in self.commands:
            self.commands.append(cmd)

    def command(self, op: str, surface: str | None = None, value: Any = None) -> None:
        self.commands.append(ShellCommand(op, surface, value))

    def schedule(self, sid: str, after: float, name: str = "tick", context: dict | None = None) -> None:
        self.commands = [c for c in self.commands
                         if not (c.op == "schedule" and c.surface == sid and c.value.get("name") == name)]
        self.commands.append(ShellCommand("schedule", sid, {"after": after, "name": name,
                                                            "context": context or {}}))

    def reply(self, text: str) -> None:
        self.replies.append(text)

    # -- result -----------------------------------------------------------------------------------
    def finish(self) -> PlanStep:
        messages = list(self.messages)
        for sid, data in self._work.items():
            if not self.exists(sid):
                continue
            orig = self._orig.get(sid)
            if orig is None:
                messages.append(ui.update_data(sid, data))
                continue
            for key in data:
                if key not in orig or orig[key] != data[key]:
                    messages.append(ui.update_data(sid, data[key], "/" + key.replace("~", "~0").replace("/", "~1")))
            for key in orig:
                if key not in data:
                    messages.append({"version": ui.VERSION, "updateDataModel": {
                        "surfaceId": sid, "path": "/" + key.replace("~", "~0").replace("/", "~1")}})
        commands = [c for c in self.commands if c.surface is None or self.exists(c.surface)]
        reply = " ".join(self.replies)
        return PlanStep(messages=messages, commands=commands, reply=reply, status=reply)
