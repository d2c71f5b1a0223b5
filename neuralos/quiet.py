"""Hugging Face libraries' progress bars off while loading or saving: stderr is for people, and neuralos
prints its own progress."""
from __future__ import annotations

import contextlib
import importlib


@contextlib.contextmanager
def no_progress_bars():
    """diffusers' and transformers' progress bars off inside the block (those installed), restored after."""
    restore = []
    for module in ("diffusers.utils.logging", "transformers.utils.logging"):
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        if mod.is_progress_bar_enabled():
            mod.disable_progress_bar()
            restore.append(mod)
    try:
        yield
    finally:
        for mod in restore:
            mod.enable_progress_bar()
