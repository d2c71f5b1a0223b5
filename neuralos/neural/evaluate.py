"""`neuralos eval`: the neural renderer against the widget renderer on held-out states.

Evaluation states come from the generator's "eval" split (`states.iter_states("eval", ...)`): their UI
content hashes into the held-out share, so no shard can contain them (`data check` enforces it). For each
state the widget renderer gives the reference frame and scene; each renderer under test paints the scene:

- fidelity: PSNR (full frame; inside component boxes, the desktop excluded; inside leaf components),
  SSIM, MAE; Tesseract OCR word recall and character error rate against the reference frame's words, and the
  recall of the reference words that are the UI's own words (`text_recall`, what the OCR target uses);
- component states: for every visible stateful component (CheckBox, Slider, Tabs, ...) whether its box is
  nearer the reference than the widget renderer's pixels of the same UI with that component in another state
  (`state_check`: hovered or not, checked or not, another slider position or tab ...; what the target asks),
  and the PSNR of its box (below `COMPONENT_PSNR_OK` dB it counts as not crisp and is listed);
- temporal stability on sequences: the neural previous frame, then the neural frame of the next state
  given it; pixels outside the scene's dirty regions must not change (full-frame renders and
  dirty-region renders both measured; the widget renderer's own frames as a sanity baseline);
- speed: wall time per frame, with the widget renderer's grab time from the same run as the ratio base.

The student is measured at its own step count (and at `--student-steps` if given); the teacher at each of
`--steps`. Outputs in `--out`: metrics.json, report.md, report.html, images/ (neural | reference |
difference per state; wrong-components-*.png: the components below the PSNR bar, zoomed;
wrong-states-*.png: those nearer another state, with that state) and plots/ (teacher steps vs quality, student
vs teacher).
"""
from __future__ import annotations

import html
import inspect
import json
import math
import os
import platform
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from neuralos.errors import BadInput, CheckFailed, NeuralosError
from neuralos.neural import metrics as M
from neuralos.neural import state_check as SC
from neuralos.neural.states import RANDOM_PRIMARY, UIState, iter_states, selection
from neuralos.scene import Box, Scene

TARGETS = {"psnr": 35.0, "psnr_components": 32.0, "ssim": 0.98, "ocr_text_recall": 0.98,
           "component_states_right": 1.0}
TARGET_STEPS = 2            # the student's targets hold at <= 2 steps
STATE_ROLES = ("CheckBox", "Slider", "Tabs", "ChoicePicker", "Button", "TextField", "DateTimeInput")
COMPONENT_PSNR_OK = 28.0    # dB inside a stateful component's box; below: not crisp
SHEET_MARGIN_PX, SHEET_TILE_PX, SHEET_MAX_ZOOM, SHEET_MAX_ROWS = 8, 160, 4, 25   # the wrong-components sheet
EVAL_VERSION = "eval-1"


# ---------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One held-out state with its reference rendering."""

    state: UIState
    frame: np.ndarray
    scene: Scene
    previous: np.ndarray | None = None
    previous_scene: Scene | None = None
    widget_ms: float = 0.0
    ref_words: list | None = None
    alternatives: list | None = None     # the same UI with components in other states (state_check)

    @property
    def key(self) -> str:
        return f"{'q' if self.previous is not None else 's'}{self.state.seed:09d}"

    @property
    def dirty(self) -> list[Box]:
        return self.scene.dirty_regions(self.previous_scene) if self.previous_scene is not None else []


def reference_cases(states: int, sequences: int, size: tuple[int, int], seed: int = 0,
                    progress: Callable[[str], None] | None = None, random_primary: float = RANDOM_PRIMARY,
                    kinds: frozenset[str] | None = None, targets: frozenset[str] | None = None) -> list[Case]:
    """Held-out states rendered by the widget renderer; `random_primary`, `kinds` and `targets` select them as
    `neuralos data generate` does (e.g. only pressed check boxes, in any primary colour)."""
    from neuralos.neural.data import render_state

    cases = []
    for is_seq, count in ((False, states), (True, sequences)):
        for st in iter_states("eval", count, start_seed=seed, sizes=[size], sequence=is_seq,
                              random_primary=random_primary, kinds=kinds, targets=targets):
            r = render_state(st)
            cases.append(Case(st, r.frame, r.scene, r.previous, r.previous_scene, r.grab_ms))
            if progress:
                progress(f"reference {len(cases)}/{states + sequences}")
    return cases


class RendererUnderTest:
    """A renderer with a label and a step count; `render` returns (frame, milliseconds)."""

    def __init__(self, name: str, renderer, steps: int | None = None):
        self.name, self.renderer, self.steps = name, renderer, steps
        try:
            params = inspect.signature(renderer.render).parameters
        except (TypeError, ValueError):
            params = {}
        # The step count is a render() keyword, or (NeuralRenderer) an attribute set for each call.
        self._takes_steps = "steps" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
        self._steps_attr = not self._takes_steps and isinstance(getattr(renderer, "steps", None), int)
        if steps is not None and not (self._takes_steps or self._steps_attr):
            raise BadInput(f"renderer {name!r} does not take a step count")

    @property
    def effective_steps(self) -> int | None:
        """The steps actually used: the requested ones, else the renderer's own (None if unknown)."""
        if self.steps is not None:
            return self.steps
        own = getattr(self.renderer, "steps", None)
        return own if isinstance(own, int) else None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.effective_steps if self.effective_steps is not None else 'default'} steps)"

    def render(self, scene: Scene, previous: np.ndarray | None = None,
               regions: list[Box] | None = None) -> tuple[np.ndarray, float]:
        kw = {"steps": self.steps} if self.steps is not None and self._takes_steps else {}
        saved = None
        if self.steps is not None and self._steps_attr:
            saved, self.renderer.steps = self.renderer.steps, self.steps
        t0 = time.perf_counter()
        try:
            frame = self.renderer.render(scene, previous, regions, **kw)
        finally:
            if saved is not None:
                self.renderer.steps = saved
        ms = (time.perf_counter() - t0) * 1000
        frame = np.asarray(frame)
        if frame.shape != (scene.height, scene.width, 3) or frame.dtype != np.uint8:
            raise CheckFailed(f"{self.label} returned {frame.dtype} {frame.shape}, expected uint8 "
                              f"({scene.height}, {scene.width}, 3)")
        return frame, ms


# ---------------------------------------------------------------------------------------------
def component_checks(case: Case, neural: np.ndarray) -> list[dict]:
    """PSNR inside each visible stateful component's box; `ok` False means drawn wrong."""
    out = []
    for n in SC.stateful_nodes(case.scene, STATE_ROLES):
        box = SC.visible_box(n)
        ref = case.frame[box.y:box.bottom, box.x:box.right]
        neu = neural[box.y:box.bottom, box.x:box.right]
        p = M.psnr(ref, neu)
        out.append({"case": case.key, "key": n.key, "role": n.role, "states": sorted(n.states),
                    "value": n.value, "text": n.text[:40], "box": [box.x, box.y, box.w, box.h],
                    "psnr": p, "ok": p >= COMPONENT_PSNR_OK})
    return out


def component_crops(reference: np.ndarray, neural: np.ndarray, box: Box, margin: int = SHEET_MARGIN_PX
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The reference and neural pixels of a component's box plus `margin` (clipped to the frame)."""
    h, w = reference.shape[:2]
    y0, y1 = max(box.y - margin, 0), min(box.bottom + margin, h)
    x0, x1 = max(box.x - margin, 0), min(box.right + margin, w)
    return reference[y0:y1, x0:x1].copy(), neural[y0:y1, x0:x1].copy()


def write_component_sheet(path: Path, wrong: list[tuple[dict, np.ndarray, np.ndarray]]) -> Path | None:
    """A PNG of the components drawn wrong: per component neural | reference | difference, zoomed so small
    ones (a check box) are big enough to see what is off; None when nothing was wrong."""
    from neuralos.neural.sheets import save_sheet

    rows = []
    for x, ref, neu in wrong[:SHEET_MAX_ROWS]:
        zoom, tiles = _zoomed(neu, ref, M.difference_image(ref, neu))
        rows.append((f"{x['case']} {x['key']} ({x['role']}, {', '.join(x['states']) or 'no state'}): "
                     f"{x['psnr']:.1f} dB   [neural | reference | difference x4], x{zoom}", tiles))
    return save_sheet(rows, path) if rows else None


def write_state_sheet(path: Path, wrong: list[tuple[dict, dict, np.ndarray, np.ndarray, np.ndarray]]) -> Path | None:
    """A PNG of the components whose neural pixels are nearer another state: neural | reference | that state."""
    from neuralos.neural.sheets import save_sheet

    rows = []
    for x, test, neu, ref, other in wrong[:SHEET_MAX_ROWS]:
        zoom, tiles = _zoomed(neu, ref, other)
        rows.append((f"{x['case']} {x['key']} ({x['role']}, {', '.join(x['states']) or 'no state'}) nearer "
                     f"'{test['other']}'   [neural | reference | that state], x{zoom}", tiles))
    return save_sheet(rows, path) if rows else None


def _zoomed(*tiles: np.ndarray) -> tuple[int, list[np.ndarray]]:
    """Tiles of one component scaled up so small ones (a check box) are big enough to see."""
    zoom = max(1, min(SHEET_MAX_ZOOM, SHEET_TILE_PX // max(tiles[0].shape[:2])))
    return zoom, [np.repeat(np.repeat(t, zoom, axis=0), zoom, axis=1) for t in tiles]


def evaluate_renderer(rut: RendererUnderTest, cases: list[Case], ocr: bool = True,
                      keep_frames: int = 0, progress: Callable[[str], None] | None = None,
                      state_check: bool = True) -> dict:
    """All metrics of one renderer over the cases; `frames` holds the first `keep_frames` outputs."""
    per_case, comps, times, frames, wrong, told, wrong_states = [], [], [], {}, [], [], []
    stab_full, stab_regions = [], []
    for i, c in enumerate(cases):
        neural, ms = rut.render(c.scene, c.previous)
        times.append(ms)
        fm = M.frame_metrics(c.frame, neural, c.scene)
        fm["mse"] = M.mse(c.frame, neural)
        fm["error_regions"] = M.error_breakdown(c.frame, neural, c.scene)
        fm["ms"] = ms
        if ocr:
            if c.ref_words is None and M.tesseract_status()[0]:
                c.ref_words = M.ocr_words(c.frame)
            fm["ocr"] = M.ocr_compare(c.frame, neural, c.ref_words, M.scene_words(c.scene))
        checks = component_checks(c, neural)
        comps += checks
        wrong += [(x, *component_crops(c.frame, neural, Box(*x["box"]))) for x in checks if not x["ok"]]
        fm["components_wrong"] = sum(not x["ok"] for x in checks)
        if state_check:
            if c.alternatives is None:
                if progress:
                    progress(f"{rut.label}: {i + 1}/{len(cases)}, the widget renderer's other states")
                c.alternatives = SC.alternatives(c.state, c.scene, STATE_ROLES)
            alts = {a.label: a for a in c.alternatives}
            mine = [{"case": c.key, **x} for x in SC.check(c.frame, c.scene, neural, c.alternatives, STATE_ROLES)]
            for x in mine:
                for t in x["tests"]:
                    if not t["ok"]:
                        box = Box(*x["box"])
                        ref, neu = component_crops(c.frame, neural, box)
                        wrong_states.append((x, t, neu, ref, component_crops(alts[t["other"]].frame, neural, box)[0]))
            told += mine
            fm["states_wrong"] = sum(not x["right"] for x in mine)
        if c.previous_scene is not None:
            prev_n, _ = rut.render(c.previous_scene, None)
            cur_full, _ = rut.render(c.scene, prev_n)
            cur_reg, _ = rut.render(c.scene, prev_n, c.dirty)
            stab_full.append(M.temporal_stability(prev_n, cur_full, c.dirty))
            stab_regions.append(M.temporal_stability(prev_n, cur_reg, c.dirty))
            fm["temporal_full"] = stab_full[-1]
            fm["temporal_regions"] = stab_regions[-1]
        per_case.append({"case": c.key, "seed": c.state.seed, "kind": c.state.kind, **fm})
        if i < keep_frames:
            frames[c.key] = neural
        if progress:
            progress(f"{rut.label}: {i + 1}/{len(cases)}")
    return {"renderer": rut.name, "steps": rut.effective_steps, "label": rut.label, "cases": per_case,
            "components": comps, "state_check": told if state_check else None,
            "summary": summarize(per_case, comps, times, stab_full, stab_regions, told if state_check else None),
            "frames": frames, "wrong_crops": wrong, "wrong_states": wrong_states}


def summarize(per_case: list[dict], comps: list[dict], times: list[float], stab_full: list[dict],
              stab_regions: list[dict], told: list[dict] | None = None) -> dict:
    def agg(key):
        return M.summarize([c[key] for c in per_case if key in c])

    total_mse = [c["mse"] for c in per_case]
    s = {"frames": len(per_case),
         "psnr": agg("psnr"), "psnr_components": agg("psnr_components"), "psnr_leaf": agg("psnr_leaf"),
         "ssim": agg("ssim"), "mae": agg("mae"),
         "psnr_pooled": _pooled_psnr(total_mse),
         "error_regions": M.pool_breakdowns([c["error_regions"] for c in per_case if "error_regions" in c]),
         "ms_per_frame": {"median": statistics.median(times), "p95": float(np.percentile(times, 95)),
                          "mean": statistics.fmean(times)} if times else None}
    ocr = [c["ocr"] for c in per_case if "ocr" in c]
    if ocr and all(o.get("available") for o in ocr):
        ref = sum(o["reference_words"] for o in ocr)
        found = sum(o["found"] for o in ocr)
        text = sum(o.get("text_words", 0) for o in ocr)
        text_found = sum(o.get("text_found", 0) for o in ocr)
        s["ocr"] = {"available": True, "reference_words": ref, "found": found,
                    "word_recall": found / ref if ref else None,
                    "text_words": text, "text_found": text_found, "text_recall": text_found / text if text else None,
                    "cer": M.summarize([o["cer"] for o in ocr if o["cer"] is not None])}
    elif ocr:
        s["ocr"] = {"available": False, "reason": next(o.get("reason") for o in ocr if not o.get("available"))}
    by_state = {"in_a_state": {"count": 0, "wrong": 0}, "plain": {"count": 0, "wrong": 0}}
    by_state.update(_tally(comps, "ok", lambda x: "in_a_state" if x["states"] else "plain"))
    s["components"] = {"count": len(comps), "wrong": sum(not x["ok"] for x in comps),
                       "right_fraction": (1 - sum(not x["ok"] for x in comps) / len(comps)) if comps else None,
                       "by_role": _tally(comps, "ok", lambda x: x["role"]), "by_state": by_state}
    if told is not None:
        right = sum(x["right"] for x in told)
        s["state_check"] = {"components": len(told), "right": right,
                            "right_fraction": right / len(told) if told else None,
                            "tests": sum(len(x["tests"]) for x in told),
                            "min_margin": min((x["margin"] for x in told), default=None),
                            "by_role": _tally(told, "right", lambda x: x["role"])}
    for name, st in (("temporal_full", stab_full), ("temporal_regions", stab_regions)):
        if st:
            s[name] = {"sequences": len(st),
                       "changed_fraction_mean": statistics.fmean(x["changed_fraction"] for x in st),
                       "changed_fraction_max": max(x["changed_fraction"] for x in st),
                       "max_change": max(x["max_change"] for x in st)}
    return s


def _pooled_psnr(mses: list[float]) -> float | None:
    """PSNR of the mean MSE over all frames: defined even when some frames are identical (inf)."""
    if not mses:
        return None
    return M.psnr_from_mse(float(np.mean(mses)))


def _tally(items: list[dict], ok: str, group: Callable[[dict], str]) -> dict[str, dict]:
    """{group: {"count", "wrong"}} of component checks, wrong where `item[ok]` is false."""
    out: dict[str, dict] = {}
    for x in items:
        t = out.setdefault(group(x), {"count": 0, "wrong": 0})
        t["count"] += 1
        t["wrong"] += not x[ok]
    return out


def target_report(summary: dict, steps: int | None) -> dict:
    """Each target: measured value, threshold, pass."""
    def mean(key):
        v = summary.get(key) or {}
        return v.get("mean") if isinstance(v, dict) else None
    vals = {"psnr": mean("psnr"), "psnr_components": mean("psnr_components"), "ssim": mean("ssim"),
            "ocr_text_recall": (summary.get("ocr") or {}).get("text_recall"),
            "component_states_right": (summary.get("state_check") or {}).get("right_fraction")}
    out = {}
    for k, thr in TARGETS.items():
        v = vals[k]
        out[k] = {"value": v, "target": thr, "pass": None if v is None else bool(v >= thr)}
    out["steps"] = {"value": steps, "target": TARGET_STEPS,
                    "pass": None if steps is None else bool(steps <= TARGET_STEPS)}
    return out


def widget_baseline(cases: list[Case]) -> dict:
    """The reference renderer's own grab time and temporal stability (a sanity check of dirty regions)."""
    stab = [M.temporal_stability(c.previous, c.frame, c.dirty) for c in cases if c.previous is not None]
    times = [c.widget_ms for c in cases]
    out = {"ms_per_frame": {"median": statistics.median(times), "mean": statistics.fmean(times)} if times else None}
    if stab:
        out["temporal"] = {"sequences": len(stab),
                           "changed_fraction_max": max(x["changed_fraction"] for x in stab),
                           "max_change": max(x["max_change"] for x in stab)}
    return out


# ---------------------------------------------------------------------------------------------
def load(path: str | Path, what: str):
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{what} not found", where=str(path))
    try:
        from neuralos.neural.renderer import load_renderer
    except ImportError as e:
        raise BadInput(f"the neural renderer is not available ({e})") from None
    try:
        return load_renderer(path)
    except BadInput:
        raise
    except NeuralosError as e:   # not a renderer folder, unreadable weights: the user's path is wrong
        raise BadInput(str(e)) from None


def machine() -> dict:
    try:
        import torch
        threads = torch.get_num_threads()
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:
        threads, gpu = None, None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": threads, "gpu": gpu,
            "python": platform.python_version(), "platform": platform.platform()}


def run(out: str | Path, student=None, teacher=None, *, states: int = 24, sequences: int = 8,
        steps: list[int] = (1, 2, 4, 25), student_steps: list[int] | None = None, size=(512, 384),
        seed: int = 0, ocr: bool = True, images: int = 8, progress: Callable[[str], None] | None = None,
        command: str | None = None, cases: list[Case] | None = None, state_check: bool = True,
        random_primary: float = RANDOM_PRIMARY, kinds=None, targets=None) -> dict:
    """Evaluate renderers (objects with `render(scene, previous, regions)` and a step count: a `steps=`
    keyword or attribute); write the report. `cases` reuses already rendered references; else `random_primary`,
    `kinds` and `targets` select the held-out states (`reference_cases`)."""
    kinds, targets = selection(kinds, targets, random_primary)
    if student is None and teacher is None:
        raise BadInput("nothing to evaluate: give --model and/or --teacher")
    if cases is None and states < 1 and sequences < 1:
        raise BadInput("--states and --sequences are both 0")
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if cases is None:
        cases = reference_cases(states, sequences, tuple(size), seed, progress, random_primary, kinds, targets)
    else:
        states = sum(c.previous is None for c in cases)
        sequences = len(cases) - states
        size = (cases[0].scene.width, cases[0].scene.height) if cases else size
    runs: list[dict] = []
    if student is not None:
        for s in (student_steps or [None]):
            runs.append(evaluate_renderer(RendererUnderTest("student", student, s), cases, ocr, images, progress,
                                          state_check))
    if teacher is not None:
        top = max(steps) if steps else None
        for s in (steps or [None]):
            runs.append(evaluate_renderer(RendererUnderTest("teacher", teacher, s), cases,
                                          ocr and s == top, images if s == top else 0, progress, state_check))
    result = {
        "version": EVAL_VERSION, "command": command, "machine": machine(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "size": list(size), "seed": seed, "states": states, "sequences": sequences, "split": "eval",
        "selection": {"random_primary": random_primary, "kinds": sorted(kinds) if kinds else None,
                      "targets": sorted(targets) if targets else None},
        "cases": [{"case": c.key, "seed": c.state.seed, "kind": c.state.kind, "content_hash": c.state.content_hash()}
                  for c in cases],
        "tesseract": M.tesseract_status()[1],
        "widgets": widget_baseline(cases),
        "runs": [{k: v for k, v in r.items() if k not in ("frames", "wrong_crops", "wrong_states")} for r in runs],
        "seconds": None,
    }
    for r in result["runs"]:
        r["targets"] = target_report(r["summary"], r["steps"]) if r["renderer"] == "student" else None
        ms = (r["summary"].get("ms_per_frame") or {}).get("median")
        wms = (result["widgets"].get("ms_per_frame") or {}).get("median")
        r["summary"]["speed_ratio_vs_widgets"] = ms / wms if ms and wms else None
    for r, written in zip(result["runs"], write_images(out, cases[:images], runs)):
        r["images"] = written
    for r, full in zip(result["runs"], runs):
        sheet = write_component_sheet(out / "images" / f"wrong-components-{run_tag(r)}.png", full["wrong_crops"])
        r["wrong_components_image"] = sheet.relative_to(out).as_posix() if sheet else None
        sheet = write_state_sheet(out / "images" / f"wrong-states-{run_tag(r)}.png", full["wrong_states"])
        r["wrong_states_image"] = sheet.relative_to(out).as_posix() if sheet else None
    result["plots"] = write_plots(out, result["runs"])
    result["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "metrics.json").write_text(json.dumps(M.json_safe(result), indent=1, ensure_ascii=False))
    write_report(out, result)
    return result


# ---------------------------------------------------------------------------------------------
def side_by_side(neural: np.ndarray, reference: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """[previous |] neural | reference | difference, with 4-px gaps."""
    tiles = ([previous] if previous is not None else []) + [neural, reference, M.difference_image(reference, neural)]
    h = reference.shape[0]
    gap = np.full((h, 4, 3), 255, np.uint8)
    row = []
    for t in tiles:
        row += [t, gap]
    return np.concatenate(row[:-1], axis=1)


def run_tag(r: dict) -> str:
    """A run's name in image file names: renderer and step count."""
    return f"{r['renderer']}-{r['steps'] if r['steps'] is not None else 'default'}"


def write_images(out: Path, cases: list[Case], runs: list[dict]) -> list[list[str]]:
    """Side-by-side PNGs of the frames each run kept; per run, the relative paths written."""
    from PIL import Image

    written = []
    for r in runs:
        tag = run_tag(r)
        paths = []
        for c in cases:
            if c.key in r["frames"]:
                img = side_by_side(r["frames"][c.key], c.frame, c.previous)
                Image.fromarray(img).save(out / "images" / f"{c.key}-{tag}.png")
                paths.append(f"images/{c.key}-{tag}.png")
        written.append(paths)
    return written


def write_plots(out: Path, runs: list[dict]) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    teacher = sorted([r for r in runs if r["renderer"] == "teacher" and r["steps"] is not None],
                     key=lambda r: r["steps"])
    students = [r for r in runs if r["renderer"] == "student"]

    def val(r, key):
        v = r["summary"].get(key) or {}
        v = v.get("mean") if isinstance(v, dict) else None
        return v if v is not None and math.isfinite(v) else None   # identical frames: PSNR inf, not plotted

    if teacher or students:
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        for key, a, name in (("psnr", ax[0], "PSNR (dB)"), ("ssim", ax[1], "SSIM")):
            pts = [(r["steps"], val(r, key)) for r in teacher if val(r, key) is not None]
            if pts:
                a.plot(*zip(*pts), "o-", label="teacher")
            for r in students:
                x = r["steps"] if r["steps"] is not None else 1
                if val(r, key) is not None:
                    a.scatter([x], [val(r, key)], marker="*", s=160, color="C3", zorder=5,
                              label=f"student ({r['steps'] or 'default'} steps)")
            if key in TARGETS:
                a.axhline(TARGETS[key], color="grey", ls="--", lw=1, label="target")
            a.set_xlim(0.8, max([r["steps"] or 1 for r in teacher + students] + [2]) * 1.25)
            a.set_xscale("log")
            a.set_xlabel("sampling steps")
            a.set_ylabel(name)
            a.grid(alpha=0.3)
            a.legend(fontsize=8)
        fig.suptitle("Quality vs sampling steps (held-out states)")
        fig.tight_layout()
        fig.savefig(out / "plots" / "steps_vs_quality.png", dpi=100)
        plt.close(fig)
        paths.append("plots/steps_vs_quality.png")

    compare = students[:1] + teacher[-1:]
    if compare:
        keys = [("psnr", "PSNR dB"), ("psnr_components", "PSNR in boxes dB"), ("ssim", "SSIM"),
                ("ocr", "OCR recall, UI words"), ("ms", "ms / frame")]
        fig, ax = plt.subplots(1, len(keys), figsize=(3 * len(keys), 3.4))
        for a, (key, name) in zip(ax, keys):
            vals = []
            for r in compare:
                if key == "ocr":
                    v = (r["summary"].get("ocr") or {}).get("text_recall")
                elif key == "ms":
                    v = (r["summary"].get("ms_per_frame") or {}).get("median")
                else:
                    v = val(r, key)
                vals.append(v if v is not None and math.isfinite(v) else 0.0)
            a.bar(range(len(compare)), vals, color=["C3", "C0"][:len(compare)])
            a.set_xticks(range(len(compare)), [r["label"].replace(" (", "\n(") for r in compare], fontsize=7)
            a.set_title(name, fontsize=9)
            tkey = {"ocr": "ocr_text_recall"}.get(key, key)
            if tkey in TARGETS:
                a.axhline(TARGETS[tkey], color="grey", ls="--", lw=1)
        fig.suptitle("Student vs teacher")
        fig.tight_layout()
        fig.savefig(out / "plots" / "student_vs_teacher.png", dpi=100)
        plt.close(fig)
        paths.append("plots/student_vs_teacher.png")
    return paths


def _fmt(v, digits=2) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isinf(v):
            return "∞"
        return f"{v:.{digits}f}"
    return str(v)


def report_markdown(result: dict) -> str:
    m = result["machine"]
    lines = ["# neuralos eval — neural renderer vs widget renderer", "",
             f"{len(result['cases'])} held-out states ({result['states']} single frames, {result['sequences']} "
             f"sequences) at {result['size'][0]}x{result['size'][1]}, split `eval` (never in a training shard). "
             f"Machine: {m['cpu']}, {m['cores']} cores, torch threads {m['torch_threads']}"
             f"{', GPU ' + m['gpu'] if m.get('gpu') else ''}. OCR: {result['tesseract']}.", ""]
    sel = result.get("selection") or {}
    chosen = [f"kinds {', '.join(sel['kinds'])}" if sel.get("kinds") else None,
              f"input aimed at {', '.join(sel['targets'])}" if sel.get("targets") else None,
              f"odds {sel['random_primary']:g} that a primary colour is any colour"
              if sel.get("random_primary", RANDOM_PRIMARY) != RANDOM_PRIMARY else None]
    if any(chosen):
        lines += ["Selected states: " + "; ".join(c for c in chosen if c) + ".", ""]
    lines += ["| renderer | PSNR dB | PSNR in boxes dB | SSIM | OCR recall, UI words | OCR recall, all words | OCR CER "
              f"| states drawn right | components ≥ {COMPONENT_PSNR_OK:g} dB | ms/frame (median) | x widgets |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        s = r["summary"]
        ocr = s.get("ocr") or {}
        lines.append("| " + " | ".join([
            r["label"], _fmt(s["psnr"].get("mean")), _fmt(s["psnr_components"].get("mean")),
            _fmt(s["ssim"].get("mean"), 4),
            _fmt(ocr.get("text_recall"), 3) if ocr.get("available") else ("unavailable" if ocr else "–"),
            _fmt(ocr.get("word_recall"), 3) if ocr.get("available") else "–",
            _fmt((ocr.get("cer") or {}).get("mean"), 3) if ocr.get("available") else "–",
            _fmt((s.get("state_check") or {}).get("right_fraction"), 3),
            _fmt(s["components"]["right_fraction"], 3), _fmt((s.get("ms_per_frame") or {}).get("median"), 1),
            _fmt(s.get("speed_ratio_vs_widgets"), 1)]) + " |")
    w = result["widgets"]
    lines += ["", f"Widget renderer grab: {_fmt((w.get('ms_per_frame') or {}).get('median'), 1)} ms/frame (median)."]
    if w.get("temporal"):
        lines.append(f"Widget frames outside dirty regions: max changed fraction "
                     f"{_fmt(w['temporal']['changed_fraction_max'], 5)} (must be 0: otherwise the scene's dirty "
                     "regions miss a change).")
    for r in result["runs"]:
        if r.get("targets"):
            lines += ["", f"## Targets — {r['label']}", "", "| measure | value | target | pass |", "|---|---|---|---|"]
            for k, t in r["targets"].items():
                lines.append(f"| {k} | {_fmt(t['value'], 4)} | {'≤' if k == 'steps' else '≥'} {t['target']} | "
                             f"{_fmt(t['pass'])} |")
    for r in result["runs"]:
        s = r["summary"]
        extra = []
        for name in ("temporal_full", "temporal_regions"):
            if s.get(name):
                t = s[name]
                extra.append(f"{name}: mean changed fraction outside dirty regions "
                             f"{_fmt(t['changed_fraction_mean'], 5)}, max {_fmt(t['changed_fraction_max'], 5)}, "
                             f"largest change {_fmt(t['max_change'], 0)}/255")
        wrong = [x for x in r["components"] if not x["ok"]]
        if extra or wrong:
            lines += ["", f"## {r['label']}", ""] + [f"- {e}" for e in extra]
        regions = s.get("error_regions") or {}
        if any(v["pixel_share"] for v in regions.values()):
            if not (extra or wrong):
                lines += ["", f"## {r['label']}", ""]
            lines.append("- where the squared error is: " + ", ".join(
                f"{k} {v['error_share']:.0%} ({_fmt(v['psnr'], 1)} dB, {v['pixel_share']:.1%} of pixels)"
                for k, v in regions.items() if v["pixel_share"]))
        sc = s.get("state_check")
        if sc and sc["components"]:
            lines.append(f"- states drawn right (nearer the reference than each other state of the component): "
                         f"{sc['right']}/{sc['components']} components, {sc['tests']} other states; "
                         f"nearest other state {_fmt(sc['min_margin'], 1)}x the reference's squared error; " + ", ".join(
                             f"{role} {v['count'] - v['wrong']}/{v['count']}" for role, v in sorted(sc["by_role"].items())))
            for x in [x for x in r.get("state_check") or [] if not x["right"]][:25]:
                lines.append(f"  - WRONG STATE {x['case']} {x['key']} ({x['role']}, states {x['states'] or '-'}): nearer "
                             + ", ".join(f"'{t['other']}'" for t in x["tests"] if not t["ok"]))
        by_role = s["components"]["by_role"]
        if by_role:
            lines.append(f"- components at ≥ {COMPONENT_PSNR_OK:g} dB: " + ", ".join(
                f"{role} {v['count'] - v['wrong']}/{v['count']}" for role, v in sorted(by_role.items())))
            st = s["components"]["by_state"]
            lines.append(f"  ({st['in_a_state']['count'] - st['in_a_state']['wrong']}/{st['in_a_state']['count']} of "
                         f"those in some state (checked, hovered, focused ...), {st['plain']['count'] - st['plain']['wrong']}"
                         f"/{st['plain']['count']} of those in none)")
        for x in wrong[:25]:
            lines.append(f"  - WRONG {x['case']} {x['key']} ({x['role']}, states {x['states'] or '-'}, "
                         f"value {_fmt(x['value'])}): {_fmt(x['psnr'], 1)} dB < {COMPONENT_PSNR_OK}")
        for key, what in (("wrong_states_image", "Components nearer another state, zoomed"),
                          ("wrong_components_image", f"Components below {COMPONENT_PSNR_OK:g} dB, zoomed")):
            if r.get(key):
                lines += ["", f"{what}: `{r[key]}`", "", f"![{r[key]}]({r[key]})"]
    if result.get("plots"):
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in result["plots"]]
    imgs = [(r["label"], p) for r in result["runs"] for p in r.get("images", [])]
    if imgs:
        lines += ["", "## Frames ([previous |] neural | reference | difference ×4)", ""]
        lines += [f"**{lab}** `{p}`\n\n![{p}]({p})\n" for lab, p in imgs]
    lines += ["", f"Command: `{result.get('command') or ''}`; took {result['seconds']} s."]
    return "\n".join(lines) + "\n"


def report_html(result: dict, markdown: str) -> str:
    """A self-contained HTML page: the markdown's tables and images, minimal conversion."""
    out, in_table = [], False
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("# "):
            out.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1:line.rindex(")")]
            out.append(f'<p><img src="{html.escape(src)}" style="max-width:100%"></p>')
        elif line.strip().startswith("- "):
            out.append(f"<div style='margin-left:{(len(line) - len(line.lstrip())) * 8 + 8}px'>• "
                       f"{html.escape(line.strip()[2:])}</div>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        out.append("</table>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;font-size:90%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>neuralos eval</title><style>{style}</style>"
            f"</head><body>{''.join(out)}</body></html>")


def write_report(out: Path, result: dict) -> None:
    md = report_markdown(result)
    (out / "report.md").write_text(md)
    (out / "report.html").write_text(report_html(result, md))
