"""Per-pixel conditioning maps built from the laid-out `Scene`: the neural renderer's only input.

The maps say *what* is where (roles, states, values), *where exactly* its edges are (geometry), *which
pixels are ink* (glyph coverage) and *which colours* the theme uses; plus the previous frame. They never
contain a pixel painted by the widget renderer for the frame being generated: the model paints every pixel.

Channels (`CONDITIONING_CHANNEL_NAMES`, in this order; the count is `CONDITIONING_CHANNELS`):

  role:<ROLE>       43  one per `neuralos.scene.ROLES` entry: 1 inside the visible box (clip) of every node and
                        part with that role. Roles accumulate (a label inside a primary button inside a card
                        is Text + button.primary + Button + Card ...), in paint order; a node whose role
                        occludes (`desktop`, `window`) first clears every map under its clip, so a window
                        raised over another hides the other's maps.
  state:<STATE>      7  one per `neuralos.scene.STATES`: the states of the innermost *decorated* box at the
                        pixel (a part gets its own states plus its node's). A component's states that one of
                        its parts carries are drawn on that part only (format 3): a check box shows checked,
                        hovered and focused on its indicator, a picker on its options, tabs on the selected
                        tab, so toggling one repaints the indicator, not the whole row; a window keeps its
                        focus on its frame too (its border shows it). A focused indicator also marks the
                        FOCUS_RING px around it focused (format 4): the widgets draw its focus ring there, on
                        its row, where the row's maps say no state. Layout-only boxes (Row, Column, List,
                        Text: no fill or border of their own) add their states but never clear others.
  value              1  `SceneNode.value` (0..1, e.g. a slider position) inside the node, else 0.
  edge:left/right/top/bottom
                     4  distance in pixels from the pixel to each edge of the innermost decorated box (its
                        full box, not the clip), clipped at GEOMETRY_RANGE and divided by it: 0 on the
                        edge pixel, 1 far inside. Together they place 1-px borders and rounded corners
                        exactly (a corner is where two of them are small). 1 where no box is decorated.
  glyph              1  ink coverage alpha (0..1), no colour: every `TextRun` drawn with QPainter in the
                        bundled DejaVu font at its baseline origin, pixel size, bold/italic/mono, hinting
                        off, clipped to its layout box and its node's clip; and the mark of every checked
                        indicator part (`neuralos.marks`: the check box tick, the radio dot), the same
                        shape the widgets paint; and the filled path of every custom icon (an Icon's
                        `svgPath`, `neuralos.svg_ink`). Ink under a window painted later is hidden, as in
                        the frame.
  theme:*           10  background RGB, foreground RGB, primary RGB (0..1) and the dark flag: constant planes,
                        except primary, which inside a window is its surface's primary colour
                        (`theme["surface_primary"][surface]`, A2UI `theme.primaryColor`) when it has one.
  previous.r/g/b     3  the previous frame in [-1, 1] (the model's own colour space), zeros when there is none.
  previous:present   1  1 when a previous frame was given, else 0.

The layout is part of the model format: changing it means bumping `neuralos.scene.MODEL_FORMAT_VERSION`
(`CONDITIONING_VERSION` is that number, recorded in every model's config).

Crops: `build_conditioning(scene, previous, region=box)` builds exactly the maps of the full frame inside
`box` (same numbers, cheaper), so dirty regions render with a context margin and training can use crops.
"""
from __future__ import annotations

import os
import threading
from typing import Iterable, NamedTuple

import numpy as np

from neuralos.marks import mark_of, paint_mark
from neuralos.scene import MODEL_FORMAT_VERSION, ROLES, STATES, Box, PathInk, Scene, SceneNode, TextRun
from neuralos.svg_ink import paint_ink

CONDITIONING_VERSION = MODEL_FORMAT_VERSION
GEOMETRY_RANGE = 8  # pixels: edge distances saturate here
FOCUS_RING = 3      # pixels: the widgets' focus ring around a check box or radio indicator (2 px pen, 2.5 px out)
FOCUS_RING_ROLES = frozenset({"check.indicator", "radio.indicator"})
OCCLUDING_ROLES = frozenset({"desktop", "window"})
LAYOUT_ONLY_ROLES = frozenset({"Row", "Column", "List", "Text"})
THEME_KEYS = ("background", "foreground", "primary")

CONDITIONING_CHANNEL_NAMES: tuple[str, ...] = (
    *(f"role:{r}" for r in ROLES),
    *(f"state:{s}" for s in STATES),
    "value",
    "edge:left", "edge:right", "edge:top", "edge:bottom",
    "glyph",
    *(f"theme:{k}.{c}" for k in THEME_KEYS for c in "rgb"), "theme:dark",
    "previous.r", "previous.g", "previous.b", "previous:present",
)
CONDITIONING_CHANNELS = len(CONDITIONING_CHANNEL_NAMES)

ROLE_SLICE = slice(0, len(ROLES))
STATE_SLICE = slice(ROLE_SLICE.stop, ROLE_SLICE.stop + len(STATES))
VALUE_CHANNEL = STATE_SLICE.stop
EDGE_SLICE = slice(VALUE_CHANNEL + 1, VALUE_CHANNEL + 5)
GLYPH_CHANNEL = EDGE_SLICE.stop
THEME_SLICE = slice(GLYPH_CHANNEL + 1, GLYPH_CHANNEL + 11)
PRIMARY_SLICE = slice(THEME_SLICE.start + 6, THEME_SLICE.start + 9)
PREVIOUS_SLICE = slice(THEME_SLICE.stop, THEME_SLICE.stop + 3)
PREVIOUS_FLAG = PREVIOUS_SLICE.stop
assert PREVIOUS_FLAG + 1 == CONDITIONING_CHANNELS

_ROLE_INDEX = {r: i for i, r in enumerate(ROLES)}
_STATE_INDEX = {s: i for i, s in enumerate(STATES)}


class Mark(NamedTuple):
    """An indicator mark in the glyph map: `neuralos.marks` kind ("tick", "dot") inside the indicator `box`."""

    kind: str
    box: Box


Ink = TextRun | Mark | PathInk      # what the glyph map draws


def channel_index(name: str) -> int:
    """Index of a channel by name, e.g. `channel_index("role:slider.handle")`."""
    return CONDITIONING_CHANNEL_NAMES.index(name)


def build_conditioning(scene: Scene, previous: np.ndarray | None = None, region: Box | None = None) -> np.ndarray:
    """The conditioning maps of `scene` (C, H, W) float32; with `region`, only that box (C, region.h, region.w).

    `previous` is the previous frame of the whole canvas, (scene.height, scene.width, 3) uint8, or None.
    """
    full = Box(0, 0, scene.width, scene.height)
    r = full if region is None else region
    if r.w <= 0 or r.h <= 0 or r.intersect(full) != r:
        raise ValueError(f"region {r} is not inside the {scene.width}x{scene.height} canvas")
    out = np.zeros((CONDITIONING_CHANNELS, r.h, r.w), np.float32)
    out[EDGE_SLICE] = 1.0

    theme = theme_vector(scene.theme)
    out[THEME_SLICE] = np.asarray(theme, np.float32)[:, None, None]
    base_primary = tuple(theme[6:9])
    surface_primary = scene.theme.get("surface_primary") or {}

    glyph_ops: list[tuple[Ink | None, Box]] = []   # in paint order: (ink, clip) draws, (None, box) clears
    drawn: list[tuple[int | slice, Box]] = []   # the scene maps set so far: (channel(s), canvas box), for `_occlude`
    for node in scene.nodes:
        if node.clip is None:
            continue
        vis = node.clip.intersect(node.box)
        vis = vis.intersect(r) if vis is not None else None
        if vis is not None and node.role in OCCLUDING_ROLES and glyph_ops:
            glyph_ops.append((None, vis))
        own_ink: list[tuple[Ink, Box]] = []   # drawn over the node's parts: a modal's ✕ over its panel
        for run in node.text_runs:
            clip = node.clip if run.box is None else run.box.intersect(node.clip)
            clip = clip.intersect(r) if clip is not None else None
            if clip is not None and run.text.strip():
                own_ink.append((run, clip))
        if node.paths and vis is not None:
            own_ink.extend((path, vis) for path in node.paths)
        if vis is None:
            glyph_ops.extend(own_ink)
            continue
        sl = _local(vis, r)
        if node.role in OCCLUDING_ROLES:
            _occlude(out, drawn, vis, r)
            if node.role == "window":   # a surface's theme.primaryColor recolours its window
                primary = surface_primary.get(node.window or node.surface)
                if primary is not None:
                    out[(PRIMARY_SLICE, *sl)] = np.asarray(_color(primary, base_primary), np.float32)[:, None, None]
        if node.role in _ROLE_INDEX:
            _draw(out, drawn, ROLE_SLICE.start + _ROLE_INDEX[node.role], vis, r, 1.0)
        if node.value is not None:
            _draw(out, drawn, VALUE_CHANNEL, vis, r, float(node.value))
        own = own_states(node)
        if node.role in LAYOUT_ONLY_ROLES:
            for s in own:
                if s in _STATE_INDEX:
                    _draw(out, drawn, STATE_SLICE.start + _STATE_INDEX[s], vis, r, 1.0)
        else:
            _decorate(out, drawn, node.box, vis, own, r)
        for part in node.parts:
            pvis = part.box.intersect(node.clip)
            pvis = pvis.intersect(r) if pvis is not None else None
            if pvis is None:
                continue
            if part.role in OCCLUDING_ROLES:
                if glyph_ops:
                    glyph_ops.append((None, pvis))
                _occlude(out, drawn, pvis, r)
            if part.role in _ROLE_INDEX:
                _draw(out, drawn, ROLE_SLICE.start + _ROLE_INDEX[part.role], pvis, r, 1.0)
            states = part.states | node.states
            if "focused" in states and part.role in FOCUS_RING_ROLES:
                ring = part.box.grow(FOCUS_RING).intersect(vis)   # within its row, as the widget clips it
                if ring is not None:
                    _draw(out, drawn, STATE_SLICE.start + _STATE_INDEX["focused"], ring, r, 1.0)
            _decorate(out, drawn, part.box, pvis, states, r)
            kind = mark_of(part.role, states)
            if kind is not None:
                glyph_ops.append((Mark(kind, part.box), pvis))
        glyph_ops.extend(own_ink)

    if any(ink is not None for ink, _ in glyph_ops):
        out[GLYPH_CHANNEL] = glyph_mask(glyph_ops, r)
    if previous is not None:
        previous = np.asarray(previous)
        if previous.shape != (scene.height, scene.width, 3) or previous.dtype != np.uint8:
            raise ValueError(f"previous frame must be uint8 ({scene.height}, {scene.width}, 3), "
                             f"not {previous.dtype} {previous.shape}")
        crop = previous[r.y:r.bottom, r.x:r.right]                              # (h, w, 3)
        out[PREVIOUS_SLICE] = crop.transpose(2, 0, 1) * np.float32(2 / 255) - 1
        out[PREVIOUS_FLAG] = 1.0
    return out


def conditioning_for_region(scene: Scene, previous: np.ndarray | None, region: Box) -> np.ndarray:
    """The maps of `region` only (C, region.h, region.w): identical to the same crop of the full maps."""
    return build_conditioning(scene, previous, region=region)


def own_states(node: SceneNode) -> frozenset[str]:
    """The states drawn over a node's whole box: its states but those one of its parts carries (the part shows
    them: a check box's indicator, a picker's option, the selected tab); a window keeps all of them, as its
    frame shows its focus as well as its title bar."""
    if node.role in OCCLUDING_ROLES or not node.parts:
        return node.states
    return node.states - frozenset().union(*(p.states for p in node.parts))


def _local(b: Box, r: Box) -> tuple[slice, slice]:
    return slice(b.y - r.y, b.bottom - r.y), slice(b.x - r.x, b.right - r.x)


def _draw(out: np.ndarray, drawn: list, channel: int, vis: Box, r: Box, value: float) -> None:
    out[(channel, *_local(vis, r))] = value
    drawn.append((channel, vis))


def _occlude(out: np.ndarray, drawn: list, vis: Box, r: Box) -> None:
    """An opaque box (the desktop, a window) over `vis`: the scene maps drawn there before go back to nothing (no
    role, state or value, edge distances 1). Only those: the maps are most of a frame's 220 MB, and writing
    them all again over each window cost more than the rest of a whole frame's maps."""
    for channel, box in drawn:
        under = box.intersect(vis)
        if under is not None:
            out[(channel, *_local(under, r))] = 1.0 if channel == EDGE_SLICE else 0.0


def _decorate(out: np.ndarray, drawn: list, box: Box, vis: Box, states: Iterable[str], r: Box) -> None:
    """Make `box` the innermost decorated box over `vis`: its edge distances and its states."""
    drawn.extend(((EDGE_SLICE, vis), (STATE_SLICE, vis)))
    ys, xs = _local(vis, r)
    k = float(GEOMETRY_RANGE)
    cols = np.arange(vis.x, vis.right, dtype=np.float32)
    rows = np.arange(vis.y, vis.bottom, dtype=np.float32)
    e = EDGE_SLICE.start
    out[e + 0, ys, xs] = np.minimum(cols - box.x, k)[None, :] / k
    out[e + 1, ys, xs] = np.minimum(box.right - 1 - cols, k)[None, :] / k
    out[e + 2, ys, xs] = np.minimum(rows - box.y, k)[:, None] / k
    out[e + 3, ys, xs] = np.minimum(box.bottom - 1 - rows, k)[:, None] / k
    out[STATE_SLICE, ys, xs] = 0.0
    for s in states:
        if s in _STATE_INDEX:
            out[STATE_SLICE.start + _STATE_INDEX[s], ys, xs] = 1.0


# --- theme ----------------------------------------------------------------------------------------------------

def _color(value, default: tuple[float, float, float]) -> tuple[float, float, float]:
    """An RGB triple in 0..1 from '#rgb', '#rrggbb', '#rrggbbaa' (alpha ignored) or [r, g, b] (0..255 ints or 0..1)."""
    if isinstance(value, str):
        v = value.strip().lstrip("#")
        if len(v) == 3:
            v = "".join(c * 2 for c in v)
        if len(v) in (6, 8):
            try:
                return tuple(int(v[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
            except ValueError:
                return default
        return default
    if isinstance(value, (list, tuple)) and len(value) >= 3:
        vals = [float(c) for c in value[:3]]
        if all(isinstance(c, int) for c in value[:3]) or max(vals) > 1.0:
            vals = [c / 255 for c in vals]
        return tuple(min(max(c, 0.0), 1.0) for c in vals)  # type: ignore[return-value]
    return default


def theme_vector(theme: dict) -> list[float]:
    """[background rgb, foreground rgb, primary rgb, dark] in 0..1 from `Scene.theme`."""
    dark = bool(theme.get("dark", False))
    defaults = {"background": (0.12, 0.12, 0.12) if dark else (0.94, 0.94, 0.94),
                "foreground": (0.9, 0.9, 0.9) if dark else (0.1, 0.1, 0.1),
                "primary": (0.2, 0.4, 0.8)}
    vec: list[float] = []
    for k in THEME_KEYS:
        vec.extend(_color(theme.get(k), defaults[k]))
    vec.append(1.0 if dark else 0.0)
    return vec


# --- glyph coverage -------------------------------------------------------------------------------------------

_qt_lock = threading.Lock()
_qt_app = None
_fonts_loaded = False


def _ensure_qt():
    """A Qt application for QPainter text (the shared one when the widget layer provides it)."""
    global _qt_app, _fonts_loaded
    with _qt_lock:
        try:
            from neuralos.widgets.app import ensure_app  # the widget layer's shared app and font setup
        except ImportError:
            ensure_app = None
        if ensure_app is not None:
            _qt_app = ensure_app()
        else:
            from PySide6.QtWidgets import QApplication
            _qt_app = QApplication.instance()
            if _qt_app is None:
                if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
                    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
                _qt_app = QApplication([])
        if not _fonts_loaded:
            from PySide6.QtGui import QFontDatabase

            from neuralos.resources import FONTS
            for f in sorted(FONTS.glob("*.ttf")):
                QFontDatabase.addApplicationFont(str(f))
            _fonts_loaded = True
    return _qt_app


def _font(run: TextRun):
    """The font the widget renderer painted `run` with (`neuralos.widgets.app.make_font` when present)."""
    px = max(1, int(round(run.size_px)))
    try:
        from neuralos.widgets.app import make_font
    except ImportError:
        make_font = None
    if make_font is not None:
        return make_font(px, run.bold, run.italic, run.mono)
    from PySide6.QtGui import QFont
    font = QFont("DejaVu Sans Mono" if run.mono else "DejaVu Sans")
    font.setPixelSize(px)
    font.setBold(run.bold)
    font.setItalic(run.italic)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    font.setStyleStrategy(QFont.StyleStrategy(QFont.StyleStrategy.PreferAntialias
                                              | QFont.StyleStrategy.NoSubpixelAntialias))
    font.setKerning(True)
    return font


def glyph_mask(ops: list[tuple[Ink | None, Box]], region: Box) -> np.ndarray:
    """Coverage (region.h, region.w) float32 in 0..1, painting `ops` in order (canvas coordinates):
    (run, clip) draws a text run clipped to `clip`; (mark, clip) an indicator mark; (path, clip) a custom icon's
    shape; (None, box) clears `box` (an occluding window)."""
    _ensure_qt()
    from PySide6.QtCore import QPointF, QRect
    from PySide6.QtGui import QColor, QImage, QPainter

    img = QImage(region.w, region.h, QImage.Format.Format_Alpha8)
    img.fill(0)
    p = QPainter(img)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        ink = QColor(255, 255, 255, 255)
        p.setPen(ink)
        p.translate(-region.x, -region.y)
        fonts: dict = {}
        for run, clip in ops:
            rect = QRect(clip.x, clip.y, clip.w, clip.h)
            if run is None:
                p.setClipping(False)
                p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
                p.fillRect(rect, QColor(0, 0, 0, 0))
                p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
                continue
            p.setClipRect(rect)
            if isinstance(run, Mark):
                paint_mark(p, run.kind, run.box, ink)
                continue
            if isinstance(run, PathInk):
                paint_ink(p, run, ink)
                continue
            key = (run.size_px, run.bold, run.italic, run.mono)
            if key not in fonts:
                fonts[key] = _font(run)
            p.setFont(fonts[key])
            p.drawText(QPointF(run.x, run.y), run.text)
    finally:
        p.end()
    a = np.frombuffer(img.constBits(), np.uint8).reshape(region.h, img.bytesPerLine())[:, :region.w]
    return a.astype(np.float32) * np.float32(1 / 255)


def node_boxes(scene: Scene, roles: Iterable[str] | None = None) -> list[tuple[SceneNode, Box]]:
    """Visible (node, box) pairs, optionally of some roles only: handy for region lists and metrics."""
    wanted = None if roles is None else set(roles)
    out = []
    for n in scene.nodes:
        if n.clip is None or (wanted is not None and n.role not in wanted):
            continue
        vis = n.clip.intersect(n.box)
        if vis is not None:
            out.append((n, vis))
    return out
