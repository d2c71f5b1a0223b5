"""NeuralRenderer: paints a `Scene` with a UIRenderPipeline (whole frames or dirty regions).

    renderer = load_default_renderer()              # models/neuralos-ui-student/
    frame = renderer.render(scene)                  # (H, W, 3) uint8, every pixel painted by the model
    frame = renderer.render(scene, previous=frame, regions=[Box(...)])   # only those boxes change

Region rendering: each (merged) region is grown by a context margin, rendered from the conditioning of
that larger box only (`conditioning_for_region`) and pasted back without its margin; every pixel outside
the regions is copied from `previous` bit for bit. The model is local (no attention, per-pixel norms), so
a region rendered with enough context matches the same pixels of a whole-frame render closely.

Starting noise is one fixed full-canvas noise image per canvas size (seeded), cropped for regions: the same
scene always gives the same frame, region renders use the same noise as whole frames, and nothing flickers
between frames that do not change.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from neuralos.errors import NeuralosError, first_line
from neuralos.quiet import no_progress_bars
from neuralos.resources import SHIPPED_MODELS
from neuralos.scene import Box, Scene, merge_boxes

DEFAULT_MODEL = "neuralos-ui-student"
# Paints this large (an eighth of 1024x768: whole frames, windows) run on `burst_threads`; smaller ones on the
# configured threads. Measured on 2 cores (docs/performance.md): two threads make a whole frame 1.4-1.7x faster,
# but slow the small regions input produces (a field or a button: the hand-off outweighs the work).
BURST_PIXELS = 1024 * 768 // 8


class RendererFault(NeuralosError):
    """The neural renderer produced something unusable (non-finite pixels, wrong shape)."""


class NeuralRenderer:
    """`render(scene, previous=None, regions=None) -> (H, W, 3) uint8` with a UIRenderPipeline.

    steps: sampling steps (default: the pipeline's `default_num_inference_steps`); seed: the fixed noise;
    margin: context pixels around dirty regions; threads: torch intra-op threads (None: leave as is);
    dtype: "float32" or "bfloat16" (autocast on CPU; the output, its skip connection and palette blend stay in
    float32).
    burst_threads: torch threads for paints of at least BURST_PIXELS (None: the same as the rest).
    paint_lanes: how many smaller paints may run at once, each on the configured threads (`lanes_for`).
    cuda_graphs: on a GPU, replay whole frames' forwards as CUDA graphs (`neuralos.neural.cuda_graph`;
    `live.configure` turns it on there).
    """

    name = "neural"

    def __init__(self, pipeline, steps: int | None = None, seed: int = 0, margin: int = 32,
                 threads: int | None = None, dtype: str = "float32"):
        import torch

        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype must be float32 or bfloat16, not {dtype!r}")
        if threads:
            torch.set_num_threads(int(threads))
        self.pipeline = pipeline
        self.pipeline.set_progress_bar_config(disable=True)
        self.model = pipeline.model.eval()
        self.model.to(memory_format=torch.channels_last)
        self.steps = int(steps or pipeline.config.get("default_num_inference_steps", 2))
        self.seed, self.margin, self.dtype = int(seed), int(margin), dtype
        self.burst_threads: int | None = None
        self.paint_lanes = 1
        self.cuda_graphs = False
        self._graphs: dict[tuple, object] = {}
        self._noise: dict[tuple[int, int], object] = {}
        self._lock = threading.Lock()

    @property
    def size_multiple(self) -> int:
        return self.model.size_multiple

    @property
    def context_margin(self) -> int | None:
        """Context pixels the live renderer grows dirty regions by, as the model folder declares (None: the
        model's receptive field)."""
        return self.pipeline.config.get("context_margin")

    # --- public -------------------------------------------------------------------------------------------
    def render(self, scene: Scene, previous: np.ndarray | None = None,
               regions: list[Box] | None = None) -> np.ndarray:
        from neuralos.neural.conditioning import build_conditioning

        canvas = Box(0, 0, scene.width, scene.height)
        if previous is not None:
            previous = np.asarray(previous)
            if previous.shape != (scene.height, scene.width, 3) or previous.dtype != np.uint8:
                previous = None  # canvas resized (or not a frame): nothing to reuse
        if previous is None or regions is None:
            cond = build_conditioning(scene, previous)
            return self._paint(cond, canvas, scene)
        out = np.array(previous, dtype=np.uint8, copy=True)
        wanted = [b for b in (r.intersect(canvas) for r in regions) if b is not None]
        # Overlapping regions are rendered once, as their union; only the regions' own pixels are pasted.
        for group in merge_boxes(wanted):
            ctx = self.context_box(group, canvas)
            cond = build_conditioning(scene, previous, region=ctx)
            painted = self._paint(cond, ctx, scene)
            for r in wanted:
                if group.intersect(r) == r:
                    y, x = r.y - ctx.y, r.x - ctx.x
                    out[r.y:r.bottom, r.x:r.right] = painted[y:y + r.h, x:x + r.w]
        return out

    def context_box(self, region: Box, canvas: Box) -> Box:
        """`region` grown by the margin, then to a multiple of the model's size step where the canvas allows."""
        ctx = region.grow(self.margin).intersect(canvas)
        m = self.size_multiple
        w = min(canvas.w, -(-ctx.w // m) * m)
        h = min(canvas.h, -(-ctx.h // m) * m)
        x = min(max(canvas.x, ctx.x - (w - ctx.w) // 2), canvas.right - w)
        y = min(max(canvas.y, ctx.y - (h - ctx.h) // 2), canvas.bottom - h)
        return Box(x, y, w, h)

    # --- internals ----------------------------------------------------------------------------------------
    def noise(self, width: int, height: int, device="cpu"):
        """The fixed starting noise (1, 3, H, W) of a canvas size, drawn on the CPU (the same values on every
        device) and kept on `device`, so a GPU frame does not copy it there again."""
        import torch

        key = (width, height, str(device))
        with self._lock:
            if key not in self._noise:
                if len(self._noise) > 4:
                    self._noise.clear()
                g = torch.Generator("cpu").manual_seed(self.seed)
                self._noise[key] = torch.randn((1, 3, height, width), generator=g).to(device)
            return self._noise[key]

    def _paint(self, cond: np.ndarray, box: Box, scene: Scene) -> np.ndarray:
        return self.paint(cond, box, scene.width, scene.height)

    def paint(self, cond, box: Box, width: int, height: int) -> np.ndarray:
        """Paint `box` of a width x height canvas from its conditioning maps, (C, box.h, box.w) or
        (1, C, box.h, box.w), a numpy array or a tensor on any device (`neuralos.neural.live` keeps them on
        the GPU), with the fixed starting noise of that box: a checked (box.h, box.w, 3) uint8 array."""
        import torch

        from neuralos.neural.pipeline import to_uint8

        noise = self.noise(width, height, self.model.device)[:, :, box.y:box.bottom, box.x:box.right]
        cond = torch.from_numpy(np.ascontiguousarray(cond)) if isinstance(cond, np.ndarray) else cond
        if cond.ndim == 3:
            cond = cond[None]
        whole = box.w == width and box.h == height
        with self._threads_for(box), torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                                            enabled=self.dtype == "bfloat16"):
            if self.cuda_graphs and whole and self.model.device.type == "cuda":
                x = self._replay(cond, noise)
            else:
                x = self.pipeline(cond, num_inference_steps=self.steps, noise=noise,
                                  output_type="raw").frames                     # (1, 3, h, w) in [-1, 1]
        x = x[0].float()
        if not bool(torch.isfinite(x).all()):
            bad = int((~torch.isfinite(x)).sum())
            raise RendererFault(f"neural renderer produced {bad} non-finite values in {box.w}x{box.h} at "
                                f"({box.x}, {box.y}); the model or its weights are broken")
        x01 = (x + 1) / 2
        if x.device.type == "cpu":
            frame = to_uint8(x01.permute(1, 2, 0).numpy())                    # (h, w, 3); numpy is 3x faster here
        else:   # converted on the device: a quarter of the bytes cross to the host (28 -> 13 ms on an H200)
            frame = to_uint8(x01).permute(1, 2, 0).contiguous().cpu().numpy()
        if frame.shape != (box.h, box.w, 3):
            raise RendererFault(f"neural renderer returned {frame.shape}, expected ({box.h}, {box.w}, 3)")
        return frame

    def _replay(self, cond, noise):
        """The pipeline's sampling loop with its forward replayed as a CUDA graph, one per frame size: the
        same steps, noise and scheduler, so the same pixels as `pipeline(...)` up to kernel choice."""
        from neuralos.neural.cuda_graph import GraphedForward
        from neuralos.neural.pipeline import denoise

        dtype = self.model.dtype
        cond = cond.to(self.model.device, dtype)
        key = (tuple(cond.shape), dtype)
        with self._lock:      # one set of graph buffers per size: paints of the same size take turns
            if key not in self._graphs:
                if len(self._graphs) >= 2:       # a resize: the old size's graph (and its memory) goes
                    self._graphs.pop(next(iter(self._graphs)))
                self._graphs[key] = GraphedForward(self.model)
            return denoise(self._graphs[key], self.pipeline.scheduler, noise.to(dtype), cond, self.steps)[0]

    def lanes_for(self, boxes: list[Box]) -> int:
        """How many of the paints of `boxes` may run at once (on as many Python threads; `paint` is thread-safe):
        up to `paint_lanes`, but one at a time when any of them takes the burst threads, which are every core
        and a process-wide setting."""
        if self.paint_lanes <= 1 or len(boxes) < 2 or any(self._bursts(b) for b in boxes):
            return 1
        return min(self.paint_lanes, len(boxes))

    def _bursts(self, box: Box) -> bool:
        return bool(self.burst_threads) and box.w * box.h >= BURST_PIXELS

    @contextmanager
    def _threads_for(self, box: Box):
        """Run the paint of `box` on `burst_threads` when it is at least BURST_PIXELS, then restore the count."""
        import torch

        want = self.burst_threads if self._bursts(box) else None
        old = torch.get_num_threads()
        if not want or want == old:
            yield
            return
        torch.set_num_threads(want)
        try:
            yield
        finally:
            torch.set_num_threads(old)


def load_renderer(path: str | Path, device: str = "cpu", **options) -> NeuralRenderer:
    """A NeuralRenderer from a UIRenderPipeline folder (safetensors only, nothing downloaded)."""
    import torch

    from neuralos.neural.pipeline import UIRenderPipeline

    path = Path(path)
    if not (path / "model_index.json").is_file():
        raise NeuralosError(f"{path}: not a neural renderer folder (no model_index.json); "
                            "train one with `neuralos train teacher` and `neuralos train distill`")
    try:
        with no_progress_bars():
            pipe = UIRenderPipeline.from_pretrained(str(path), local_files_only=True, use_safetensors=True,
                                                    dtype=torch.float32)
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        raise NeuralosError(f"{path}: cannot load the neural renderer: {first_line(e)}") from e
    return NeuralRenderer(pipe.to(device), **options)


def default_renderer_path() -> Path:
    return SHIPPED_MODELS / DEFAULT_MODEL


def load_default_renderer(**options) -> NeuralRenderer:
    """The shipped default renderer, `models/neuralos-ui-student/`."""
    path = default_renderer_path()
    if not path.is_dir():
        raise NeuralosError(f"the default neural renderer is missing ({path}); use the widget renderer, "
                            "or train one with `neuralos train teacher` and `neuralos train distill`")
    return load_renderer(path, **options)
