"""Live neural painting: one engine for the shell and for playback videos.

    live = LiveRenderer(renderer)                        # a NeuralRenderer, any plugin renderer, or None
    f = live.render(scene, widgets=canvas.grab_frame)    # LiveFrame: f.frame (H, W, 3) uint8, f.regions ...
    worker = LiveWorker(live, on_result)                 # the shell: renders off the GUI thread
    seq = worker.submit(scene, pending := PendingFrame())  # latest wins: a request not yet started is dropped
    pending.set_from(canvas.grab_frame)                  # the widget frame, for fallback, grabbed while it paints

What one `render()` does:

1. **Only what changed.** The dirty regions are the scene diff against the scene of the last frame
   (`dirty_regions`: `Scene.dirty_regions`, where a window's own colour repaints only that window), each
   shrunk to where the model's conditioning maps really differ (`changed_regions`: a typed character, not
   the whole field), grown by `PASTE_MARGIN`, then, when the widget renderer's frames of both scenes are given,
   shrunk again to where those differ (`reference_regions`: hovering a window's close button repaints the button,
   hovering a text field nothing; not where windows opened, closed or moved), plus regions a fault left to the
   widgets (they are retried). The widget pixels only say where to paint, never what: the model's input holds
   none. Only these regions are repainted; every pixel outside them is the last frame's, bit for bit. No
   previous frame (the first one, a resize, a theme change, a renderer switch): the whole frame.
2. **Enough context.** A region is rendered from the conditioning of a larger *context box*: the
   region grown by the model's context margin (`model_margin`: the `context_margin` its folder declares,
   measured with `neuralos bench`, else its receptive field `receptive_field`, derived from the config),
   aligned to the model's size step in canvas coordinates (so a crop sees the same pixel-unshuffle and
   downsampling grid as a whole frame) and rounded up to `BUCKET` pixels (fewer distinct shapes, so
   oneDNN's per-shape kernels stay warm). Nearby regions share one context box when that is cheaper.
   A frame's context boxes are painted side by side when the renderer allows it (`NeuralRenderer.lanes_for`:
   on 2 cores, two at once on one thread each).
3. **Cache.** A painted context box is stored under a key made of everything its conditioning and noise
   are computed from: the conditioning format, model identity, steps, precision and seed, canvas size,
   the box, the theme, the scene nodes that reach into the box (compared field by field) and a digest of
   the previous frame's pixels there. The same key always means the same maps and noise, so a hit is
   what a fresh render would give, bit for bit, without running the model.
4. **Whole frames on a GPU.** With a CUDA model (half precision, channels-last) every frame is rendered
   whole, from conditioning kept on the device and rebuilt only inside the dirty regions, then pasted
   into the last frame at the dirty regions (so the stability guarantee of 1. holds there too).
5. **Fallback, visibly.** No model, an exception or non-finite output in a region: that region gets the
   widget renderer's pixels (`widgets`, an array or a function called only when needed) and the reason
   is recorded (`LiveFrame.reason`, logged). `FallbackPolicy` counts consecutive faulty or late frames;
   after `max_misses` the session paints with widgets for `cooldown_s`, then the neural renderer is
   retried. Deadlines are the caller's business (the shell times frames; playback waits for each one).

Plugin renderers that only have `render(scene, previous, regions)` get the same contract: the engine
asks for the dirty regions and pastes only those from what comes back.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import reduce
from typing import Callable

import numpy as np

from neuralos.errors import first_line
from neuralos.neural.heap import keep_freed_memory
from neuralos.scene import Box, Scene, merge_boxes

log = logging.getLogger(__name__)

PASTE_MARGIN = 2          # px repainted around a changed node: its anti-aliased edge meets its neighbours
BUCKET = 16               # context boxes are rounded up to multiples of this (fewer distinct shapes; the idle
                          # warm-up builds the kernels of input's shapes, so 32 only cost pixels: run R)
WHOLE_FRAME_SHARE = 0.6   # on a CPU, context boxes covering more than this share of the canvas: one whole frame
MAX_MISSES = 3            # consecutive faulty or late frames before the session paints with widgets
COOLDOWN_S = 10.0         # how long the session stays on widgets before the neural renderer is retried
CACHE_BYTES = 256 << 20   # region cache budget
REFINE_SHARE = 0.25       # dirty regions up to this share of the canvas are shrunk to where the maps differ
WINDOW_HALO = 8           # px outside a window's box that the model's painting of it reaches (in the dark theme a
                          # faint dark halo, 3-13 levels up to 8 px out): repainted where the window was
WINDOW_SPAN = 0.75        # ... unless windows that opened, closed or moved span this share of them


# --- model geometry ---------------------------------------------------------------------------------------

def receptive_field(config) -> int:
    """How far (pixels, each way) one forward pass of a UIRendererModel reaches, from its config.

    Walks the network of `neuralos.neural.model`: 1x1 stem, pixel-unshuffle, the UNet (conv_in; per level
    `layers_per_block` ResNet blocks of two 3x3 convs and a stride-2 3x3 downsample; a two-block mid block;
    per level `layers_per_block + 1` blocks and a nearest-upsample + 3x3 conv; conv_out), pixel-shuffle and
    the two 3x3 refinement convs. The receptive field's diameter is summed with the usual jump rule; half
    of it, plus the size step (pixel-unshuffle blocks and stride-2 grids are not centred on a pixel), is the
    reach. A region rendered with at least this margin sees every input pixel its outputs depend on.
    """
    cfg = dict(config)
    u = int(cfg.get("unshuffle", 4))
    levels = len(cfg.get("block_out_channels", (48, 96)))
    per_block = int(cfg.get("layers_per_block", 1))
    rf, jump = 1 + (u - 1), u                      # pixel-unshuffle: a u x u block with stride u
    rf += 2 * jump                                 # conv_in
    for i in range(levels):
        rf += 2 * 2 * per_block * jump             # down ResNet blocks: two 3x3 convs each
        if i < levels - 1:
            rf += 2 * jump                         # stride-2 3x3 downsample
            jump *= 2
    rf += 2 * 2 * 2 * jump                         # mid block: two ResNet blocks
    for i in range(levels):
        rf += 2 * 2 * (per_block + 1) * jump       # up ResNet blocks
        if i < levels - 1:
            jump //= 2
            rf += 2 * jump                         # nearest upsample, then a 3x3 conv
    rf += 2 * jump                                 # conv_out
    rf += 2 * 2 * (1 + int(cfg.get("refine_blocks", 0)))   # 3x3 refinement convs at full resolution
    size_step = u * 2 ** (levels - 1)
    return (rf - 1) // 2 + size_step - 1


def model_margin(renderer) -> int | None:
    """The context margin for a NeuralRenderer: the `context_margin` its model folder declares (measured with
    `neuralos bench`: how far the trained model's pixels really depend on), else its model's receptive field;
    None for other renderers."""
    model = getattr(renderer, "model", None)
    config = getattr(model, "config", None)
    if config is None or "block_out_channels" not in config or not callable(getattr(renderer, "paint", None)):
        return None
    declared = getattr(renderer, "context_margin", None)
    return int(declared) if declared is not None else receptive_field(config)


def context_box(region: Box, canvas: Box, margin: int, step: int = 8, bucket: int = BUCKET) -> Box:
    """`region` grown by `margin`, its origin aligned down to `step` in canvas coordinates, its size rounded
    up to `bucket` where the canvas allows; always inside the canvas and containing `region`."""
    ctx = region.grow(margin).intersect(canvas) or canvas
    x0 = canvas.x + (ctx.x - canvas.x) // step * step
    y0 = canvas.y + (ctx.y - canvas.y) // step * step

    def span(lo: int, hi: int, limit: int, origin: int) -> tuple[int, int]:
        size = -(-(hi - lo) // bucket) * bucket
        if lo + size <= limit:
            return lo, lo + size
        lo2 = max(origin, origin + (limit - size - origin) // step * step)   # shift left, stay aligned
        return min(lo, lo2), limit

    x0, x1 = span(x0, ctx.right, canvas.right, canvas.x)
    y0, y1 = span(y0, ctx.bottom, canvas.bottom, canvas.y)
    return Box(x0, y0, x1 - x0, y1 - y0)


def plan_contexts(regions: list[Box], canvas: Box, margin: int, step: int = 8) -> list[tuple[Box, list[Box]]]:
    """Group regions into context boxes, merging two groups whenever one box around both costs no more
    pixels than the two apart. Returns [(context box, [regions painted from it])]."""
    groups = [(context_box(r, canvas, margin, step), [r]) for r in merge_boxes(regions)]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                (ca, ra), (cb, rb) = groups[i], groups[j]
                rs = ra + rb
                union = rs[0]
                for r in rs[1:]:
                    union = union.union(r)
                cu = context_box(union, canvas, margin, step)
                if cu.w * cu.h <= ca.w * ca.h + cb.w * cb.h:
                    groups[i] = (cu, rs)
                    del groups[j]
                    merged = True
                    break
            if merged:
                break
    return groups


def dirty_regions(scene: Scene, previous: Scene | None, margin: int = 0) -> list[Box]:
    """`Scene.dirty_regions`, except that a window's own primary colour (`theme["surface_primary"]`, which
    changes whenever a window opens or closes) repaints only that window, not the whole canvas, and that around
    where a window was before it closed or moved, `WINDOW_HALO` more is repainted."""
    if previous is None or (previous.width, previous.height) != (scene.width, scene.height):
        return scene.dirty_regions(None, margin)
    if _base_theme(scene.theme) != _base_theme(previous.theme):
        return scene.dirty_regions(None, margin)
    now, before = scene.theme.get("surface_primary") or {}, previous.theme.get("surface_primary") or {}
    recoloured = {sid for sid in now.keys() | before.keys() if now.get(sid) != before.get(sid)}
    boxes = scene.dirty_regions(Scene(previous.width, previous.height, scene.theme, previous.nodes), margin)
    canvas = Box(0, 0, scene.width, scene.height)
    for n in (*previous.nodes, *scene.nodes):
        if n.role == "window" and n.clip is not None and (n.window or n.surface) in recoloured:
            boxes.append(n.clip.grow(margin).intersect(canvas))
    gone = window_boxes(previous) - window_boxes(scene)
    boxes.extend(clip.grow(margin + WINDOW_HALO).intersect(canvas) for _, clip in gone)
    return merge_boxes(boxes)


def window_boxes(scene: Scene) -> set[tuple[str, Box]]:
    """Each window's key with its visible box: a pair that is in one scene and not the other is a window that
    opened, closed or moved between them."""
    return {(n.key, n.clip) for n in scene.nodes if n.role == "window" and n.clip is not None}


def window_layout(scene: Scene, box: Box) -> tuple:
    """The windows over `box`, bottom to top, with their visible boxes: equal in two scenes when no window there
    opened, closed, moved or changed order between them."""
    return tuple((n.key, n.clip) for n in scene.nodes
                 if n.role == "window" and n.clip is not None and n.clip.intersect(box) is not None)


def changed_regions(scene: Scene, previous: Scene | None, margin: int = 0,
                    refine_share: float = REFINE_SHARE) -> list[Box]:
    """Where the model's input differs between two scenes: each dirty region of the scene diff (no larger than
    `refine_share` of the canvas) shrunk to the bounding box of the pixels whose conditioning maps differ
    (the previous-frame maps aside), then grown by `margin`. A typed character repaints the character and
    the cursor, not the whole field; a change the maps do not show (a node's bookkeeping) repaints nothing."""
    from neuralos.neural.conditioning import PREVIOUS_SLICE, build_conditioning

    boxes = dirty_regions(scene, previous, 0)
    canvas = Box(0, 0, scene.width, scene.height)
    if previous is None or any(b == canvas for b in boxes):
        return [canvas]
    # A window that opened, closed or moved changes the maps along its whole outline, so a dirty box that such
    # windows mostly span would shrink by little: it is kept as it is, without building its maps twice (2 x 25 ms
    # for a 570x260 window on the AMX Xeon: all of a cached window opening's time).
    arranged = [clip for _, clip in window_boxes(scene) ^ window_boxes(previous)]
    out = []
    for b in boxes:
        spanned = [a for a in (a.intersect(b) for a in arranged) if a is not None]
        span = reduce(Box.union, spanned) if spanned else None
        if b.w * b.h > refine_share * canvas.w * canvas.h or (span is not None and
                                                               span.w * span.h >= WINDOW_SPAN * b.w * b.h):
            out.append(b)
            continue
        new = build_conditioning(scene, None, region=b)[:PREVIOUS_SLICE.start]
        old = build_conditioning(previous, None, region=b)[:PREVIOUS_SLICE.start]
        box = _bounding_box(np.any(new != old, axis=0), b)
        if box is not None:
            out.append(box)
    return merge_boxes([g for g in (o.grow(margin).intersect(canvas) for o in out) if g is not None])


def reference_regions(regions: list[Box], before: np.ndarray, after: np.ndarray, margin: int = 0) -> list[Box]:
    """`regions` shrunk to where two widget frames (the reference renderer's pixels of the last scene and of this
    one) differ: each region to the bounding box of its differing pixels, grown by `margin` but kept inside the
    region; a region where they do not differ is dropped. The maps mark a state over more than the widget renderer
    changes: hovering a text field, a date input or a slider changes no widget pixel at all, and hovering a window's
    close button changes only the button."""
    out = []
    for r in regions:
        box = _bounding_box(np.any(before[r.y:r.bottom, r.x:r.right] != after[r.y:r.bottom, r.x:r.right], axis=2), r)
        if box is not None:
            out.append(box.grow(margin).intersect(r))
    return merge_boxes(out)


def _bounding_box(mask: np.ndarray, where: Box) -> Box | None:
    """The canvas box around the true pixels of `mask` ((where.h, where.w) bool, over `where`); None if there are
    none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return None
    return Box(where.x + int(cols[0]), where.y + int(rows[0]), int(cols[-1] - cols[0]) + 1, int(rows[-1] - rows[0]) + 1)


def _base_theme(theme: dict) -> dict:
    return {k: v for k, v in theme.items() if k != "surface_primary"}


# --- cache -------------------------------------------------------------------------------------------------

class RegionCache:
    """LRU of painted context boxes (uint8 arrays), bounded in bytes; thread-safe. Counts hits and misses."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = int(max_bytes)
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key) -> np.ndarray | None:
        with self._lock:
            arr = self._items.get(key)
            if arr is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return arr

    def put(self, key, arr: np.ndarray) -> None:
        if arr.nbytes > self.max_bytes:
            return
        arr = np.array(arr, dtype=np.uint8, copy=True)
        arr.flags.writeable = False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old.nbytes
            self._items[key] = arr
            self.bytes += arr.nbytes
            while self.bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key) -> bool:      # not counted as a hit or a miss
        with self._lock:
            return key in self._items

    @property
    def hit_rate(self) -> float | None:
        n = self.hits + self.misses
        return self.hits / n if n else None

    def stats(self) -> dict:
        return {"hits": self.hits, "misses": self.misses, "hit_rate": self.hit_rate, "entries": len(self._items),
                "bytes": self.bytes}


# --- fallback policy -----------------------------------------------------------------------------------------

class FallbackPolicy:
    """When the session paints with widgets instead of the neural renderer, and when it tries again.

    `failure(reason)` after a frame with a fault or a missed deadline, `success()` after a good frame.
    `max_misses` failures in a row switch the session to widgets for `cooldown_s` (on `clock`, seconds:
    wall time in the shell, the video clock in playback, so playback stays deterministic); afterwards
    `neural_allowed()` says yes again and the count starts over. Thread-safe.
    """

    def __init__(self, max_misses: int = MAX_MISSES, cooldown_s: float = COOLDOWN_S,
                 clock: Callable[[], float] = time.monotonic):
        self.max_misses, self.cooldown_s, self.clock = int(max_misses), float(cooldown_s), clock
        self.consecutive = 0
        self.disabled_until: float | None = None
        self.session_reason: str | None = None     # why the session is on widgets (None while neural)
        self.last_reason: str | None = None        # the latest fault or miss, also after recovery
        self.trips = 0
        self.retries = 0
        self._lock = threading.Lock()

    def neural_allowed(self) -> bool:
        with self._lock:
            if self.disabled_until is None:
                return True
            if self.clock() < self.disabled_until:
                return False
            self.disabled_until, self.session_reason, self.consecutive = None, None, 0
            self.retries += 1
        log.info("neural renderer: cool-down over, retrying it")
        return True

    def success(self) -> None:
        with self._lock:
            self.consecutive = 0

    def failure(self, reason: str) -> bool:
        """Record a faulty or late frame; True when this one switched the session to widgets."""
        with self._lock:
            self.last_reason = reason
            self.consecutive += 1
            if self.disabled_until is not None or self.consecutive < self.max_misses:
                tripped = False
            else:
                self.disabled_until = self.clock() + self.cooldown_s
                self.session_reason = (f"{reason} ({self.consecutive} failures in a row; widgets for "
                                       f"{self.cooldown_s:g} s, then the neural renderer is retried)")
                self.trips += 1
                tripped = True
        if tripped:
            log.warning("neural renderer: session falls back to widgets: %s", self.session_reason)
        else:
            log.warning("neural renderer: widgets painted instead (%d in a row): %s", self.consecutive, reason)
        return tripped

    def disable(self, reason: str) -> None:
        """Widgets now, retry after the cool-down (a renderer that could not be loaded)."""
        with self._lock:
            self.disabled_until = self.clock() + self.cooldown_s
            self.session_reason = self.last_reason = reason
            self.consecutive = 0

    def reset(self) -> None:
        with self._lock:
            self.consecutive, self.disabled_until, self.session_reason = 0, None, None

    def retry_in(self) -> float | None:
        """Seconds until the neural renderer is retried (None when it is in use)."""
        with self._lock:
            return None if self.disabled_until is None else max(0.0, self.disabled_until - self.clock())


# --- frames -------------------------------------------------------------------------------------------------

@dataclass
class LiveFrame:
    """One painted frame and how it was made."""

    frame: np.ndarray                         # (H, W, 3) uint8; treat as read-only
    scene: Scene
    seq: int = 0
    regions: list[Box] = field(default_factory=list)         # repainted (everything else is the last frame's)
    neural_regions: list[Box] = field(default_factory=list)  # of those, painted by the model
    widget_regions: list[Box] = field(default_factory=list)  # of those, painted with the widget renderer's pixels
    full: bool = False                        # the whole canvas was repainted
    renderer: str = "neural"                  # neural | widgets | neural+widgets
    reason: str | None = None                 # why widgets painted (part of) this frame
    ms: float = 0.0                           # time in render()
    cache_hits: int = 0
    cache_misses: int = 0
    submitted: float | None = None            # perf_counter() when the request was made (LiveWorker)
    finished: float | None = None             # perf_counter() when the frame was ready
    late: bool = False                        # ready after its deadline (counted as a miss)

    @property
    def changed(self) -> bool:
        return bool(self.regions)


def renderer_identity(renderer) -> str:
    """A string naming the renderer and the weights it uses, for cache keys."""
    if renderer is None:
        return "widgets"
    pipe = getattr(renderer, "pipeline", None)
    where = ""
    if pipe is not None:
        where = str(getattr(getattr(pipe, "config", {}), "get", lambda *_: "")("_name_or_path", "") or "")
    return f"{type(renderer).__module__}.{type(renderer).__name__}:{where or hex(id(renderer))}"


class _Widgets:
    """The widget renderer's frame for the scene being painted: given, or fetched once when first needed."""

    def __init__(self, source, width: int, height: int):
        self.source, self.width, self.height = source, width, height
        self._frame = None

    def frame(self) -> np.ndarray:
        if self._frame is None:
            src = self.source() if callable(self.source) else self.source
            if src is None:
                raise RuntimeError("no widget frame to fall back on")
            self._frame = check_frame(src, self.width, self.height)
        return self._frame


class PendingFrame:
    """The widget frame of a submitted scene, grabbed by the GUI thread *after* `LiveWorker.submit`, while the
    worker already works out the changed regions (on two cores the grab, 1.5-10 ms, then mostly leaves the
    input-to-pixels path). Pass it as `widgets`; the worker waits for the grab when it compares widget frames
    (`reference_regions`) or needs widget pixels (a fault)."""

    timeout_s = 10.0

    def __init__(self):
        self._done = threading.Event()
        self._frame = None
        self._error: BaseException | None = None

    def set_from(self, grab: Callable[[], np.ndarray]) -> np.ndarray:
        """Run `grab` (on the GUI thread) and hand its frame, or its exception, to the worker; returns the frame."""
        try:
            self._frame = grab()
            return self._frame
        except BaseException as e:
            self._error = e
            raise
        finally:
            self._done.set()

    def __call__(self) -> np.ndarray:
        if not self._done.wait(self.timeout_s):
            raise TimeoutError(f"the widget frame was not grabbed within {self.timeout_s:g} s")
        if self._error is not None:
            raise RuntimeError(f"grabbing the widget frame failed: {first_line(self._error)}")
        return self._frame


def check_frame(out, width: int, height: int) -> np.ndarray:
    """A renderer's output as contiguous (H, W, 3) uint8, or ValueError saying what is wrong."""
    arr = np.asarray(out)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[:2] != (height, width):
        raise ValueError(f"frame has shape {arr.shape}, expected ({height}, {width}, 3)")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.floating) or not np.isfinite(arr).all():
            raise ValueError(f"frame is not a finite image ({arr.dtype})")
        arr = np.clip(np.rint(arr * 255.0 if arr.max() <= 1.0 else arr), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(arr[:, :, :3])


def _fault(e: BaseException) -> str:
    text = first_line(e)
    return f"neural renderer failed: {type(e).__name__}" + (f": {text}" if text != type(e).__name__ else "")


# --- the engine ---------------------------------------------------------------------------------------------

class LiveRenderer:
    """Paints scenes with a neural renderer, incrementally, with per-region and per-session fallback.

    renderer: a NeuralRenderer (regions with context, cache, GPU whole frames), any object with
    `render(scene, previous, regions)` (regions pasted from its output), or None (widgets only; `reason`
    says why). margin: context pixels (default: `NEURALOS_LIVE_MARGIN`, else the model's receptive field;
    `neuralos bench` measures what smaller margins cost in fidelity). whole_frame: render whole frames
    (default: on CUDA). Not thread-safe by itself: one thread renders (`LiveWorker` or playback).
    """

    def __init__(self, renderer=None, *, reason: str | None = None, policy: FallbackPolicy | None = None,
                 cache: RegionCache | None = None, margin: int | None = None, whole_frame: bool | None = None,
                 paste_margin: int = PASTE_MARGIN, model_id: str | None = None):
        self.policy = policy or FallbackPolicy()
        self.cache = cache if cache is not None else RegionCache()
        self.paste_margin = int(paste_margin)
        self._margin_override, self._whole_override = margin, whole_frame
        self.renderer = None
        self.frames = 0
        self.warm_up = True                   # LiveWorker paints the shapes input will need while it is idle
        self.ahead = True                     # paint_ahead paints the scenes it is given (False: it does nothing)
        self.reference_diff = True            # repaint only where the widget frames changed too (`reference_regions`)
        self._warm: set[tuple[int, int]] = set()
        self._warm_queue: list[tuple[int, int]] = []
        self._warm_scene: Scene | None = None
        self._pool = None
        self._pool_size = 0
        self._lock = threading.RLock()
        self.set_renderer(renderer, reason=reason, model_id=model_id)

    # -- renderer -----------------------------------------------------------------------------------------
    def set_renderer(self, renderer, reason: str | None = None, model_id: str | None = None) -> None:
        """Use `renderer` from the next frame on (None: widgets, `reason` says why); the next frame is whole."""
        with self._lock:
            self.renderer = renderer
            self.model_id = model_id or renderer_identity(renderer)
            self.load_reason = None if renderer is not None else (reason or "no usable neural renderer model")
            self.regional = model_margin(renderer) is not None
            env = os.environ.get("NEURALOS_LIVE_MARGIN", "")
            override = self._margin_override if self._margin_override is not None else \
                (int(env) if env.isdigit() else None)
            self.margin = int(override if override is not None else (model_margin(renderer) or 0))
            self.step = int(getattr(renderer, "size_multiple", 8) or 8) if self.regional else 8
            self.device = _device_of(renderer)
            self.whole_frame = bool(self._whole_override if self._whole_override is not None
                                    else self.device.startswith("cuda"))
            self._warm, self._warm_queue, self._warm_scene = set(), [], None
            self.reset()
            if renderer is None:
                self.policy.disable(self.load_reason)
            else:
                self.policy.reset()

    def reset(self) -> None:
        """Forget the last frame: the next one is painted whole."""
        with self._lock:
            self.last_scene: Scene | None = None
            self.last_frame: np.ndarray | None = None
            self.repair: list[Box] = []          # regions the widgets painted after a fault: retried next frame
            self._cond = None                    # whole-frame conditioning kept between frames
            self._cond_scene: Scene | None = None
            self._neural_frame = False           # last_frame is (mostly) the model's
            self._last_widgets: np.ndarray | None = None   # the widget frame of last_scene, when it was given

    @property
    def neural_active(self) -> bool:
        """Whether the next frame will be painted by the model (asks the policy, which may retry now)."""
        return self.renderer is not None and self.policy.neural_allowed()

    @property
    def session_reason(self) -> str | None:
        if self.renderer is None:
            return self.load_reason
        return self.policy.session_reason

    def describe(self) -> str:
        if self.renderer is None:
            return f"widgets (fallback: {self.load_reason})"
        if self.policy.session_reason:
            return f"widgets (fallback: {self.policy.session_reason})"
        return "neural"

    # -- painting ----------------------------------------------------------------------------------------
    def render(self, scene: Scene, widgets=None, seq: int = 0, submitted: float | None = None,
               deadline_ms: float | None = None, full_deadline_ms: float | None = None) -> LiveFrame:
        """The next frame for `scene`. `widgets`: the widget renderer's frame of the same scene, or a function
        returning it (called once: for `reference_regions`, and for the pixels of regions that fall back). With
        `deadline_ms` (and `submitted`, the perf_counter() time of the request), a frame ready later than that after
        the request (`full_deadline_ms` for whole frames) counts as a miss for the fallback policy."""
        with self._lock:
            t0 = time.perf_counter()
            src = _Widgets(widgets, scene.width, scene.height)
            if not self.neural_active:
                out = self._widgets_frame(scene, src, seq)
            else:
                out = self._neural_frame_for(scene, src, seq)
                limit = full_deadline_ms if out.full and full_deadline_ms is not None else deadline_ms
                waited = (time.perf_counter() - (submitted if submitted is not None else t0)) * 1000.0
                if out.widget_regions:
                    self.policy.failure(out.reason)
                elif limit is not None and out.changed and waited > limit:
                    out.late = True
                    out.reason = f"neural frame took {waited:.0f} ms (deadline {limit:.0f} ms)"
                    self.policy.failure(out.reason)
                else:
                    self.policy.success()
            out.ms = (time.perf_counter() - t0) * 1000.0
            out.submitted = submitted
            out.finished = time.perf_counter()
            self.frames += 1
            return out

    def _widgets_frame(self, scene: Scene, src: _Widgets, seq: int) -> LiveFrame:
        frame = src.frame()
        full = Box(0, 0, scene.width, scene.height)
        self.reset()                           # back to neural: a whole frame (no mixing with widget pixels)
        self.last_scene, self.last_frame = scene, frame
        return LiveFrame(frame, scene, seq, [full], [], [full], True, "widgets", self.session_reason)

    def _neural_frame_for(self, scene: Scene, src: _Widgets, seq: int) -> LiveFrame:
        canvas = Box(0, 0, scene.width, scene.height)
        prev = self._previous_frame(scene)
        regions, full = self._regions(scene, src, prev)
        if not regions:
            self.last_scene, self._last_widgets = scene, self._reference(src)
            return LiveFrame(prev, scene, seq, [], [], [], False, "neural", None)
        if full:
            regions = [canvas]
        out = np.zeros((scene.height, scene.width, 3), np.uint8) if prev is None else prev.copy()
        frame = LiveFrame(out, scene, seq, list(regions), full=full)
        faults: list[str] = []
        hits0, misses0 = self.cache.hits, self.cache.misses
        if not self.regional:
            self._paint_plugin(scene, prev, regions, out, frame, src, faults)
        elif self.whole_frame or full or self._whole_is_cheaper(regions, canvas):
            self._paint_whole(scene, prev, regions, out, frame, src, faults)
        else:
            self._paint_regions(scene, prev, regions, out, frame, src, faults)
        frame.cache_hits, frame.cache_misses = self.cache.hits - hits0, self.cache.misses - misses0
        self.repair = list(frame.widget_regions)
        if frame.widget_regions:
            frame.renderer = "neural+widgets" if frame.neural_regions else "widgets"
            frame.reason = faults[0] if len(set(faults)) == 1 else "; ".join(dict.fromkeys(faults))
        if full and not frame.neural_regions:
            self.reset()                        # nothing of the model's to build on: the next frame is whole again
            self.repair = [canvas]
        else:
            self._neural_frame = True
            self._last_widgets = self._reference(src)      # after painting: a first frame does not wait for the grab
        self.last_scene, self.last_frame = scene, out
        return frame

    def _previous_frame(self, scene: Scene) -> np.ndarray | None:
        """The last frame, when the next one can build on it (the model's, of the same size)."""
        prev = self.last_frame
        if prev is not None and (prev.shape != (scene.height, scene.width, 3) or not self._neural_frame):
            return None
        return prev

    def _regions(self, scene: Scene, src: _Widgets, prev: np.ndarray | None) -> tuple[list[Box], bool]:
        """(regions to repaint after the last frame, whether that is the whole canvas)."""
        canvas = Box(0, 0, scene.width, scene.height)
        if prev is None or self.last_scene is None:
            return [canvas], True
        widgets = self._reference(src) if self._last_widgets is not None else None
        if widgets is None:
            regions = changed_regions(scene, self.last_scene, margin=self.paste_margin)
        else:   # the widget frames alone shrink the scene diff: building both scenes' maps to compare costs 4-9 ms
            regions = dirty_regions(scene, self.last_scene, self.paste_margin)
            if not any(r == canvas for r in regions):
                # Where windows opened, closed, moved or changed order, the last frame shows the model's painting of
                # another arrangement: equal widget pixels there (a dark window's body on the dark desktop) do not
                # mean equal neural ones, so those regions are repainted whole.
                arranged = [r for r in regions if window_layout(scene, r) != window_layout(self.last_scene, r)]
                rest = [r for r in regions if r not in arranged]
                regions = merge_boxes([*arranged, *reference_regions(rest, self._last_widgets, widgets,
                                                                     self.paste_margin)])
        if self.repair:
            regions = merge_boxes([*regions, *self.repair])
        return regions, any(r == canvas for r in regions)

    @property
    def paints_ahead(self) -> bool:
        """Whether `paint_ahead` can help: on (`ahead`) and painting regions (not whole frames, as on a GPU)."""
        return self.ahead and self.regional and not self.whole_frame and hasattr(self.renderer, "paint")

    def paint_ahead(self, scene: Scene, widgets) -> int:
        """Paint into the cache the regions a frame of `scene` would paint after the last frame, without showing
        them: `scene` is one the user may well ask for next (`neuralos.widgets.whatif`: a click's hover and
        focus), `widgets` its widget frame. When that scene comes, its regions are cache hits; when it does
        not, nothing else changes. Returns how many contexts the model painted (0: all cached, or not a
        frame painted by regions)."""
        from neuralos.neural.conditioning import build_conditioning

        with self._lock:
            if not (self.paints_ahead and self.neural_active):
                return 0
            canvas = Box(0, 0, scene.width, scene.height)
            prev = self._previous_frame(scene)
            regions, full = self._regions(scene, _Widgets(widgets, scene.width, scene.height), prev)
            if full or not regions or self._whole_is_cheaper(regions, canvas):
                return 0
            jobs = []
            for ctx, _ in plan_contexts(regions, canvas, self.margin, self.step):
                p = self._previous_for(scene, prev, ctx)
                key = self._key(scene, p, ctx)
                if key not in self.cache:
                    self._warm.add((ctx.w, ctx.h))
                    jobs.append((key, build_conditioning(scene, p, region=ctx), ctx))
            return sum(not isinstance(p, Exception) for p in self._paint_into_cache(jobs, scene))

    def _reference(self, src: _Widgets) -> np.ndarray | None:
        """The widget frame of the scene being painted, for `reference_regions`; None when it is off or there is
        none (no widgets given, or the grab failed: the maps alone then say what to repaint)."""
        if not self.reference_diff or src.source is None:
            return None
        try:
            return src.frame()
        except Exception as e:
            log.debug("no widget frame to compare: %s", first_line(e))
            return None

    def input_shapes(self, scene: Scene) -> list[tuple[int, int]]:
        """The context box sizes (w, h) that hovering, pressing or focusing the interactive components of
        `scene` paints: each component's box and each of its parts' (a check box's indicator), the part also with
        its focus ring, grown as the regions and `plan_contexts` grow them; largest first."""
        from neuralos.neural.conditioning import FOCUS_RING

        canvas = Box(0, 0, scene.width, scene.height)
        shapes: set[tuple[int, int]] = set()
        for n in scene.nodes:
            if not n.interactive or n.clip is None:
                continue
            for box in [n.clip, *(b.intersect(n.clip) for p in n.parts for b in (p.box, p.box.grow(FOCUS_RING)))]:
                region = box.grow(self.paste_margin).intersect(canvas) if box is not None else None
                if region is not None:
                    shapes.update((c.w, c.h) for c, _ in plan_contexts([region], canvas, self.margin, self.step))
        small = WHOLE_FRAME_SHARE * canvas.w * canvas.h
        return sorted((s for s in shapes if s[0] * s[1] < small), key=lambda s: -s[0] * s[1])

    def warm_up_next(self) -> bool:
        """Paint once, on zero maps, the next size in `input_shapes(last scene)` not painted yet; False when none
        is left. A size's first paint builds its kernels (oneDNN on a CPU: about twice a later paint, 47 against
        24 ms for a button's context on the AMX Xeon), which would otherwise land on the first hover of each
        button. Only for a NeuralRenderer painting regions; nothing is cached or shown."""
        import torch

        from neuralos.neural.conditioning import CONDITIONING_CHANNELS

        with self._lock:
            if not (self.warm_up and self.regional and not self.whole_frame and self.neural_active
                    and hasattr(self.renderer, "paint") and self.last_scene is not None):
                return False
            scene = self.last_scene
            if scene is not self._warm_scene:
                self._warm_scene = scene
                self._warm_queue = [s for s in self.input_shapes(scene) if s not in self._warm]
            if not self._warm_queue:
                return False
            w, h = self._warm_queue.pop(0)
            self._warm.add((w, h))
            try:
                self.renderer.paint(torch.zeros(CONDITIONING_CHANNELS, h, w), Box(0, 0, w, h), scene.width,
                                    scene.height)
            except Exception as e:      # the real paint of this size will meet it, and fall back
                log.warning("warming the neural renderer up at %dx%d failed: %s", w, h, _fault(e))
            return True

    def _whole_is_cheaper(self, regions: list[Box], canvas: Box) -> bool:
        area = sum(c.w * c.h for c, _ in plan_contexts(regions, canvas, self.margin, self.step))
        return area >= WHOLE_FRAME_SHARE * canvas.w * canvas.h

    def _fallback(self, regions: list[Box], out: np.ndarray, frame: LiveFrame, src: _Widgets,
                  faults: list[str], reason: str) -> None:
        faults.append(reason)
        try:
            pixels = src.frame()
        except Exception as e:     # no widget pixels either: keep the last frame there (never a blank frame)
            faults.append(f"widget frame unavailable: {type(e).__name__}: {e}")
            pixels = None
        for r in regions:
            if pixels is not None:
                out[r.y:r.bottom, r.x:r.right] = pixels[r.y:r.bottom, r.x:r.right]
            frame.widget_regions.append(r)

    def _paint_plugin(self, scene, prev, regions, out, frame, src, faults) -> None:
        try:
            painted = check_frame(self.renderer.render(scene, prev, None if prev is None else list(regions)),
                                  scene.width, scene.height)
        except Exception as e:
            self._fallback(regions, out, frame, src, faults, _fault(e))
            return
        for r in regions:
            out[r.y:r.bottom, r.x:r.right] = painted[r.y:r.bottom, r.x:r.right]
        frame.neural_regions.extend(regions)

    def _key(self, scene: Scene, prev: np.ndarray | None, ctx: Box) -> tuple:
        from neuralos.neural.conditioning import CONDITIONING_VERSION

        nodes = tuple(n for n in scene.nodes if n.clip is not None and n.clip.intersect(ctx) is not None)
        primaries = scene.theme.get("surface_primary") or {}
        windows = sorted({n.window or n.surface for n in nodes if n.role == "window"})
        theme = json.dumps([_base_theme(scene.theme), [(sid, primaries.get(sid)) for sid in windows]],
                           sort_keys=True, default=str)
        if prev is None:
            pdig = b""
        else:
            crop = np.ascontiguousarray(prev[ctx.y:ctx.bottom, ctx.x:ctx.right])
            pdig = hashlib.blake2b(crop.data, digest_size=16).digest()
        r = self.renderer
        return (CONDITIONING_VERSION, self.model_id, getattr(r, "steps", None), getattr(r, "seed", None),
                getattr(r, "dtype", None), _model_dtype(r), (scene.width, scene.height), ctx, theme, nodes, pdig)

    def _previous_for(self, scene: Scene, prev: np.ndarray | None, box: Box) -> np.ndarray | None:
        """The previous frame as the model's input over `box`, or None after a theme change or where windows over
        it opened, closed, moved or changed order: there it shows another theme or arrangement, and a student
        given it leaves ghost outlines of the old windows (held-out window-close regions: 47-49 dB with it,
        53-58 dB without) or tints the new theme with the old one (a seam at the next region painted)."""
        before = self.last_scene
        if prev is None or before is None:
            return prev
        if _base_theme(scene.theme) != _base_theme(before.theme):
            return None
        return prev if window_layout(scene, box) == window_layout(before, box) else None

    def _paint_regions(self, scene, prev, regions, out, frame, src, faults) -> None:
        from neuralos.neural.conditioning import build_conditioning

        canvas = Box(0, 0, scene.width, scene.height)
        plan = plan_contexts(regions, canvas, self.margin, self.step)
        painted: list = []           # per context: its pixels, or the exception that stopped them
        todo: list = []              # (index, cache key, maps) of the contexts the model paints
        for i, (ctx, _) in enumerate(plan):
            p = self._previous_for(scene, prev, ctx)
            key = self._key(scene, p, ctx)
            hit = self.cache.get(key)
            if hit is None:
                self._warm.add((ctx.w, ctx.h))
                try:
                    todo.append((i, key, build_conditioning(scene, p, region=ctx)))
                except Exception as e:
                    hit = e
            painted.append(hit)
        jobs = [(key, maps, plan[i][0]) for i, key, maps in todo]
        for (i, _, _), pixels in zip(todo, self._paint_into_cache(jobs, scene)):
            painted[i] = pixels
        for (ctx, rs), pixels in zip(plan, painted):
            if isinstance(pixels, Exception):
                self._fallback(rs, out, frame, src, faults, _fault(pixels))
                continue
            for r in rs:
                out[r.y:r.bottom, r.x:r.right] = pixels[r.y - ctx.y:r.bottom - ctx.y, r.x - ctx.x:r.right - ctx.x]
                frame.neural_regions.append(r)

    def _paint_into_cache(self, jobs: list[tuple], scene: Scene) -> list:
        """Paint each (cache key, maps, context box) and cache its pixels: per job, the pixels or the exception."""
        painted = self._paint_contexts([(maps, ctx) for _, maps, ctx in jobs], scene)
        for (key, _, _), pixels in zip(jobs, painted):
            if not isinstance(pixels, Exception):
                self.cache.put(key, pixels)
        return painted

    def _paint_contexts(self, jobs: list[tuple], scene: Scene) -> list:
        """Paint each (maps, context box): its (h, w, 3) uint8 pixels, or the exception it raised. As many at once
        as the renderer allows (`lanes_for`: on 2 cores, two regions on one thread each, 41 -> 27 ms for two
        button hovers on the AMX Xeon), largest first, this thread painting too."""
        def paint(i: int):
            maps, ctx = jobs[i]
            try:
                pixels = self.renderer.paint(maps, ctx, scene.width, scene.height)
                if pixels.shape != (ctx.h, ctx.w, 3) or pixels.dtype != np.uint8:
                    raise ValueError(f"painted {pixels.dtype} {pixels.shape}, expected ({ctx.h}, {ctx.w}, 3)")
                return pixels
            except Exception as e:
                return e

        lanes_for = getattr(self.renderer, "lanes_for", None)
        lanes = lanes_for([ctx for _, ctx in jobs]) if lanes_for is not None else 1
        if lanes <= 1:
            return [paint(i) for i in range(len(jobs))]
        out: list = [None] * len(jobs)
        queue = iter(sorted(range(len(jobs)), key=lambda i: -jobs[i][1].w * jobs[i][1].h))
        taking = threading.Lock()

        def lane() -> None:
            while True:
                with taking:
                    i = next(queue, None)
                if i is None:
                    return
                out[i] = paint(i)

        helpers = [self._lanes(lanes - 1).submit(lane) for _ in range(lanes - 1)]
        lane()
        for h in helpers:
            h.result()
        return out

    def _lanes(self, n: int):
        """The helper threads of `_paint_contexts` (made when first needed, kept for the renderer's life)."""
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None or self._pool_size < n:
            if self._pool is not None:
                self._pool.shutdown(wait=False)
            self._pool, self._pool_size = ThreadPoolExecutor(n, thread_name_prefix="neuralos-paint-lane"), n
        return self._pool

    def _paint_whole(self, scene, prev, regions, out, frame, src, faults) -> None:
        canvas = Box(0, 0, scene.width, scene.height)
        prev = self._previous_for(scene, prev, canvas)
        key = self._key(scene, prev, canvas)
        painted = self.cache.get(key)
        if painted is None:
            try:
                cond = self._whole_conditioning(scene, prev)
                painted = self.renderer.paint(cond, canvas, scene.width, scene.height)
            except Exception as e:
                self._cond = self._cond_scene = None
                self._fallback(regions, out, frame, src, faults, _fault(e))
                return
            self.cache.put(key, painted)
        for r in regions:
            out[r.y:r.bottom, r.x:r.right] = painted[r.y:r.bottom, r.x:r.right]
        frame.neural_regions.extend(regions)

    def _whole_conditioning(self, scene: Scene, prev: np.ndarray | None):
        """The whole frame's maps as a (1, C, H, W) tensor on the model's device, rebuilt only where the scene
        changed since the last whole frame (the maps are per-pixel functions of the nodes over the pixel)."""
        import torch

        from neuralos.neural.conditioning import PREVIOUS_FLAG, PREVIOUS_SLICE, build_conditioning

        dtype = _model_torch_dtype(self.renderer)
        dev = torch.device(self.device)
        if dev.type == "cpu" and not self.whole_frame:
            # occasional whole frames on a CPU build the maps afresh: keeping 200 MB of them saves little there
            return torch.from_numpy(build_conditioning(scene, prev))[None]
        stale = self._cond is None or self._cond_scene is None or tuple(self._cond.shape[-2:]) != (scene.height,
                                                                                                   scene.width)
        boxes = None if stale else dirty_regions(scene, self._cond_scene)
        if boxes is not None and any(b == Box(0, 0, scene.width, scene.height) for b in boxes):
            boxes = None
        if boxes is None:
            self._cond = torch.from_numpy(build_conditioning(scene, None)).to(dev, dtype)[None]
        else:
            for b in boxes:
                crop = build_conditioning(scene, None, region=b)[:PREVIOUS_SLICE.start]
                self._cond[0, :PREVIOUS_SLICE.start, b.y:b.bottom, b.x:b.right] = torch.from_numpy(crop).to(dev, dtype)
        self._cond_scene = scene
        if prev is None:
            self._cond[0, PREVIOUS_SLICE.start:] = 0
        else:
            p = torch.from_numpy(np.ascontiguousarray(prev)).to(dev).permute(2, 0, 1).float()
            self._cond[0, PREVIOUS_SLICE] = (p * (2 / 255) - 1).to(dtype)
            self._cond[0, PREVIOUS_FLAG] = 1
        return self._cond


def _device_of(renderer) -> str:
    pipe = getattr(renderer, "pipeline", None)
    try:
        return str(pipe.device) if pipe is not None else "cpu"
    except Exception:
        return "cpu"


def _model_torch_dtype(renderer):
    import torch

    model = getattr(renderer, "model", None)
    return getattr(model, "dtype", torch.float32)


def _model_dtype(renderer) -> str | None:
    model = getattr(renderer, "model", None)
    return str(getattr(model, "dtype", "")) or None


# --- the worker ---------------------------------------------------------------------------------------------

@dataclass
class _Request:
    scene: Scene
    widgets: object
    seq: int
    submitted: float
    deadline_ms: float | None = None
    full_deadline_ms: float | None = None


class LiveWorker:
    """Renders `LiveRenderer` frames on a thread. `submit()` returns at once; when a request has not started
    by the time a newer one arrives it is dropped (latest wins; `dropped` counts them). `on_result(frame)`
    runs on the worker thread (the shell forwards it to the GUI thread with a queued signal); `on_drop(seq)`
    likewise for dropped requests."""

    def __init__(self, live: LiveRenderer, on_result: Callable[[LiveFrame], None],
                 on_drop: Callable[[int], None] | None = None, name: str = "neuralos-live-render"):
        self.live, self.on_result, self.on_drop = live, on_result, on_drop
        self.dropped = 0
        self.rendered = 0
        self.painted_ahead = 0            # contexts painted into the cache ahead of a request
        self._seq = 0
        self._pending: _Request | None = None
        self._ahead: list[tuple[Scene, Scene, object]] = []    # (scene shown, scene it may become, its widgets)
        self._busy = False
        self._closed = False
        self._cv = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, scene: Scene, widgets=None, deadline_ms: float | None = None,
               full_deadline_ms: float | None = None) -> int:
        """Queue `scene` (and its widget frame, for fallback); returns the request's number. A frame ready later
        than `deadline_ms` after this call (`full_deadline_ms` for whole frames) counts as a miss."""
        with self._cv:
            if self._closed:
                raise RuntimeError("the live render worker is closed")
            self._seq += 1
            dropped = self._pending
            self._pending = _Request(scene, widgets, self._seq, time.perf_counter(), deadline_ms, full_deadline_ms)
            self._ahead.clear()
            if dropped is not None:
                self.dropped += 1
            self._cv.notify_all()
            seq = self._seq
        if dropped is not None and self.on_drop is not None:
            self.on_drop(dropped.seq)
        return seq

    def paint_ahead(self, shown: Scene, scene: Scene, widgets) -> None:
        """While idle, paint into the cache what a frame of `scene` (with widget frame `widgets`) would paint
        after the frame of `shown` (`LiveRenderer.paint_ahead`). Dropped when a request comes first, or when the
        last frame painted is not `shown` by then."""
        with self._cv:
            if not self._closed:
                self._ahead.append((shown, scene, widgets))
                self._cv.notify_all()

    @property
    def idle(self) -> bool:
        with self._cv:
            return self._pending is None and not self._busy and not self._ahead

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing is pending or rendering (tests, benchmarks, shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self._pending is not None or self._busy or self._ahead:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cv.wait(left)
            return True

    def close(self, wait: bool = True) -> None:
        with self._cv:
            self._closed = True
            self._pending = None
            self._ahead.clear()
            self._cv.notify_all()
        if wait and self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            with self._cv:
                while self._pending is None and not self._ahead and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                req, ahead = self._pending, None
                if req is None:
                    ahead = self._ahead.pop(0)
                self._pending, self._busy = None, True
            try:
                if req is None:
                    self._paint_ahead(*ahead)
                else:
                    self._render(req)
                    self._warm_up()              # still busy: wait_idle waits for it too
            finally:
                with self._cv:
                    self._busy = False
                    self._cv.notify_all()

    def _render(self, req: _Request) -> None:
        try:
            result = self.live.render(req.scene, req.widgets, seq=req.seq, submitted=req.submitted,
                                      deadline_ms=req.deadline_ms, full_deadline_ms=req.full_deadline_ms)
        except Exception as e:   # render() falls back itself; this is a bug, still never a lost frame
            log.exception("live render failed")
            try:
                result = self._emergency(req, e)
            except Exception:
                log.exception("no widget frame to show instead")
                result = None
        self.rendered += 1
        if result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("live render result callback failed")

    def _paint_ahead(self, shown: Scene, scene: Scene, widgets) -> None:
        try:
            if self.live.last_scene is shown:
                self.painted_ahead += self.live.paint_ahead(scene, widgets)
        except Exception:               # a guess that cannot be painted: the real frame will meet it, and fall back
            log.exception("painting ahead failed")

    def _warm_up(self) -> None:
        """While nothing is pending, paint the sizes input will need (`LiveRenderer.warm_up_next`), one at a
        time, so that a request waits for at most one of them."""
        try:
            while self._pending is None and not self._closed and self.live.warm_up_next():
                pass
        except Exception:
            log.exception("warming the neural renderer up failed")

    def _emergency(self, req: _Request, e: Exception) -> LiveFrame:
        scene = req.scene
        full = Box(0, 0, scene.width, scene.height)
        frame = _Widgets(req.widgets, scene.width, scene.height).frame()
        self.live.reset()
        reason = _fault(e)
        self.live.policy.failure(reason)
        return LiveFrame(frame, scene, req.seq, [full], [], [full], True, "widgets", reason,
                         submitted=req.submitted, finished=time.perf_counter())


# --- CPU settings ------------------------------------------------------------------------------------------

def cpu_flags(path: str = "/proc/cpuinfo") -> frozenset[str]:
    """The instruction-set flags of this CPU (`flags` in /proc/cpuinfo); empty where that is not readable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            line = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return frozenset()
    return frozenset(line.split(":", 1)[1].split()) if ":" in line else frozenset()


def cpu_vector_isa(flags: frozenset[str] | None = None) -> str:
    """The widest vector arithmetic this CPU has, as speed depends on it (the student paints a frame about 4x
    faster with AVX-512 BF16 than with AVX2 alone, docs/performance.md): "AMX", "AVX-512 BF16", "AVX-512",
    "AVX2", "AVX", "SSE" or "unknown"."""
    flags = cpu_flags() if flags is None else flags
    for name, flag in (("AMX", "amx_bf16"), ("AVX-512 BF16", "avx512_bf16"), ("AVX-512", "avx512f"),
                       ("AVX2", "avx2"), ("AVX", "avx"), ("SSE", "sse2")):
        if flag in flags:
            return name
    return "unknown"


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX), where oneDNN runs bf16 fast."""
    try:
        import torch

        if hasattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported") and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return False
    except Exception:
        pass
    return cpu_vector_isa() in ("AMX", "AVX-512 BF16")


def cpu_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads() -> int:
    """Inference threads: every core but one, which the GUI thread (layout, input, widget frames) keeps.
    Measured on a 2-core CPU (docs/performance.md): one thread beats two for the small regions input
    produces; large paints (`renderer.BURST_PIXELS`) take every core."""
    return max(1, cpu_cores() - 1)


def configure(renderer, device: str | None = None, threads: int | None = None, dtype: str | None = None) -> dict:
    """Apply the measured defaults to a NeuralRenderer and the process: on CUDA, half precision, channels-last
    and whole frames replayed as CUDA graphs (`NEURALOS_CUDA_GRAPHS=0`: eager); on a CPU, `default_threads()`
    torch threads (every core for whole frames and windows), as many regions painted at once as those threads
    fit in the cores, bfloat16 autocast where the CPU has native bf16 (else float32), and freed memory kept in the
    heap for the next frame (`neuralos.neural.heap`).
    `NEURALOS_RENDER_THREADS` (a fixed count for every paint, one paint at a time) / `NEURALOS_PAINT_LANES` /
    `NEURALOS_RENDER_DTYPE` override. Returns the settings used."""
    import torch

    device = device or _device_of(renderer)
    settings: dict = {"device": device}
    if device.startswith("cuda"):
        model = getattr(renderer, "model", None)
        want = (dtype or os.environ.get("NEURALOS_RENDER_DTYPE") or "float16").lower()
        tdtype = {"float16": torch.float16, "fp16": torch.float16, "bfloat16": torch.bfloat16,
                  "bf16": torch.bfloat16}.get(want, torch.float32)
        if model is not None:
            model.to(dtype=tdtype, memory_format=torch.channels_last)
        if hasattr(renderer, "dtype"):
            renderer.dtype = "float32"          # no CPU autocast: the weights themselves are half precision
        if hasattr(renderer, "cuda_graphs"):
            renderer.cuda_graphs = os.environ.get("NEURALOS_CUDA_GRAPHS", "1") != "0"
        settings.update(dtype=str(tdtype).replace("torch.", ""), channels_last=True,
                        cuda_graphs=getattr(renderer, "cuda_graphs", False))
        return settings
    env_threads = os.environ.get("NEURALOS_RENDER_THREADS")
    fixed = int(threads or (env_threads if env_threads and env_threads.isdigit() else 0))
    n = fixed or default_threads()
    torch.set_num_threads(n)
    if hasattr(renderer, "burst_threads"):
        renderer.burst_threads = None if fixed or cpu_cores() <= n else cpu_cores()
    if hasattr(renderer, "paint_lanes"):
        env_lanes = os.environ.get("NEURALOS_PAINT_LANES", "")
        renderer.paint_lanes = int(env_lanes) if env_lanes.isdigit() else 1 if fixed else max(1, cpu_cores() // n)
    native = "bfloat16" if cpu_supports_bf16() else "float32"
    want = (dtype or os.environ.get("NEURALOS_RENDER_DTYPE") or native).lower()
    want = {"bf16": "bfloat16", "fp32": "float32"}.get(want, want)
    if hasattr(renderer, "dtype") and want in ("float32", "bfloat16"):
        renderer.dtype = want
    settings.update(threads=torch.get_num_threads(), burst_threads=getattr(renderer, "burst_threads", None),
                    paint_lanes=getattr(renderer, "paint_lanes", None),
                    dtype=getattr(renderer, "dtype", None), channels_last=True, heap_kept=keep_freed_memory())
    return settings


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(q / 100 * len(v)) - 1))]
