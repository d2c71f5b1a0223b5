"""Is each component's state drawn right? A counterfactual check for `neuralos eval`.

For a held-out state the widget renderer also paints the same UI with components in other states: the
interaction steps of the script left out from each point on (not typed into, not pressed, not focused, not
hovered), each check box or option flipped, each slider moved to the far end, another tab selected, the
pointer put on each component. A component's state is drawn right when the neural pixels in its box are
nearer (mean squared error) the reference pixels than the pixels of every other state that looks different
there. This asks what the target asks (this state, not another); the eval's PSNR bar per component asks how
crisply, and is reported beside it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from neuralos.neural.data import ReplayError, render_state
from neuralos.neural.metrics import mse
from neuralos.neural.states import UIState
from neuralos.scene import Box, Scene, SceneNode

INTERACTION_OPS = frozenset({"move", "press", "release", "click", "type", "key", "scroll"})
FLIPPABLE = ("CheckBox", "ChoicePicker", "Slider", "Tabs")
CLICK_TO_FOCUS = ("TextField",)     # a click only focuses these (a button's click runs its action)


@dataclass
class Alternative:
    """The widget renderer's frame of the same UI in another state."""

    label: str
    frame: np.ndarray
    scene: Scene


def visible_box(n: SceneNode) -> Box | None:
    box = n.clip.intersect(n.box) if n.clip is not None else None
    return box if box is not None and box.w >= 2 and box.h >= 2 else None


def stateful_nodes(scene: Scene, roles) -> list[SceneNode]:
    return [n for n in scene.nodes if n.role in roles and visible_box(n) is not None]


# -- the other states ------------------------------------------------------------------------------
def _without_interactions_from(state: UIState, k: int) -> UIState:
    """The state with its interaction steps from the k-th on left out."""
    script, seen = [], 0
    for step in state.script:
        if step.get("op") in INTERACTION_OPS:
            seen += 1
            if seen > k:
                continue
        script.append(step)
    return replace(state, script=script)


def _flip(node: SceneNode) -> Callable | None:
    """A change of the node's own value through its widget (a user edit), or None for roles without one."""
    def alter(canvas, _router):
        w = canvas.widget_for(node.key)
        if w is None:
            raise ReplayError(f"no widget for {node.key}")
        if node.role == "CheckBox":
            w.toggle()
        elif node.role == "ChoicePicker":
            values = w.view.values
            if not values:
                raise ReplayError(f"{node.key} has no options")
            off = [i for i, v in enumerate(values) if v not in w.selected]
            w.toggle(off[0] if off and not w.multiple else 0)
        elif node.role == "Slider":
            s = w.slider
            s.setValue(s.minimum() if s.value() > (s.minimum() + s.maximum()) / 2 else s.maximum())
        elif node.role == "Tabs":
            if len(w.pages) < 2:
                raise ReplayError(f"{node.key} has one tab")
            w.select(1 if w.selected == 0 else 0)
    return alter if node.role in FLIPPABLE else None


def _point_at(node: SceneNode, click: bool = False) -> Callable:
    """The pointer moved onto the node (its first part: the indicator, handle or tab, else its centre), and
    with `click` clicked there."""
    target = node.parts[0].box if node.parts else visible_box(node)

    def alter(canvas, router):
        x, y = target.center
        hit = canvas.scene().hit_test(x, y)
        if hit is None or hit.window != node.window:
            raise ReplayError(f"{node.key} is covered at {x},{y}")
        (router.click if click else router.move)(x, y)
    return alter


def alternatives(state: UIState, scene: Scene, roles) -> list[Alternative]:
    """The widget renderer's frames of the state's UI with components in other states (see the module)."""
    jobs: list[tuple[str, UIState, Callable | None]] = []
    ops = [i for i, s in enumerate(state.script) if s.get("op") in INTERACTION_OPS]
    for k in range(len(ops)):
        step = state.script[ops[k]]
        jobs.append((f"without input from script/{ops[k]} ({step['op']}) on", _without_interactions_from(state, k), None))
    # A button held down keeps the pointer (Qt's mouse grab): the pointer goes elsewhere in the state without it.
    pointer_base = _without_interactions_from(state, 0) if ops and state.script[ops[-1]]["op"] == "press" else state
    for n in stateful_nodes(scene, roles):
        flip = _flip(n)
        if flip is not None:
            jobs.append((f"{n.key} changed", state, flip))
        if "hovered" not in n.states:
            jobs.append((f"pointer on {n.key}", pointer_base, _point_at(n)))
        if n.role in CLICK_TO_FOCUS and "focused" not in n.states:
            jobs.append((f"click on {n.key}", pointer_base, _point_at(n, click=True)))
    out = []
    for label, st, alter in jobs:
        try:
            r = render_state(st, alter)
        except ReplayError:     # e.g. the component is covered there: that state cannot be shown
            continue
        out.append(Alternative(label, r.frame, r.scene))
    return out


# -- the check -------------------------------------------------------------------------------------
def _signature(n: SceneNode | None):
    if n is None:
        return None
    return (n.states, n.value, tuple((p.role, p.states) for p in n.parts))


def check(reference: np.ndarray, scene: Scene, neural: np.ndarray, alts: list[Alternative], roles) -> list[dict]:
    """Per stateful component: the other states that look different in its box and whether the neural
    pixels there are nearer the reference than each of them (`right`); components that no other state
    changes are left out (nothing to tell apart)."""
    out, by_key = [], [{m.key: m for m in a.scene.nodes} for a in alts]
    for n in stateful_nodes(scene, roles):
        box = visible_box(n)
        sl = (slice(box.y, box.bottom), slice(box.x, box.right))
        ref, neu = reference[sl], neural[sl]
        d_ref = mse(neu, ref)
        tests = []
        for a, nodes in zip(alts, by_key):
            other = nodes.get(n.key)
            alt = a.frame[sl]
            if _signature(other) == _signature(n) or np.array_equal(alt, ref):
                continue    # not another state of this component, or one that looks the same
            d_alt = mse(neu, alt)
            tests.append({"other": a.label, "states": sorted(other.states) if other else None,
                          "mse_other": d_alt, "ok": d_ref < d_alt})
        if tests:
            out.append({"key": n.key, "role": n.role, "states": sorted(n.states), "box": [box.x, box.y, box.w, box.h],
                        "mse": d_ref, "tests": tests, "right": all(t["ok"] for t in tests),
                        "margin": min(t["mse_other"] for t in tests) / max(d_ref, 1e-9)})
    return out
