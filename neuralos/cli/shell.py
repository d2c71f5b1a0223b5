"""`neuralos shell` (and plain `neuralos`): open the desktop shell window."""
from __future__ import annotations

import argparse

from neuralos.cli._common import DEFAULT_SIZE, size_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "shell", help="open the desktop shell (the default command)",
        description="Open the neuralos desktop: intent bar, windows, taskbar, status line. The desktop is "
                    "restored from the journal in the user's data folder; A2UI JSONL on stdin (when stdin "
                    "is not a terminal) is applied line by line. If a shell is already running, this "
                    "launch hands it its files and options and exits.")
    p.add_argument("--renderer", default=None, metavar="auto|neural|widgets|NAME",
                   help="who paints the desktop: auto (neural with widget fallback, default), neural, widgets, "
                        "or a renderer from the plugin folder")
    p.add_argument("--planner", default=None, metavar="NAME",
                   help="planner for intents and button actions (default: builtin)")
    p.add_argument("--size", type=size_arg, default=None, metavar="WxH",
                   help=f"desktop canvas size (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})")
    p.add_argument("--open", nargs="*", default=[], metavar="FILE",
                   help="A2UI files to open (JSONL, a JSON array, or an object with 'messages')")
    p.add_argument("--fresh", action="store_true",
                   help="start with an empty desktop (the previous one is kept as a backup)")
    p.add_argument("--script", metavar="FILE", help="play a playback script in the shell window")
    p.add_argument("--theme", choices=("light", "dark"), default=None, help="light or dark")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shell.app import ShellOptions, run as run_shell

    explicit = {k for k in ("renderer", "planner", "size", "theme") if getattr(args, k) is not None}
    options = ShellOptions(renderer=args.renderer or "auto", planner=args.planner or "builtin",
                           size=args.size or DEFAULT_SIZE, open=list(args.open or []), fresh=args.fresh,
                           script=args.script, theme=args.theme)
    return run_shell(options, explicit)
