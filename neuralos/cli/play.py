"""`neuralos play SCRIPT --out DIR`: play a UI-intent script headless, check it, record video and trace."""
from __future__ import annotations

import argparse
import sys

from neuralos.cli._common import size_arg

RENDERER_HELP = "auto (default: neural when a usable model is installed, else widgets), neural, widgets, " \
                "or a renderer name from the plugin folder"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "play", help="play a UI-intent script headless and record video + trace",
        description="Play a playback script (YAML or JSON: intents, A2UI messages, clicks, typing, keys, "
                    "waits, snapshots, expectations) on the real shell, headless. Writes DIR/video.mp4 "
                    "(H.264), DIR/final.png, DIR/snapshots/NAME.png and DIR/trace.json. Exit 0 when every "
                    "expectation holds, 1 at the first failing one (outputs up to there are still "
                    "written), 2 for a malformed script or bad flags.")
    p.add_argument("script", metavar="SCRIPT", help="the playback script (.yaml, .yml or .json)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--renderer", metavar="NAME", help=RENDERER_HELP + "; overrides the script's `renderer`")
    p.add_argument("--planner", metavar="NAME", help="planner for intents and button actions (default builtin); "
                                                   "overrides the script's `planner`")
    p.add_argument("--size", type=size_arg, metavar="WxH", help="canvas size, e.g. 1024x768; overrides the "
                                                               "script's `size` (default 1024x768)")
    p.add_argument("--gif", action="store_true", help="also write DIR/video.gif (downscaled) for READMEs "
                                                     "and issue reports")
    p.add_argument("--seed", type=_seed, metavar="N", help="random seed for the planner and neural renderer "
                                                          "(default: the script's `seed`, else 0)")
    p.add_argument("--fps", type=int, default=30, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, not {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"seed must be >= 0, not {n}")
    return n


def run(args) -> int:
    from neuralos.playback.script import load

    script = load(args.script)          # BadInput (exit 2) before anything runs
    from neuralos.playback.runner import PlaybackRunner

    runner = PlaybackRunner(script, args.out, renderer=args.renderer, planner=args.planner, size=args.size,
                            seed=args.seed, gif=args.gif, fps=args.fps)
    result = runner.run()
    print(summary(result, args.out))
    if not result.ok:
        print(f"neuralos: {result.failure}", file=sys.stderr)
    return result.exit_code


def summary(result, out) -> str:
    total = result.trace.get("steps_total", len(result.steps))
    t = result.trace.get("timings", {})
    r = result.trace.get("renderer", {})
    renderer = r.get("used") or "?"
    if r.get("fallback_reason"):
        renderer += f" (fallback: {r['fallback_reason']})"
    lines = [f"{'PASS' if result.ok else 'FAIL'}: {result.passed}/{total} steps passed "
             f"in {t.get('wall_ms', 0) / 1000:.1f} s; renderer {renderer}"]
    outs = result.outputs
    if "video" in outs:
        lines.append(f"video:  {outs['video']} ({t.get('video_frames', 0)} frames, "
                     f"{t.get('video_ms', 0) / 1000:.1f} s)")
    if "gif" in outs:
        lines.append(f"gif:    {outs['gif']}")
    if "final" in outs:
        lines.append(f"final:  {outs['final']}")
    if outs.get("snapshots"):
        lines.append(f"snapshots: {len(outs['snapshots'])} in {out}/snapshots/")
    if "trace" in outs:
        lines.append(f"trace:  {outs['trace']}")
    return "\n".join(lines)
