"""Planners by name: what `--planner NAME` means.

- `builtin` (or nothing): the embedded apps and shell commands;
- `openai-compatible` (or `openai`): a local chat endpoint from the environment —
  `NEURALOS_OPENAI_URL` (default http://127.0.0.1:8080/v1), `NEURALOS_OPENAI_MODEL`, and the key
  in `NEURALOS_OPENAI_API_KEY` if set;
- a folder path (contains a path separator or starts with `~`/`.`): a transformers model folder;
- any other name: a model from the plugin folder (`neuralos.plugins.load_planner`), or one
  registered in this process with `register_planner(name, factory)`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from neuralos.errors import BadInput
from neuralos.planners.base import Planner

_FACTORIES: dict[str, Callable[[], Planner]] = {}
DEFAULT_OPENAI_URL = "http://127.0.0.1:8080/v1"


def register_planner(name: str, factory: Callable[[], Planner]) -> None:
    """Make `get_planner(name)` call `factory()` (for plugins and embedding applications)."""
    _FACTORIES[name] = factory


def available_planners() -> list[str]:
    """Names `get_planner` knows without looking in the plugin folder."""
    return ["builtin", "openai-compatible", *sorted(_FACTORIES)]


def planner_from_folder(path: str | Path, manifest: dict | None = None) -> Planner:
    """A planner for a model folder: `manifest` (a parsed neuralos.toml as a dict) may say
    `format` = transformers | openai-compatible and give `parameters` (and `url`, `model`,
    `api_key_env` for an endpoint); without one, the folder is a transformers model."""
    manifest = manifest or {}
    fmt = manifest.get("format", "transformers")
    params = dict(manifest.get("parameters") or {})
    name = manifest.get("name") or Path(path).name
    if fmt in ("openai", "openai-compatible"):
        from neuralos.planners.openai_planner import OpenAIPlanner

        if not manifest.get("url"):
            raise BadInput("an openai-compatible planner needs a url", where=str(Path(path) / "neuralos.toml"))
        return OpenAIPlanner(manifest["url"], manifest.get("model"), api_key_env=manifest.get("api_key_env"),
                             name=name, **params)
    if fmt != "transformers":
        raise BadInput(f"unknown planner format {fmt!r} (transformers or openai-compatible)", where=str(path))
    from neuralos.planners.transformers_planner import TransformersPlanner

    planner = TransformersPlanner(Path(path), name=name, **params)
    planner.grammar()        # compile now (the shell loads planners off the GUI thread), not on the first intent
    return planner


def _looks_like_path(name: str) -> bool:
    return os.sep in name or "/" in name or name.startswith(("~", "."))


def get_planner(name: str | None = None) -> Planner:
    """The planner called `name` (None: builtin). Unknown names are `BadInput` listing what exists."""
    if name in (None, "", "builtin"):
        from neuralos.planners.builtin import BuiltinPlanner

        return BuiltinPlanner()
    if name in _FACTORIES:
        return _FACTORIES[name]()
    if name in ("openai-compatible", "openai"):
        from neuralos.planners.openai_planner import OpenAIPlanner

        return OpenAIPlanner(os.environ.get("NEURALOS_OPENAI_URL", DEFAULT_OPENAI_URL),
                             os.environ.get("NEURALOS_OPENAI_MODEL"),
                             api_key=os.environ.get("NEURALOS_OPENAI_API_KEY") or None, name="openai-compatible")
    if name.startswith("transformers:"):
        name = name.split(":", 1)[1]
        return planner_from_folder(Path(name).expanduser())
    if _looks_like_path(name):
        return planner_from_folder(Path(name).expanduser())
    try:
        from neuralos.plugins import load_planner
    except ImportError:
        load_planner = None
    if load_planner is not None:
        return load_planner(name)
    raise BadInput(f"unknown planner {name!r} (known: {', '.join(available_planners())}, or a model folder)",
                   where="--planner")
