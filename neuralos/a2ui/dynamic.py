"""Dynamic values: literals, data bindings (`{"path": ...}`) and function calls (`{"call": ...}`).

Resolution happens at render time and never raises on bad data: a binding to nothing is None, and a
function that fails yields a safe default for its return type. Failures are logged and, when an
`errors` list is passed, appended to it so a caller can report them.
"""
from __future__ import annotations

import logging
from typing import Any

from neuralos.a2ui import pointer
from neuralos.a2ui.functions import Context, FunctionError, call, signatures, to_text
from neuralos.a2ui.surface import Surface

log = logging.getLogger(__name__)

_SAFE_DEFAULTS = {"string": "", "boolean": False, "array": [], "object": {}}


def is_binding(value: Any) -> bool:
    """True for a data binding: an object whose only key is a string `path`."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("path"), str)


def is_call(value: Any) -> bool:
    """True for a function call: an object with a string `call`, optional `args` and `returnType`."""
    return (isinstance(value, dict) and isinstance(value.get("call"), str)
            and value.keys() <= {"call", "args", "returnType"})


def binding_path(value: Any, scope: str = "/") -> str | None:
    """The absolute pointer a data binding writes to (two-way binding), or None for anything else."""
    if not is_binding(value):
        return None
    try:
        return pointer.resolve(value["path"], scope)
    except pointer.PointerError:
        return None


def resolve(surface: Surface, value: Any, scope: str = "/", errors: list[str] | None = None) -> Any:
    """The current value of a dynamic value seen from template `scope`.

    Literals come back as they are, lists and objects with their members resolved (a ChoicePicker's
    option labels, a Tabs' titles); bindings read the surface's data model (None when absent; the value
    itself, not a copy: do not mutate it); calls run the catalog function on their resolved arguments.
    """
    return _resolve(value, Context(surface.data, scope), errors, 0)


def resolve_text(surface: Surface, value: Any, scope: str = "/", errors: list[str] | None = None) -> str:
    """`resolve` as display text: None -> "", booleans lowercase, whole numbers without ".0"."""
    return to_text(resolve(surface, value, scope, errors))


def _resolve(value: Any, ctx: Context, errors: list[str] | None, depth: int) -> Any:
    if is_binding(value):
        try:
            return ctx.get(value["path"])
        except FunctionError as e:
            _report(errors, str(e))
            return None
    if is_call(value):
        return _call(value, ctx, errors, depth)
    if isinstance(value, list):
        return [_resolve(v, ctx, errors, depth) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, ctx, errors, depth) for k, v in value.items()}
    return value


def _call(value: dict, ctx: Context, errors: list[str] | None, depth: int) -> Any:
    name = value["call"]
    returns = value.get("returnType") or signatures().get(name, (None, "any"))[1]
    raw_args = value.get("args") or {}
    try:
        if not isinstance(raw_args, dict):
            raise FunctionError(f"{name}: args must be an object")
        args = {k: _resolve(v, ctx, errors, depth + 1) for k, v in raw_args.items()}
        return call(name, args, ctx, depth)
    except FunctionError as e:
        _report(errors, str(e))
    except Exception as e:  # noqa: BLE001 - render time: a function's own bug must not take the UI down
        log.exception("function %s failed", name)
        _report(errors, f"{name}: {type(e).__name__}: {e}")
    default = _SAFE_DEFAULTS.get(returns)
    return type(default)() if default is not None else None


def _report(errors: list[str] | None, message: str) -> None:
    log.debug("dynamic value: %s", message)
    if errors is not None:
        errors.append(message)
