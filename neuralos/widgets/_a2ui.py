"""The A2UI data-layer calls the widget layer makes, in one place.

`checks` and `actions` are being written alongside this module; until they land, the fallbacks below
follow the same contract (failed check messages in order; the spec's client-to-server `action`).
"""
from __future__ import annotations

import time
from typing import Any

from neuralos.a2ui.dynamic import binding_path, resolve, resolve_text  # noqa: F401  (re-exported)
from neuralos.a2ui.functions import OpenUrlRequest, truthy

try:
    from neuralos.a2ui.checks import failed_checks  # type: ignore
except ImportError:  # pragma: no cover - until neuralos.a2ui.checks lands
    def failed_checks(surface, component: dict, scope: str = "/") -> list[str]:
        out = []
        for rule in component.get("checks") or ():
            if isinstance(rule, dict) and not truthy(resolve(surface, rule.get("condition"), scope)):
                out.append(str(rule.get("message") or "Invalid value"))
        return out

try:
    from neuralos.a2ui.actions import build_action  # type: ignore
except ImportError:  # pragma: no cover - until neuralos.a2ui.actions lands
    def build_action(surface, component: dict, scope: str = "/") -> Any:
        action = component.get("action")
        if not isinstance(action, dict):
            return None
        if isinstance(action.get("event"), dict):
            ev = action["event"]
            ctx = {k: resolve(surface, v, scope) for k, v in (ev.get("context") or {}).items()}
            msg = {"version": "v0.9", "action": {
                "name": ev.get("name", ""), "surfaceId": surface.id, "sourceComponentId": component.get("id", ""),
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "context": ctx}}
            if surface.send_data_model:
                msg["metadata"] = {"a2uiClientDataModel": {"version": "v0.9", "surfaces": {surface.id: surface.data}}}
            return msg
        if isinstance(action.get("functionCall"), dict):
            return resolve(surface, action["functionCall"], scope)
        return None


def value_text(surface, value, scope: str = "/") -> str:
    return resolve_text(surface, value, scope) if value is not None else ""


__all__ = ["OpenUrlRequest", "binding_path", "build_action", "failed_checks", "resolve", "resolve_text",
           "truthy", "value_text"]
