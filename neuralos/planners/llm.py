"""What LLM planners share: prompt -> streamed text -> progressive, validated A2UI -> repair loop.

A subclass implements `_generate(chat, cancel)`, yielding text chunks (and raising `PlannerError`
when the model or connection fails). `ChatPlanner.plan` then:

1. hands actions on windows of the builtin apps to the builtin planner (a timer's tick, the todo
   list's Add button), so they keep working whichever planner is active;
2. streams the answer through `MessageStream`: each component is dry-run against a private copy of
   the state as soon as it closes and, if it fits, yielded as a provisional step — the shell
   renders components as they arrive; the first one that does not fit stops the model early;
3. validates the whole answer against the official schema on a fresh copy of the state;
4. on failure, yields a rollback step, sends the spec's `VALIDATION_FAILED` error back to the model
   in the conversation and tries again, at most `retries` times; then raises `PlannerError`.
"""
from __future__ import annotations

import threading
from abc import abstractmethod
from typing import Iterator

from neuralos.a2ui.processor import Rejected
from neuralos.a2ui.validate import schema_issues
from neuralos.planners.base import (VERSION, Planner, PlannerError, PlannerState, PlanStep, check_request)
from neuralos.planners.prompt import LEVELS, build_chat, repair_message
from neuralos.planners.stream import MessageStream, StreamError
from neuralos.resources import BASIC_CATALOG_ID


class _Failed(Exception):
    """One attempt's answer was invalid: `error` is the VALIDATION_FAILED message for the model."""

    def __init__(self, error: dict, text: str):
        self.error = error
        self.text = text
        super().__init__(error["error"]["message"])


def _error(path: str, message: str, surface: str = "") -> dict:
    return {"version": VERSION, "error": {"code": "VALIDATION_FAILED", "surfaceId": surface, "path": path,
                                          "message": message}}


def _shift(rejected: Rejected, index: int, inner: str = "") -> dict:
    """The VALIDATION_FAILED error of a one-message dry run, with its path pointing into the answer."""
    err = rejected.error_message()
    path = err["error"]["path"]
    if path == "/0" or path.startswith("/0/"):
        rest = path[2:]
        if inner:          # the dry run held one component: point at its place in the real message
            rest = rest.removeprefix("/updateComponents/components/0")
        err["error"]["path"] = f"/{index}{inner}{rest}"
    return err


class ChatPlanner(Planner):
    """Base class of the transformers and openai-compatible planners (see the module docstring)."""

    name = "llm"

    def __init__(self, *, retries: int = 2, builtin_apps: bool = True, name: str | None = None):
        if not isinstance(retries, int) or not 0 <= retries <= 10:
            raise ValueError("retries must be an integer 0..10")
        self.retries = retries
        if name:
            self.name = name
        self._builtin = None
        if builtin_apps:
            from neuralos.planners.builtin import BuiltinPlanner

            self._builtin = BuiltinPlanner()
        self.last_text = ""          # the last raw answer (for debugging and the CLI's --verbose)

    # -- to implement -------------------------------------------------------------------------------
    @abstractmethod
    def _generate(self, chat: list[dict], cancel: threading.Event | None) -> Iterator[str]:
        """Yield the model's answer as text chunks."""

    def _prompt_level(self, state: PlannerState, request: str | dict) -> int:
        """The fullest prompt level that fits the model (0 = everything)."""
        return 0

    # -- planning -----------------------------------------------------------------------------------
    def plan(self, state: PlannerState, request: str | dict,
             cancel: threading.Event | None = None) -> Iterator[PlanStep]:
        request = check_request(request)
        if self._builtin is not None and self._builtin.owns(state, request):
            yield from self._builtin.plan(state, request, cancel)
            return
        chat = build_chat(state, request, min(self._prompt_level(state, request), LEVELS - 1))
        last: _Failed | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                chat = chat + [{"role": "assistant", "content": last.text[-4000:] or "[]"},
                               {"role": "user", "content": repair_message(last.error)}]
                yield PlanStep(status=f"{self.name}: repairing ({attempt}/{self.retries}): "
                                      f"{last.error['error']['message'][:120]}")
            else:
                yield PlanStep(status=f"{self.name}: thinking…")
            applied = [False]
            try:
                yield from self._attempt(state, chat, cancel, applied)
                return
            except _Failed as failed:
                last = failed
                if applied[0]:
                    yield PlanStep(rollback=True)
            if cancel is not None and cancel.is_set():
                return
        where = last.error["error"]["path"]
        raise PlannerError(f"the {self.name} planner gave no valid A2UI after {self.retries + 1} "
                           f"attempt{'s' if self.retries else ''}: {where}: {last.error['error']['message']}")

    def _attempt(self, state: PlannerState, chat: list[dict], cancel, applied: list) -> Iterator[PlanStep]:
        proc = state.processor()
        stream = MessageStream()
        streamed: dict[int, set[str]] = {}     # message index -> component ids already yielded
        text = []

        def dry_run(messages: list[dict], index: int, inner: str = "") -> None:
            try:
                proc.apply(messages, allow_pending=True, source="planner")
            except Rejected as e:
                raise _Failed(_shift(e, index, inner), "".join(text)) from None

        gen = self._generate(chat, cancel)
        try:
            for chunk in gen:
                if cancel is not None and cancel.is_set():
                    return
                text.append(chunk)
                try:
                    pieces = stream.feed(chunk)
                except StreamError as e:
                    raise _Failed(_error(e.path, str(e)), "".join(text)) from None
                for piece in pieces:
                    if piece.kind == "component":
                        if not isinstance(piece.surface_id, str):
                            continue           # surfaceId came after the components: wait for the message
                        cid = piece.value.get("id") if isinstance(piece.value, dict) else None
                        seen = streamed.setdefault(piece.index, set())
                        if cid in seen:
                            raise _Failed(_error(f"/{piece.index}/updateComponents/components/{piece.position}/id",
                                                 f"duplicate component id {cid!r} in one message",
                                                 piece.surface_id), "".join(text))
                        msg = {"version": VERSION, "updateComponents": {"surfaceId": piece.surface_id,
                                                                         "components": [piece.value]}}
                        dry_run([msg], piece.index, f"/updateComponents/components/{piece.position}")
                        if isinstance(cid, str):
                            seen.add(cid)
                        applied[0] = True
                        yield PlanStep(messages=[msg], provisional=True, status=f"{self.name}: rendering {cid}…")
                    else:
                        msg = piece.value
                        if not isinstance(msg, dict):
                            raise _Failed(_error(f"/{piece.index}", "a message must be a JSON object"), "".join(text))
                        if "updateComponents" in msg and piece.index in streamed:
                            issues = schema_issues(msg, f"/{piece.index}", BASIC_CATALOG_ID)
                            if issues:
                                raise _Failed(_error(issues[0].path, issues[0].message,
                                                     str(msg["updateComponents"].get("surfaceId", ""))), "".join(text))
                            body = msg["updateComponents"]
                            rest = [c for c in body.get("components", [])
                                    if not (isinstance(c, dict) and c.get("id") in streamed[piece.index])]
                            if not rest:
                                continue
                            msg = {"version": VERSION, "updateComponents": {"surfaceId": body["surfaceId"],
                                                                             "components": rest}}
                        dry_run([msg], piece.index)
                        applied[0] = True
                        yield PlanStep(messages=[msg], provisional=True)
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                close()
        self.last_text = "".join(text)
        if cancel is not None and cancel.is_set():
            return
        try:
            messages = stream.messages()
        except StreamError as e:
            raise _Failed(_error(e.path, str(e)), self.last_text) from None
        try:
            state.check(messages)   # the official rules, the whole answer at once, on the state as it was
        except Rejected as e:
            raise _Failed(e.error_message(), self.last_text) from None
        yield PlanStep(status=f"{self.name}: done", progress=1.0)
