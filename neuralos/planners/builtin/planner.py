"""The builtin planner: the embedded default, no weights. See `neuralos.planners.builtin`."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from neuralos.planners.base import Planner, PlannerState, PlanStep, Refusal, check_request, is_action
from neuralos.planners.builtin import intents, shell
from neuralos.planners.builtin.app import Ctx
from neuralos.planners.builtin.calculator import CalculatorApp
from neuralos.planners.builtin.converter import ConverterApp
from neuralos.planners.builtin.files import FilesApp
from neuralos.planners.builtin.forms import ContactApp, LoginApp
from neuralos.planners.builtin.help import HelpApp
from neuralos.planners.builtin.notes import NotesApp
from neuralos.planners.builtin.settings import SettingsApp
from neuralos.planners.builtin.timers import ClockApp, StopwatchApp, TimerApp
from neuralos.planners.builtin.todo import TodoApp

APPS = (NotesApp, TodoApp, CalculatorApp, TimerApp, StopwatchApp, ClockApp, SettingsApp, FilesApp,
        ContactApp, LoginApp, ConverterApp, HelpApp)


class BuiltinPlanner(Planner):
    """Apps and shell commands from free text, with no model. Deterministic and instant.

    `clock` gives the time (seconds since the epoch) for timers and clocks; `home` is the folder
    "my documents" and "~" refer to (default: the user's home).
    """

    name = "builtin"

    def __init__(self, clock: Callable[[], float] = time.time, home: Path | None = None):
        self.clock = clock
        self.home = Path(home) if home is not None else Path.home()
        self.roots: set[Path] = set()      # folders the user named (the file list never leaves them)
        self.apps = {cls.name: cls(self) for cls in APPS}

    def describe(self) -> str:
        return "builtin (no model)"

    def owns(self, state: PlannerState, request: str | dict) -> bool:
        """True for an action on a window one of the builtin apps made (LLM planners hand these over)."""
        if not is_action(request):
            return False
        surface = state.surface(request["action"].get("surfaceId", ""))
        return surface is not None and surface.app in self.apps

    def plan(self, state: PlannerState, request: str | dict,
             cancel: threading.Event | None = None) -> Iterator[PlanStep]:
        request = check_request(request)
        ctx = Ctx(state, self)
        if is_action(request):
            self._on_action(ctx, request["action"])
        else:
            for part in intents.split(request):
                if cancel is not None and cancel.is_set():
                    return
                for intent in intents.understand_all(part, ctx, self.apps):
                    if intent.app is None:
                        shell.run(ctx, intent, self.apps)
                    else:
                        self.apps[intent.app].run(ctx, intent)
                        ctx.last_app = intent.app
        yield ctx.finish()

    def _on_action(self, ctx: Ctx, action: dict) -> None:
        sid, name = action["surfaceId"], action["name"]
        context = action.get("context") or {}
        surface = ctx.state.surface(sid)
        if surface is None:
            if name == "tick":
                return       # a timer whose window has closed
            raise Refusal(f"there is no window {sid!r} any more")
        app = self.apps.get(surface.app or "")
        if app is None:
            raise Refusal(f"the button “{name}” in “{surface.title}” belongs to a window the builtin planner did "
                          "not make; the planner that made it (an LLM planner) has to answer it")
        app.on_action(ctx, sid, name, context)
