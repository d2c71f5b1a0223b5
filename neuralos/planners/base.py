"""The planner contract: (current UI state, intent or action) -> a stream of A2UI message batches.

A planner is a `Planner` subclass whose `plan(state, request, cancel)` yields `PlanStep`s:

- `messages` — a batch of A2UI v0.9 server-to-client messages, applied atomically by the runner.
  `provisional=True` marks a streamed piece of an answer that is still arriving (components may
  refer to children not sent yet); the runner applies it at once (progressive rendering) and the
  plan's end is checked strictly.
- `commands` — `ShellCommand`s for what A2UI has no message for: window operations and settings
  of the desktop itself (closing a window is A2UI's `deleteSurface`, not a command).
- `rollback=True` — undo everything this plan applied so far (a streamed answer turned out invalid
  and the planner is about to try again).
- `status` / `progress` — what the shell shows while the planner works, and `reply`, a sentence
  for the user ("12 × 7 = 84").

`request` is intent text, or an A2UI client-to-server `action` message (a dict) when the user
clicked a button. A planner that cannot do what was asked raises `Refusal` (saying what it can do);
one that fails raises `PlannerError`. Both leave the desktop as it was.
"""
from __future__ import annotations

import copy
import json
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping

from neuralos.errors import NeuralosError

VERSION = "v0.9"


class PlannerError(NeuralosError):
    """A planner could not produce a valid answer (model failure, timeout, dropped connection).

    The message is kept to one line (it ends up in a status bar and on stderr).
    """

    exit_code = 1

    def __init__(self, message: str = ""):
        super().__init__(" ".join(str(message).split()))


class Refusal(PlannerError):
    """The planner understood that it cannot do this, and says what it can do instead."""


# -- shell commands -------------------------------------------------------------------------------

#: op -> (needs a surface, value kind or None). Executed by `PlannerRunner` (window ops, theme) or
#: handed to the shell (`renderer`, `planner`). `schedule` asks the runner to send an `action`
#: back to the planner later (timers, clocks): value {"after": seconds, "name": event, "context": {}}.
SHELL_OPS: dict[str, tuple[bool, type | None]] = {
    "raise": (True, None),       # switch to / focus a window (un-minimises it)
    "minimize": (True, None),
    "move": (True, list),        # value [x, y]
    "theme": (False, str),       # value "light" | "dark"
    "renderer": (False, str),    # value "auto" | "neural" | "widgets" | a plugin name
    "planner": (False, str),     # value a planner name
    "schedule": (True, dict),
}


@dataclass(frozen=True)
class ShellCommand:
    """A desktop operation A2UI has no message for, e.g. `ShellCommand("minimize", "notes")`.

    JSON form: `{"op": "minimize", "surface": "notes"}`, `{"op": "theme", "value": "dark"}`.
    """

    op: str
    surface: str | None = None
    value: Any = None

    def __post_init__(self):
        if self.op not in SHELL_OPS:
            raise ValueError(f"unknown shell command {self.op!r} (known: {', '.join(SHELL_OPS)})")
        needs_surface, kind = SHELL_OPS[self.op]
        if needs_surface and not self.surface:
            raise ValueError(f"shell command {self.op!r} needs a surface")
        if kind is not None and not isinstance(self.value, kind):
            raise ValueError(f"shell command {self.op!r} needs a {kind.__name__} value")

    def to_json(self) -> dict:
        out: dict = {"op": self.op}
        if self.surface is not None:
            out["surface"] = self.surface
        if self.value is not None:
            out["value"] = self.value
        return out

    @classmethod
    def from_json(cls, data: dict) -> "ShellCommand":
        return cls(data["op"], data.get("surface"), data.get("value"))


@dataclass
class PlanStep:
    """One step of a plan; see the module docstring."""

    messages: list[dict] = field(default_factory=list)
    commands: list[ShellCommand] = field(default_factory=list)
    provisional: bool = False
    rollback: bool = False
    status: str = ""
    progress: float | None = None   # 0..1 when known
    reply: str = ""


# -- state ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SurfaceState:
    """One surface as the planner sees it (a copy: changing it changes nothing)."""

    id: str
    title: str
    catalog_id: str
    theme: Mapping[str, Any]
    components: Mapping[str, dict]
    data: Any
    minimized: bool = False

    @property
    def app(self) -> str | None:
        """The builtin app that made this surface (its theme's `neuralosApp`), if any."""
        return self.theme.get("neuralosApp")

    def get(self, path: str, default: Any = None) -> Any:
        from neuralos.a2ui import pointer

        return pointer.get(self.data, path, default)

    def to_dict(self) -> dict:
        return {"id": self.id, "catalogId": self.catalog_id, "theme": dict(self.theme),
                "components": list(self.components.values()), "dataModel": self.data}


@dataclass(frozen=True)
class PlannerState:
    """A read-only snapshot of the desktop for a planner: surfaces, windows, theme, renderer.

    `surfaces` is in creation order; `order` is the window z-order (bottom first) and `focus` the
    focused window. Build it with `PlannerState.from_session(session)`.
    """

    surfaces: Mapping[str, SurfaceState] = field(default_factory=lambda: MappingProxyType({}))
    order: tuple[str, ...] = ()
    focus: str | None = None
    theme: str = "light"
    renderer: str | None = None
    planner: str | None = None
    size: tuple[int, int] = (1024, 768)

    @classmethod
    def from_session(cls, session, *, renderer: str | None = None,
                     planner: str | None = None) -> "PlannerState":
        from neuralos.session import window_title

        wm = session.windows
        surfaces = {}
        for sid, s in session.surfaces.items():
            win = wm.get(sid)
            surfaces[sid] = SurfaceState(
                sid, window_title(s), s.catalog_id, MappingProxyType(copy.deepcopy(s.theme)),
                MappingProxyType(copy.deepcopy(s.components)), copy.deepcopy(s.data),
                bool(win and win.minimized))
        order = tuple(s for s in wm.order if s in surfaces)
        order += tuple(s for s in surfaces if s not in order)   # surfaces without a window yet
        focus = wm.focus if wm.focus in surfaces else None
        return cls(MappingProxyType(surfaces), order, focus, session.theme, renderer, planner,
                   (wm.width, wm.height))

    # -- queries ----------------------------------------------------------------------------------
    def surface(self, surface_id: str) -> SurfaceState | None:
        return self.surfaces.get(surface_id)

    @property
    def focused(self) -> SurfaceState | None:
        """The focused window, else the topmost visible one."""
        if self.focus in self.surfaces:
            return self.surfaces[self.focus]
        for sid in reversed(self.order):
            if not self.surfaces[sid].minimized:
                return self.surfaces[sid]
        return None

    def by_app(self, app: str) -> list[SurfaceState]:
        return [s for s in self.surfaces.values() if s.app == app]

    def as_messages(self) -> list[dict]:
        """Messages that recreate the surfaces from nothing (for prompts and dry runs)."""
        out = []
        for s in self.surfaces.values():
            create = {"surfaceId": s.id, "catalogId": s.catalog_id}
            if s.theme:
                create["theme"] = dict(s.theme)
            out.append({"version": VERSION, "createSurface": create})
            if s.data not in ({}, None):
                out.append({"version": VERSION, "updateDataModel": {"surfaceId": s.id, "path": "/",
                                                                      "value": copy.deepcopy(s.data)}})
            if s.components:
                out.append({"version": VERSION, "updateComponents": {
                    "surfaceId": s.id, "components": copy.deepcopy(list(s.components.values()))}})
        return out

    def summary(self, max_chars: int = 6000) -> str:
        """The state as compact text for a prompt: windows, focus, theme, components, data."""
        lines = [f"theme: {self.theme}; focused window: {self.focus or 'none'}"]
        if not self.surfaces:
            lines.append("no windows are open")
        for s in self.surfaces.values():
            flag = " (minimised)" if s.minimized else ""
            comps = json.dumps(list(s.components.values()), separators=(",", ":"), ensure_ascii=False)
            data = json.dumps(s.data, separators=(",", ":"), ensure_ascii=False)
            lines.append(f'window "{s.title}"{flag}: surfaceId={s.id}\n  components: {comps}\n  data: {data}')
        text = "\n".join(lines)
        if len(text) > max_chars:
            short = [lines[0]] + [f'window "{s.title}": surfaceId={s.id} ({len(s.components)} components)'
                                  for s in self.surfaces.values()]
            text = "\n".join(short)[:max_chars]
        return text

    # -- dry runs ---------------------------------------------------------------------------------
    def processor(self):
        """A private `MessageProcessor` holding this state, to try messages on (dry run)."""
        from neuralos.a2ui.processor import MessageProcessor

        proc = MessageProcessor()
        proc.restore({"surfaces": [s.to_dict() for s in self.surfaces.values()]})
        return proc

    def check(self, messages: list[dict], *, allow_pending: bool = False) -> None:
        """Raise `neuralos.a2ui.processor.Rejected` if `messages` would not apply to this state."""
        self.processor().apply(messages, allow_pending=allow_pending, source="planner")


# -- planners -------------------------------------------------------------------------------------

class Planner(ABC):
    """Turns intents and actions into A2UI messages. Subclasses set `name` and implement `plan`."""

    name: str = "planner"

    def describe(self) -> str:
        """One line for the status bar: which planner, which model."""
        return self.name

    @abstractmethod
    def plan(self, state: PlannerState, request: str | dict,
             cancel: threading.Event | None = None) -> Iterator[PlanStep]:
        """Yield the steps that answer `request` (intent text or an A2UI `action` message).

        Check `cancel` between steps (and while waiting on a model); stop quietly when it is set.
        Raise `Refusal` when the request is out of reach, `PlannerError` when something failed.
        """

    def close(self) -> None:
        """Release models and connections (the planner is not used again)."""


def is_action(request: str | dict) -> bool:
    return isinstance(request, dict) and isinstance(request.get("action"), dict)


def check_request(request: Any) -> str | dict:
    """`request` if it is intent text or an A2UI `action` message, else `PlannerError`."""
    if isinstance(request, str):
        if not request.strip():
            raise PlannerError("the intent is empty")
        return request
    if is_action(request):
        action = request["action"]
        if not isinstance(action.get("name"), str) or not isinstance(action.get("surfaceId"), str):
            raise PlannerError("an action message needs a string 'name' and 'surfaceId'")
        if not isinstance(action.get("context", {}), dict):
            raise PlannerError("an action's 'context' must be an object")
        return request
    raise PlannerError("a request is intent text or an A2UI action message "
                       '({"version": "v0.9", "action": {...}})')
