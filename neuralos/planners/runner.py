"""Runs planners off the caller's thread and applies their answers to a `Session`, atomically.

    runner = PlannerRunner(session, get_planner("builtin"), timeout=60)
    result = runner.run("open notes and add 'buy milk'")      # headless: wait for the answer
    job = runner.submit(action_message); job.cancel()          # shell: queue it, cancel it

Each request becomes a job; one worker thread takes jobs in order. The planner itself runs on a
further thread, so a planner that hangs cannot hold the runner past its timeout. Every batch a
planner yields is applied with `Session.apply` (whole or not at all); provisional (streamed)
batches may refer to components still on their way, and when the plan ends every surface it
touched is checked strictly. If anything fails — a rejected batch, an incomplete answer, a planner
error, a timeout, a cancel — everything the plan applied is undone, so the desktop is as it was,
and the result says why in one sentence.

Session access happens through `call` (default: inline, under a lock). The Qt shell passes a
function that runs the callable on the GUI thread and returns its result, and turns `on_event`
into signals for its progress display.
"""
from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from neuralos.a2ui.processor import Rejected
from neuralos.a2ui.validate import structure_issues
from neuralos.planners.base import (VERSION, Planner, PlannerError, PlannerState, PlanStep, Refusal,
                                    ShellCommand, check_request)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0
_POLL = 0.05


@dataclass
class PlanResult:
    """What one request did. `ok` False means nothing changed and `error` says why."""

    request: str | dict
    ok: bool = False
    error: str = ""
    refused: bool = False
    cancelled: bool = False
    timed_out: bool = False
    reply: str = ""
    messages: list[dict] = field(default_factory=list)       # A2UI messages applied, in order
    commands: list[ShellCommand] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    first_component_s: float | None = None                    # time to the first rendered component


@dataclass(frozen=True)
class RunnerEvent:
    """Reported through `on_event`: kind is started | status | applied | finished."""

    kind: str
    job: "PlanJob"
    text: str = ""
    progress: float | None = None


class PlanJob:
    """One queued request. `wait()` returns its `PlanResult`; `cancel()` undoes and stops it."""

    def __init__(self, request: str | dict, internal: bool = False, timeout: float = DEFAULT_TIMEOUT):
        self.request = request
        self.internal = internal            # scheduled by a planner (timer tick), not the user
        self.timeout = timeout
        self.result: PlanResult | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> PlanResult | None:
        self._done.wait(timeout)
        return self.result


def action_message(surface: str, name: str, context: dict) -> dict:
    """The A2UI `action` message a scheduled action (timer tick) sends to the planner."""
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"version": VERSION, "action": {"name": name, "surfaceId": surface, "sourceComponentId": "root",
                                           "timestamp": stamp, "context": context}}


_action_message = action_message   # the name playback imports


def coalesce(messages: list[dict]) -> list[dict]:
    """Join consecutive `updateComponents` of one surface (streamed one component at a time)."""
    out: list[dict] = []
    for msg in messages:
        prev = out[-1] if out else None
        if (prev and "updateComponents" in msg and "updateComponents" in prev
                and prev["updateComponents"]["surfaceId"] == msg["updateComponents"]["surfaceId"]):
            ids = {c.get("id") for c in prev["updateComponents"]["components"]}
            new = msg["updateComponents"]["components"]
            if not ids & {c.get("id") for c in new}:
                prev["updateComponents"]["components"] = prev["updateComponents"]["components"] + new
                continue
        out.append(copy.deepcopy(msg))
    return out


def _touched(messages: list[dict]) -> set[str]:
    ids = set()
    for msg in messages:
        for kind in ("createSurface", "updateComponents", "updateDataModel", "deleteSurface"):
            body = msg.get(kind) if isinstance(msg, dict) else None
            if isinstance(body, dict) and isinstance(body.get("surfaceId"), str):
                ids.add(body["surfaceId"])
    return ids


class _Plan:
    """Bookkeeping for one running plan: what it touched, so it can be undone."""

    def __init__(self, checkpoint: dict):
        self.checkpoint = checkpoint
        self.surfaces: set[str] = set()
        self.windows: set[str] = set()
        self.theme = False
        self.messages: list[dict] = []
        self.commands: list[ShellCommand] = []

    @property
    def dirty(self) -> bool:
        return bool(self.surfaces or self.windows or self.theme)


class PlannerRunner:
    """Runs one planner's jobs in order against one session. See the module docstring."""

    def __init__(self, session, planner: Planner, *, timeout: float = DEFAULT_TIMEOUT,
                 call: Callable[[Callable[[], Any]], Any] | None = None,
                 on_event: Callable[[RunnerEvent], None] | None = None,
                 on_command: Callable[[ShellCommand], None] | None = None,
                 renderer: Callable[[], str | None] | str | None = None,
                 schedule: bool = True):
        self.session = session
        self.planner = planner
        self.timeout = timeout
        self.on_event = on_event
        self.on_command = on_command
        self.renderer = renderer
        self.schedule_enabled = schedule
        self._lock = threading.RLock()
        self._call_fn = call
        self._jobs: "queue.Queue[PlanJob | None]" = queue.Queue()
        self._current: PlanJob | None = None
        self._worker: threading.Thread | None = None
        self._timers: dict[tuple[str, str], threading.Timer] = {}
        self._closed = False

    # -- public -----------------------------------------------------------------------------------
    def run(self, request: str | dict, timeout: float | None = None) -> PlanResult:
        """Submit `request` and wait for its result (headless use)."""
        job = self.submit(request, timeout=timeout)
        job.wait()
        return job.result

    def submit(self, request: str | dict, *, timeout: float | None = None,
               internal: bool = False) -> PlanJob:
        """Queue `request` (intent text or an A2UI action message); returns its job at once."""
        if self._closed:
            raise PlannerError("the planner runner is closed")
        job = PlanJob(request, internal, self.timeout if timeout is None else timeout)
        self._jobs.put(job)
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="planner-runner", daemon=True)
                self._worker.start()
        return job

    @property
    def busy(self) -> bool:
        return self._current is not None or not self._jobs.empty()

    def cancel(self) -> None:
        """Cancel the running job (undoing what it applied) and drop queued ones."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.cancel()
                job.result = PlanResult(job.request, cancelled=True, error="cancelled")
                job._done.set()
        if self._current is not None:
            self._current.cancel()

    def close(self) -> None:
        """Cancel everything, stop timers and the worker thread."""
        self._closed = True
        for timer in list(self._timers.values()):
            timer.cancel()
        self._timers.clear()
        self.cancel()
        self._jobs.put(None)
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=5)

    # -- worker -----------------------------------------------------------------------------------
    def _call(self, fn: Callable[[], Any]) -> Any:
        if self._call_fn is not None:
            return self._call_fn(fn)
        with self._lock:
            return fn()

    def _emit(self, kind: str, job: PlanJob, text: str = "", progress: float | None = None) -> None:
        if self.on_event is not None:
            try:
                self.on_event(RunnerEvent(kind, job, text, progress))
            except Exception:   # a broken listener must not break planning
                log.exception("planner event listener failed")

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job.done:
                continue
            self._current = job
            try:
                job.result = self._run_job(job)
            except Exception as e:   # a bug here must not kill the worker
                log.exception("planner runner failed")
                job.result = PlanResult(job.request, error=f"planner runner failed: {e}")
            finally:
                self._current = None
                job._done.set()
                self._emit("finished", job, job.result.error or job.result.reply if job.result else "")

    def _renderer_name(self) -> str | None:
        return self.renderer() if callable(self.renderer) else self.renderer

    def _run_job(self, job: PlanJob) -> PlanResult:
        planner = self.planner
        result = PlanResult(job.request)
        start = time.monotonic()
        deadline = start + job.timeout
        try:
            check_request(job.request)
        except PlannerError as e:
            result.error = str(e)
            return result
        state, checkpoint = self._call(lambda: (
            PlannerState.from_session(self.session, renderer=self._renderer_name(), planner=planner.name),
            copy.deepcopy(self.session.snapshot())))
        plan = _Plan(checkpoint)
        self._emit("started", job, f"{planner.name} planner working…")

        steps: "queue.Queue[tuple[str, Any]]" = queue.Queue()
        stop = threading.Event()            # tells the planner to stop (cancel or timeout)

        def produce():
            gen = None
            try:
                gen = planner.plan(state, job.request, stop)
                for step in gen:
                    steps.put(("step", step))
                    if stop.is_set():
                        break
                steps.put(("done", None))
            except BaseException as e:  # noqa: BLE001 — reported to the runner thread
                steps.put(("error", e))
            finally:
                if gen is not None and hasattr(gen, "close"):
                    try:
                        gen.close()
                    except Exception:
                        pass

        threading.Thread(target=produce, name=f"planner-{planner.name}", daemon=True).start()

        def fail(message: str, **flags) -> PlanResult:
            stop.set()
            if plan.dirty:
                self._call(lambda: self._rollback(plan))
            result.error = " ".join(message.split())      # one line: a status bar, stderr
            result.messages, result.commands = [], []
            result.elapsed_s = time.monotonic() - start
            for k, v in flags.items():
                setattr(result, k, v)
            return result

        while True:
            if job.cancelled:
                return fail("cancelled; nothing was changed", cancelled=True)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return fail(f"the {planner.name} planner did not finish within {job.timeout:g} s; "
                            "nothing was changed", timed_out=True)
            try:
                kind, item = steps.get(timeout=min(remaining, _POLL))
            except queue.Empty:
                continue
            if kind == "error":
                if isinstance(item, Refusal):
                    return fail(str(item), refused=True)
                if isinstance(item, PlannerError):
                    return fail(str(item))
                log.error("planner %s crashed", planner.name, exc_info=item)
                return fail(f"the {planner.name} planner failed: {type(item).__name__}: {item}")
            if kind == "done":
                break
            step: PlanStep = item
            if not isinstance(step, PlanStep):
                return fail(f"the {planner.name} planner yielded {type(step).__name__}, not a PlanStep")
            if step.status:
                result.statuses.append(step.status)
                self._emit("status", job, step.status, step.progress)
            elif step.progress is not None:
                self._emit("status", job, "", step.progress)
            if step.reply:
                result.reply = step.reply
            if step.rollback and plan.dirty:
                self._call(lambda: self._rollback(plan))
                plan = _Plan(checkpoint)
            if not (step.messages or step.commands):
                continue
            if job.cancelled:
                continue    # checked at the top of the loop
            try:
                self._call(lambda: self._apply(plan, step, planner.name))
            except Rejected as e:
                return fail(f"the {planner.name} planner's answer was rejected: {e}")
            except (PlannerError, ValueError, KeyError) as e:
                return fail(f"the {planner.name} planner asked for something the shell cannot do: {e}")
            if result.first_component_s is None and any("updateComponents" in m for m in step.messages):
                result.first_component_s = time.monotonic() - start
            self._emit("applied", job, step.status, step.progress)

        problem = self._call(lambda: self._strict_problem(plan))
        if problem:
            return fail(f"the {planner.name} planner's answer was incomplete: {problem}")
        # Side effects that leave the session happen only once the plan stands.
        for cmd in plan.commands:
            if cmd.op == "schedule":
                self._schedule(cmd)
            elif cmd.op in ("renderer", "planner") and self.on_command is not None:
                try:
                    self.on_command(cmd)
                except Exception as e:
                    log.exception("shell command failed")
                    result.statuses.append(f"could not {cmd.op} {cmd.value}: {e}")
        result.ok = True
        result.messages = coalesce(plan.messages)
        result.commands = list(plan.commands)
        result.elapsed_s = time.monotonic() - start
        return result

    # -- session side (runs through `call`) ---------------------------------------------------------
    def _apply(self, plan: _Plan, step: PlanStep, source: str) -> None:
        if step.messages:
            self.session.apply(step.messages, allow_pending=step.provisional, source=source)
            plan.surfaces |= _touched(step.messages)
            plan.messages += copy.deepcopy(step.messages)
        for cmd in step.commands:
            self._execute(plan, cmd)

    def _execute(self, plan: _Plan, cmd: ShellCommand) -> None:
        if cmd.op in ("raise", "minimize", "move"):
            if cmd.surface not in self.session.surfaces:
                raise PlannerError(f"there is no window {cmd.surface!r} to {cmd.op}")
            plan.windows.add(cmd.surface)
            args = tuple(int(v) for v in cmd.value) if cmd.op == "move" else ()
            self.session.window_op(cmd.op, cmd.surface, *args)
        elif cmd.op == "theme":
            plan.theme = True
            self.session.set_theme(cmd.value)
        plan.commands.append(cmd)

    def _strict_problem(self, plan: _Plan) -> str:
        for sid in sorted(plan.surfaces):
            surface = self.session.surfaces.get(sid)
            if surface is None:
                continue
            issues = structure_issues(surface.components, f"/surfaces/{sid}/components")
            if issues:
                return str(issues[0])
        return ""

    def _rollback(self, plan: _Plan) -> None:
        """Undo what `plan` applied: its new surfaces are deleted, the others put back as they were."""
        before = {s["id"]: s for s in plan.checkpoint.get("surfaces", [])}
        new = [sid for sid in self.session.surfaces if sid in plan.surfaces and sid not in before]
        if new:
            self.session.apply([{"version": VERSION, "deleteSurface": {"surfaceId": sid}} for sid in new],
                               source="rollback")
        changed = {sid for sid in plan.surfaces if sid in before}
        if not (changed or plan.windows or plan.theme):
            return
        snap = copy.deepcopy(self.session.snapshot())
        current = {s["id"]: s for s in snap.get("surfaces", [])}
        surfaces = []
        for sid, old in before.items():
            if sid in changed:
                surfaces.append(copy.deepcopy(old))
            elif sid in current:
                surfaces.append(current[sid])
        surfaces += [s for sid, s in current.items() if sid not in before]
        snap["surfaces"] = surfaces
        affected = changed | plan.windows
        old_windows = {w["surface_id"]: w for w in plan.checkpoint["windows"].get("windows", [])}
        windows = [w for w in snap["windows"].get("windows", []) if w["surface_id"] not in affected]
        windows += [copy.deepcopy(old_windows[s]) for s in affected if s in old_windows]
        ids = {w["surface_id"] for w in windows}
        order = [s for s in plan.checkpoint["windows"].get("order", []) if s in ids]
        order += [s for s in snap["windows"].get("order", []) if s in ids and s not in order]
        snap["windows"] = {"order": order, "windows": [w for s in order for w in windows if w["surface_id"] == s],
                           "focus": plan.checkpoint["windows"].get("focus") if affected
                           else snap["windows"].get("focus")}
        self.session.restore(snap)
        if plan.theme and plan.checkpoint.get("theme") != self.session.theme:
            self.session.set_theme(plan.checkpoint["theme"])      # tells the views, unlike restore

    # -- timers ---------------------------------------------------------------------------------------
    def _schedule(self, cmd: ShellCommand) -> None:
        if not self.schedule_enabled or self._closed:
            return
        value = cmd.value
        after = min(max(float(value.get("after", 1.0)), 0.05), 24 * 3600.0)
        name = str(value.get("name", "tick"))
        context = value.get("context") if isinstance(value.get("context"), dict) else {}
        key = (cmd.surface, name)
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()

        def fire():
            self._timers.pop(key, None)
            if self._closed or cmd.surface not in self.session.surfaces:
                return
            self.submit(action_message(cmd.surface, name, context), internal=True)

        timer = threading.Timer(after, fire)
        timer.daemon = True
        self._timers[key] = timer
        timer.start()

    @property
    def scheduled(self) -> list[tuple[str, str]]:
        """(surface, action name) of the pending scheduled actions (timers, clocks)."""
        return list(self._timers)
