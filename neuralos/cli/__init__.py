"""`neuralos` command line: one module per subcommand, each with `register(subparsers)`.

Subcommand modules keep heavy imports (Qt, torch) inside their run functions so `--help` is instant.
User mistakes raise `neuralos.errors.NeuralosError`; they are printed as one line, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from neuralos.errors import NeuralosError
from neuralos.neural.heap import keep_freed_memory

# Order is the order `neuralos --help` lists them in.
COMMANDS = ["shell", "play", "render", "plan", "models", "data", "train", "eval", "bench", "desktop"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuralos",
        description="A generative-UI desktop shell: intents become A2UI state, painted by a neural "
                    "renderer or by Qt widgets. Without a command, opens the shell.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"neuralos.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    keep_freed_memory()        # before any thread allocates: neuralos/neural/heap.py says why
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["shell", *argv]
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NeuralosError as e:
        print(f"neuralos: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("neuralos: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
