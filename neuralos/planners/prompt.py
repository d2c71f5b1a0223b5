"""Prompts for LLM planners: rules, a catalog summary, official examples, the desktop and the request.

`build_chat(state, request, level)` gives chat messages ([{"role", "content"}]); lower `level`s are
shorter (fewer examples, a terser catalog, a shorter state) for models with small context windows.
`repair_message(error)` is the user turn that sends a `VALIDATION_FAILED` error back.
"""
from __future__ import annotations

import json
from functools import lru_cache

from neuralos.planners.base import PlannerState, is_action
from neuralos.resources import A2UI_SPEC, BASIC_CATALOG_ID

#: Official basic-catalog examples shown to models, best first (short, and between them they show
#: buttons with actions, data binding, a CheckBox and a DateTimeInput).
EXAMPLES = ("10_notification-permission", "07_task-card")
LEVELS = 4

RULES = f"""You are the planner of neuralos, a desktop whose windows are A2UI v0.9 surfaces.
Answer with ONLY a JSON array of A2UI server-to-client messages: no prose, no code fences.
- Every message has "version": "v0.9" and one of createSurface, updateComponents, updateDataModel, deleteSurface.
- A new window: createSurface {{"surfaceId": a short lowercase id, "catalogId": "{BASIC_CATALOG_ID}"}}, then
  updateComponents with a flat list of components forming a tree: exactly one has "id": "root"; containers
  refer to children by id (never inline); then updateDataModel with the data the components bind to.
- Bind values to the data model with {{"path": "/name"}}; inside a List template use relative paths ("name").
- A Button has a Text child and an "action": {{"event": {{"name": ..., "context": {{...}}}}}}; the context may bind
  paths, and the client sends it back to you as an action message when the button is clicked.
- To change an open window, send updateComponents / updateDataModel for its surfaceId; to close it, deleteSurface.
- Use only the components and functions listed below."""


def _props(schema: dict, catalog: dict, common: dict) -> tuple[dict, list]:
    """Merged properties and required names of one catalog component (allOf parts unpacked)."""
    props, required = {}, []
    for part in schema.get("allOf", [schema]):
        ref = part.get("$ref", "")
        if ref.endswith("ComponentCommon") or ref.endswith("CatalogComponentCommon"):
            continue
        if ref.endswith("Checkable"):
            props["checks"] = {"$ref": "CheckRule[]"}
            continue
        props.update(part.get("properties", {}))
        required += part.get("required", [])
    return props, required


def _type(prop: dict) -> str:
    ref = prop.get("$ref", "")
    if prop.get("const"):
        return json.dumps(prop["const"])
    if "enum" in prop:
        values = prop["enum"]
        return "|".join(values) if len(values) <= 12 else "|".join(values[:12]) + "|…"
    if "allOf" in prop:
        return _type(prop["allOf"][0])
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return {"DynamicString": "string|{path}", "DynamicNumber": "number|{path}",
                "DynamicBoolean": "bool|{path}", "DynamicStringList": "[string]|{path}",
                "DynamicValue": "any|{path}", "DataBinding": "{path}", "ComponentId": "id", "ChildList": "[ids]|{componentId,path}",
                "Action": "{event:{name,context}}", "CheckRule[]": "[{condition,message}]"}.get(name, name)
    if "oneOf" in prop:
        return "|".join(_type(p) for p in prop["oneOf"])
    if "properties" in prop:
        return "{" + ",".join(prop["properties"]) + "}"
    kind = prop.get("type", "any")
    if kind == "array" and isinstance(prop.get("items"), dict):
        item = prop["items"]
        if item.get("type") == "object" or "properties" in item:
            return "[{" + ",".join(item.get("properties", {})) + "}]"
        return f"[{_type(item)}]"
    return kind


@lru_cache(maxsize=None)
def catalog_summary(terse: bool = False) -> str:
    """One line per basic-catalog component ("Text: text*: string|{path}, variant: h1|...")."""
    catalog = json.loads((A2UI_SPEC / "catalogs" / "basic" / "catalog.json").read_text())
    common = json.loads((A2UI_SPEC / "json" / "common_types.json").read_text())
    lines = []
    for name, schema in catalog["components"].items():
        props, required = _props(schema, catalog, common)
        fields = []
        for key, prop in props.items():
            if key == "component":
                continue
            star = "*" if key in required else ""
            fields.append(f"{key}{star}" if terse else f"{key}{star}: {_type(prop)}")
        lines.append(f"{name}({', '.join(fields)})" if terse else f"- {name}: {'; '.join(fields)}")
    functions = ", ".join(catalog.get("functions", {}))
    head = "Components (* = required; every component also has id*; children of Row/Column may have weight):"
    return head + ("\n" + " ".join(lines) if terse else "\n" + "\n".join(lines)) + \
        f"\nFunctions ({{\"call\": name, \"args\": {{...}}}}): {functions}"


@lru_cache(maxsize=None)
def example_text(name: str) -> str:
    data = json.loads((A2UI_SPEC / "catalogs" / "basic" / "examples" / f"{name}.json").read_text())
    return f"Example ({data.get('name', name)}):\n" + json.dumps(data["messages"], ensure_ascii=False)


def request_text(request: str | dict) -> str:
    if is_action(request):
        return ("The user clicked a button. The client sent this action (its context holds the data the "
                "button reads):\n" + json.dumps(request, ensure_ascii=False) +
                "\nAnswer with the messages that update the UI accordingly.")
    return f"User intent: {request}"


def build_chat(state: PlannerState, request: str | dict, level: int = 0) -> list[dict]:
    """Chat messages for `request` on `state`; level 0 is the fullest, LEVELS - 1 the shortest."""
    examples = EXAMPLES[:max(0, 2 - level)]
    system = "\n\n".join([RULES, catalog_summary(terse=level >= 3), *[example_text(e) for e in examples]])
    state_chars = (6000, 6000, 2500, 600)[min(level, 3)]
    user = "Current desktop:\n" + state.summary(state_chars) + "\n\n" + request_text(request)
    if is_action(request):
        surface = state.surface(request["action"].get("surfaceId", ""))
        if surface is not None:   # what the client would attach as a2uiClientDataModel
            data = json.dumps(surface.data, ensure_ascii=False, separators=(",", ":"))
            user += f"\nThe data model of {surface.id} now: {data[:state_chars]}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def repair_message(error: dict) -> str:
    """The user turn that reports a rejected answer (the spec's VALIDATION_FAILED error)."""
    return ("The client rejected your answer:\n" + json.dumps(error, ensure_ascii=False) +
            "\nSend the complete corrected JSON array of messages (all of them, not only the fix).")


def plain_prompt(chat: list[dict]) -> str:
    """A prompt for models without a chat template."""
    parts = []
    for m in chat:
        role = {"system": "Instructions", "user": "User", "assistant": "Assistant"}.get(m["role"], m["role"])
        parts.append(f"{role}:\n{m['content']}")
    return "\n\n".join(parts) + "\n\nAssistant:\n"
