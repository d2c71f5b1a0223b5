"""Hand-built scenes and tiny synthetic training data for the neural renderer's tests.

`painted_frame` is a stand-in for the widget renderer: flat role colours, 1-px borders and glyph ink, so a
model can fit it in a few steps. Real renderer frames are only needed for real training.
"""
from __future__ import annotations

import numpy as np

from neuralos.scene import Box, Part, Scene, SceneNode, TextRun

THEME = {"name": "light", "dark": False, "background": "#ffffff", "foreground": "#1f2328", "primary": "#1a73e8",
         "surface_primary": {"b": "#aa3300"}}


def hand_scene(w: int = 160, h: int = 120) -> Scene:
    """Desktop, window "a" (slider, checked checkbox, a label, a primary button), window "b" over part of "a"."""
    full = Box(0, 0, w, h)
    win_a = Box(4, 4, 120, 100)
    win_b = Box(96, 60, 60, 56)
    return Scene(w, h, dict(THEME), [
        SceneNode("@desktop", "", "desktop", "desktop", full, full),
        SceneNode("a/@window", "a", "window", "window", win_a, win_a, states=frozenset({"focused"}), window="a",
                  parts=(Part("window.title", Box(5, 5, 118, 16)),)),
        SceneNode("a/slider", "a", "slider", "Slider", Box(10, 30, 80, 12), Box(10, 30, 80, 12), value=0.25,
                  interactive=True, window="a",
                  parts=(Part("slider.groove", Box(10, 35, 80, 3)), Part("slider.filled", Box(10, 35, 20, 3)),
                         Part("slider.handle", Box(26, 30, 10, 12), frozenset({"hovered"})))),
        SceneNode("a/cb", "a", "cb", "CheckBox", Box(10, 48, 70, 16), Box(10, 48, 70, 16),
                  states=frozenset({"checked"}), interactive=True, window="a", text="Zoë",
                  text_runs=(TextRun("Zoë", 28, 60, 12.0, box=Box(26, 48, 40, 16)),),
                  parts=(Part("check.indicator", Box(10, 50, 12, 12), frozenset({"checked"})),)),
        SceneNode("a/label", "a", "label", "Text", Box(10, 70, 110, 16), Box(10, 70, 110, 16), window="a",
                  text="Hidden below b", text_runs=(TextRun("Hidden below b", 10, 82, 13.0, box=Box(10, 70, 110, 16)),)),
        SceneNode("b/@window", "b", "window", "window", win_b, win_b, window="b"),
        SceneNode("b/ok", "b", "ok", "Button", Box(104, 80, 40, 20), Box(104, 80, 40, 20), window="b",
                  interactive=True, text="OK", parts=(Part("button.primary", Box(104, 80, 40, 20)),),
                  text_runs=(TextRun("OK", 114, 95, 12.0, bold=True, box=Box(104, 80, 40, 20)),)),
    ])


def random_scene(rng: np.random.Generator, w: int = 96, h: int = 64) -> Scene:
    """A desktop with one window holding a few random buttons/checkboxes/texts."""
    full = Box(0, 0, w, h)
    win = Box(2, 2, w - 4, h - 4)
    nodes = [SceneNode("@desktop", "", "desktop", "desktop", full, full),
             SceneNode("s/@window", "s", "window", "window", win, win, window="s")]
    for i in range(int(rng.integers(2, 5))):
        bw, bh = int(rng.integers(20, 44)), int(rng.integers(12, 20))
        x, y = int(rng.integers(4, w - bw - 4)), int(rng.integers(4, h - bh - 4))
        role = ("Button", "CheckBox", "Text")[int(rng.integers(3))]
        box = Box(x, y, bw, bh)
        states = frozenset({"hovered"}) if rng.random() < 0.3 else frozenset()
        parts = (Part("check.indicator", Box(x, y + 2, 8, 8)),) if role == "CheckBox" else ()
        runs = (TextRun("Ab" if i % 2 else "xy", x + 10, y + bh - 4, 10.0, box=box),)
        nodes.append(SceneNode(f"s/n{i}", "s", f"n{i}", role, box, box, states=states, parts=parts,
                               text_runs=runs, window="s"))
    return Scene(w, h, dict(THEME), nodes)


ROLE_COLOURS = {"desktop": (74, 109, 148), "window": (255, 255, 255), "Button": (238, 240, 243),
                "CheckBox": (250, 250, 250), "Text": (255, 255, 255), "check.indicator": (26, 115, 232),
                "button.primary": (26, 115, 232)}


def painted_frame(scene: Scene) -> np.ndarray:
    """A simple reference frame for `scene`: role fills in paint order, dark borders, black glyph ink."""
    from neuralos.neural.conditioning import GLYPH_CHANNEL, build_conditioning

    frame = np.zeros((scene.height, scene.width, 3), np.float32)
    for n in scene.nodes:
        for role, box in [(n.role, n.box)] + [(p.role, p.box) for p in n.parts]:
            if role == "Text":
                continue
            c = np.array(ROLE_COLOURS.get(role, (200, 200, 200)), np.float32)
            if "hovered" in n.states:
                c = c * 0.9
            frame[box.y:box.bottom, box.x:box.right] = c
            if role not in ("desktop",):
                frame[box.y:box.bottom, [box.x, box.right - 1]] = 60
                frame[[box.y, box.bottom - 1], box.x:box.right] = 60
    glyph = build_conditioning(scene, None)[GLYPH_CHANNEL][..., None]
    frame = frame * (1 - glyph) + 20 * glyph
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def synthetic_pairs(n: int, w: int = 96, h: int = 64, seed: int = 0):
    """n (conditioning, frame) pairs of random scenes."""
    from neuralos.neural.conditioning import build_conditioning

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = random_scene(rng, w, h)
        out.append((build_conditioning(s, None), painted_frame(s)))
    return out


TINY_MODEL = dict(block_out_channels=(16, 32), norm_num_groups=4, stem_channels=4, feature_channels=4,
                  refine_stem_channels=4, refine_channels=8)


def tiny_model(seed: int = 0, **overrides):
    import torch

    from neuralos.neural.model import UIRendererModel

    torch.manual_seed(seed)
    return UIRendererModel(**{**TINY_MODEL, **overrides})
