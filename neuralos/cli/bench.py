"""`neuralos bench`: how fast the desktop paints, neural renderer vs widget renderer, on this machine.

    neuralos bench                          # a readable table (progress on stderr)
    neuralos bench --json                   # only JSON on stdout
    neuralos bench --quick --sections widgets,neural
    neuralos bench --sections settings      # CPU precision / thread / memory-layout measurement

Sections (all run in one process, so the ratios compare like with like):
- machine: CPU model, cores, torch threads used for rendering, device, torch/Qt versions, load average and
  the CPU time stolen by the hypervisor during the run (a shared VM's hidden load).
- widgets: full-frame time of the widget renderer (the canvas painted into an image) per shared example.
- neural: per example, a whole neural frame with an empty region cache ("cold") and again through the cache
  ("warm", which must give the same bits), the ratio to the widget frame; the model alone on a frame.
- latency: input-to-pixels p50/p95 for hover, click, keystroke and window open, played from a script
  through the real canvas, `InputRouter` and the `LiveRenderer` worker (neural) or the canvas grab (widgets);
  frames per second while typing; the region cache's hit rate; ratios neural / widgets. Each sample starts
  from a settled state, after the worker painted ahead what clicks would show (as the shell does once input
  pauses); the neural script is played again without painting ahead (`neural_nothing_ahead`).
- planner: `neuralos.planners.bench.bench_planners()`.  startup: `shell.bench.time_to_first_frame()`.
- settings (not in the default run): the model at a region-sized and a whole-frame input in float32 and
  bfloat16, one and all threads, channels-last and contiguous weights: what `neuralos.neural.live.configure`
  chooses from.

Without the default model (models/neuralos-ui-student) the neural sections use a randomly initialised model
of the default architecture and say so (speed is representative, pixels are not).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

from neuralos.cli._common import DEFAULT_SIZE, size_arg

SECTIONS = ("widgets", "neural", "latency", "planner", "startup")
EXTRA_SECTIONS = ("settings",)
STEAL_WARN_PERCENT = 5.0
TARGETS = {"hover_p95_ms": 50.0, "click_p95_ms": 50.0, "keystroke_p95_ms": 50.0, "window_open_p95_ms": 300.0,
           "cold_full_frame_ms": 500.0, "gpu_full_frame_fps": 60.0}
CATALOG = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="speed: widgets vs neural renderer, input-to-pixels latency, planners, startup",
        description="Measure the widget and neural renderers in one run (full frames, input-to-pixels latency, "
                    "cache hit rate, fps while typing), planner latency and time to first frame, with the "
                    "machine named. Prints a table, or JSON with --json.")
    p.add_argument("--json", action="store_true", help="print only JSON on stdout (progress goes to stderr)")
    p.add_argument("--size", type=size_arg, default=DEFAULT_SIZE, metavar="WxH", help="canvas size (default 1024x768)")
    p.add_argument("--renderer", default="neural", metavar="NAME|PATH",
                   help="neural renderer to measure: neural (the shipped default), a plugin-folder model's name, "
                        "or a renderer folder")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the neural renderer runs (auto: a GPU when there is one)")
    p.add_argument("--quick", action="store_true", help="fewer examples and samples (a smoke run in seconds)")
    p.add_argument("--sections", default=",".join(SECTIONS), metavar="LIST",
                   help=f"comma-separated: {', '.join(SECTIONS + EXTRA_SECTIONS)} (default: all but settings)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from neuralos.errors import BadInput

    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS + EXTRA_SECTIONS]
    if unknown or not sections:
        raise BadInput(f"unknown section {unknown[0]!r}" if unknown else "no sections given",
                       where="--sections")
    report = bench(args.size, renderer=args.renderer, device=args.device, quick=args.quick, sections=sections)
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False, default=_json_default))
    else:
        print(format_table(report))
    return 0


def _progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _json_default(o):
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


def _median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 2) if values else None


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def _pct(values, q):
    from neuralos.neural.live import percentile

    v = percentile([x for x in values if x is not None], q)
    return None if v is None else round(v, 2)


# --- the whole run -------------------------------------------------------------------------------------------

def bench(size=DEFAULT_SIZE, renderer: str = "neural", device: str = "auto", quick: bool = False,
          sections=SECTIONS, progress=_progress) -> dict:
    """Run the sections; returns the report (what --json prints)."""
    from neuralos.widgets.app import ensure_app

    t_start = time.perf_counter()
    jiffies_start = cpu_jiffies()
    ensure_app()
    report: dict = {"version": 1, "size": list(size), "quick": quick, "sections": list(sections)}
    needs_model = any(s in sections for s in ("neural", "latency", "settings"))
    model = None
    if needs_model:
        progress("loading the neural renderer")
        model, info = make_renderer(renderer, device)
        report["model"] = info
    report["machine"] = machine(model)
    widget_frames: dict = {}
    if "widgets" in sections:
        report["widgets"] = bench_widgets(size, quick, progress, widget_frames)
    if "neural" in sections:
        report["neural"] = bench_neural(model, size, quick, progress, report.get("widgets"), widget_frames)
    if "latency" in sections:
        report["latency"] = bench_latency(model, size, quick, progress)
    if "planner" in sections:
        progress("planners")
        try:
            from neuralos.planners.bench import bench_planners
            report["planner"] = bench_planners(repeat=1 if quick else 3, transformers=not quick)
        except Exception as e:      # a missing optional dependency must not sink the other numbers
            report["planner"] = {"error": f"{type(e).__name__}: {e}"}
    if "startup" in sections:
        progress("time to first frame (a fresh shell process)")
        try:
            from shell.bench import time_to_first_frame
            runs = [time_to_first_frame(tuple(size), "widgets") for _ in range(1 if quick else 3)]
            report["startup"] = {"renderer": "widgets", "runs_ms": [_ms(t) for t in runs],
                                 "time_to_first_frame_ms": _ms(statistics.median(runs))}
        except Exception as e:
            report["startup"] = {"error": f"{type(e).__name__}: {e}"}
    if "settings" in sections:
        report["settings"] = bench_settings(model, size, quick, progress)
    report["targets"] = targets(report)
    report["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    steal = steal_percent(jiffies_start, cpu_jiffies())
    if steal is not None:
        report["machine"]["cpu_steal_percent"] = steal
    return report


# --- machine and model ---------------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_jiffies(path: str = "/proc/stat") -> tuple[int, int] | None:
    """(all CPU time, stolen time) in jiffies since boot, from the `cpu` line of /proc/stat; None elsewhere."""
    try:
        with open(path) as f:
            fields = f.readline().split()
        values = [int(v) for v in fields[1:9]]
    except (OSError, ValueError):
        return None
    if not fields or fields[0] != "cpu" or len(values) < 8:
        return None
    return sum(values), values[7]    # user nice system idle iowait irq softirq steal


def steal_percent(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """Share of CPU time the hypervisor gave to other guests between two `cpu_jiffies` readings: on a shared
    VM every latency above is inflated by about this much, so the report says it."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    return round(100.0 * (after[1] - before[1]) / (after[0] - before[0]), 1)


def machine(model=None) -> dict:
    import PySide6
    import torch
    from PySide6.QtCore import qVersion

    from neuralos.neural.live import _device_of, cpu_supports_bf16, cpu_vector_isa

    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = os.cpu_count()
    device = _device_of(model) if model is not None else "cpu"
    out = {"cpu": cpu_model(), "cpu_isa": cpu_vector_isa(), "cores": os.cpu_count(), "cores_usable": affinity,
           "cpu_bf16": cpu_supports_bf16(), "torch_threads": torch.get_num_threads(), "device": device,
           "torch": torch.__version__, "qt": qVersion(), "pyside6": PySide6.__version__,
           "python": platform.python_version(), "platform": platform.platform()}
    if device.startswith("cuda"):
        out["gpu"] = torch.cuda.get_device_name(torch.device(device))
    try:
        out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return out


def random_default_renderer(seed: int = 0):
    """A NeuralRenderer around a randomly initialised UIRendererModel of the default architecture, with the
    student's step count (what `neuralos train distill` ships by default)."""
    import torch

    from neuralos.neural.model import UIRendererModel
    from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler
    from neuralos.neural.renderer import NeuralRenderer

    torch.manual_seed(seed)
    pipe = UIRenderPipeline(model=UIRendererModel(), scheduler=default_scheduler(), default_num_inference_steps=2)
    return NeuralRenderer(pipe)


def make_renderer(spec: str, device: str = "auto"):
    """(renderer, description) for --renderer: the default model (or a random one of its architecture when it
    is missing), a plugin-folder name, or a renderer folder; moved to `device` and configured."""
    import torch

    from neuralos.errors import NeuralosError
    from neuralos.neural.live import configure, model_margin, receptive_field
    from neuralos.neural.renderer import DEFAULT_MODEL, default_renderer_path, load_default_renderer, load_renderer

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        from neuralos.errors import BadInput
        raise BadInput("no CUDA device here", where="--device")
    info: dict = {}
    if spec in ("neural", "default", "auto"):
        try:
            r = load_default_renderer()
            info = {"name": DEFAULT_MODEL, "path": str(default_renderer_path()), "random_init": False}
        except NeuralosError as e:
            r = random_default_renderer()
            info = {"name": f"{DEFAULT_MODEL} architecture, randomly initialised", "path": None, "random_init": True,
                    "note": f"{e}. The neural numbers are for a randomly initialised model of the default "
                            "architecture: its speed is what the trained student's will be, its pixels are noise."}
    elif Path(spec).is_dir():
        r = load_renderer(spec)
        info = {"name": Path(spec).name, "path": str(Path(spec).resolve()), "random_init": False}
    else:
        from neuralos.plugins.loading import load_renderer as load_plugin
        r = load_plugin(spec, "cpu")
        info = {"name": spec, "path": None, "random_init": False}
    pipe = getattr(r, "pipeline", None)
    if pipe is not None and device != "cpu":
        pipe.to(device)
    info["settings"] = configure(r, device=device)
    info["steps"] = getattr(r, "steps", None)
    model = getattr(r, "model", None)
    if model is not None and "block_out_channels" in getattr(model, "config", {}):
        info["receptive_field_px"] = receptive_field(model.config)
    info["context_margin_px"] = model_margin(r)
    if model is not None:
        info["parameters"] = int(sum(p.numel() for p in model.parameters()))
        info["config"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(model.config).items()
                          if not k.startswith("_")}
    return r, info


# --- scenes ----------------------------------------------------------------------------------------------------

def examples(quick: bool) -> list[Path]:
    from neuralos.resources import A2UI_SPEC

    paths = sorted((A2UI_SPEC / "catalogs" / "basic" / "examples").glob("*.json"))
    return paths[:1] if quick else paths


def _canvas(size, messages=()):
    from neuralos.session import Session
    from neuralos.widgets.canvas import DesktopCanvas

    session = Session(*size)
    for batch in messages:
        session.apply(batch)
    return session, DesktopCanvas(session)


def _close(canvas) -> None:
    canvas.close_canvas()
    canvas.hide()
    canvas.deleteLater()


def _sync(torch, device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


# --- widgets: full frames ------------------------------------------------------------------------------------

def bench_widgets(size, quick: bool, progress, keep: dict) -> dict:
    from neuralos.a2ui.io import load_messages

    rows = []
    paths = examples(quick)
    for i, path in enumerate(paths):
        progress(f"widgets {i + 1}/{len(paths)}: {path.stem}")
        session, canvas = _canvas(size, [load_messages(str(path))])
        try:
            canvas.scene()
            canvas.grab_frame()                                       # first paint: fonts, caches
            paints, scenes = [], []
            for _ in range(2 if quick else 5):
                t0 = time.perf_counter()
                frame = canvas.grab_frame()
                paints.append(time.perf_counter() - t0)
                canvas.invalidate()
                t0 = time.perf_counter()
                scene = canvas.scene()
                scenes.append(time.perf_counter() - t0)
            keep[path.stem] = (scene, frame)
        finally:
            _close(canvas)
        rows.append({"example": path.stem, "full_frame_ms": _ms(statistics.median(paints)),
                     "scene_ms": _ms(statistics.median(scenes))})
    return {"what": "the canvas's widgets painted into an image (QWidget.render), layout done",
            "examples": rows, "full_frame_ms_median": _median(r["full_frame_ms"] for r in rows),
            "scene_ms_median": _median(r["scene_ms"] for r in rows)}


# --- neural: full frames -------------------------------------------------------------------------------------

def bench_neural(model, size, quick: bool, progress, widgets: dict | None, keep: dict) -> dict:
    import numpy as np
    import torch

    from neuralos.a2ui.io import load_messages
    from neuralos.neural.conditioning import build_conditioning
    from neuralos.neural.live import LiveRenderer, RegionCache, _device_of
    from neuralos.scene import Box

    device = _device_of(model)
    widget_ms = {r["example"]: r["full_frame_ms"] for r in (widgets or {}).get("examples", [])}
    rows = []
    paths = examples(quick)
    first_ms = None
    identical = True
    scenes = []
    for i, path in enumerate(paths):
        progress(f"neural {i + 1}/{len(paths)}: {path.stem} (a whole frame)")
        if path.stem in keep:
            scene, frame = keep[path.stem]
        else:
            session, canvas = _canvas(size, [load_messages(str(path))])
            try:
                scene, frame = canvas.scene(), canvas.grab_frame()
            finally:
                _close(canvas)
        if first_ms is None:                       # one-time costs (kernel selection, allocations) of this size
            t0 = time.perf_counter()
            LiveRenderer(model, cache=RegionCache()).render(scene, frame)
            _sync(torch, device)
            first_ms = _ms(time.perf_counter() - t0)
        t0 = time.perf_counter()
        build_conditioning(scene, None)
        cond_s = time.perf_counter() - t0
        cache = RegionCache()
        t0 = time.perf_counter()
        cold = LiveRenderer(model, cache=cache).render(scene, frame)
        _sync(torch, device)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = LiveRenderer(model, cache=cache).render(scene, frame)
        warm_s = time.perf_counter() - t0
        identical &= bool(warm.cache_hits == 1 and np.array_equal(warm.frame, cold.frame))
        scenes.append(scene)
        if cold.renderer != "neural":
            raise RuntimeError(f"the neural renderer failed on {path.stem}: {cold.reason}")
        rows.append({"example": path.stem, "cold_ms": _ms(cold_s), "warm_ms": _ms(warm_s),
                     "conditioning_ms": _ms(cond_s), "ratio_vs_widgets": _ratio(_ms(cold_s), widget_ms.get(path.stem))})
    # The model alone on a whole frame (maps already built and on the device): the renderer's throughput.
    scene = keep[paths[0].stem][0] if paths[0].stem in keep else scene
    cond = torch.from_numpy(build_conditioning(scene, None)).to(device, getattr(model.model, "dtype", torch.float32))
    canvas = Box(0, 0, scene.width, scene.height)
    model_ms, frame = _time_paint(model, cond, canvas, torch, device, quick)
    graphs = None
    if getattr(model, "cuda_graphs", False):   # what replaying the forward as a CUDA graph buys, and moves
        model.cuda_graphs = False
        try:
            eager_ms, eager = _time_paint(model, cond, canvas, torch, device, quick)
        finally:
            model.cuda_graphs = True
        graphs = {"eager_ms": eager_ms, "graph_ms": model_ms,
                  "max_level_difference": int(np.abs(frame.astype(np.int16) - eager).max())}
    cold_med = _median(r["cold_ms"] for r in rows)
    progress("neural: context margins")
    margins = margin_sweep(model, scenes[: 1 if quick else 4], quick)
    return {"what": "a whole frame through LiveRenderer: conditioning maps + the model's steps; cold = empty region "
                    "cache, warm = the same state again (a cache hit, bit-identical)",
            "device": device, "steps": getattr(model, "steps", None), "examples": rows,
            "first_frame_ms": first_ms, "cold_ms_median": cold_med,
            "warm_ms_median": _median(r["warm_ms"] for r in rows),
            "conditioning_ms_median": _median(r["conditioning_ms"] for r in rows),
            "model_only_ms": model_ms, "model_only_fps": round(1000.0 / model_ms, 1) if model_ms else None,
            "cold_fps": round(1000.0 / cold_med, 2) if cold_med else None,
            "ratio_vs_widgets_median": _median(r["ratio_vs_widgets"] for r in rows),
            "cache_hit_bit_identical": identical, "cuda_graphs": graphs, "margins": margins}


def _time_paint(model, cond, canvas, torch, device: str, quick: bool) -> tuple[float, "np.ndarray"]:
    """The median time of `model.paint` on the whole canvas (after one untimed paint), and its frame."""
    frame = model.paint(cond, canvas, canvas.w, canvas.h)
    _sync(torch, device)
    times = []
    for _ in range(2 if quick else (20 if device.startswith("cuda") else 3)):
        t0 = time.perf_counter()
        model.paint(cond, canvas, canvas.w, canvas.h)
        _sync(torch, device)
        times.append(time.perf_counter() - t0)
    return _ms(statistics.median(times)), frame


def margin_sweep(model, scenes: list, quick: bool) -> dict:
    """Component-sized regions rendered with smaller context margins than the receptive field: time, and how
    far their pixels are from the whole frame's (the same scene and previous frame), over up to 4 interactive
    components in each scene. What a smaller margin (`context_margin` in a model folder's model_index.json,
    or NEURALOS_LIVE_MARGIN) buys, and costs, for this model."""
    import numpy as np
    import torch

    from neuralos.neural.conditioning import build_conditioning
    from neuralos.neural.live import _device_of, context_box, model_margin, receptive_field
    from neuralos.scene import Box

    device = _device_of(model)
    rf = receptive_field(model.model.config)
    margins = list(dict.fromkeys([rf, 64, 32, 16] if not quick else [rf, 32]))
    samples: dict[int, list[tuple[float, int, float]]] = {m: [] for m in margins}   # (ms, max diff, mean diff)
    for scene in scenes:
        canvas = Box(0, 0, scene.width, scene.height)
        nodes = [n for n in scene.nodes if n.interactive and n.clip is not None and n.clip.w * n.clip.h >= 64]
        picked = nodes[:: max(1, len(nodes) // 4)][: 1 if quick else 4] or \
            [None]   # no interactive component: a button-sized box in the middle
        first = model.paint(build_conditioning(scene, None), canvas, scene.width, scene.height)
        whole = model.paint(build_conditioning(scene, first), canvas, scene.width, scene.height)
        for node in picked:
            region = node.clip if node is not None else Box(scene.width // 2 - 48, scene.height // 2 - 16, 96, 32)
            want = whole[region.y:region.bottom, region.x:region.right].astype(int)
            for m in margins:
                ctx = context_box(region, canvas, m, getattr(model, "size_multiple", 8))
                cond = build_conditioning(scene, first, region=ctx)
                _sync(torch, device)
                t0 = time.perf_counter()
                painted = model.paint(cond, ctx, scene.width, scene.height)
                _sync(torch, device)
                ms = _ms(time.perf_counter() - t0)
                got = painted[region.y - ctx.y:region.bottom - ctx.y, region.x - ctx.x:region.right - ctx.x]
                diff = np.abs(got.astype(int) - want)
                samples[m].append((ms, int(diff.max()), float(diff.mean())))
    rows = [{"margin_px": m, "ms_median": _median(ms for ms, _, _ in got),
             "max_abs_diff": max(d for _, d, _ in got), "mean_abs_diff": round(float(np.mean([d for _, _, d in got])), 3)}
            for m, got in samples.items()]
    return {"scenes": len(scenes), "regions": len(samples[margins[0]]), "receptive_field_px": rf,
            "margin_in_use_px": model_margin(model), "rows": rows}


# --- latency: input to pixels --------------------------------------------------------------------------------

def bench_surface(sid: str = "bench") -> list[dict]:
    """A window with a field, a check box and buttons: what the latency script hovers, clicks and types into."""
    return [
        {"version": "v0.9", "createSurface": {"surfaceId": sid, "catalogId": CATALOG,
                                              "theme": {"agentDisplayName": "Bench"}}},
        {"version": "v0.9", "updateDataModel": {"surfaceId": sid, "path": "/", "value": {"text": "", "on": False}}},
        {"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": [
            {"id": "root", "component": "Column", "children": ["title", "field", "check", "buttons"]},
            {"id": "title", "component": "Text", "text": "Latency bench", "variant": "h3"},
            {"id": "field", "component": "TextField", "label": "Type here", "value": {"path": "/text"}},
            {"id": "check", "component": "CheckBox", "label": "Check me", "value": {"path": "/on"}},
            {"id": "buttons", "component": "Row", "children": ["ok", "cancel"]},
            {"id": "ok", "component": "Button", "child": "ok-l", "variant": "primary",
             "action": {"event": {"name": "ok"}}},
            {"id": "ok-l", "component": "Text", "text": "OK"},
            {"id": "cancel", "component": "Button", "child": "cancel-l", "action": {"event": {"name": "cancel"}}},
            {"id": "cancel-l", "component": "Text", "text": "Cancel"}]}},
    ]


class _Painter:
    """Input-to-pixels for one renderer: `frame()` returns when the pixels of the current state exist."""

    def __init__(self, canvas, model=None, ahead: bool = True):
        self.canvas, self.model, self.ahead = canvas, model, ahead
        self.live = self.worker = None
        self._shown = None                       # the scene of the newest request
        self.results: dict[int, object] = {}
        self._cv = threading.Condition()
        if model is not None:
            from neuralos.neural.live import LiveRenderer, LiveWorker

            self.live = LiveRenderer(model)
            self.live.ahead = ahead
            self.worker = LiveWorker(self.live, self._on_result, name="neuralos-bench-render")

    def _on_result(self, frame) -> None:
        with self._cv:
            self.results[frame.seq] = frame
            self._cv.notify_all()

    def submit(self) -> int | None:
        """Lay out and hand the current state to the renderer (what the shell does after every change)."""
        from PySide6.QtCore import QCoreApplication

        from neuralos.neural.live import PendingFrame

        QCoreApplication.processEvents()
        scene = self.canvas.scene()
        if self.worker is None:
            self.canvas.grab_frame()
            return None
        pending = PendingFrame()
        self._shown = scene
        seq = self.worker.submit(scene, pending)
        pending.set_from(self.canvas.grab_frame)      # as the shell does: grabbed while the worker paints
        return seq

    def wait(self, seq: int | None, timeout: float = 600.0):
        """perf_counter() time the pixels of request `seq` (or a later one) were ready, and that frame."""
        if seq is None:
            return time.perf_counter(), None
        deadline = time.monotonic() + timeout
        with self._cv:
            while not any(s >= seq for s in self.results):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the neural renderer did not deliver a frame")
                self._cv.wait(left)
            frame = self.results[max(self.results)]
        if self.ahead and self.live.paints_ahead and frame.scene is self._shown:
            self.paint_ahead()
        return frame.finished, frame

    def paint_ahead(self) -> None:
        """What the shell does once its newest frame is on screen and input pauses: hand the worker the scenes
        pointing at and clicking each component would show (`neuralos.widgets.whatif`), to paint into its cache
        meanwhile."""
        from neuralos.widgets.whatif import input_previews

        for scene, widgets in input_previews(self.canvas):
            self.worker.paint_ahead(self._shown, scene, widgets)

    def settle(self) -> None:
        if self.worker is not None:
            self.worker.wait_idle(600)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()


def _targets_in(scene, sid: str) -> dict:
    """Interactive nodes of window `sid` whose centre is really theirs (topmost), by role."""
    out: dict = {}
    for n in scene.nodes:
        if n.surface == sid and n.interactive and n.clip is not None:
            x, y = n.clip.center
            hit = scene.hit_test(x, y)
            if hit is not None and hit.key == n.key:
                out.setdefault(n.role, []).append(n)
    return out


def play_latency(size, model, quick: bool, progress, label: str, ahead: bool = True) -> dict:
    """Play the latency script with one renderer (model None: widgets); per kind the latencies in ms. Each
    sample starts from a settled state: the worker has painted that state's frame and, with `ahead`, what
    clicking each component would show (as the shell does once input pauses)."""
    from neuralos.a2ui.io import load_messages
    from neuralos.resources import A2UI_SPEC
    from neuralos.widgets.app import ensure_app
    from neuralos.widgets.collector import collect_on_gui_thread, freeze_long_lived
    from neuralos.widgets.input import InputRouter

    collect_on_gui_thread(ensure_app())      # the render worker must not destroy a widget (collector.py says why)
    freeze_long_lived()                      # as the shell does once its model is loaded
    background = load_messages(str(A2UI_SPEC / "catalogs" / "basic" / "examples" / "09_login-form.json"))
    opened = load_messages(str(A2UI_SPEC / "catalogs" / "basic" / "examples" / "07_task-card.json"))
    open_sid = next(m["createSurface"]["surfaceId"] for m in opened if "createSurface" in m)
    session, canvas = _canvas(size, [background, bench_surface()])
    painter = _Painter(canvas, model, ahead)
    router = InputRouter(canvas)
    samples: dict[str, list[float]] = {"hover": [], "click": [], "keystroke": [], "window_open": []}
    unchanged = 0
    n = 2 if quick else 6

    def sample(kind: str, action) -> None:
        nonlocal unchanged
        painter.settle()
        before = canvas.scene()
        t0 = time.perf_counter()
        action()
        seq = painter.submit()
        t1, frame = painter.wait(seq)
        samples[kind].append((t1 - t0) * 1000.0)
        if canvas.scene() == before or (frame is not None and not frame.changed):
            unchanged += 1

    try:
        progress(f"latency ({label}): first frame")
        painter.wait(painter.submit())
        targets = _targets_in(canvas.scene(), "bench")
        buttons = targets.get("Button", []) + targets.get("CheckBox", [])
        field = targets["TextField"][0]
        check = targets["CheckBox"][0]
        away = (3, size[1] - 3)                                    # the desktop, clear of every window
        progress(f"latency ({label}): hover, click, keystroke, window open")
        for i in range(n):
            target = buttons[i % len(buttons)]
            sample("hover", lambda t=target: router.move(*t.clip.center))
            sample("hover", lambda: router.move(*away))
        for _ in range(n):
            sample("click", lambda: router.click(*check.clip.center))
        sample("click", lambda: router.click(*field.clip.center))     # focus the field (a click too)
        for ch in ("abcdefghij" * 3)[: 2 * n]:
            sample("keystroke", lambda ch=ch: router.type_text(ch))
        for _ in range(max(1, n // 2)):
            sample("window_open", lambda: session.apply(opened))
            painter.settle()
            session.window_op("close", open_sid)
            painter.wait(painter.submit())
        # Typing as fast as keys come: every key lays out and asks for a frame; the renderer keeps up as it can.
        painter.settle()
        router.click(*field.clip.center)
        painter.wait(painter.submit())
        painter.settle()
        burst = ("the quick brown fox jumps over " * 2)[: (8 if quick else 40)]
        delivered0 = painter.worker.rendered if painter.worker else 0
        dropped0 = painter.worker.dropped if painter.worker else 0
        t0 = time.perf_counter()
        seq = None
        for ch in burst:
            router.type_text(ch)
            seq = painter.submit()
        t_keys = time.perf_counter() - t0
        t1, _ = painter.wait(seq)
        elapsed = t1 - t0
        frames = (painter.worker.rendered - delivered0) if painter.worker else len(burst)
        typing = {"keys": len(burst), "seconds": round(elapsed, 3), "frames": frames,
                  "fps": round(frames / elapsed, 2) if elapsed > 0 else None,
                  "keys_per_s_accepted": round(len(burst) / t_keys, 1) if t_keys > 0 else None,
                  "dropped_requests": (painter.worker.dropped - dropped0) if painter.worker else 0}
    finally:
        painter.settle()
        painter.close()
        _close(canvas)
    out: dict = {}
    for kind, values in samples.items():
        out[kind] = {"p50_ms": _pct(values, 50), "p95_ms": _pct(values, 95), "n": len(values),
                     "max_ms": round(max(values), 2) if values else None,
                     "samples_ms": [round(v, 2) for v in values]}
    out["typing"] = typing
    out["samples_without_visible_change"] = unchanged
    if painter.live is not None:
        out["cache"] = painter.live.cache.stats()
        out["contexts_painted_ahead"] = painter.worker.painted_ahead
        out["fallback_frames"] = painter.live.policy.trips
        out["last_fallback_reason"] = painter.live.policy.last_reason
    return out


def bench_latency(model, size, quick: bool, progress) -> dict:
    widgets = play_latency(size, None, quick, progress, "widgets")
    neural = play_latency(size, model, quick, progress, "neural")
    cold = play_latency(size, model, quick, progress, "neural, nothing painted ahead", ahead=False)
    ratios = {}
    for kind in ("hover", "click", "keystroke", "window_open"):
        ratios[kind] = {"p50": _ratio(neural[kind]["p50_ms"], widgets[kind]["p50_ms"]),
                        "p95": _ratio(neural[kind]["p95_ms"], widgets[kind]["p95_ms"])}
    ratios["typing_fps"] = _ratio(neural["typing"]["fps"], widgets["typing"]["fps"])
    cache = neural.get("cache") or {}
    return {"what": "from the input event to the pixels of the new state (widgets: laid out and painted into an "
                    "image; neural: laid out, widget frame grabbed for fallback, LiveWorker frame ready); samples "
                    "one at a time, each from a settled state, no deadline; neural_nothing_ahead: the worker "
                    "does not paint ahead what clicks would show", "widgets": widgets, "neural": neural,
            "neural_nothing_ahead": cold, "ratios": ratios,
            "cache_hit_rate": cache.get("hit_rate")}


# --- settings: precision, threads, memory layout ---------------------------------------------------------------

def bench_settings(model, size, quick: bool, progress) -> dict:
    """The model alone at a region-sized and a whole-frame input under each CPU setting (median of repeats,
    settings interleaved so a busy machine hurts them alike), and how far bf16 frames are from float32 ones."""
    import numpy as np
    import torch

    from neuralos.neural.live import _device_of, default_threads
    from neuralos.scene import Box

    if _device_of(model).startswith("cuda"):
        return {"skipped": "the settings section measures CPU settings"}
    net = model.model
    cores = os.cpu_count() or 1
    thread_options = sorted({1, cores, default_threads()})
    shapes = {"region_352x288": (288, 352), f"whole_{size[0]}x{size[1]}": (size[1], size[0])}
    if quick:
        shapes = {"region_352x288": (288, 352)}
    from neuralos.neural.conditioning import CONDITIONING_CHANNELS
    gen = torch.Generator().manual_seed(0)
    saved = (torch.get_num_threads(), model.dtype)
    results: dict = {}
    try:
        for shape_name, (h, w) in shapes.items():
            cond = (torch.rand(CONDITIONING_CHANNELS, h, w, generator=gen) < 0.1).float()
            box = Box(0, 0, w, h)
            combos = [(dt, th, cl) for dt in ("float32", "bfloat16") for th in thread_options for cl in (True, False)]
            times: dict = {c: [] for c in combos}
            outs: dict = {}
            for rep in range(2 if quick else 4):
                for dt, th, cl in combos:
                    progress(f"settings {shape_name}: {dt}, {th} thread(s), {'channels-last' if cl else 'contiguous'}")
                    torch.set_num_threads(th)
                    net.to(memory_format=torch.channels_last if cl else torch.contiguous_format)
                    model.dtype = dt
                    t0 = time.perf_counter()
                    out = model.paint(cond, box, w, h)
                    if rep > 0:
                        times[(dt, th, cl)].append(time.perf_counter() - t0)
                    outs[dt] = out
            results[shape_name] = [{"dtype": dt, "threads": th, "channels_last": cl,
                                    "ms": _ms(statistics.median(v))} for (dt, th, cl), v in times.items()]
            diff = np.abs(outs["float32"].astype(int) - outs["bfloat16"].astype(int))
            results[shape_name + "_bf16_vs_fp32"] = {"max_abs": int(diff.max()),
                                                     "mean_abs": round(float(diff.mean()), 3)}
    finally:
        torch.set_num_threads(saved[0])
        model.dtype = saved[1]
        net.to(memory_format=torch.channels_last)
    best = {k: min(v, key=lambda r: r["ms"]) for k, v in results.items() if isinstance(v, list)}
    return {"what": "the model alone (both steps) per setting; median of repeats, interleaved",
            "results": results, "fastest": best, "chosen": {"threads": saved[0], "dtype": saved[1],
                                                             "channels_last": True}}


# --- targets and the table -------------------------------------------------------------------------------------

def targets(report: dict) -> dict:
    """The issue's targets (2-core CPU, 1024x768, default student; one H200 for fps) next to the numbers."""
    out: dict = {}
    if tuple(report.get("size", ())) != (1024, 768):
        out["note"] = "the targets are for 1024x768; this run used another size"
        if "neural" not in report and "latency" not in report:
            return out
    lat = (report.get("latency") or {}).get("neural") or {}
    for kind in ("hover", "click", "keystroke", "window_open"):
        v = (lat.get(kind) or {}).get("p95_ms")
        if v is not None:
            t = TARGETS[f"{kind}_p95_ms"]
            out[f"{kind}_p95_ms"] = {"target": t, "value": v, "met": v <= t}
    neural = report.get("neural") or {}
    if neural.get("cold_ms_median") is not None:
        t = TARGETS["cold_full_frame_ms"]
        v = neural["cold_ms_median"]
        out["cold_full_frame_ms"] = {"target": t, "value": v, "met": v <= t}
    if str(neural.get("device", "")).startswith("cuda") and neural.get("model_only_fps") is not None:
        t = TARGETS["gpu_full_frame_fps"]
        v = neural["model_only_fps"]
        out["gpu_full_frame_fps"] = {"target": t, "value": v, "met": v >= t}
    return out


def _fmt(v, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}{unit}" if abs(v) >= 10 else f"{v:.2f}{unit}"
    return f"{v}{unit}"


def format_table(r: dict) -> str:
    lines: list[str] = []
    add = lines.append
    m = r.get("machine", {})
    add(f"neuralos bench  {r['size'][0]}x{r['size'][1]}{'  (quick)' if r.get('quick') else ''}")
    add(f"machine   {m.get('cpu')} ({m.get('cpu_isa', '?')}) · {m.get('cores_usable')} cores · torch {m.get('torch')} "
        f"({m.get('torch_threads')} threads) · Qt {m.get('qt')} · device {m.get('gpu') or m.get('device')}"
        + (f" · load {m['load_average']}" if m.get("load_average") else "")
        + (f" · CPU steal {m['cpu_steal_percent']} %" if m.get("cpu_steal_percent") is not None else ""))
    if (m.get("cpu_steal_percent") or 0) > STEAL_WARN_PERCENT:
        add(f"          NOTE: the hypervisor took {m['cpu_steal_percent']} % of the CPU during the run; "
            "the times below are inflated, measure again on a quiet host")
    model = r.get("model")
    if model:
        s = model.get("settings", {})
        add(f"model     {model['name']} · {model.get('steps')} steps · {model.get('parameters', 0):,} parameters · "
            f"receptive field {model.get('receptive_field_px')} px · context margin {model.get('context_margin_px')} px · "
            f"{s}")
        if model.get("note"):
            add(f"          NOTE: {model['note']}")
    w, n = r.get("widgets"), r.get("neural")
    if w or n:
        add("")
        add(f"{'full frame':28} {'widgets ms':>11} {'neural cold':>12} {'neural warm':>12} {'maps ms':>8} {'ratio':>7}")
        nrows = {x["example"]: x for x in (n or {}).get("examples", [])}
        names = [x["example"] for x in (w or {}).get("examples", [])] or list(nrows)
        wrows = {x["example"]: x for x in (w or {}).get("examples", [])}
        for name in names:
            a, b = wrows.get(name, {}), nrows.get(name, {})
            add(f"{name[:28]:28} {_fmt(a.get('full_frame_ms')):>11} {_fmt(b.get('cold_ms')):>12} "
                f"{_fmt(b.get('warm_ms')):>12} {_fmt(b.get('conditioning_ms')):>8} "
                f"{_fmt(b.get('ratio_vs_widgets'), 'x'):>7}")
        add(f"{'median':28} {_fmt((w or {}).get('full_frame_ms_median')):>11} "
            f"{_fmt((n or {}).get('cold_ms_median')):>12} "
            f"{_fmt((n or {}).get('warm_ms_median')):>12} {_fmt((n or {}).get('conditioning_ms_median')):>8} "
            f"{_fmt((n or {}).get('ratio_vs_widgets_median'), 'x'):>7}")
        if n and n.get("margins"):
            add("context margin (px: ms, max/mean |region - whole frame|): " + ", ".join(
                f"{x['margin_px']}: {x['ms_median']:.0f} ms, {x['max_abs_diff']}/{x['mean_abs_diff']}"
                for x in n["margins"]["rows"]))
        if n:
            add(f"neural: first frame {_fmt(n.get('first_frame_ms'), ' ms')} · model alone "
                f"{_fmt(n.get('model_only_ms'), ' ms')} ({_fmt(n.get('model_only_fps'))} fps) on {n.get('device')} · "
                f"cache hit bit-identical: {n.get('cache_hit_bit_identical')}")
            g = n.get("cuda_graphs")
            if g:
                add(f"neural: forward as a CUDA graph {_fmt(g['graph_ms'], ' ms')}, eager {_fmt(g['eager_ms'], ' ms')}, "
                    f"frames differ by at most {g['max_level_difference']} levels")
    lat = r.get("latency")
    if lat:
        add("")
        add(f"{'input to pixels':16} {'widgets p50':>12} {'p95':>8} {'neural p50':>12} {'p95':>8} "
            f"{'ratio p50':>10} {'p95':>7}")
        for kind in ("hover", "click", "keystroke", "window_open"):
            a, b, q = lat["widgets"][kind], lat["neural"][kind], lat["ratios"][kind]
            add(f"{kind:16} {_fmt(a['p50_ms']):>12} {_fmt(a['p95_ms']):>8} {_fmt(b['p50_ms']):>12} "
                f"{_fmt(b['p95_ms']):>8} {_fmt(q['p50'], 'x'):>10} {_fmt(q['p95'], 'x'):>7}")
        tw, tn = lat["widgets"]["typing"], lat["neural"]["typing"]
        add(f"{'typing fps':16} {_fmt(tw['fps']):>12} {'':>8} {_fmt(tn['fps']):>12} {'':>8} "
            f"{_fmt(lat['ratios']['typing_fps'], 'x'):>10}   (neural: {tn['frames']} frames for {tn['keys']} keys, "
            f"{tn['dropped_requests']} stale requests dropped)")
        c = lat["neural"].get("cache") or {}
        add(f"region cache: {c.get('hits')} hits / {c.get('misses')} misses (hit rate {_fmt(c.get('hit_rate'))}), "
            f"{lat['neural'].get('contexts_painted_ahead')} contexts painted ahead of hovers and clicks")
        cold = lat.get("neural_nothing_ahead")
        if cold:
            add("neural p50/p95 with nothing painted ahead: " + ", ".join(
                f"{kind} {_fmt(cold[kind]['p50_ms'])}/{_fmt(cold[kind]['p95_ms'])} ms"
                for kind in ("hover", "click", "keystroke", "window_open")))
    p = r.get("planner")
    if p:
        add("")
        if "error" in p:
            add(f"planner   {p['error']}")
        else:
            b = p.get("builtin", {})
            summary = {k: v for k, v in b.items() if not isinstance(v, (list, dict))}
            add(f"planner   builtin {summary}")
            t = p.get("transformers")
            if isinstance(t, dict):
                add(f"          transformers {({k: v for k, v in t.items() if not isinstance(v, (list, dict))})}")
    s = r.get("startup")
    if s:
        add(f"startup   time to first frame {_fmt(s.get('time_to_first_frame_ms'), ' ms')} ({s.get('renderer')})"
            if "error" not in s else f"startup   {s['error']}")
    st = r.get("settings")
    if st and "results" in st:
        add("")
        add("CPU settings (model alone, both steps):")
        for shape, rows in st["results"].items():
            if isinstance(rows, list):
                add("  " + shape + ": " + ", ".join(
                    f"{x['dtype']}/{x['threads']}t/{'CL' if x['channels_last'] else 'C'} {x['ms']:.0f} ms"
                    for x in rows))
            else:
                add(f"  {shape}: {rows}")
    t = {k: v for k, v in (r.get("targets") or {}).items() if isinstance(v, dict)}
    if t:
        add("")
        add("targets   " + " · ".join(f"{k} {_fmt(v['value'])} ({'≥' if 'fps' in k else '≤'}{v['target']:g}): "
                                      f"{'met' if v['met'] else 'NOT met'}" for k, v in t.items()))
        if (r.get("targets") or {}).get("note"):
            add(f"          ({r['targets']['note']})")
    add(f"elapsed   {r.get('elapsed_s')} s")
    return "\n".join(lines)
