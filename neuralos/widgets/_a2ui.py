"""The A2UI data-layer calls the widget layer makes, in one place."""
from __future__ import annotations

from neuralos.a2ui.actions import build_action
from neuralos.a2ui.checks import failed_checks
from neuralos.a2ui.dynamic import binding_path, resolve, resolve_text
from neuralos.a2ui.functions import OpenUrlRequest, truthy


def value_text(surface, value, scope: str = "/") -> str:
    return resolve_text(surface, value, scope) if value is not None else ""


__all__ = ["OpenUrlRequest", "binding_path", "build_action", "failed_checks", "resolve", "resolve_text",
           "truthy", "value_text"]
