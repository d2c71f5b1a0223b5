"""Cheap, read-only checks of the built-in formats' folders, run at every discovery.

Each returns None when the folder looks complete, else the reason it is broken, worded for the
person who copied it there. Only JSON/TOML configs and safetensors headers are read.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from neuralos.plugins.trusted import library_allowed
from neuralos.plugins.weights import WeightError, weight_files

if TYPE_CHECKING:
    from neuralos.plugins.discovery import ModelInfo

# Any one of these makes a tokenizer (fast tokenizer, sentencepiece, byte-level BPE, WordPiece).
TOKENIZER_FILES = (("tokenizer.json",), ("tokenizer.model",), ("vocab.json", "merges.txt"), ("vocab.txt",))
_MAX_JSON = 64 * 1024 * 1024


def read_json(file: Path, what: str | None = None) -> dict:
    """A JSON object from `file`; ValueError with a readable reason otherwise."""
    what = what or file.name
    try:
        if file.stat().st_size > _MAX_JSON:
            raise ValueError(f"{what} is too large to be a config")
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{what} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{what} is not valid JSON ({e})") from None
    except OSError as e:
        raise ValueError(f"{what} cannot be read ({e.strerror or e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} must hold a JSON object")
    return data


def pipeline_components(model_index: dict) -> dict[str, tuple[str, str]]:
    """{component: (library, class)} of a model_index.json, leaving out unset (null) components."""
    parts = {}
    for key, value in model_index.items():
        if key.startswith("_") or not (isinstance(value, list) and len(value) == 2):
            continue
        library, cls = value
        if library is None or cls is None:
            continue
        if not (isinstance(library, str) and isinstance(cls, str)):
            raise ValueError(f"model_index.json: {key} must be [library, class], not {value!r}")
        parts[key] = (library, cls)
    return parts


def check_pipeline_folder(info: "ModelInfo") -> str | None:
    """A diffusers pipeline folder: model_index.json, every listed component present and complete."""
    folder = info.path
    try:
        index = read_json(folder / "model_index.json")
        class_name = index.get("_class_name")
        if not isinstance(class_name, str) or not class_name:
            return ("model_index.json: _class_name must name a pipeline class "
                    "(custom pipeline code from a folder is never run)")
        if info.format == "neuralos-ui" and class_name != "UIRenderPipeline":
            return f"model_index.json: a neuralos-ui folder holds a UIRenderPipeline, not {class_name}"
        components = pipeline_components(index)
    except ValueError as e:
        return str(e)
    if not components:
        return "model_index.json lists no components"
    for name, (library, cls) in components.items():
        reason = _check_component(folder, name, library, cls)
        if reason:
            return reason
    return None


def _check_component(folder: Path, name: str, library: str, cls: str) -> str | None:
    if not library_allowed(library):
        return (f"model_index.json: {name} comes from {library!r}; only diffusers, transformers and "
                "neuralos classes load (plugin folders never run code)")
    sub = folder / name
    if not sub.is_dir():
        return f"{name}/ is missing (listed in model_index.json)"
    if any(sub.glob("*.py")):
        return f"{name}/ contains Python files; plugin folders never run code, remove them"
    try:
        if "Scheduler" in cls:
            read_json(sub / "scheduler_config.json", f"{name}/scheduler_config.json")
            return None
        if library == "transformers" and ("Tokenizer" in cls or "Processor" in cls or "Extractor" in cls):
            return None if os.listdir(sub) else f"{name}/ is empty"
        read_json(sub / "config.json", f"{name}/config.json")
    except ValueError as e:
        return str(e)
    stem = "model" if library == "transformers" else "diffusion_pytorch_model"
    try:
        weight_files(sub, stem)
    except WeightError as e:
        return f"{name}/: {e}"
    return None


def check_transformers_folder(info: "ModelInfo") -> str | None:
    """A causal-LM folder: config.json with a model_type, a tokenizer, safetensors weights."""
    folder = info.path
    try:
        config = read_json(folder / "config.json")
    except ValueError as e:
        return str(e)
    if "_diffusers_version" in config:
        return (f"this is a single diffusers model ({config.get('_class_name', '?')}), not a pipeline: "
                "a renderer folder needs model_index.json (save the whole pipeline)")
    if not isinstance(config.get("model_type"), str):
        return "config.json has no model_type (is this a transformers model folder?)"
    if not any(all((folder / f).is_file() for f in group) for group in TOKENIZER_FILES):
        return "no tokenizer (tokenizer.json, tokenizer.model, or vocab.json + merges.txt)"
    if (folder / "tokenizer.json").is_file():
        try:
            read_json(folder / "tokenizer.json")
        except ValueError as e:
            return str(e)
    try:
        weight_files(folder, "model")
    except WeightError as e:
        return str(e)
    return None


def check_endpoint(info: "ModelInfo") -> str | None:
    """An openai-compatible planner: the manifest names the endpoint; no files, no network here."""
    m = info.manifest
    if m is None:
        return "an openai-compatible planner is described by a neuralos.toml (url, model)"
    if not m.url:
        return "neuralos.toml: url is missing (e.g. url = \"http://127.0.0.1:8080/v1\")"
    if not m.url.startswith(("http://", "https://")):
        return f"neuralos.toml: url must start with http:// or https://, not {m.url!r}"
    if not m.model:
        return "neuralos.toml: model is missing (the model name the server expects)"
    if m.api_key_env and not os.environ.get(m.api_key_env):
        return f"the environment variable {m.api_key_env} (api_key_env) is not set"
    return None
