"""Fixtures for the plugin tests: tiny model folders built once per session, copied per test."""
import shutil
from pathlib import Path

import pytest

from neuralos.plugins import tiny


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Build each tiny model once; `built(kind)` returns the pristine folder (do not modify it)."""
    root = tmp_path_factory.mktemp("tiny-models")
    makers = {
        "renderer": lambda d: tiny.write_tiny_renderer(d),
        "unconditioned": lambda d: tiny.write_tiny_renderer(d, conditioned=False),
        "planner": lambda d: tiny.write_tiny_planner(d),
        "ui": lambda d: tiny.write_tiny_ui_renderer(d),
    }
    cache: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in cache:
            cache[kind] = makers[kind](root / kind)
        return cache[kind]

    return get


@pytest.fixture
def place(built):
    """`place(kind, dest)`: copy a tiny model folder of `kind` to `dest` and return `dest`."""
    def copy(kind: str, dest: Path) -> Path:
        shutil.copytree(built(kind), dest)
        return dest
    return copy
