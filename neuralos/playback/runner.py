"""Playing a script on the real shell: a `Session`, the Qt `DesktopCanvas`, synthesised input, recording.

`PlaybackRunner` drives the same objects a user drives: state changes go through the `Session`,
input goes through `neuralos.widgets.input.InputRouter` (the canvas's own hit-testing and Qt event
path), button actions go to the planner, and frames come from the chosen renderer (widgets, or the
neural renderer with a visible fallback to widgets). Every painted frame goes to the `Recorder` on
a deterministic clock (`fps` ticks per second): the same script, seed and renderer give the same
video. Wall-clock time is measured too: `latency_ms` is real time from a step's input to the first
painted frame that shows its effect.

Two ways to drive it:

    result = PlaybackRunner(script, "out/").run()          # headless, blocking (`neuralos play`)

    runner = PlaybackRunner(load(path, simulate=False), out_dir_or_None, canvas=shell_canvas,
                            realtime=True, planner_runner=shell_planner_runner, route_actions=False)
    runner.play_async(on_step=..., on_finished=...)         # visible shell: one step per Qt timer turn
    runner.stop()                                           # the user interrupts: finish after this step

With `canvas=` the script plays on that canvas's session (size taken from the canvas); with
`planner_runner=` intents go to the shell's own `PlannerRunner` (and the playback waits for it,
including for actions the shell routes itself when `route_actions=False`); `realtime=True` paces
steps on the wall clock so a person can follow; `out_dir=None` records nothing. `step()` and
`finish()` are the same building blocks for callers with their own scheduling.
"""
from __future__ import annotations

import json
import math
import os
import queue
import random
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from neuralos.errors import BadInput
from neuralos.playback import script as S
from neuralos.playback.recorder import DEFAULT_FPS, Recorder

DEFAULT_SIZE = (1024, 768)
SETTLE_TIMEOUT_S = 120.0        # longest a step waits for the planner to finish
MAX_NEURAL_FAILURES = 3          # consecutive faulty neural frames before the run paints with widgets ...
RETRY_AFTER_S = 10.0             # ... for this long (video clock), then the neural renderer is retried
MAX_VISIBLE_LIST = 12            # how many visible texts a failure message lists

# Video pacing, in ticks of the deterministic clock (at 30 fps a tick is 33 ms).
PACE = {
    "hover": 3,       # pointer arrives at a click target
    "press": 3,       # button held down
    "release": 2,     # after the click (then any planner batches, `batch` each)
    "char": 2,        # per typed character
    "key": 3,         # per key press
    "batch": 3,       # per applied A2UI batch (a2ui step, planner output)
    "start": 3,       # the empty desktop before the first step
    "end": 15,        # the last frame held at the end of the video
}
RENDERERS = ("auto", "neural", "widgets")


# -- results --------------------------------------------------------------------------------------
@dataclass
class StepResult:
    index: int
    line: int
    kind: str
    description: str
    ok: bool = True
    error: str | None = None
    start_ms: float = 0.0            # position on the video's (deterministic) timeline
    latency_ms: float | None = None  # wall clock: the step's input -> first painted frame showing its effect
    duration_ms: float = 0.0         # wall clock: the whole step
    frames: int = 0                  # frames painted during the step
    ticks: int = 0                   # video frames the step spans
    renderer_used: str | None = None
    fallback_reason: str | None = None
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("start_ms", "duration_ms"):
            d[k] = round(d[k], 3)
        if d["latency_ms"] is not None:
            d["latency_ms"] = round(d["latency_ms"], 3)
        if not d["detail"]:
            del d["detail"]
        return d


@dataclass
class PlaybackResult:
    ok: bool
    exit_code: int                   # 0 all held, 1 a step or expectation failed
    steps: list[StepResult]
    failure: str | None              # "script.yaml:12: expected ..." for the first failing step
    out_dir: Path | None
    outputs: dict                    # name -> path written (video, final, gif, trace, snapshots)
    trace: dict

    @property
    def passed(self) -> int:
        return sum(1 for s in self.steps if s.ok)


class StepFailed(Exception):
    """A step did not do what it says (missing click target, rejected A2UI, failed expectation)."""


# -- the runner -----------------------------------------------------------------------------------
class PlaybackRunner:
    """Plays one script. Arguments given here win over the script's own `size`/`renderer`/`planner`.

    `canvas`: drive an existing `DesktopCanvas` (and its session) instead of creating a fresh desktop;
    `out_dir=None` records nothing to disk (results and trace stay in memory); `realtime=True` paces
    the steps on the wall clock so a person can watch (the video timeline is unchanged).
    """

    def __init__(self, script: S.Script, out_dir: str | Path | None = None, *, renderer: str | None = None,
                 planner: str | None = None, size: tuple[int, int] | None = None, seed: int | None = None,
                 gif: bool = False, fps: int = DEFAULT_FPS, canvas=None, realtime: bool = False,
                 settle_timeout: float = SETTLE_TIMEOUT_S, pointer: bool = True,
                 planner_runner=None, route_actions: bool = True):
        self.script = script
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.renderer_name = renderer or script.renderer or "auto"
        self.planner_name = planner or script.planner or "builtin"
        self.seed = seed if seed is not None else (script.seed if script.seed is not None else 0)
        self.fps = int(fps)
        self.gif = gif
        self.realtime = realtime
        self.settle_timeout = settle_timeout
        self.draw_pointer = pointer
        self._external_canvas = canvas
        self._external_planner = planner_runner
        self.route_actions = route_actions
        if canvas is not None and size is None and script.size is None:
            size = _canvas_size(canvas)
        self.size = size or script.size or DEFAULT_SIZE
        self.steps: list[StepResult] = []
        self.index = 0
        self.failure: str | None = None
        self.frames_log: list[dict] = []
        self.actions: list[dict] = []
        self.commands_log: list[dict] = []
        self.outputs: dict = {}
        self._started = self._finished = False
        self._result: PlaybackResult | None = None
        self.ticks = 0
        self.last_frame: np.ndarray | None = None
        self.recorder: Recorder | None = None
        self.painter = self.planner = None
        self._preflight()

    # -- checks before anything runs -----------------------------------------------------------
    def _preflight(self) -> None:
        w, h = self.size
        if self.fps <= 0 or self.fps > 240:
            raise BadInput(f"fps must be 1..240, not {self.fps}")
        for step in self.script.steps:
            if isinstance(step, S.Click) and step.target.at is not None:
                x, y = step.target.at
                if not (x < w and y < h):
                    raise BadInput(f"click point [{x:g}, {y:g}] is off the {w}x{h} canvas",
                                   where=self.script.where(step.line))
        if self.renderer_name not in RENDERERS:
            _check_plugin_name("renderer", self.renderer_name)
        if self.out_dir is not None:
            if self.out_dir.exists() and not self.out_dir.is_dir():
                raise BadInput("exists and is not a folder", where=str(self.out_dir))
            existing = next((p for p in (self.out_dir, *self.out_dir.absolute().parents) if p.exists()), None)
            if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
                raise BadInput(f"cannot write the outputs here ({existing} is not a writable folder)",
                               where=str(self.out_dir))
        if self._external_planner is None:
            self._planner = _make_planner(self.planner_name)    # an unknown name is BadInput (exit 2)

    # -- lifecycle -------------------------------------------------------------------------------
    def run(self) -> PlaybackResult:
        """Play every step (stopping at the first failure) and write the outputs."""
        try:
            self.start()
            while not self.done:
                self.step()
        finally:
            result = self.finish()
        return result

    @property
    def done(self) -> bool:
        return self.failure is not None or self.index >= len(self.script.steps)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._wall0 = time.perf_counter()
        random.seed(self.seed)
        np.random.seed(self.seed % 2**32)
        from neuralos.widgets.app import ensure_app
        from neuralos.widgets.collector import collect_on_gui_thread

        self.app = ensure_app()
        collect_on_gui_thread(self.app)     # planner threads must not destroy widgets (collector.py says why)
        from neuralos.widgets.input import InputRouter

        if self._external_canvas is not None:
            self.canvas = self._external_canvas
            self.session = self.canvas.session
        else:
            from neuralos.session import Session
            from neuralos.widgets.canvas import DesktopCanvas

            self.session = Session(*self.size)
            self.canvas = DesktopCanvas(self.session)
        self.input = InputRouter(self.canvas)
        self._changes = 0
        self._unsubscribe = self.session.subscribe(self._on_changes)
        signal = getattr(self.canvas, "action_triggered", None)
        self._action_signal = signal if self.route_actions else None
        if self._action_signal is not None:
            self._action_signal.connect(self._on_action)
        self.ticks = 0
        self.painter = _Painter(self.canvas, self.renderer_name, self.seed, clock=lambda: self.ticks / self.fps)
        if self._external_planner is not None:
            self.planner = _PlannerLink.attach(self._external_planner, self.session)
        else:
            self.planner = _PlannerLink(self._planner, self.session, lambda: self.painter.current_name,
                                        self.settle_timeout)
        self.timers: dict[tuple[str, str], tuple[int, dict]] = {}   # (surface, action) -> (due tick, context)
        self.recorder = None
        if self.out_dir is not None:
            self._clean_outputs()
            self.recorder = Recorder(self.out_dir, *self.size, fps=self.fps, gif=self.gif,
                                     pointer=self.draw_pointer)
        self.ticks = 0
        self.last_frame: np.ndarray | None = None
        self._frames_in_step = 0
        self._cur_step: StepResult | None = None
        self._renderers_in_step: list[str] = []
        self._fallback_in_step: str | None = None
        self._input_t = None
        self._before = None
        self._paint(PACE["start"])

    def _clean_outputs(self) -> None:
        """Remove a previous run's outputs from the folder (only files this runner writes)."""
        for name in ("video.mp4", "video.gif", "final.png", "trace.json"):
            (self.out_dir / name).unlink(missing_ok=True)
        snaps = self.out_dir / "snapshots"
        if snaps.is_dir():
            for p in snaps.glob("*.png"):
                p.unlink()

    def step(self) -> StepResult | None:
        """Run the next step; returns its result (None when the script is over)."""
        if not self._started:
            self.start()
        if self.done:
            return None
        step = self.script.steps[self.index]
        self.index += 1
        res = StepResult(self.index, step.line, step.kind, step.describe(), start_ms=self._clock_ms())
        self._cur_step = res
        self._frames_in_step = 0
        self._step_ticks0 = self.ticks
        self._fallback_in_step: str | None = None
        self._renderers_in_step: list[str] = []
        t0 = time.perf_counter()
        self._input_t = None
        self._before = self.last_frame
        try:
            getattr(self, "_do_" + step.kind)(step, res)
        except StepFailed as e:
            res.ok, res.error = False, str(e)
        except BadInput as e:   # a rejected batch or a planner's bad output during a step
            res.ok, res.error = False, str(e)
        except Exception as e:  # a bug: record it, stop, re-raise after the outputs are written
            res.ok, res.error = False, f"internal error: {type(e).__name__}: {e}"
            res.detail["traceback"] = traceback.format_exc()
            self.steps.append(res)
            self.failure = f"{self.script.where(step.line)}: {res.error}"
            self._cur_step = None
            raise
        res.duration_ms = (time.perf_counter() - t0) * 1000
        res.frames = self._frames_in_step
        res.ticks = self.ticks - self._step_ticks0
        res.renderer_used = self._renderers_in_step[-1] if self._renderers_in_step else self.painter.current_name
        res.fallback_reason = self._fallback_in_step
        if res.fallback_reason is None and res.renderer_used == "widgets" and self.painter.requested != "widgets":
            res.fallback_reason = self.painter.session_reason
        self.steps.append(res)
        self._cur_step = None
        if not res.ok:
            self.failure = f"{self.script.where(step.line)}: {res.error}"
        return res

    def finish(self) -> PlaybackResult:
        """Write final.png, the video (and GIF) and trace.json; safe to call more than once."""
        if self._result is not None:
            return self._result
        self._finished = True
        outputs: dict = {}
        if self._started:
            try:
                if self.last_frame is not None:
                    self._hold(PACE["end"])     # let viewers see how it ended (passed or not)
                if getattr(self, "_unsubscribe", None):
                    self._unsubscribe()
                    self._unsubscribe = None
                if getattr(self, "_action_signal", None) is not None:
                    self._action_signal.disconnect(self._on_action)
                    self._action_signal = None
                if self._external_canvas is None:
                    # Our own canvas filters every application event and sits in a cycle with its session:
                    # left to the collector it would filter on, and be destroyed whenever a collection runs.
                    self.canvas.close_canvas()
                    self.canvas.deleteLater()
            finally:
                if self.recorder is not None:
                    outputs.update(self.recorder.close(self.last_frame))
                    if self.recorder.snapshots:
                        outputs["snapshots"] = {k: str(v) for k, v in self.recorder.snapshots.items()}
        ok = self.failure is None and self.index >= len(self.script.steps)
        trace = self._trace(ok, outputs)
        if self.out_dir is not None and self._started:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            trace["outputs"]["trace"] = "trace.json"
            path = self.out_dir / "trace.json"
            tmp = path.with_name("trace.json.part")
            tmp.write_text(json.dumps(trace, indent=1, ensure_ascii=False, default=_json_default) + "\n",
                           encoding="utf-8")
            os.replace(tmp, path)
            outputs["trace"] = str(path)
        if self.planner is not None:
            self.planner.close()
        self._result = PlaybackResult(ok, 0 if ok else 1, list(self.steps), self.failure, self.out_dir,
                                      outputs, trace)
        return self._result

    # -- driving from a Qt event loop (the visible shell) ---------------------------------------
    def play_async(self, on_step: Callable[[StepResult], None] | None = None,
                   on_finished: Callable[[PlaybackResult], None] | None = None, interval_ms: int = 0) -> None:
        """Play step by step from the running Qt event loop: one step per timer turn, then `finish()`.

        The shell stays responsive between steps; `on_step` gets each step's result (for a status
        line), `on_finished` the final result. `stop()` ends the playback after the current step.
        """
        from PySide6.QtCore import QTimer

        self._stop_requested = False

        def turn():
            try:
                if self._stop_requested or self.done:
                    result = self.finish()
                    if on_finished:
                        on_finished(result)
                    return
                res = self.step()
                if on_step and res is not None:
                    on_step(res)
            except Exception:
                result = self.finish()
                if on_finished:
                    on_finished(result)
                raise
            QTimer.singleShot(interval_ms, turn)

        if not self._started:
            self.start()
        QTimer.singleShot(interval_ms, turn)

    def stop(self) -> None:
        """Ask `play_async` to finish after the current step."""
        self._stop_requested = True
        if self.failure is None and self.index < len(self.script.steps):
            self.failure = "stopped before the end of the script"

    # -- painting and the clock ------------------------------------------------------------------
    def _clock_ms(self) -> float:
        return self.ticks * 1000.0 / self.fps

    def _pump(self) -> None:
        """Let Qt deliver everything pending (layout, repaint requests, queued signals)."""
        from PySide6.QtCore import QCoreApplication

        for _ in range(3):
            self.app.processEvents()
            QCoreApplication.sendPostedEvents()
        self.app.processEvents()

    def _paint(self, ticks: int = 1) -> np.ndarray:
        """Paint a frame with the renderer and show it for `ticks` ticks of the video clock."""
        self._pump()
        frame, used, reason = self.painter.paint()
        now = time.perf_counter()
        self._frames_in_step += 1
        if used not in self._renderers_in_step:
            self._renderers_in_step.append(used)
        if reason and self._cur_step is not None:
            self._fallback_in_step = reason
        changed = self.last_frame is None or not np.array_equal(frame, self.last_frame)
        if (self._cur_step is not None and self._input_t is not None and self._cur_step.latency_ms is None
                and changed and (self._before is None or not np.array_equal(frame, self._before))):
            self._cur_step.latency_ms = (now - self._input_t) * 1000
        self.frames_log.append({"tick": self.ticks, "t_ms": round(self._clock_ms(), 3),
                                "wall_ms": round((now - self._wall0) * 1000, 3),
                                "step": self._cur_step.index if self._cur_step else 0,
                                "renderer": used, "changed": bool(changed)})
        self.last_frame = frame
        if self.recorder is not None:
            self.recorder.show(frame, ticks)
        self._advance(ticks)
        return frame

    def _hold(self, ticks: int) -> None:
        if ticks <= 0:
            return
        if self.recorder is not None:
            self.recorder.hold(ticks)
        self._advance(ticks)

    def _advance(self, ticks: int) -> None:
        self.ticks += ticks
        if self.realtime:   # a person is watching: let wall time catch up with the video clock
            deadline = self._wall0 + self.ticks / self.fps
            while time.perf_counter() < deadline:
                self.app.processEvents()
                time.sleep(min(0.01, max(0.0, deadline - time.perf_counter())))

    def _mark_input(self) -> None:
        if self._input_t is None:
            self._input_t = time.perf_counter()

    def _on_changes(self, changes) -> None:
        self._changes += len(changes)

    def _on_action(self, action) -> None:
        """A button's action from the canvas: it goes to the planner (as a user's click would)."""
        entry = {"step": self._cur_step.index if self._cur_step else 0, "t_ms": round(self._clock_ms(), 3),
                 "action": action}
        if not (isinstance(action, dict) and isinstance(action.get("action"), dict)):
            entry["sent"] = False
            entry["why"] = "not an A2UI action message"
        elif not self.planner.available:
            entry["sent"] = False
            entry["why"] = self.planner.unavailable_reason
        else:
            entry["sent"] = True
            self.planner.request(action)
        self.actions.append(entry)

    def _settle(self, *, fail_on_planner_error: bool = False) -> None:
        """Wait for the planner to finish what it was asked, painting a frame per applied batch.

        A planner error fails the step for an intent; for a button's action it is recorded in the
        step's detail (the click itself worked; what the planner made of it is its own business).
        """
        deadline = time.perf_counter() + self.settle_timeout
        while True:
            seen = self._changes
            ran = self.planner.pump()
            self._pump()
            self._run_commands()
            if self._changes != seen:
                self._paint(PACE["batch"])
                continue
            if ran:
                continue
            if not self.planner.busy():
                self._pump()
                if self.planner.pump() == 0 and self._changes == seen:
                    break
                continue
            if time.perf_counter() > deadline:
                self.planner.cancel()
                raise StepFailed(f"the planner did not finish within {self.settle_timeout:g} s")
            time.sleep(0.001)
        self.planner.collect()
        for cmd in self.planner.schedules:
            value = cmd.value or {}
            due = self.ticks + max(1, int(round(float(value.get("after", 1.0)) * self.fps)))
            context = value.get("context") if isinstance(value.get("context"), dict) else {}
            self.timers[(cmd.surface, str(value.get("name", "tick")))] = (due, context)
        self.planner.schedules = []
        res = self._cur_step
        if self.planner.replies and res is not None:
            res.detail.setdefault("replies", []).extend(self.planner.replies)
        self.planner.replies = []
        errors, self.planner.errors = self.planner.errors, []
        if errors:
            if fail_on_planner_error:
                raise StepFailed(errors[0])
            if res is not None:
                res.detail.setdefault("planner_errors", []).extend(errors)

    def _run_commands(self) -> None:
        """Shell commands a plan asked for that are the shell's business: switch renderer or planner."""
        while True:
            try:
                cmd = self.planner.commands.get_nowait()
            except queue.Empty:
                return
            note = {"op": cmd.op, "value": cmd.value, "t_ms": round(self._clock_ms(), 3)}
            if cmd.op == "renderer":
                self.painter.switch(str(cmd.value))
                note["renderer_used"] = self.painter.current_name
                note["fallback_reason"] = self.painter.session_reason
            else:
                note["ignored"] = "switching planners is not done during playback"
            self.commands_log.append(note)

    def _fire_due_timers(self) -> None:
        """Scheduled actions (timers, clocks) whose time has come on the video clock go to the planner."""
        from neuralos.planners.runner import _action_message

        due = sorted((t, key) for key, (t, _) in self.timers.items() if t <= self.ticks)
        for _, key in due:
            _, context = self.timers.pop(key)
            surface, name = key
            if surface in self.session.surfaces and self.planner.available:
                self.planner.request(_action_message(surface, name, context), internal=True)
        if due:
            self._settle()

    def _refresh(self) -> None:
        """Make sure the frame and scene are current before looking at them (no time passes)."""
        seen = self._changes
        self._pump()
        if self._changes != seen or self.last_frame is None:
            self._paint(1)

    # -- the steps -------------------------------------------------------------------------------
    def _do_intent(self, step: S.Intent, res: StepResult) -> None:
        if not self.planner.available:
            raise StepFailed(f"no planner available: {self.planner.unavailable_reason}")
        self._refresh()
        self._mark_input()
        seen = self._changes
        self.planner.request(step.text)
        self._settle(fail_on_planner_error=True)
        res.detail["planner"] = self.planner.name
        if self._changes == seen:
            res.detail["note"] = "the planner changed nothing"

    def _do_a2ui(self, step: S.A2UI, res: StepResult) -> None:
        from neuralos.a2ui.processor import Rejected

        self._mark_input()
        try:
            self.session.apply([dict(m) for m in step.messages], source=self.script.where(step.line))
        except Rejected as e:
            raise StepFailed(f"A2UI rejected (nothing applied): {e}") from None
        self._paint(PACE["batch"])
        self._settle()

    def _do_click(self, step: S.Click, res: StepResult) -> None:
        self._refresh()
        x, y, node = self._target_point(step.target)
        res.detail["at"] = [round(x, 1), round(y, 1)]
        if node is not None:
            res.detail["target"] = node.key
        self._mark_input()
        self._pointer(x, y)
        self.input.move(x, y)
        self._paint(PACE["hover"])
        self._pointer(x, y, True)
        self.input.press(x, y)
        self._paint(PACE["press"])
        self._pointer(x, y)
        self.input.release(x, y)
        self._paint(PACE["release"])
        self._settle()

    def _target_point(self, target: S.Target):
        if target.at is not None:
            return target.at[0], target.at[1], None
        scene = self.canvas.scene()
        if target.text is not None:
            found = scene.find(text=target.text, surface=target.surface)
            exact = [n for n in found if n.text == target.text]
            found = exact + [n for n in found if n not in exact]
        else:
            found = scene.find(component_id=target.id, surface=target.surface)
        found = [n for n in found if n.clip is not None and n.clip.w > 0 and n.clip.h > 0]
        if not found:
            where = f" in surface {target.surface!r}" if target.surface else ""
            if target.text is not None:
                raise StepFailed(f"click: no visible component shows {target.text!r}{where}; visible texts: "
                                 f"{_listing(_visible_texts(scene, target.surface))}")
            ids = sorted({n.component_id for n in scene.nodes if n.clip is not None and n.surface
                          and (target.surface is None or n.surface == target.surface)})
            raise StepFailed(f"click: no visible component has id {target.id!r}{where}; visible ids: "
                             f"{_listing(ids)}")
        covered = []
        for node in found:
            point = _reachable_point(scene, node)
            if point is not None:
                return point[0], point[1], node
            covered.append(node)
        node = covered[0]
        top = scene.hit_test(*node.clip.center)
        by = f" by window {top.window!r}" if top is not None and top.window else ""
        raise StepFailed(f"click: {target.describe()} is visible in window {node.window!r} but covered{by}; "
                         f"click that window's title first to bring it to the front")

    def _pointer(self, x: float, y: float, pressed: bool = False) -> None:
        if self.recorder is not None:
            self.recorder.set_pointer(x, y, pressed)

    def _do_type(self, step: S.Type, res: StepResult) -> None:
        self._refresh()
        self._mark_input()
        for ch in step.text:
            self.input.type_text(ch)
            self._paint(PACE["char"])
        self._settle()

    def _do_key(self, step: S.Key, res: StepResult) -> None:
        self._refresh()
        self._mark_input()
        self.input.key(step.name)
        self._paint(PACE["key"])
        self._settle()

    def _do_wait(self, step: S.Wait, res: StepResult) -> None:
        end = self.ticks + int(round(step.seconds * self.fps))
        # Repaint every half second of video time (and when a timer fires), so changes show.
        chunk = max(1, self.fps // 2)
        first = True
        while self.ticks < end:
            self._fire_due_timers()
            seen = self._changes
            self._pump()
            stop = min([end, self.ticks + chunk] + [t for t, _ in self.timers.values() if t > self.ticks])
            n = stop - self.ticks
            if n <= 0:
                break
            if first or self._changes != seen:
                self._paint(n)
            else:
                self._hold(n)
            first = False
        if first:
            self._pump()

    def _do_snapshot(self, step: S.Snapshot, res: StepResult) -> None:
        self._refresh()
        if self.recorder is not None:
            path = self.recorder.snapshot(step.name, self.last_frame)
            res.detail["path"] = str(Path("snapshots") / path.name)
        res.detail["scene_nodes"] = len(self.canvas.scene().nodes)

    def _do_expect(self, step: S.Expect, res: StepResult) -> None:
        self._refresh()
        check_expectation(step, self.canvas.scene(), self.session, self.canvas)

    # -- the trace -------------------------------------------------------------------------------
    def _trace(self, ok: bool, outputs: dict) -> dict:
        latencies = [s.latency_ms for s in self.steps if s.latency_ms is not None]
        failed = next((s for s in self.steps if not s.ok), None)
        rel = {}
        for k, v in outputs.items():
            if k == "snapshots":
                rel[k] = {n: str(Path(p).relative_to(self.out_dir)) for n, p in v.items()}
            elif self.out_dir is not None:
                rel[k] = str(Path(v).relative_to(self.out_dir))
        painter, planner = self.painter, self.planner
        return {
            "version": 1,
            "script": self.script.path,
            "ok": ok,
            "exit_code": 0 if ok else 1,
            "failure": None if failed is None and self.failure is None else {
                "step": failed.index if failed else None, "line": failed.line if failed else None,
                "message": self.failure},
            "size": list(self.size),
            "fps": self.fps,
            "seed": self.seed,
            "renderer": {"requested": self.renderer_name,
                         "used": painter.current_name if painter else None,
                         "fallback_reason": painter.session_reason if painter else None},
            "planner": {"requested": self.planner_name, "available": planner.available if planner else False,
                        "reason": planner.unavailable_reason if planner and not planner.available else None},
            "steps_total": len(self.script.steps),
            "steps_run": len(self.steps),
            "steps_passed": sum(1 for s in self.steps if s.ok),
            "steps": [s.to_dict() for s in self.steps],
            "actions": self.actions,
            "shell_commands": self.commands_log,
            "timings": {
                "wall_ms": round((time.perf_counter() - self._wall0) * 1000, 3) if self._started else 0,
                "video_ms": round(self._clock_ms(), 3) if self._started else 0,
                "video_frames": getattr(self, "ticks", 0),
                "frames_painted": len(self.frames_log),
                "latency_ms_p50": _pct(latencies, 50), "latency_ms_p95": _pct(latencies, 95),
                "paint_ms_mean": round(painter.paint_ms_total / max(1, painter.paints), 3) if painter else None,
            },
            "outputs": rel,
            "frames": self.frames_log,
            "final_state": self.session.snapshot() if self._started else None,
        }


# -- expectations (SPEC section 6) ----------------------------------------------------------------
def check_expectation(step: S.Expect, scene, session, canvas=None) -> None:
    """Raise StepFailed saying what was expected and what was seen, or return if it holds."""
    if isinstance(step, S.ExpectText):
        nodes = [n for n in scene.nodes if n.clip is not None and n.text
                 and (step.surface is None or n.surface == step.surface)]
        if any(step.text in n.text for n in nodes):
            return
        where = f" in surface {step.surface!r}" if step.surface else ""
        raise StepFailed(f"expected a visible component showing {step.text!r}{where}; visible texts: "
                         f"{_listing(_visible_texts(scene, step.surface))}")
    if isinstance(step, S.ExpectSurfaces):
        n = len(session.surfaces)
        if n != step.count:
            names = ", ".join(repr(s) for s in session.surfaces) or "none"
            raise StepFailed(f"expected {step.count} open surface{'s' if step.count != 1 else ''}, "
                             f"saw {n} ({names})")
        return
    if isinstance(step, S.ExpectData):
        return _check_data(step, session)
    if isinstance(step, S.ExpectComponent):
        return _check_component(step, scene, session, canvas)
    raise StepFailed(f"unknown expectation {step!r}")


_MISSING = object()


def _check_data(step: S.ExpectData, session) -> None:
    from neuralos.a2ui import pointer

    if step.surface is not None:
        if step.surface not in session.surfaces:
            raise StepFailed(f"expected {step.path} == {_show(step.equals)} in surface {step.surface!r}, but there "
                             f"is no such surface (open: {', '.join(map(repr, session.surfaces)) or 'none'})")
        surfaces = [session.surfaces[step.surface]]
    else:
        surfaces = list(session.surfaces.values())
        if not surfaces:
            raise StepFailed(f"expected {step.path} == {_show(step.equals)}, but no surface is open")
    seen = []
    for s in surfaces:
        actual = pointer.get(s.data, step.path, _MISSING)
        if actual is not _MISSING and json_equal(actual, step.equals):
            return
        seen.append(f"{s.id}: {'nothing' if actual is _MISSING else _show(actual)}")
    raise StepFailed(f"expected data {step.path} == {_show(step.equals)}, saw " + "; ".join(seen))


def _check_component(step: S.ExpectComponent, scene, session, canvas=None) -> None:
    from neuralos.a2ui.functions import to_text

    nodes = [n for n in scene.nodes if n.clip is not None and n.surface
             and (n.role == step.component or n.component_id == step.component)
             and (step.surface is None or n.surface == step.surface)]
    where = f" in surface {step.surface!r}" if step.surface else ""
    if not nodes:
        raise StepFailed(f"expected a visible {step.component} (type or id){where} with value "
                         f"{_show(step.value)}, but none is visible")
    seen = []
    for n in nodes:
        actual = component_value(n, session, canvas)
        if json_equal(actual, step.value) or (
                isinstance(step.value, str) and not isinstance(actual, (bool, list, dict)) and to_text(actual) == step.value):
            return
        seen.append(f"{n.role} {n.component_id!r} = {_show(actual)}")
    raise StepFailed(f"expected a visible {step.component}{where} with value {_show(step.value)}, saw "
                     + _listing(seen, quote=False))


def component_value(node, session, canvas=None):
    """A component's current value: its bound or literal `value` resolved in the component's own
    template scope (the canvas knows it), else its displayed text."""
    from neuralos.a2ui.dynamic import resolve

    surface = session.surfaces.get(node.surface)
    comp = surface.components.get(node.component_id) if surface else None
    if comp is None or "value" not in comp:
        return node.text
    widget = canvas.widget_for(node.key) if canvas is not None and hasattr(canvas, "widget_for") else None
    scope = getattr(widget, "scope", None) or "/"
    return resolve(surface, comp["value"], scope)


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1; objects and arrays compared deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (math.isnan(a) and math.isnan(b)) if isinstance(a, float) or isinstance(b, float) else a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _reachable_point(scene, node) -> tuple[float, float] | None:
    """A point of `node` a click would actually reach (not under another window): its centre if
    possible, else the nearest of a grid over its visible box."""
    box = node.clip
    cx, cy = box.center
    candidates = [(cx, cy)]
    for fy in (0.5, 0.25, 0.75, 0.1, 0.9):
        for fx in (0.5, 0.25, 0.75, 0.1, 0.9):
            candidates.append((box.x + box.w * fx, box.y + box.h * fy))
    for x, y in candidates:
        hit = scene.hit_test(x, y)
        if hit is not None and hit.window == node.window and (hit is node or hit.key == node.key
                                                               or _inside(hit.clip, box) or _inside(box, hit.clip)):
            return x, y
    return None


def _inside(a, b) -> bool:
    """Box a lies within box b (a hit on a parent or child of the target still reaches it)."""
    return a is not None and b is not None and a.x >= b.x and a.y >= b.y and a.right <= b.right \
        and a.bottom <= b.bottom


def _visible_texts(scene, surface=None) -> list[str]:
    out = []
    for n in scene.nodes:
        if n.clip is not None and n.text and (surface is None or n.surface == surface) and n.text not in out:
            out.append(n.text)
    return out


def _listing(items: list[str], quote: bool = True) -> str:
    if not items:
        return "none"
    shown = [repr(t) if quote else t for t in items[:MAX_VISIBLE_LIST]]
    more = f" (+{len(items) - MAX_VISIBLE_LIST} more)" if len(items) > MAX_VISIBLE_LIST else ""
    return ", ".join(shown) + more


def _show(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo, hi = int(math.floor(k)), int(math.ceil(k))
    return round(v[lo] + (v[hi] - v[lo]) * (k - lo), 3)


def _json_default(o):
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, np.generic):
        return o.item()
    return repr(o)


# -- canvas helpers -------------------------------------------------------------------------------
def _canvas_size(canvas) -> tuple[int, int]:
    return canvas.width(), canvas.height()


# -- renderer: widgets or neural, with visible fallback ------------------------------------------
class _Painter:
    """Paints frames of the canvas's current scene with the requested renderer.

    "widgets" grabs the canvas. "auto", "neural" or a plugin name paint through
    `neuralos.neural.live.LiveRenderer`, the engine the shell uses: only the dirty regions are repainted
    (everything else stays bit-identical), painted regions are cached, and a region whose render fails
    (an exception, non-finite pixels) gets the widget renderer's pixels, with the reason recorded. Playback
    waits for every frame (no deadline), so the video is deterministic. After MAX_NEURAL_FAILURES faulty
    frames in a row the run paints with widgets for RETRY_AFTER_S seconds of video, then the neural
    renderer is retried (so is loading a model that was not there).
    """

    def __init__(self, canvas, requested: str, seed: int, clock: Callable[[], float] | None = None):
        from neuralos.neural.live import FallbackPolicy, LiveRenderer

        self.canvas = canvas
        self.requested = requested
        self.seed = seed
        self.paints = 0
        self.paint_ms_total = 0.0
        self.settings: dict = {}
        self.policy = FallbackPolicy(MAX_NEURAL_FAILURES, RETRY_AFTER_S, clock or time.monotonic)
        self.live = LiveRenderer(None, policy=self.policy)
        self.neural = None
        if requested != "widgets":
            self._load()

    def _load(self) -> None:
        renderer, reason = _load_neural(self.requested, self.seed)
        if renderer is not None:
            try:
                from neuralos.neural.live import configure
                self.settings = configure(renderer)
            except Exception:     # settings only make it faster
                self.settings = {}
        self.neural = renderer
        self.live.set_renderer(renderer, reason=reason)

    @property
    def current_name(self) -> str:
        if self.requested == "widgets" or self.neural is None or self.policy.retry_in() is not None:
            return "widgets"
        return "neural"

    @property
    def session_reason(self) -> str | None:
        return None if self.requested == "widgets" else self.live.session_reason

    @property
    def failures(self) -> int:
        return self.policy.consecutive

    def switch(self, requested: str) -> None:
        """Change renderer mid-run (a planner's shell command), with the same fallback rules."""
        self.requested = requested
        self.neural = None
        if requested == "widgets":
            self.live.set_renderer(None, reason="the widget renderer was asked for")
            self.policy.reset()
        else:
            self._load()

    def paint(self) -> tuple[np.ndarray, str, str | None]:
        t0 = time.perf_counter()
        if self.requested == "widgets":
            frame, used, reason = _check_frame(self.canvas.grab_frame(), None, None), "widgets", None
        else:
            if self.neural is None and self.policy.retry_in() == 0:
                self._load()                  # the cool-down is over: maybe the model is there now
            scene = self.canvas.scene()
            out = self.live.render(scene, self.canvas.grab_frame)
            frame, used = out.frame, out.renderer
            reason = out.reason or (self.session_reason if used == "widgets" else None)
        self.paints += 1
        self.paint_ms_total += (time.perf_counter() - t0) * 1000
        return frame, used, reason


def _check_frame(out, w: int | None, h: int | None) -> np.ndarray:
    arr = np.asarray(out)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"frame has shape {arr.shape}, expected (H, W, 3)")
    if w is not None and arr.shape[:2] != (h, w):
        raise ValueError(f"frame is {arr.shape[1]}x{arr.shape[0]}, expected {w}x{h}")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.floating) or not np.isfinite(arr).all():
            raise ValueError(f"frame is not a finite image ({arr.dtype})")
        arr = np.clip(np.rint(arr * 255.0 if arr.max() <= 1.0 else arr), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[:, :, :3])


def _load_neural(requested: str, seed: int):
    """(renderer, None) or (None, why the widgets paint instead).

    "auto"/"neural": the first working renderer model in the plugin search order (the user's before
    the shipped default), else the shipped default; a NAME: that plugin-folder model.
    """
    try:
        if requested in ("auto", "neural"):
            r = None
            try:
                from neuralos.plugins import default_model, load_renderer
            except ImportError:
                default_model = None
            info = default_model("renderer") if default_model is not None else None
            if info is not None:
                r = load_renderer(info)
            else:
                from neuralos.neural.renderer import load_default_renderer

                r = load_default_renderer(seed=seed)
        else:
            from neuralos.plugins import load_renderer

            r = load_renderer(requested)
    except ImportError as e:
        return None, f"no neural renderer in this build ({e.name or e})"
    except Exception as e:  # a missing, broken or unloadable model: the widgets paint, visibly
        return None, f"no usable neural renderer model: {e}"
    if r is None:
        return None, "no usable neural renderer model"
    if callable(getattr(r, "set_seed", None)):
        r.set_seed(seed)
    elif isinstance(getattr(r, "seed", None), int) and not getattr(r, "_noise", None):
        r.seed = seed            # NeuralRenderer: the fixed starting noise is drawn lazily from it
    return r, None


def _check_plugin_name(kind: str, name: str) -> None:
    """A renderer name that is not built in must be a renderer model in the plugin folder (BadInput)."""
    try:
        from neuralos.plugins.discovery import find
    except ImportError:
        raise BadInput(f"unknown {kind} {name!r} (expected {', '.join(RENDERERS)}; this build has no "
                       "plugin folder support)", where=f"--{kind}") from None
    find(name, kind)


# -- planner --------------------------------------------------------------------------------------
def _make_planner(name: str):
    """(planner, None) or (None, why there is none). An unknown planner name is `BadInput`."""
    try:
        from neuralos.planners import registry
    except ImportError as e:
        return None, f"the planners are not part of this build ({e.name or e})"
    try:
        return registry.get_planner(name), None
    except BadInput:
        raise
    except Exception as e:
        return None, f"the {name!r} planner could not start: {e}"


class _Box:
    def __init__(self, fn):
        self.fn, self.value, self.error = fn, None, None
        self.done = threading.Event()


class _PlannerLink:
    """Intents and button actions -> `neuralos.planners.runner.PlannerRunner` -> the session.

    The planner runs on the runner's threads; every session change it makes is handed to the GUI
    thread (`pump`, called while a step settles), so the canvas only ever changes on its own thread
    and each applied batch gets its own painted frame. Scheduled actions (timers, clocks) run on the
    playback's deterministic clock instead of wall-clock timers.
    """

    def __init__(self, made, session, renderer_name: Callable[[], str], timeout: float):
        planner, reason = made
        self.session = session
        self.planner = planner
        self.runner = None
        self.name = getattr(planner, "name", None) if planner is not None else None
        self.unavailable_reason = reason
        self.jobs: list = []
        self.calls: "queue.Queue[_Box]" = queue.Queue()
        self.commands: "queue.Queue" = queue.Queue()
        self.errors: list[str] = []
        self.replies: list[str] = []
        self.schedules: list = []          # ShellCommand("schedule", ...) of finished plans
        self._gui_thread = threading.get_ident()
        self.owned = True
        if planner is not None:
            try:
                from neuralos.planners.runner import PlannerRunner

                self.runner = PlannerRunner(session, planner, timeout=timeout, call=self._marshal,
                                            on_command=self.commands.put, renderer=renderer_name,
                                            schedule=False)
            except Exception as e:
                self.runner = None
                self.unavailable_reason = f"{type(e).__name__}: {e}"

    @classmethod
    def attach(cls, runner, session) -> "_PlannerLink":
        """Use a planner runner someone else owns (the shell's): its own `call` reaches the GUI thread
        through Qt events, which the playback's event pumping delivers; closing is the owner's job."""
        link = cls((None, None), session, lambda: None, SETTLE_TIMEOUT_S)
        link.runner = runner
        link.planner = runner.planner
        link.name = getattr(runner.planner, "name", None)
        link.owned = False
        return link

    @property
    def available(self) -> bool:
        return self.runner is not None

    def _marshal(self, fn):
        """Run `fn` on the GUI thread (from a planner thread: queue it and wait for `pump`)."""
        if threading.get_ident() == self._gui_thread:
            return fn()
        box = _Box(fn)
        self.calls.put(box)
        box.done.wait()
        if box.error is not None:
            raise box.error
        return box.value

    def pump(self) -> int:
        """Run the session changes planner threads are waiting to make; returns how many ran."""
        n = 0
        while True:
            try:
                box = self.calls.get_nowait()
            except queue.Empty:
                return n
            try:
                box.value = box.fn()
            except BaseException as e:  # noqa: BLE001 - handed back to the planner thread
                box.error = e
            finally:
                box.done.set()
            n += 1

    def request(self, request, internal: bool = False):
        job = self.runner.submit(request, internal=internal)
        self.jobs.append(job)
        return job

    def busy(self) -> bool:
        if not self.owned and self.runner is not None and self.runner.busy:
            return True     # the shell's runner: also wait for what the user's own clicks asked
        return any(not j.done for j in self.jobs) or not self.calls.empty()

    def collect(self) -> None:
        """Move finished jobs' outcomes into errors / replies / schedules."""
        still = []
        for job in self.jobs:
            if not job.done:
                still.append(job)
                continue
            r = job.result
            if r is None:
                continue
            if not r.ok and not r.cancelled:
                self.errors.append(r.error or "the planner failed")
            if r.reply:
                self.replies.append(r.reply)
            self.schedules += [c for c in r.commands if c.op == "schedule"]
        self.jobs = still

    def take_error(self) -> str | None:
        self.collect()
        if self.errors:
            err, self.errors = self.errors[0], []
            return err
        return None

    def cancel(self) -> None:
        if self.runner is not None:
            self.runner.cancel()

    def close(self) -> None:
        if self.runner is None or not self.owned:
            return
        self.runner.cancel()
        deadline = time.perf_counter() + 5
        while self.busy() and time.perf_counter() < deadline:
            self.pump()
            time.sleep(0.002)
        self.runner.close()
        self.runner = None
