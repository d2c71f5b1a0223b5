"""Argument types shared by subcommands."""
from __future__ import annotations

import argparse
import re

DEFAULT_SIZE = (1024, 768)


def size_arg(text: str) -> tuple[int, int]:
    """Parse WxH, e.g. 1024x768."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size must look like 1024x768, not {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is out of range (64..8192 per side)")
    return w, h


def names_arg(text: str) -> list[str]:
    """Parse a comma-separated list of names, e.g. press,toggled."""
    return [k.strip() for k in text.split(",") if k.strip()]
