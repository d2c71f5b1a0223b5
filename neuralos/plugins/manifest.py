"""`neuralos.toml`: the manifest that names a model folder and says what it is.

```toml
name = "crisp-ui"              # how --renderer / --planner and `neuralos models` call it
kind = "renderer"              # renderer | planner
format = "neuralos-ui"         # see neuralos.plugins.formats
description = "Distilled 2-step UI renderer"

[parameters]                   # handed to the loader; each format documents its own
steps = 2
```

An `openai-compatible` planner is a manifest alone, with `url`, `model` and optionally
`api_key_env` (the name of the environment variable holding the key, never the key itself).
Parsing never touches anything but this one file; errors name the file and the key.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from neuralos.errors import BadInput

MANIFEST = "neuralos.toml"
KINDS = ("renderer", "planner")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_ENDPOINT_KEYS = ("url", "model", "api_key_env")
_KNOWN_KEYS = {"name", "kind", "format", "description", "parameters", *_ENDPOINT_KEYS}


@dataclass(frozen=True)
class Manifest:
    """A parsed `neuralos.toml`. `url`/`model`/`api_key_env` are set for endpoint planners only."""

    path: Path
    name: str
    kind: str
    format: str
    description: str = ""
    parameters: dict = field(default_factory=dict)
    url: str | None = None
    model: str | None = None
    api_key_env: str | None = None


def valid_name(name: str) -> bool:
    """Model names are short and shell-friendly: letters, digits and `._+-`, starting alphanumeric."""
    return bool(NAME_RE.fullmatch(name))


def read_manifest(path: Path) -> Manifest:
    """Parse and check one manifest file. Raises BadInput naming the file (and key) on any problem.

    Format names are not checked here (which formats exist depends on installed packages);
    `neuralos.plugins.formats` does that.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise BadInput(f"not valid TOML: {e}", where=str(path)) from None
    except UnicodeDecodeError:
        raise BadInput("not valid TOML: the file is not UTF-8 text", where=str(path)) from None
    except OSError as e:
        raise BadInput(f"cannot read: {e.strerror or e}", where=str(path)) from None

    def where(key: str) -> str:
        return f"{path}: {key}"

    def string(key: str, required: bool) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                raise BadInput("is missing (required)", where=where(key))
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise BadInput(f"must be a non-empty string, not {value!r}", where=where(key))
        return value.strip()

    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise BadInput(f"unknown key (known: {', '.join(sorted(_KNOWN_KEYS))}); "
                       "model settings go under [parameters]", where=where(unknown[0]))
    name = string("name", True)
    if not valid_name(name):
        raise BadInput(f"{name!r} is not a valid model name (letters, digits and ._+-, "
                       "starting with a letter or digit, at most 64 characters)", where=where("name"))
    kind = string("kind", True)
    if kind not in KINDS:
        raise BadInput(f"must be one of {', '.join(KINDS)}, not {kind!r}", where=where("kind"))
    fmt = string("format", True)
    description = string("description", False) or ""
    parameters = data.get("parameters", {})
    if not isinstance(parameters, dict):
        raise BadInput("must be a table ([parameters])", where=where("parameters"))
    endpoint = {key: string(key, False) for key in _ENDPOINT_KEYS}
    if endpoint["api_key_env"] is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                                endpoint["api_key_env"]):
        raise BadInput("must be the NAME of an environment variable (the key itself never goes "
                       "in a manifest)", where=where("api_key_env"))
    return Manifest(path=path, name=name, kind=kind, format=fmt, description=description,
                    parameters=parameters, **endpoint)
