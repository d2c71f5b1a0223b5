"""Find the models in the plugin folders (SPEC section 5), cheaply and safely.

Search order: every directory in `NEURALOS_MODELS` (path-separated), then the user's data
directory (`<platformdirs user data>/neuralos/models`), then the project's own `models/`, then
models that installed packages declare through entry points. The first model of a name wins;
the ones it hides are noted in its `shadows`.

Each subfolder of a search directory is one model (a search directory that is itself a model
folder also counts). Discovery reads manifests, JSON configs and safetensors headers only: it
never imports or runs anything from a folder, and a broken folder is listed with its reason
instead of stopping the others.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from neuralos.errors import BadInput
from neuralos.plugins.formats import Format, all_formats, entry_points
from neuralos.plugins.manifest import KINDS, MANIFEST, Manifest, read_manifest, valid_name
from neuralos.resources import SHIPPED_MODELS

ENV_VAR = "NEURALOS_MODELS"
# Names the CLI gives a meaning of its own (`--renderer auto|neural|widgets`, `--planner builtin`,
# `--planner openai-compatible` for the endpoint in NEURALOS_OPENAI_URL).
RESERVED = {"renderer": ("auto", "neural", "widgets"), "planner": ("builtin", "openai", "openai-compatible")}
_MARKERS = (MANIFEST, "model_index.json", "config.json")


@dataclass(frozen=True)
class ModelInfo:
    """One discovered model. `status` is "ok" or "broken" (then `reason` says why).

    `source` is where it was found: env | user | shipped | entry-point. `path` is the folder
    (None for an entry point). `shadows` lists the folders of same-named models it hides.
    """

    name: str
    kind: str                       # renderer | planner ("" when even that is unknown)
    format: str                     # a format name ("" when unknown)
    path: Path | None
    status: str = "ok"
    reason: str = ""
    description: str = ""
    parameters: dict = field(default_factory=dict)
    source: str = "env"
    shadows: tuple[str, ...] = ()
    manifest: Manifest | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def broken(self, reason: str) -> "ModelInfo":
        """A copy marked broken with `reason`."""
        return replace(self, status="broken", reason=reason)

    def to_dict(self) -> dict:
        """The JSON row of `neuralos models list --json`."""
        row = asdict(self)
        row.pop("manifest")
        row["path"] = str(self.path) if self.path else None
        row["shadows"] = list(self.shadows)
        return row


def user_models_dir() -> Path:
    """`models/` in the user's data directory (platformdirs, app name "neuralos")."""
    import platformdirs
    return Path(platformdirs.user_data_dir("neuralos", appauthor=False)) / "models"


def search_dirs() -> list[tuple[Path, str]]:
    """The plugin folders in search order, with their source label. They need not exist."""
    env = os.environ.get(ENV_VAR, "")
    dirs = [(Path(p).expanduser(), "env") for p in env.split(os.pathsep) if p.strip()]
    dirs += [(user_models_dir(), "user"), (SHIPPED_MODELS, "shipped")]
    seen, unique = set(), []
    for d, source in dirs:
        key = os.path.normcase(os.path.abspath(d))
        if key not in seen:
            seen.add(key)
            unique.append((d, source))
    return unique


def model_folders(directory: Path) -> list[Path]:
    """The model folders in one search directory (the directory itself if it is a model)."""
    try:
        if any((directory / m).is_file() for m in _MARKERS):
            return [directory]
        return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    except OSError:
        return []


def discover(dirs: list[tuple[Path, str]] | None = None, packages: bool = True) -> list[ModelInfo]:
    """Every model, in search order, first name winning. Never raises for a bad folder."""
    formats = all_formats()
    found: list[ModelInfo] = []
    for directory, source in search_dirs() if dirs is None else dirs:
        found += [inspect(folder, source, formats) for folder in model_folders(Path(directory))]
    if packages:
        found += _entry_point_models(formats)
    winners: dict[str, int] = {}
    result: list[ModelInfo] = []
    for info in found:
        if info.name in winners:
            i = winners[info.name]
            result[i] = replace(result[i], shadows=result[i].shadows + (_where(info),))
        else:
            winners[info.name] = len(result)
            result.append(info)
    return result


def inspect(folder: Path, source: str = "env", formats: dict[str, Format] | None = None) -> ModelInfo:
    """Classify and cheaply check one model folder."""
    formats = all_formats() if formats is None else formats
    folder = Path(folder)
    info = ModelInfo(name=folder.name, kind="", format="", path=folder, source=source)
    try:
        info = _identify(info, formats)
        if not info.ok:
            return info
        if info.name in RESERVED.get(info.kind, ()):
            return info.broken(f"the name {info.name!r} is reserved for the built-in {info.kind}; "
                               f"give the model another name in {MANIFEST}")
        reason = formats[info.format].check(info)
        return info.broken(reason) if reason else info
    except Exception as e:  # a check must never take the list down; say what happened instead
        return info.broken(f"could not be checked: {type(e).__name__}: {e}")


def _identify(info: ModelInfo, formats: dict[str, Format]) -> ModelInfo:
    folder = info.path
    if (folder / MANIFEST).is_file():
        try:
            m = read_manifest(folder / MANIFEST)
        except BadInput as e:
            return info.broken(str(e).replace(str(folder) + os.sep, ""))
        info = replace(info, name=m.name, kind=m.kind, format=m.format, description=m.description,
                       parameters=dict(m.parameters), manifest=m)
        fmt = formats.get(m.format)
        if fmt is None:
            known = ", ".join(sorted(n for n, f in formats.items() if f.kind == m.kind))
            return info.broken(f"{MANIFEST}: format: unknown {m.kind} format {m.format!r} (known: {known})")
        if fmt.kind != m.kind:
            return info.broken(f"{MANIFEST}: format {m.format!r} is a {fmt.kind} format, but kind is {m.kind!r}")
        return info
    if (folder / "model_index.json").is_file():
        info = replace(info, kind="renderer", format=_pipeline_format(folder / "model_index.json"))
    elif (folder / "config.json").is_file():
        info = replace(info, kind="planner", format="transformers")
    else:
        empty = not any(folder.iterdir())
        return info.broken("empty folder (still being copied?)" if empty else
                           f"not a model folder: no {MANIFEST}, model_index.json or config.json")
    if not valid_name(folder.name):
        return info.broken(f"the folder name {folder.name!r} is not a valid model name (letters, digits "
                           f"and ._+-); rename the folder or add a {MANIFEST} with a name")
    return info


def _pipeline_format(model_index: Path) -> str:
    """`neuralos-ui` for our own pipeline class, else `diffusers` (problems are the check's job)."""
    try:
        data = json.loads(model_index.read_text(encoding="utf-8"))
        return "neuralos-ui" if data.get("_class_name") == "UIRenderPipeline" else "diffusers"
    except (OSError, ValueError, AttributeError):
        return "diffusers"


def _entry_point_models(formats: dict[str, Format]) -> list[ModelInfo]:
    models = []
    for kind in KINDS:
        for ep in entry_points(kind):
            dist = getattr(ep.dist, "name", None)
            info = ModelInfo(name=ep.name, kind=kind, format=ep.name, path=None, source="entry-point",
                             description=f"{ep.value}" + (f" (package {dist})" if dist else ""))
            if formats.get(ep.name) is None or formats[ep.name].entry_point != ep.value:
                info = info.broken(f"entry point {ep.name!r} clashes with a built-in format or "
                                   f"another package's entry point")
            elif not valid_name(ep.name) or ep.name in RESERVED[kind]:
                info = info.broken(f"entry point name {ep.name!r} is not a usable model name")
            models.append(info)
    return models


def _where(info: ModelInfo) -> str:
    return str(info.path) if info.path else f"entry point {info.description}"


def find(name: str, kind: str | None = None, models: list[ModelInfo] | None = None) -> ModelInfo:
    """The model called `name` (of `kind`, if given). Raises BadInput listing what is available."""
    models = discover() if models is None else models
    for info in models:
        if info.name == name and (kind is None or info.kind == kind):
            return info
    what = kind or "model"
    names = sorted(m.name for m in models if kind is None or m.kind == kind)
    available = f"available: {', '.join(names)}" if names else f"no {what}s are installed"
    option = f"--{kind}" if kind else "NAME"
    raise BadInput(f"no {what} named {name!r} ({available}; see `neuralos models list`)", where=option)


def default_model(kind: str, models: list[ModelInfo] | None = None) -> ModelInfo | None:
    """The first working model of `kind` in search order (a user's model before the shipped one)."""
    models = discover() if models is None else models
    return next((m for m in models if m.kind == kind and m.ok), None)
