"""`neuralos render INPUT --out PNG`: paint A2UI messages to a PNG, headless.

INPUT is JSONL, a JSON array of messages, or an object with a `messages` array (`-` reads stdin).
The widget renderer's PNG is byte-identical on every run and machine (bundled fonts, hinting off).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from neuralos.cli._common import DEFAULT_SIZE, size_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "render", help="render A2UI messages to a PNG (headless)",
        description="Apply A2UI messages to an empty desktop and save one frame as PNG. INPUT is JSONL, "
                    "a JSON array of messages, or an object with a 'messages' array; '-' reads stdin.")
    p.add_argument("input", metavar="INPUT", help="A2UI messages file, or - for stdin")
    p.add_argument("--out", required=True, metavar="PNG", help="where to write the PNG")
    p.add_argument("--renderer", default="widgets", metavar="widgets|neural|NAME",
                   help="widgets (Qt reference, default), neural (the default neural model) or a renderer "
                        "model's name from the plugin folder")
    p.add_argument("--size", type=size_arg, default=DEFAULT_SIZE, metavar="WxH",
                   help="canvas size (default 1024x768)")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="desktop theme (default light)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from neuralos.a2ui.io import load_messages
    from neuralos.errors import BadInput, NeuralosError

    messages = load_messages(args.input)
    out = Path(args.out)
    if out.exists() and out.is_dir():
        raise BadInput("is a directory; --out takes a PNG file path", where=str(out))
    if not out.parent.exists():
        raise BadInput("folder does not exist", where=str(out.parent))
    frame, scene = _render_widgets(messages, args.size, args.theme, source=str(args.input))
    if args.renderer != "widgets":
        frame = _render_model(args.renderer, scene, frame.shape)
    _save_png(frame, out)
    if not out.is_file():
        raise NeuralosError(f"could not write {out}")
    return 0


def _render_widgets(messages, size, theme, source: str):
    from neuralos.a2ui.processor import Rejected
    from neuralos.widgets import render_messages
    from neuralos.widgets.app import ensure_app

    ensure_app(headless=True)
    try:
        return render_messages(messages, size=size, theme=theme)
    except Rejected as e:
        e.args = (f"{source}: {e}",)
        raise


def _render_model(name: str, scene, shape):
    """Paint the laid-out scene with a neural renderer: `neural` (the shipped default), a renderer
    model's name from the plugin folder, or a renderer folder's path."""
    import numpy as np

    from neuralos.errors import NeuralosError

    if name == "neural":
        try:
            from neuralos.neural.renderer import load_default_renderer
        except ImportError as e:
            raise NeuralosError(f"the neural renderer is not available ({e}); use --renderer widgets") from None
        renderer = load_default_renderer()
    elif Path(name).is_dir():
        from neuralos.neural.renderer import load_renderer
        renderer = load_renderer(name)
    else:
        try:
            from neuralos.plugins.loading import load_renderer
        except ImportError as e:
            raise NeuralosError(f"cannot load renderer {name!r}: no plugin support ({e})") from None
        renderer = load_renderer(name)
    if renderer is None:
        raise NeuralosError(f"no usable renderer model for {name!r}; use --renderer widgets")
    frame = np.asarray(renderer.render(scene, None, None))
    if frame.shape != tuple(shape) or frame.dtype != np.uint8:
        raise NeuralosError(f"renderer {name!r} returned {frame.dtype} {frame.shape}, expected uint8 {tuple(shape)}")
    return frame


def _save_png(frame, out: Path) -> None:
    from PIL import Image

    from neuralos.errors import BadInput

    try:
        Image.fromarray(frame, "RGB").save(out, format="PNG", optimize=False, compress_level=6)
    except OSError as e:
        raise BadInput(f"cannot write: {e.strerror or e}", where=str(out)) from None
