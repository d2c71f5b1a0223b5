"""Shared A2UI batches for the shell tests."""
import json

from neuralos.resources import A2UI_SPEC

CAT = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"
V = "v0.9"
LOGIN = A2UI_SPEC / "catalogs" / "basic" / "examples" / "09_login-form.json"


def notes(sid="notes", title="Notes", text="Hello"):
    """A small surface: a title and a bound TextField."""
    return [
        {"version": V, "createSurface": {"surfaceId": sid, "catalogId": CAT, "theme": {"agentDisplayName": title}}},
        {"version": V, "updateComponents": {"surfaceId": sid, "components": [
            {"id": "root", "component": "Column", "children": ["t", "f"]},
            {"id": "t", "component": "Text", "text": text},
            {"id": "f", "component": "TextField", "label": "Note", "value": {"path": "/note"}}]}},
        {"version": V, "updateDataModel": {"surfaceId": sid, "path": "/note", "value": ""}},
    ]


def jsonl(messages):
    return "".join(json.dumps(m) + "\n" for m in messages)
