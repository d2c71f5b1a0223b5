"""The official basic-catalog examples, by name."""
import json

from neuralos.resources import A2UI_SPEC

_DIR = A2UI_SPEC / "catalogs" / "basic" / "examples"
EXAMPLES = sorted(p.stem for p in _DIR.glob("*.json"))


def example_messages(name: str) -> list[dict]:
    return json.loads((_DIR / f"{name}.json").read_text())["messages"]
