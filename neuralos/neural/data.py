"""Synthetic training data: render generated states with the widget renderer, write shards, check them.

- `render_state(state)`: replays a `UIState` (neuralos.neural.states) on a fresh desktop canvas with
  the widget renderer and returns the frame, the scene, and for sequences the previous frame and scene.
- `make_sample(state)`: a `shards.Sample` with its meta (conditioning hash included).
- `generate(out, ...)`: plans the samples (train split only: eval states never reach a shard),
  renders them across worker processes (spawned, each with its own offscreen QApplication), writes
  shards atomically and the manifest; resumes a killed run.
- `check(folder, sample=K)`: the alignment check. Re-renders K samples of every shard from their
  stored state and requires the frame and previous frame to be byte-identical, the scene equal, the
  conditioning hash equal (rebuilt from the stored scene and from the re-rendered one), the state
  regenerable from its seed and in the train split. Any mismatch fails, naming shard, sample and what.
- `contact_sheet(folder, out)`: a PNG of samples with their role and glyph maps, for eyeballing.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from neuralos.errors import BadInput, CheckFailed
from neuralos.marks import mark_of
from neuralos.neural import shards as sh
from neuralos.neural.states import (DEFAULT_SIZES, GENERATOR_VERSION, RANDOM_PRIMARY, UIState, generate_state,
                                    iter_states, selection, split_of, validate_state)
from neuralos.scene import Scene

DATA_VERSION = "data-1"


# ---------------------------------------------------------------------------------------------
# Replay
@dataclass
class Rendered:
    frame: np.ndarray
    scene: Scene
    previous: np.ndarray | None = None
    previous_scene: Scene | None = None
    resolved: list = field(default_factory=list)    # per script step: the canvas point used, or None
    render_ms: float = 0.0                          # the whole replay (session, layout, input, grabs)
    grab_ms: float = 0.0                            # layout + paint of the final frame only


class ReplayError(RuntimeError):
    pass


def _ensure_app():
    from neuralos.widgets.app import ensure_app
    return ensure_app(headless=True)


def resolve_target(scene: Scene, target: dict) -> tuple[int, int]:
    """The canvas point a script target names, deterministically from the scene (see states.py)."""
    W, H = scene.width, scene.height
    if "point" in target:
        fx, fy = target["point"]
        return min(W - 1, max(0, int(fx * W))), min(H - 1, max(0, int(fy * H)))
    sid = target.get("surface")
    node = None
    visible = [n for n in scene.nodes if n.clip is not None and n.clip.intersect(n.box) is not None]
    if "component" in target:
        cands = [n for n in visible if n.surface == sid and n.component_id == target["component"]]
        # Prefer an instance the pointer actually reaches (not covered by another window).
        node = next((n for n in cands if _reachable(scene, n)), cands[0] if cands else None)
    elif "role" in target:
        role = target["role"]
        mine = [n for n in reversed(visible) if sid == "*" or n.surface == sid]   # topmost first
        node = next((n for n in mine if n.role == role and (sid != "*" or _reachable(scene, n))), None)
        if node is None:
            node = next((n for n in mine if any(p.role == role for p in n.parts)
                         and (sid != "*" or _reachable(scene, n))), None)
        if node is not None and node.role != role:   # aim at the part itself
            target = {**target, "part": [role], "index": 0}
    if node is None:  # hidden (another tab, scrolled away, minimised): a reachable stand-in
        pick = float(target.get("pick", 0.0))
        same = [n for n in visible if n.role == target.get("type") and _reachable(scene, n)]
        inter = same or [n for n in visible if n.interactive and not n.role.startswith("window")
                         and _reachable(scene, n)]
        if not inter:
            return W // 2, H - 2
        node = inter[int(pick * len(inter)) % len(inter)]
    box = node.clip.intersect(node.box)
    roles = target.get("part")
    if roles:
        parts = [p for p in node.parts if p.role in roles and p.box.intersect(box) is not None]
        if parts:
            part = parts[int(target.get("index", 0)) % len(parts)]
            box = part.box.intersect(box)
    fx, fy = float(target.get("fx", 0.5)), float(target.get("fy", 0.5))
    x = box.x + min(box.w - 1, max(0, int(fx * box.w)))
    y = box.y + min(box.h - 1, max(0, int(fy * box.h)))
    return x, y


def _reachable(scene: Scene, node) -> bool:
    box = node.clip.intersect(node.box)
    if box is None:
        return False
    hit = scene.hit_test(*box.center)
    return hit is not None and (hit.key == node.key or hit.window == node.window)


def render_state(state: UIState, alter: Callable | None = None) -> Rendered:
    """Replay a state on a fresh canvas (widget renderer) and grab the frames. `alter(canvas, router)`, when
    given, runs after the script and before the grab (the eval's other states of a component)."""
    from neuralos.session import Session
    from neuralos.widgets.canvas import DesktopCanvas
    try:
        from neuralos.widgets.input import InputRouter
    except ImportError:  # the router lands separately; scripts without input do not need it
        InputRouter = None

    _ensure_app()
    t0 = time.perf_counter()
    session = Session(state.width, state.height, state.theme)
    canvas = DesktopCanvas(session)
    try:
        router = _LazyRouter(canvas, InputRouter)
        session.apply(state.messages, source=f"state {state.seed}")
        out = Rendered(frame=None, scene=None)  # type: ignore[arg-type]
        for i, step in enumerate(state.script):
            out.resolved.append(_replay_step(session, canvas, router, state, step, i, out))
        if alter is not None:
            alter(canvas, router)
        t1 = time.perf_counter()
        out.frame = np.ascontiguousarray(canvas.grab_frame())
        out.scene = canvas.scene()
        out.grab_ms = (time.perf_counter() - t1) * 1000
        out.render_ms = (time.perf_counter() - t0) * 1000
        return out
    finally:
        _dispose(canvas)


def _dispose(canvas) -> None:
    """Detach the canvas from its session and delete its widgets now (workers render thousands)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    canvas.close_canvas()
    canvas.hide()
    canvas.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


class _LazyRouter:
    """The canvas' input router, created on the first input event a script sends."""

    def __init__(self, canvas, cls):
        self._canvas, self._cls, self._router = canvas, cls, None

    def __getattr__(self, name):
        if self._router is None:
            self._router = self._cls(self._canvas)
        return getattr(self._router, name)


def _replay_step(session, canvas, router, state: UIState, step: dict, i: int, out: Rendered):
    op = step.get("op")
    where = f"state {state.seed} script/{i} ({op})"
    if op == "capture":
        out.previous = np.ascontiguousarray(canvas.grab_frame())
        out.previous_scene = canvas.scene()
        return None
    if op == "window":
        action, sid = step["action"], step["surface"]
        if action == "move":
            fx, fy = step["to"]
            x, y = int(fx * state.width), int(fy * state.height)
            session.window_op("move", sid, x, y)
            return [x, y]
        session.window_op(action, sid)
        return None
    if op == "a2ui":
        session.apply(step["messages"], source=where)
        return None
    if op in ("move", "press", "release", "click"):
        x, y = resolve_target(canvas.scene(), step["target"])
        getattr(router, op)(x, y)
        return [x, y]
    if op == "type":
        router.type_text(step["text"])
        return None
    if op == "key":
        router.key(step["key"])
        return None
    if op == "scroll":
        x, y = resolve_target(canvas.scene(), step["target"])
        router.scroll(x, y, 120 * int(step["dy"]))   # notches -> wheel delta units
        return [x, y]
    raise ReplayError(f"{where}: unknown op")


# ---------------------------------------------------------------------------------------------
# Samples
def conditioning_hash(scene: Scene, previous: np.ndarray | None) -> str:
    from neuralos.neural.conditioning import build_conditioning
    return sh.array_hash(build_conditioning(scene, previous))


def sample_key(seed: int, sequence: bool) -> str:
    return f"{'q' if sequence else 's'}{seed:09d}"


def make_sample(state: UIState) -> sh.Sample:
    r = render_state(state)
    if (r.frame.shape[1], r.frame.shape[0]) != state.size or (r.scene.width, r.scene.height) != state.size:
        raise ReplayError(f"state {state.seed}: frame {r.frame.shape} / scene {r.scene.width}x{r.scene.height} "
                          f"do not match the state size {state.size}")
    from neuralos.neural.conditioning import CONDITIONING_VERSION

    stored_state = state.to_dict() | {"resolved": r.resolved}
    meta = {
        "key": sample_key(state.seed, state.is_sequence), "seed": state.seed, "split": split_of(state),
        "kind": state.kind, "size": [state.width, state.height], "theme": state.theme,
        "sequence": state.is_sequence, "generator": GENERATOR_VERSION, "data_version": DATA_VERSION,
        "content_hash": state.content_hash(),
        "conditioning_version": CONDITIONING_VERSION,
        "conditioning_hash": conditioning_hash(r.scene, r.previous),
        "frame_hash": sh.pixels_hash(r.frame),
        "previous_hash": sh.pixels_hash(r.previous) if r.previous is not None else None,
        "windows": sum(1 for n in r.scene.nodes if n.role == "window" and n.clip is not None),
        "components": len([n for n in r.scene.nodes if n.surface]),
        "render_ms": round(r.render_ms, 1),
        "changed_pixels": int(np.any(r.frame != r.previous, axis=2).sum()) if r.previous is not None else None,
    }
    return sh.Sample(meta["key"], r.frame, r.previous, r.scene, stored_state, meta)


# ---------------------------------------------------------------------------------------------
# Planning and generation
@dataclass(frozen=True)
class Job:
    seed: int
    sequence: bool


def plan_jobs(samples: int, sequences: int, seed: int, sizes, random_primary: float = RANDOM_PRIMARY,
              kinds: frozenset[str] | None = None, targets: frozenset[str] | None = None) -> list[Job]:
    """Train-split jobs: `samples` single frames and `sequences` (previous, frame) pairs, interleaved; with
    `kinds`, only the seeds whose state is of one of those kinds ("press", "hover", "toggle" ...: a state's kind
    without its "seq:" prefix), with `targets` only those whose input aims at one of these component types
    ("CheckBox" ...), so every state still regenerates from its seed alone."""
    import random

    jobs = [Job(st.seed, is_seq) for is_seq, count in ((False, samples), (True, sequences))
            for st in iter_states("train", count, start_seed=seed, sizes=sizes, sequence=is_seq,
                                  random_primary=random_primary, kinds=kinds, targets=targets)]
    random.Random(f"neuralos-plan:{seed}").shuffle(jobs)
    return jobs


def _git_commit() -> str | None:
    try:
        root = Path(__file__).resolve().parents[2]
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


_progress_queue = None


def _worker_init(queue, threads: int) -> None:
    global _progress_queue
    _progress_queue = queue
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        pass
    _ensure_app()


def render_shard(out: str, index: int, jobs: list[tuple[int, bool]], sizes, random_primary: float = RANDOM_PRIMARY,
                 validate: bool = True) -> dict:
    """Render and write one shard (in a worker or in-process). Failed states are recorded, not written."""
    samples, failed = [], []
    for seed, is_seq in jobs:
        try:
            state = generate_state(seed, sizes=sizes, sequence=is_seq, random_primary=random_primary)
            if validate:
                validate_state(state)
            samples.append(make_sample(state))
        except Exception as e:  # a renderer bug on one state must not lose the whole shard
            failed.append({"seed": seed, "sequence": is_seq, "error": f"{type(e).__name__}: {e}",
                           "trace": traceback.format_exc(limit=6)})
        if _progress_queue is not None:
            _progress_queue.put(1)
    idx = sh.write_shard(Path(out), index, samples, {"failed": failed, "generator": GENERATOR_VERSION,
                                                     "jobs": [[s, q] for s, q in jobs]})
    return idx


def generate(out: str | Path, samples: int, sequences: int = 0, sizes=DEFAULT_SIZES, workers: int = 1,
             seed: int = 0, shard_size: int = 200, progress: bool = True, command: str | None = None,
             random_primary: float = RANDOM_PRIMARY, kinds=None, targets=None) -> dict:
    """Generate (or resume) a data directory; returns the manifest. `random_primary`: the odds that a themed
    window's primary colour is any colour rather than a common one (`neuralos.neural.states.PRIMARY_COLORS`).
    `kinds`: only states of these interaction or sequence kinds (`states.STATE_KINDS`; None: all). `targets`: only
    states whose input aims at one of these component types (`states.INTERACTIVE_TYPES`; None: all)."""
    out = Path(out)
    if samples < 0 or sequences < 0 or samples + sequences == 0:
        raise BadInput("nothing to generate: --samples and --sequences must be >= 0 and not both 0")
    if shard_size < 1:
        raise BadInput("--shard-size must be at least 1")
    if workers < 1:
        raise BadInput("--workers must be at least 1")
    kinds, targets = selection(kinds, targets, random_primary)
    sizes = [tuple(s) for s in sizes]
    out.mkdir(parents=True, exist_ok=True)
    plan = {"data_version": DATA_VERSION, "generator": GENERATOR_VERSION, "samples": samples,
            "sequences": sequences, "sizes": [list(s) for s in sizes], "seed": seed, "shard_size": shard_size}
    if random_primary != RANDOM_PRIMARY:   # plans of the default odds stay as they were (and resume)
        plan["random_primary"] = random_primary
    if kinds is not None:
        plan["kinds"] = sorted(kinds)
    if targets is not None:
        plan["targets"] = sorted(targets)
    plan_path = out / "plan.json"
    if plan_path.exists():
        try:
            old = json.loads(plan_path.read_text())
        except ValueError:
            old = None
        if old != plan:
            raise BadInput("holds data generated with different arguments "
                           f"({_plan_diff(old, plan)}); use a new --out folder or the same arguments to resume",
                           where=str(out))
    else:
        if any(out.glob("shard-*.tar")):
            raise BadInput("holds shards but no plan.json; use an empty folder", where=str(out))
        sh.atomic_write_json(plan_path, plan)
    sh.clean_temporaries(out)
    commit = _git_commit()   # the code this run starts with (the working tree may move on meanwhile)

    jobs = plan_jobs(samples, sequences, seed, sizes, random_primary, kinds, targets)
    chunks = [jobs[i:i + shard_size] for i in range(0, len(jobs), shard_size)]
    done: dict[int, dict] = {}
    todo = []
    for i, chunk in enumerate(chunks):
        idx = sh.shard_is_complete(out, i)
        if idx is not None and idx.get("jobs") == [[j.seed, j.sequence] for j in chunk]:
            done[i] = idx
        else:
            todo.append((i, chunk))
    t0 = time.perf_counter()
    total = sum(len(c) for _, c in todo)
    bar = _bar(total, progress, f"rendering {total} samples ({len(done)} of {len(chunks)} shards already done)")
    try:
        if workers == 1 or len(todo) <= 1:
            _worker_init(None, max(1, (os.cpu_count() or 1)))
            global _progress_queue
            for i, chunk in todo:
                _progress_queue = _BarQueue(bar)
                try:
                    done[i] = render_shard(str(out), i, [(j.seed, j.sequence) for j in chunk], sizes,
                                           random_primary)
                finally:
                    _progress_queue = None
        else:
            done.update(_run_pool(out, todo, sizes, random_primary, workers, bar))
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - t0
    failed = [f for i in sorted(done) for f in done[i].get("failed", [])]
    info = {"generator": GENERATOR_VERSION, "data_version": DATA_VERSION, "plan": plan,
            "command": command or " ".join(sys.argv), "git_commit": commit,
            "failed": [{k: f[k] for k in ("seed", "sequence", "error")} for f in failed],
            "rendered_this_run": total, "seconds_this_run": round(elapsed, 2),
            "samples_per_second": round(total / elapsed, 3) if elapsed > 0 and total else None,
            "seed_range": [min(j.seed for j in jobs), max(j.seed for j in jobs)] if jobs else None}
    from neuralos.neural.conditioning import CONDITIONING_CHANNEL_NAMES, CONDITIONING_VERSION
    info["conditioning"] = {"version": CONDITIONING_VERSION, "channels": list(CONDITIONING_CHANNEL_NAMES)}
    manifest = sh.write_manifest(out, [done[i] for i in sorted(done)], info)
    return manifest


def _plan_diff(old, new) -> str:
    if not isinstance(old, dict):
        return "unreadable plan.json"
    diffs = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in new if old.get(k) != new.get(k)]
    return ", ".join(diffs) or "different"


class _BarQueue:
    def __init__(self, bar):
        self.bar = bar

    def put(self, n):
        if self.bar is not None:
            self.bar.update(n)


def _bar(total: int, progress: bool, desc: str):
    if not progress:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit="sample", dynamic_ncols=True, file=sys.stderr)


def _run_pool(out: Path, todo, sizes, random_primary: float, workers: int, bar) -> dict[int, dict]:
    import multiprocessing as mp
    import queue as queue_mod

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    threads = max(1, (os.cpu_count() or 1) // workers)
    results: dict[int, dict] = {}
    with ctx.Pool(workers, initializer=_worker_init, initargs=(q, threads), maxtasksperchild=8) as pool:
        pending = {i: pool.apply_async(render_shard, (str(out), i, [(j.seed, j.sequence) for j in chunk], sizes,
                                                      random_primary))
                   for i, chunk in todo}
        while pending:
            try:
                n = q.get(timeout=0.2)
                if bar is not None:
                    bar.update(n)
            except queue_mod.Empty:
                pass
            for i in [i for i, r in pending.items() if r.ready()]:
                results[i] = pending.pop(i).get()   # re-raises a worker's exception
        while True:  # drain the last progress ticks
            try:
                n = q.get_nowait()
                if bar is not None:
                    bar.update(n)
            except queue_mod.Empty:
                break
    return results


# ---------------------------------------------------------------------------------------------
# Alignment check
@dataclass
class Mismatch:
    shard: str
    key: str
    what: str

    def __str__(self) -> str:
        return f"{self.shard}/{self.key}: {self.what}"


def describe_pixel_diff(a: np.ndarray | None, b: np.ndarray | None) -> str:
    if a is None or b is None:
        return f"one is missing (stored {'none' if a is None else a.shape}, re-rendered {'none' if b is None else b.shape})"
    if a.shape != b.shape:
        return f"shape {a.shape} vs {b.shape}"
    diff = np.any(a != b, axis=2)
    ys, xs = np.nonzero(diff)
    return (f"{len(ys)} pixels differ (max |d| {int(np.abs(a.astype(int) - b.astype(int)).max())}) "
            f"in box x={xs.min()} y={ys.min()} w={xs.max() - xs.min() + 1} h={ys.max() - ys.min() + 1}")


def describe_scene_diff(a: Scene, b: Scene) -> str:
    da, db = a.to_dict(), b.to_dict()
    parts = []
    for k in ("width", "height", "theme"):
        if da[k] != db[k]:
            parts.append(f"{k} {da[k]!r} vs {db[k]!r}")
    na = {n["key"]: n for n in da["nodes"]}
    nb = {n["key"]: n for n in db["nodes"]}
    only_a, only_b = sorted(na.keys() - nb.keys()), sorted(nb.keys() - na.keys())
    if only_a:
        parts.append(f"nodes only stored: {only_a[:5]}")
    if only_b:
        parts.append(f"nodes only re-rendered: {only_b[:5]}")
    changed = [k for k in na if k in nb and na[k] != nb[k]]
    for k in changed[:3]:
        fields = [f for f in na[k] if na[k][f] != nb[k].get(f)]
        parts.append(f"node {k}: {', '.join(fields)} differ")
    if not parts and [n["key"] for n in da["nodes"]] != [n["key"] for n in db["nodes"]]:
        parts.append("paint order differs")
    return "; ".join(parts) or "differs"


def conditioning_problems(scene: Scene, cond: np.ndarray) -> list[str]:
    """Conditioning that contradicts the scene's paint order: text of a window drawn as glyph ink
    where a window painted later covers it (the frame shows the upper window there, not that text)."""
    from neuralos.neural.conditioning import GLYPH_CHANNEL

    problems = []
    windows = [n for n in scene.nodes if n.role == "window" and n.clip is not None]
    order = {w.window or w.surface: i for i, w in enumerate(windows)}
    glyph = cond[GLYPH_CHANNEL]
    # Ink a later node's own text, indicator marks or icon paths may put there is not a leak: mark where glyph ink
    # painted after each node can land (its runs' clips, its marked parts), so only ink nothing visible
    # explains is reported.
    later_ink = np.zeros(glyph.shape, bool)
    explained: dict[str, np.ndarray] = {}
    for n in reversed(scene.nodes):
        explained[n.key] = later_ink.copy()
        if n.clip is None:
            continue
        inks = [n.clip if run.box is None else run.box.intersect(n.clip) for run in n.text_runs]
        inks += [p.box.intersect(n.clip) for p in n.parts if mark_of(p.role, p.states | n.states) is not None]
        inks += [n.clip] if n.paths else []
        for ink in inks:
            if ink is not None:
                later_ink[ink.y:ink.bottom, ink.x:ink.right] = True
    for n in scene.nodes:
        if not n.text_runs or n.clip is None or (n.window or n.surface) not in order:
            continue
        later = windows[order[n.window or n.surface] + 1:]
        for run in n.text_runs:
            ink = n.clip if run.box is None else run.box.intersect(n.clip)
            for w in later:
                cover = ink.intersect(w.clip) if ink is not None else None
                if cover is None:
                    continue
                sl = (slice(cover.y, cover.bottom), slice(cover.x, cover.right))
                leak = glyph[sl] * ~explained[n.key][sl]
                if float(leak.max()) > 0.0:
                    problems.append(f"glyph map shows text {run.text[:30]!r} of {n.key} under window {w.key} "
                                    f"({int((leak > 0).sum())} px in {cover}): conditioning ignores occlusion")
                    return problems   # one is enough to name the bug
    return problems


def written_under_older_format(meta: dict) -> bool:
    """Whether a sample's recorded conditioning hash is of another map format than this build's."""
    from neuralos.neural.conditioning import CONDITIONING_VERSION
    return meta.get("conditioning_version") != CONDITIONING_VERSION


def check_sample(s: sh.Sample, rerender: bool = True) -> list[str]:
    """Everything wrong with one stored sample (empty: aligned)."""
    problems = []
    meta, key = s.meta, s.key
    if sh.pixels_hash(s.frame) != meta.get("frame_hash"):
        problems.append("frame pixels do not match meta.frame_hash (frame edited after generation)")
    if (s.previous is None) != (meta.get("previous_hash") is None):
        problems.append("previous frame presence does not match the meta")
    elif s.previous is not None and sh.pixels_hash(s.previous) != meta.get("previous_hash"):
        problems.append("previous pixels do not match meta.previous_hash")
    if (s.scene.width, s.scene.height) != (s.frame.shape[1], s.frame.shape[0]):
        problems.append(f"scene size {s.scene.width}x{s.scene.height} != frame {s.frame.shape[1]}x{s.frame.shape[0]}")
        return problems
    from neuralos.neural.conditioning import build_conditioning
    try:
        cond = build_conditioning(s.scene, s.previous)
        stored_cond = sh.array_hash(cond)
        problems += conditioning_problems(s.scene, cond)
    except ValueError as e:
        problems.append(f"conditioning cannot be built from the stored scene ({e})")
        stored_cond = None
    # A sample written under an older map format records that format's hash: training rebuilds the maps from
    # the stored scene, so it stays usable; the re-render's maps are then checked against those instead.
    older = written_under_older_format(meta)
    expected = stored_cond if older else meta.get("conditioning_hash")
    if stored_cond is not None and stored_cond != expected:
        problems.append("conditioning rebuilt from the stored scene/previous differs from meta.conditioning_hash")
    try:
        state = UIState.from_dict({k: v for k, v in s.state.items() if k != "resolved"}, where=f"{key}.state.json")
    except BadInput as e:
        problems.append(str(e))
        return problems
    if split_of(state) != "train" or meta.get("split") != "train":
        problems.append(f"state is in split {split_of(state)!r} (meta says {meta.get('split')!r}): "
                        "held-out states must never be in a shard")
    if state.content_hash() != meta.get("content_hash"):
        problems.append("state content hash differs from meta.content_hash (state edited)")
    if state.generator == GENERATOR_VERSION:
        regen = generate_state(state.seed, sizes=[state.size], sequence=state.is_sequence,
                               random_primary=state.random_primary)
        if (regen.messages, regen.script, regen.theme, regen.kind) != (state.messages, state.script, state.theme,
                                                                       state.kind):
            problems.append(f"state is not what generator {GENERATOR_VERSION} makes for seed {state.seed}")
    if not rerender:
        return problems
    try:
        r = render_state(state)
    except Exception as e:
        problems.append(f"re-rendering failed: {type(e).__name__}: {e}")
        return problems
    if not np.array_equal(r.frame, s.frame):
        problems.append("frame differs from a re-render of its state: " + describe_pixel_diff(s.frame, r.frame))
    if (r.previous is None) != (s.previous is None) or (r.previous is not None and not np.array_equal(r.previous, s.previous)):
        problems.append("previous frame differs from a re-render: " + describe_pixel_diff(s.previous, r.previous))
    if r.scene.to_dict() != s.scene.to_dict():
        problems.append("scene differs from a re-render: " + describe_scene_diff(s.scene, r.scene))
    if expected is not None and conditioning_hash(r.scene, r.previous) != expected:
        problems.append("conditioning of the re-rendered scene differs from "
                        + ("the one rebuilt from the stored scene" if older else "meta.conditioning_hash"))
    if s.state.get("resolved") is not None and r.resolved != s.state["resolved"]:
        problems.append(f"replayed pointer positions differ: stored {s.state['resolved']} vs {r.resolved}")
    return problems


def check(folder: str | Path, sample: int = 4, seed: int = 0, progress: bool = True) -> dict:
    """Alignment check of a data directory; raises CheckFailed listing every mismatch."""
    import random

    folder = Path(folder)
    manifest = sh.read_manifest(folder)
    mismatches: list[Mismatch] = [Mismatch(p.split(":")[0], "-", p.split(": ", 1)[-1])
                                  for p in sh.verify_shards(folder)]
    checked = older = 0
    entries = []
    for p in sh.shard_paths(folder):
        samples = list(sh.iter_shard(p))
        if not samples:
            continue
        rng = random.Random(f"neuralos-check:{seed}:{p.name}")
        pick = rng.sample(range(len(samples)), k=min(sample, len(samples))) if sample > 0 else range(len(samples))
        entries += [(p.name, samples[i]) for i in sorted(pick)]
    bar = _bar(len(entries), progress, f"checking {len(entries)} samples")
    try:
        for shard, s in entries:
            for what in check_sample(s):
                mismatches.append(Mismatch(shard, s.key, what))
            checked += 1
            older += written_under_older_format(s.meta)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    result = {"checked": checked, "shards": len(manifest["shards"]), "older_format": older,
              "mismatches": [str(m) for m in mismatches]}
    if mismatches:
        lines = "\n  ".join(str(m) for m in mismatches[:20])
        more = f"\n  ... and {len(mismatches) - 20} more" if len(mismatches) > 20 else ""
        raise CheckFailed(f"alignment check FAILED: {len(mismatches)} mismatch(es) in {folder}:\n  {lines}{more}")
    return result


# ---------------------------------------------------------------------------------------------
# Contact sheet
ROLE_COLORS_SEED = 7


def role_map_image(cond: np.ndarray) -> np.ndarray:
    """The innermost role per pixel, one colour per role (uint8 RGB)."""
    from neuralos.neural.conditioning import ROLE_SLICE

    roles = cond[ROLE_SLICE]
    n = roles.shape[0]
    rng = np.random.default_rng(ROLE_COLORS_SEED)
    palette = rng.integers(40, 256, (n + 1, 3)).astype(np.uint8)
    palette[0] = (20, 20, 20)
    # later roles in ROLES are parts (drawn over components): take the highest index set at each pixel
    idx = np.where(roles.any(axis=0), n - np.argmax(roles[::-1] > 0.5, axis=0), 0)
    return palette[idx]


def glyph_image(cond: np.ndarray) -> np.ndarray:
    from neuralos.neural.conditioning import GLYPH_CHANNEL

    g = (np.clip(cond[GLYPH_CHANNEL], 0, 1) * 255).astype(np.uint8)
    return np.repeat(g[:, :, None], 3, axis=2)


def contact_sheet(folder: str | Path, out: str | Path, count: int = 8, thumb_w: int = 320, seed: int = 0) -> Path:
    """PNG grid: per sample a row of frame | previous | role map | glyph map, with the key and kind."""
    import random

    from PIL import Image

    from neuralos.neural.conditioning import build_conditioning
    from neuralos.neural.sheets import save_sheet

    folder, out = Path(folder), Path(out)
    all_samples = [s for p in sh.shard_paths(folder) for s in sh.iter_shard(p)]
    if not all_samples:
        raise BadInput("no samples", where=str(folder))
    rng = random.Random(seed)
    chosen = rng.sample(all_samples, k=min(count, len(all_samples)))
    rows = []
    for s in chosen:
        cond = build_conditioning(s.scene, s.previous)
        prev = s.previous if s.previous is not None else np.full_like(s.frame, 128)
        tiles = [s.frame, prev, role_map_image(cond), glyph_image(cond)]
        th = int(thumb_w * s.frame.shape[0] / s.frame.shape[1])
        rows.append((f"{s.shard}/{s.key}  {s.meta.get('kind')}  {s.meta.get('size')}  {s.meta.get('theme')}   "
                     "[frame | previous | roles | glyphs]",
                     [np.asarray(Image.fromarray(t).resize((thumb_w, th), Image.Resampling.BILINEAR)) for t in tiles]))
    save_sheet(rows, out)
    return out


def dataset_stats(folder: str | Path) -> dict:
    """Counts by kind, size, theme, component type; mean render time."""
    from collections import Counter

    kinds, sizes, themes, comps = Counter(), Counter(), Counter(), Counter()
    ms = []
    n = 0
    for p in sh.shard_paths(Path(folder)):
        for s in sh.iter_shard(p):
            n += 1
            kinds[s.meta.get("kind")] += 1
            sizes["x".join(map(str, s.meta.get("size", [])))] += 1
            themes[s.meta.get("theme")] += 1
            comps.update(n_.role for n_ in s.scene.nodes if n_.surface and n_.clip is not None)
            ms.append(s.meta.get("render_ms", math.nan))
    return {"samples": n, "kinds": dict(kinds), "sizes": dict(sizes), "themes": dict(themes),
            "visible_roles": dict(comps.most_common()), "mean_render_ms": float(np.nanmean(ms)) if ms else None}
