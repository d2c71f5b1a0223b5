"""JSON Pointer (RFC 6901) get/set/delete on plain JSON values, plus A2UI's relative paths.

A2UI paths are absolute ("/user/name") or, inside a ChildList template, relative to the item's
scope ("name" -> "/items/3/name").
"""
from __future__ import annotations

from typing import Any

_MISSING = object()


class PointerError(ValueError):
    pass


def split(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"JSON pointer {pointer!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def join(tokens: list[str]) -> str:
    return "/" + "/".join(str(t).replace("~", "~0").replace("/", "~1") for t in tokens) if tokens else "/"


def resolve(path: str, scope: str = "/") -> str:
    """Absolute pointer for `path` seen from template `scope` (itself absolute)."""
    if path.startswith("/"):
        return path
    base = split(scope)
    rel = [t for t in path.split("/") if t not in ("", ".")]
    return join(base + [t.replace("~1", "/").replace("~0", "~") for t in rel])


def _index(container: list, token: str, allow_end: bool = False) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PointerError(f"{token!r} is not an array index")
    i = int(token)
    if i > len(container) or (i == len(container) and not allow_end):
        raise PointerError(f"index {i} is out of range (length {len(container)})")
    return i


def get(doc: Any, pointer: str, default: Any = None) -> Any:
    """Value at pointer, or `default` when any step is missing."""
    cur = doc
    for token in split(pointer):
        if isinstance(cur, dict):
            if token not in cur:
                return default
            cur = cur[token]
        elif isinstance(cur, list):
            try:
                cur = cur[_index(cur, token)]
            except PointerError:
                return default
        else:
            return default
    return cur


def set(doc: Any, pointer: str, value: Any) -> Any:
    """Set value at pointer, creating objects along the way; returns the (possibly new) root."""
    tokens = split(pointer)
    if not tokens:
        return value
    root = doc if isinstance(doc, (dict, list)) else {}
    cur = root
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        if isinstance(cur, dict):
            if last:
                cur[token] = value
            else:
                nxt = cur.get(token)
                if not isinstance(nxt, (dict, list)):
                    nxt = {}
                    cur[token] = nxt
                cur = nxt
        elif isinstance(cur, list):
            idx = _index(cur, token, allow_end=True)
            if last:
                if idx == len(cur):
                    cur.append(value)
                else:
                    cur[idx] = value
            else:
                if idx == len(cur):
                    cur.append({})
                if not isinstance(cur[idx], (dict, list)):
                    cur[idx] = {}
                cur = cur[idx]
        else:
            raise PointerError(f"cannot descend into {type(cur).__name__} at {join(tokens[:i])}")
    return root


def delete(doc: Any, pointer: str) -> Any:
    """Remove the value at pointer (no-op when absent); returns the root ({} when the root is removed)."""
    tokens = split(pointer)
    if not tokens:
        return {}
    parent = get(doc, join(tokens[:-1]), _MISSING)
    if isinstance(parent, dict):
        parent.pop(tokens[-1], None)
    elif isinstance(parent, list):
        try:
            del parent[_index(parent, tokens[-1])]
        except PointerError:
            pass
    return doc
