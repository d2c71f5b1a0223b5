"""Model formats: a small registry keyed by format name, plus formats from installed packages.

Built in:

| format              | kind     | what the folder holds                                            |
|---------------------|----------|------------------------------------------------------------------|
| `neuralos-ui`       | renderer | our own `UIRenderPipeline` folder (diffusers layout)             |
| `diffusers`         | renderer | any diffusers pipeline folder that takes the scene conditioning  |
| `transformers`      | planner  | a causal-LM folder: `config.json`, tokenizer, safetensors        |
| `openai-compatible` | planner  | nothing but the manifest: `url`, `model`, `api_key_env`          |

Installed Python packages add formats through the entry-point groups `neuralos.renderers` and
`neuralos.planners`: the entry point's name is the format name, its object a factory called as
`factory(info: ModelInfo)` that returns the renderer (or planner). Each such entry point is also
listed as a model of that name by itself (with `path` None). Code only ever comes from installed
packages: plugin folders are data.
"""
from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from neuralos.plugins.discovery import ModelInfo

GROUPS = {"renderer": "neuralos.renderers", "planner": "neuralos.planners"}


@dataclass(frozen=True)
class Format:
    """How one format is checked cheaply (at discovery) and loaded (on use).

    `check(info)` returns None when the folder looks complete, else the reason it is broken; it
    must read files only, never import or run anything from the folder. `load(info, device)`
    returns the ready renderer/planner or raises (any exception becomes a broken reason).
    """

    name: str
    kind: str
    check: Callable[["ModelInfo"], str | None]
    load: Callable[["ModelInfo", str], object]
    needs_folder: bool = True
    entry_point: str | None = None   # "module:attr" for formats that come from packages


_BUILTIN: dict[str, Format] = {}


def register_format(fmt: Format) -> None:
    """Add (or replace) a built-in format. Packages should prefer entry points."""
    _BUILTIN[fmt.name] = fmt


def builtin_formats() -> dict[str, Format]:
    _ensure_builtins()
    return dict(_BUILTIN)


def entry_points(kind: str) -> list[importlib.metadata.EntryPoint]:
    """Installed packages' entry points for `kind`, without importing them, in a stable order."""
    found = importlib.metadata.entry_points(group=GROUPS[kind])
    return sorted({ep.name: ep for ep in found}.values(), key=lambda ep: ep.name)


def all_formats() -> dict[str, Format]:
    """Built-in formats, then package formats (a package cannot replace a built-in format)."""
    formats = builtin_formats()
    for kind in GROUPS:
        for ep in entry_points(kind):
            formats.setdefault(ep.name, _entry_point_format(ep, kind))
    return formats


def _entry_point_format(ep: importlib.metadata.EntryPoint, kind: str) -> Format:
    def load(info: "ModelInfo", device: str) -> object:
        factory = ep.load()
        if not callable(factory):
            raise TypeError(f"entry point {ep.value} is not callable")
        return factory(info)

    return Format(name=ep.name, kind=kind, check=lambda info: None, load=load,
                  needs_folder=False, entry_point=ep.value)


def _ensure_builtins() -> None:
    if _BUILTIN:
        return
    from neuralos.plugins import checks

    def lazy(fn: str) -> Callable[["ModelInfo", str], object]:
        def load(info: "ModelInfo", device: str) -> object:
            from neuralos.plugins import loading
            return getattr(loading, fn)(info, device)
        return load

    for fmt in (
        Format("neuralos-ui", "renderer", checks.check_pipeline_folder, lazy("load_neuralos_ui")),
        Format("diffusers", "renderer", checks.check_pipeline_folder, lazy("load_diffusers")),
        Format("transformers", "planner", checks.check_transformers_folder, lazy("load_transformers")),
        Format("openai-compatible", "planner", checks.check_endpoint, lazy("load_openai"),
               needs_folder=False),
    ):
        _BUILTIN.setdefault(fmt.name, fmt)
