"""User actions: the client-to-server `action` message a Button sends, local function calls, and
the data-model metadata of surfaces created with `sendDataModel`.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from neuralos.a2ui.checks import failed_checks
from neuralos.a2ui.dynamic import resolve
from neuralos.a2ui.functions import OpenUrlRequest
from neuralos.a2ui.processor import VERSION
from neuralos.a2ui.surface import Surface
from neuralos.a2ui.validate import schema_issues


def iso_timestamp(when: datetime | None = None) -> str:
    """ISO 8601 UTC time with milliseconds and 'Z' (naive datetimes are taken as UTC)."""
    when = when or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_action(surface: Surface, component: dict, scope: str = "/", timestamp: datetime | None = None,
                 errors: list[str] | None = None) -> dict | OpenUrlRequest | None:
    """What activating `component` (seen from template `scope`) does.

    - `action.event`: returns the client-to-server `action` message, its `context` resolved against
      the data model now, validated against the official `client_to_server.json`.
    - `action.functionCall`: runs the function locally and returns None, except `openUrl`, which
      returns the `OpenUrlRequest` for the shell to confirm with the user.
    - No action, or a check of the component failing (a disabled button): None.
    """
    action = component.get("action")
    if not isinstance(action, dict) or failed_checks(surface, component, scope, errors):
        return None
    if isinstance(action.get("functionCall"), dict):
        result = resolve(surface, action["functionCall"], scope, errors)
        return result if isinstance(result, OpenUrlRequest) else None
    event = action.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("name"), str):
        return None
    context = {key: _json_value(resolve(surface, value, scope, errors))
               for key, value in (event.get("context") or {}).items()}
    message = {"version": VERSION, "action": {
        "name": event["name"], "surfaceId": surface.id, "sourceComponentId": str(component.get("id", "")),
        "timestamp": iso_timestamp(timestamp), "context": context}}
    issues = schema_issues(message, schema_name="client_to_server.json", catalog_id=surface.catalog_id)
    if issues:  # cannot happen for a schema-valid component; guards against a bug here
        raise ValueError(f"built an invalid action message: {issues[0]}")
    return message


def _json_value(value: Any) -> Any:
    """Resolved values are JSON already, except an openUrl request used as a context value."""
    return value.url if isinstance(value, OpenUrlRequest) else value


def data_model_metadata(surfaces: Iterable[Surface] | dict[str, Surface]) -> dict | None:
    """The `a2uiClientDataModel` metadata (client_data_model.json): the data model of every surface
    created with `sendDataModel`, or None when there is none to send."""
    items = surfaces.values() if isinstance(surfaces, dict) else surfaces
    models = {s.id: s.data for s in items if s.send_data_model and isinstance(s.data, dict)}
    if not models:
        return None
    metadata = {"version": VERSION, "surfaces": models}
    issues = schema_issues(metadata, schema_name="client_data_model.json")
    if issues:
        raise ValueError(f"built invalid data-model metadata: {issues[0]}")
    return metadata
