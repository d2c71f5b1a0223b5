"""Image-quality measures of a neural frame against the widget renderer's reference frame.

- `psnr`: peak signal-to-noise ratio in dB over all pixels and channels (8-bit, peak 255), or over a
  mask; identical images give `math.inf` (JSON: the string "inf", see `json_safe`).
- `component_mask`: the union of the visible boxes of the scene's non-desktop nodes (windows,
  chrome, components): "PSNR inside component boxes" excludes the desktop background.
- `ssim`: the standard structural similarity of Wang et al. (2004): an 11x11 Gaussian window with
  sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, on each RGB channel separately, 'valid' windows only (no
  padding), averaged over the SSIM map and the channels. Identical images give exactly 1.0.
- `ocr_compare`: the words Tesseract finds in the reference frame vs those it finds in the neural
  frame: recall of reference words (multiset) and the character error rate (Levenshtein distance of
  the neural text to the reference text / reference length). When the `tesseract` program or
  `pytesseract` is missing it returns {"available": False, "reason": ...} instead of failing.
- `error_breakdown`: where the squared error of a frame lies: window outlines, text, component edges, flat
  component areas, desktop (disjoint masks from the scene): which kind of pixel costs the PSNR.
- `temporal_stability`: between two consecutive frames, the share (and the largest change) of pixels
  *outside* the scene's dirty regions that changed: those should never change.
"""
from __future__ import annotations

import math
import os
import shutil
from functools import lru_cache
from typing import Iterable

import numpy as np

from neuralos.scene import Box, Scene

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
PEAK = 255.0
OCR_SCALE = 2            # frames are upscaled this much before OCR: UI text is small for Tesseract
OCR_MIN_CONF = 0         # words Tesseract reports with confidence below this are dropped
CONTAINER_ROLES = frozenset({"Row", "Column", "List", "Card", "Tabs", "Modal", "window", "desktop",
                             "modal.scrim"})


def _check_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return a.astype(np.float64), b.astype(np.float64)


def mse(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    a, b = _check_pair(a, b)
    d = (a - b) ** 2
    if mask is not None:
        mask = np.asarray(mask, bool)
        if mask.shape != d.shape[:2]:
            raise ValueError(f"mask shape {mask.shape} does not match image {d.shape[:2]}")
        if not mask.any():
            return float("nan")
        d = d[mask]
    return float(d.mean())


def psnr_from_mse(m: float, peak: float = PEAK) -> float:
    """PSNR in dB of a mean squared error (inf for 0, nan for nan)."""
    if math.isnan(m):
        return float("nan")
    if m == 0:
        return math.inf
    return 10.0 * math.log10(peak * peak / m)


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, peak: float = PEAK) -> float:
    """PSNR in dB (inf when identical, nan when the mask is empty)."""
    return psnr_from_mse(mse(a, b, mask), peak)


def boxes_mask(boxes: Iterable[Box], height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), bool)
    full = Box(0, 0, width, height)
    for b in boxes:
        v = b.intersect(full) if b is not None else None
        if v is not None:
            mask[v.y:v.bottom, v.x:v.right] = True
    return mask


def visible_boxes(scene: Scene, exclude_roles: Iterable[str] = ("desktop",)) -> list[Box]:
    ex = set(exclude_roles)
    out = []
    for n in scene.nodes:
        if n.clip is None or n.role in ex:
            continue
        v = n.clip.intersect(n.box)
        if v is not None:
            out.append(v)
    return out


def component_mask(scene: Scene, exclude_roles: Iterable[str] = ("desktop",)) -> np.ndarray:
    """(H, W) bool: inside the visible box of any node whose role is not excluded."""
    return boxes_mask(visible_boxes(scene, exclude_roles), scene.height, scene.width)


def leaf_mask(scene: Scene) -> np.ndarray:
    """Inside leaf components only (text, inputs, buttons, media, chrome buttons): no containers,
    window bodies or desktop. The strictest 'where the content is' mask."""
    return component_mask(scene, CONTAINER_ROLES)


# ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def gaussian_kernel(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


def _filter_valid(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Separable 'valid' correlation of a (H, W, C) float64 image with the 1-D kernel k on both axes."""
    n = len(k)
    h, w = img.shape[:2]
    rows = np.zeros((h - n + 1,) + img.shape[1:], np.float64)
    for i, kv in enumerate(k):
        rows += kv * img[i:i + h - n + 1]
    out = np.zeros((rows.shape[0], w - n + 1) + img.shape[2:], np.float64)
    for i, kv in enumerate(k):
        out += kv * rows[:, i:i + w - n + 1]
    return out


def ssim_map(a: np.ndarray, b: np.ndarray, peak: float = PEAK) -> np.ndarray:
    """Per-window SSIM, (H-10, W-10, C) for 11x11 windows."""
    a, b = _check_pair(a, b)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    if min(a.shape[:2]) < SSIM_WINDOW:
        raise ValueError(f"images smaller than the {SSIM_WINDOW}x{SSIM_WINDOW} SSIM window: {a.shape}")
    k = gaussian_kernel()
    c1, c2 = (SSIM_K1 * peak) ** 2, (SSIM_K2 * peak) ** 2
    mu_a, mu_b = _filter_valid(a, k), _filter_valid(b, k)
    saa = _filter_valid(a * a, k) - mu_a * mu_a
    sbb = _filter_valid(b * b, k) - mu_b * mu_b
    sab = _filter_valid(a * b, k) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * sab + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (saa + sbb + c2)
    return num / den


def ssim(a: np.ndarray, b: np.ndarray, peak: float = PEAK) -> float:
    a_, b_ = np.asarray(a), np.asarray(b)
    if a_.shape == b_.shape and np.array_equal(a_, b_):
        return 1.0  # exact, without floating-point residue
    return float(ssim_map(a_, b_, peak).mean())


# ---------------------------------------------------------------------------------------------
def tesseract_status() -> tuple[bool, str]:
    """(available, reason/version)."""
    try:
        import pytesseract
    except ImportError:
        return False, "pytesseract is not installed"
    if shutil.which(getattr(pytesseract.pytesseract, "tesseract_cmd", "tesseract")) is None:
        return False, "the tesseract program is not installed (apt install tesseract-ocr)"
    try:
        return True, f"tesseract {pytesseract.get_tesseract_version()}"
    except Exception as e:  # TesseractNotFoundError and friends
        return False, f"tesseract does not run ({e})"


def ocr_words(frame: np.ndarray, scale: int = OCR_SCALE) -> list[dict]:
    """Words Tesseract reads in a frame: {"text", "conf", "box": Box in frame pixels}, reading order."""
    import pytesseract
    from PIL import Image

    # Tesseract's OpenMP threads fight over shared cores: one thread is ~3x faster on a busy machine.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    img = Image.fromarray(np.ascontiguousarray(frame, np.uint8), "RGB").convert("L")
    if scale != 1:
        img = img.resize((img.width * scale, img.height * scale), Image.Resampling.LANCZOS)
    d = pytesseract.image_to_data(img, config="--psm 11", output_type=pytesseract.Output.DICT)
    out = []
    for i, text in enumerate(d["text"]):
        text = (text or "").strip()
        conf = float(d["conf"][i])
        if not text or conf < OCR_MIN_CONF:
            continue
        box = Box(int(d["left"][i] / scale), int(d["top"][i] / scale),
                  max(1, int(d["width"][i] / scale)), max(1, int(d["height"][i] / scale)))
        out.append({"text": text, "conf": conf, "box": box,
                    "order": (d["block_num"][i], d["par_num"][i], d["line_num"][i], d["word_num"][i])})
    return out


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def scene_words(scene) -> set[str]:
    """The words the UI shows: every text run of the scene split on white space."""
    return {w for n in scene.nodes for run in n.text_runs for w in run.text.split()}


def ocr_compare(reference: np.ndarray, neural: np.ndarray, ref_words: list[dict] | None = None,
                words: set[str] | None = None) -> dict:
    """Words found in the reference that Tesseract also finds in the neural frame, and the CER.

    Returns {"available", "reference_words", "neural_words", "found", "word_recall", "cer", "missing"}; or
    {"available": False, "reason"} without Tesseract. With no reference words, recall and CER are
    None (nothing to read). With `words` (the UI's own words, `scene_words`), also "text_words", "text_found",
    "text_recall" and "text_missing": the same count over the reference words that are words of the UI. The
    rest are Tesseract reading icons and rules as letters ("©", "Ki"), tokens so unstable that the reference
    frame itself, with invisible ±1-level noise added, keeps only about 97 % of them (docs/neural.md)."""
    ok, why = tesseract_status()
    if not ok:
        return {"available": False, "reason": why}
    ref = ref_words if ref_words is not None else ocr_words(reference)
    neu = ocr_words(neural)
    found_words = _matched(ref, neu)
    ref_text = " ".join(w["text"] for w in ref)
    neu_text = " ".join(w["text"] for w in neu)
    seen = {x["text"] for x in neu}
    out = {"available": True, "reference_words": len(ref), "neural_words": len(neu), "found": len(found_words),
           "word_recall": len(found_words) / len(ref) if ref else None,
           "cer": levenshtein(neu_text, ref_text) / len(ref_text) if ref_text else None,
           "missing": [w["text"] for w in ref if w["text"] not in seen][:50]}
    if words is not None:
        text = [w for w in ref if w["text"] in words]
        found_text = _matched(text, neu)
        out.update(text_words=len(text), text_found=len(found_text),
                   text_recall=len(found_text) / len(text) if text else None,
                   text_missing=[w["text"] for w in text if w["text"] not in seen][:50])
    return out


def _matched(ref: list[dict], neu: list[dict]) -> list[dict]:
    """The reference words also read in the neural frame, each neural word used once."""
    pool: dict[str, int] = {}
    for w in neu:
        pool[w["text"]] = pool.get(w["text"], 0) + 1
    found = []
    for w in ref:
        if pool.get(w["text"], 0) > 0:
            pool[w["text"]] -= 1
            found.append(w)
    return found


ERROR_REGIONS = ("window edges", "text", "component edges", "flat", "desktop")
EDGE_BAND = 2            # px: "edges" are pixels this close to an outline


def error_regions(scene: Scene) -> dict[str, np.ndarray]:
    """Disjoint (H, W) bool masks covering the canvas, in `ERROR_REGIONS` order, each pixel in the first that
    claims it: within EDGE_BAND px of a window's outline (inside or out: border, shadow; a window painted later
    hides those under it), text (glyph coverage grown by 1 px), within EDGE_BAND px inside an edge of the
    innermost decorated box (borders, focus rings, corners), the rest of the component boxes, the desktop."""
    from neuralos.neural.conditioning import EDGE_SLICE, GEOMETRY_RANGE, GLYPH_CHANNEL, build_conditioning

    h, w, e = scene.height, scene.width, EDGE_BAND
    windows = np.zeros((h, w), bool)
    for n in scene.nodes:
        if n.role == "window" and n.clip is not None:
            b = n.box
            windows[max(b.y - e, 0):max(b.bottom + e, 0), max(b.x - e, 0):max(b.right + e, 0)] = True
            windows[max(b.y + e, 0):max(b.bottom - e, 0), max(b.x + e, 0):max(b.right - e, 0)] = False
    cond = build_conditioning(scene)
    ink = cond[GLYPH_CHANNEL] > 0
    text = ink.copy()
    text[1:] |= ink[:-1]
    text[:-1] |= ink[1:]
    text[:, 1:] |= text[:, :-1].copy()
    text[:, :-1] |= text[:, 1:].copy()
    text &= ~windows
    inside = component_mask(scene)
    edges = (cond[EDGE_SLICE].min(axis=0) < e / GEOMETRY_RANGE) & inside & ~windows & ~text
    flat = inside & ~windows & ~text & ~edges
    desktop = ~inside & ~windows
    return dict(zip(ERROR_REGIONS, (windows, text, edges, flat, desktop)))


def error_breakdown(reference: np.ndarray, neural: np.ndarray, scene: Scene) -> dict[str, dict]:
    """{region: {"pixels", "sse"}}: pixel count and summed squared error (all channels) of each
    `error_regions` mask; the sse values add up to the frame's."""
    a, b = _check_pair(reference, neural)
    se = ((a - b) ** 2).sum(axis=2)
    return {k: {"pixels": int(m.sum()), "sse": float(se[m].sum())} for k, m in error_regions(scene).items()}


def pool_breakdowns(frames: list[dict[str, dict]]) -> dict[str, dict]:
    """Breakdowns of several frames pooled: per region its share of all pixels, its share of the squared
    error and its PSNR (inf when exact, None when no pixel is in it)."""
    total_px = sum(r["pixels"] for f in frames for r in f.values()) or 1
    total_sse = sum(r["sse"] for f in frames for r in f.values())
    out = {}
    for k in ERROR_REGIONS:
        px = sum(f[k]["pixels"] for f in frames if k in f)
        sse = sum(f[k]["sse"] for f in frames if k in f)
        out[k] = {"pixel_share": px / total_px, "error_share": sse / total_sse if total_sse else 0.0,
                  "psnr": psnr_from_mse(sse / (3 * px)) if px else None}
    return out


# ---------------------------------------------------------------------------------------------
def temporal_stability(previous: np.ndarray, frame: np.ndarray, dirty: list[Box],
                       threshold: int = 0) -> dict:
    """Pixels outside `dirty` (the scene's changed regions) that changed by more than `threshold`
    (max over channels): {"outside_pixels", "changed_fraction", "max_change", "mean_change"}."""
    a, b = _check_pair(previous, frame)
    h, w = a.shape[:2]
    outside = ~boxes_mask(dirty, h, w)
    n = int(outside.sum())
    if n == 0:
        return {"outside_pixels": 0, "changed_fraction": 0.0, "max_change": 0.0, "mean_change": 0.0}
    diff = np.abs(a - b).max(axis=2)[outside]
    return {"outside_pixels": n, "changed_fraction": float((diff > threshold).mean()),
            "max_change": float(diff.max()), "mean_change": float(diff.mean())}


def frame_metrics(reference: np.ndarray, neural: np.ndarray, scene: Scene) -> dict:
    """PSNR (full, inside component boxes, inside leaf components), SSIM and MAE of one frame pair."""
    return {"psnr": psnr(reference, neural),
            "psnr_components": psnr(reference, neural, component_mask(scene)),
            "psnr_leaf": psnr(reference, neural, leaf_mask(scene)),
            "ssim": ssim(reference, neural),
            "mae": float(np.abs(reference.astype(np.float64) - neural.astype(np.float64)).mean())}


def difference_image(reference: np.ndarray, neural: np.ndarray, gain: float = 4.0) -> np.ndarray:
    """|reference - neural| per pixel (max over channels), amplified, as a heat map (uint8 RGB):
    black = identical, red..yellow..white = increasingly different."""
    d = np.abs(reference.astype(np.int16) - neural.astype(np.int16)).max(axis=2).astype(np.float32)
    d = np.clip(d * gain / 255.0, 0, 1)
    r = np.clip(d * 3, 0, 1)
    g = np.clip(d * 3 - 1, 0, 1)
    b = np.clip(d * 3 - 2, 0, 1)
    return (np.stack([r, g, b], axis=2) * 255).round().astype(np.uint8)


def json_safe(x):
    """Replace inf/nan floats by strings ("inf", "nan") so the result is strict JSON."""
    if isinstance(x, float):
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if math.isnan(x):
            return "nan"
        return x
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, Box):
        return [x.x, x.y, x.w, x.h]
    return x


def summarize(values: Iterable[float]) -> dict:
    """mean/median/min/max/count of finite values, and how many were infinite (identical frames)."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    finite = [v for v in vals if not math.isinf(v)]
    n_inf = len(vals) - len(finite)
    if not vals:
        return {"count": 0}
    out = {"count": len(vals), "infinite": n_inf}
    if finite:
        arr = np.asarray(finite, np.float64)
        out.update(mean=float(arr.mean()), median=float(np.median(arr)), min=float(arr.min()),
                   max=float(arr.max()))
    else:
        out.update(mean=math.inf, median=math.inf, min=math.inf, max=math.inf)
    return out
