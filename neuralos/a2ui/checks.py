"""Client-side checks: a Checkable component's `checks`, each a boolean condition with a message."""
from __future__ import annotations

from neuralos.a2ui.dynamic import resolve
from neuralos.a2ui.functions import truthy
from neuralos.a2ui.surface import Surface


def failed_checks(surface: Surface, component: dict, scope: str = "/",
                  errors: list[str] | None = None) -> list[str]:
    """Messages of the component's checks whose condition is false, in order.

    A condition that cannot be evaluated (failing function, missing data) counts as false, so the
    user sees the check's message rather than an input silently accepted.
    """
    failed = []
    for rule in component.get("checks") or ():
        if isinstance(rule, dict) and not truthy(resolve(surface, rule.get("condition"), scope, errors)):
            failed.append(str(rule.get("message", "")))
    return failed
