"""`neuralos desktop install|uninstall`: the menu entry, AppStream metainfo and icons for this user."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "desktop", help="install or remove the desktop menu entry, metainfo and icons",
        description="Write (or remove) the XDG desktop entry, AppStream metainfo and hicolor icons under "
                    "the user's data folder ($XDG_DATA_HOME, default ~/.local/share).")
    p.add_argument("action", choices=("install", "uninstall"))
    p.add_argument("--data-dir", type=Path, metavar="DIR",
                   help="XDG data folder to write into (default: $XDG_DATA_HOME or ~/.local/share)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from shell import integration

    if args.action == "install":
        for path in integration.install(args.data_dir):
            print(f"installed {path}")
    else:
        removed = integration.uninstall(args.data_dir)
        for path in removed:
            print(f"removed {path}")
        if not removed:
            print("nothing to remove: the desktop entry is not installed")
    return 0
