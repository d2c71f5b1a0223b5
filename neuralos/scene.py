"""The laid-out scene: what is where on the desktop canvas, computed once per state change.

One layout pass (done by the widget layer, `neuralos.widgets.canvas`) yields a `Scene`. Both painters
use it: the widget renderer to know what it painted, the neural renderer as its conditioning
(`neuralos.neural.conditioning`), and all input handling for hit-testing. No Qt in this module.

Coordinates are canvas pixels, origin top-left; boxes are half-open [x, x+w) x [y, y+h).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

# Every role a box can have. The neural conditioning has one channel per role, so this list is part
# of the model's input format: append only, never reorder (MODEL_FORMAT_VERSION guards it).
COMPONENT_ROLES = (
    "Text", "Image", "Icon", "Video", "AudioPlayer", "Row", "Column", "List", "Card", "Tabs", "Modal",
    "Divider", "Button", "TextField", "CheckBox", "ChoicePicker", "Slider", "DateTimeInput",
)
PART_ROLES = (
    "desktop",            # the canvas background
    "window",             # a window's frame (border + body)
    "window.title",       # title bar
    "window.close",       # title-bar close button
    "window.minimize",    # title-bar minimise button
    "button.primary",     # a Button with variant primary (filled with the primary colour)
    "button.borderless",  # a Button with variant borderless
    "input.frame",        # the editable frame of a TextField / DateTimeInput / dropdown
    "input.cursor",       # the text cursor of the focused input
    "input.selection",    # selected text
    "check.indicator",    # CheckBox box or ChoicePicker radio/check indicator
    "radio.indicator",
    "slider.groove",
    "slider.filled",      # the groove part left of the handle
    "slider.handle",
    "tab",                # a tab in a tab bar
    "tab.selected",
    "list.item",          # an option row of a ChoicePicker or an item of a List
    "placeholder",        # Image/Video/AudioPlayer labelled placeholder (media is never fetched)
    "modal.scrim",        # the dimmed backdrop of an open Modal
    "validation.error",   # a failed check's message area
    "chip",               # a ChoicePicker chip
    "chip.selected",
    "scrollbar",
    "scrollbar.handle",
)
ROLES = COMPONENT_ROLES + PART_ROLES
STATES = ("hovered", "pressed", "focused", "checked", "disabled", "selected", "invalid")
MODEL_FORMAT_VERSION = 4   # 2: the glyph map also inks the marks of checked indicators (tick, dot); 3: a component's
                           # states that its parts carry are drawn on those parts only; 4: a focused indicator's
                           # focus ring band is focused too


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.right and self.y <= py < self.bottom

    def intersect(self, other: "Box") -> "Box | None":
        x, y = max(self.x, other.x), max(self.y, other.y)
        r, b = min(self.right, other.right), min(self.bottom, other.bottom)
        return Box(x, y, r - x, b - y) if r > x and b > y else None

    def union(self, other: "Box") -> "Box":
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def grow(self, margin: int) -> "Box":
        return Box(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class TextRun:
    """One line of text as painted: baseline origin (x, y), pixel size, weight, and the ink box."""

    text: str
    x: float
    y: float
    size_px: float
    bold: bool = False
    italic: bool = False
    mono: bool = False
    box: Box | None = None  # the rect the text was laid out in (clip), canvas coordinates


@dataclass(frozen=True)
class PathInk:
    """A filled vector shape as painted (an Icon's `svgPath`): SVG path data `d`, scaled by `scale`, its origin
    moved to canvas (x, y). `neuralos.svg_ink` draws it for both renderers."""

    d: str
    x: float
    y: float
    scale: float


@dataclass(frozen=True)
class Part:
    """A sub-element of a component with its own role: a slider handle, a checkbox indicator, a tab."""

    role: str
    box: Box
    states: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SceneNode:
    """One visible component (or window chrome) in paint order."""

    key: str                  # unique in the scene: "surface/component" (+ "#i" for template items)
    surface: str              # surface id ("" for desktop chrome)
    component_id: str         # A2UI component id, or a chrome name ("window", "close", ...)
    role: str                 # a ROLES entry
    box: Box                  # full box, canvas coordinates
    clip: Box | None          # the visible part of box (None: fully clipped, not hit-testable)
    states: frozenset[str] = frozenset()
    text_runs: tuple[TextRun, ...] = ()
    parts: tuple[Part, ...] = ()
    text: str = ""            # the displayed text (label, value), for expectations and OCR checks
    value: float | None = None  # normalised 0..1 where the role has one (slider position)
    interactive: bool = False  # receives clicks/keys (hit-testing prefers these)
    window: str = ""          # surface id of the window this node sits in ("" for the desktop)
    paths: tuple[PathInk, ...] = ()   # filled shapes painted in the text colour (custom icons)

    def has(self, state: str) -> bool:
        return state in self.states


@dataclass
class Scene:
    """A laid-out canvas. `nodes` are in paint order: later nodes are drawn over earlier ones."""

    width: int
    height: int
    theme: dict = field(default_factory=dict)   # {"name", "dark", "background", "foreground", "primary", ...}
    nodes: list[SceneNode] = field(default_factory=list)

    def __iter__(self) -> Iterator[SceneNode]:
        return iter(self.nodes)

    def node(self, key: str) -> SceneNode | None:
        return next((n for n in self.nodes if n.key == key), None)

    def hit_test(self, x: float, y: float, interactive_only: bool = False) -> SceneNode | None:
        """The topmost node whose visible box contains (x, y); interactive ones win over their parents."""
        best = None
        for n in reversed(self.nodes):
            if n.clip is None or not n.clip.contains(x, y):
                continue
            if n.interactive:
                return n
            if best is None and not interactive_only:
                best = n
        return best

    def find(self, *, text: str | None = None, component_id: str | None = None,
             surface: str | None = None) -> list[SceneNode]:
        """Visible nodes showing `text` (substring, case-sensitive) and/or with `component_id`, topmost first."""
        out = []
        for n in reversed(self.nodes):
            if n.clip is None:
                continue
            if surface is not None and n.surface != surface:
                continue
            if component_id is not None and n.component_id != component_id:
                continue
            if text is not None and text not in n.text:
                continue
            out.append(n)
        return out

    def texts(self) -> list[str]:
        return [n.text for n in self.nodes if n.clip is not None and n.text]

    def dirty_regions(self, previous: "Scene | None", margin: int = 0) -> list[Box]:
        """Boxes that may look different from `previous`: nodes added, removed or changed, grown by margin.

        Returns the whole canvas when there is no comparable previous scene.
        """
        full = Box(0, 0, self.width, self.height)
        if previous is None or (previous.width, previous.height) != (self.width, self.height) \
                or previous.theme != self.theme:
            return [full]
        before = {n.key: n for n in previous.nodes}
        after = {n.key: n for n in self.nodes}
        boxes: list[Box] = []
        order_before = [k for k in before]
        order_after = [k for k in after]
        for key in before.keys() | after.keys():
            a, b = before.get(key), after.get(key)
            if a == b:
                continue
            for n in (a, b):
                if n is not None and n.clip is not None:
                    boxes.append(n.clip)
        # A node whose paint order changed (window raised) is dirty too.
        common = [k for k in order_before if k in after]
        if common != [k for k in order_after if k in before]:
            for k in common:
                for n in (before[k], after[k]):
                    if n.clip is not None:
                        boxes.append(n.clip)
        return merge_boxes([b.grow(margin).intersect(full) for b in boxes if b.grow(margin).intersect(full)])

    def to_dict(self) -> dict:
        return {"width": self.width, "height": self.height, "theme": self.theme,
                "nodes": [_node_to_dict(n) for n in self.nodes]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict) -> "Scene":
        return cls(d["width"], d["height"], d.get("theme", {}), [_node_from_dict(n) for n in d["nodes"]])


def merge_boxes(boxes: Iterable[Box]) -> list[Box]:
    """Merge overlapping boxes until none overlap, so a region is never rendered twice."""
    pending = [b for b in boxes if b is not None]
    merged: list[Box] = []
    while pending:
        cur = pending.pop()
        changed = True
        while changed:
            changed = False
            for other in list(pending):
                if cur.intersect(other) is not None:
                    cur = cur.union(other)
                    pending.remove(other)
                    changed = True
            for other in list(merged):
                if cur.intersect(other) is not None:
                    cur = cur.union(other)
                    merged.remove(other)
                    changed = True
        merged.append(cur)
    return sorted(merged, key=lambda b: (b.y, b.x))


def _box(d) -> Box | None:
    return Box(**d) if d is not None else None


def _node_to_dict(n: SceneNode) -> dict:
    d = asdict(n)
    d["states"] = sorted(n.states)
    d["parts"] = [{"role": p.role, "box": asdict(p.box), "states": sorted(p.states)} for p in n.parts]
    return d


def _node_from_dict(d: dict) -> SceneNode:
    return SceneNode(
        key=d["key"], surface=d["surface"], component_id=d["component_id"], role=d["role"],
        box=_box(d["box"]), clip=_box(d["clip"]), states=frozenset(d.get("states", ())),
        text_runs=tuple(TextRun(**{**r, "box": _box(r.get("box"))}) for r in d.get("text_runs", ())),
        parts=tuple(Part(p["role"], _box(p["box"]), frozenset(p.get("states", ()))) for p in d.get("parts", ())),
        text=d.get("text", ""), value=d.get("value"), interactive=d.get("interactive", False),
        window=d.get("window", ""), paths=tuple(PathInk(**p) for p in d.get("paths", ())),
    )
