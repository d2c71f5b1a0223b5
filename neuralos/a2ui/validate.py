"""Validation of A2UI messages: the official v0.9 JSON schemas, then the structural rules they cannot say.

Schema files are the official ones, shipped as package data under `neuralos/a2ui/spec/` (Apache-2.0).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from neuralos.resources import A2UI_SPEC, BASIC_CATALOG_ID

MAX_COMPONENTS = 5000
MAX_DEPTH = 64
SCHEMA_BASE = "https://a2ui.org/specification/v0_9/"


@dataclass(frozen=True)
class Issue:
    """One thing wrong: `path` is a JSON pointer into the batch ("/2/updateComponents/components/0/text")."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@lru_cache(maxsize=None)
def _registry(catalog_file: str) -> Registry:
    resources = []
    for f in (A2UI_SPEC / "json").glob("*.json"):
        schema = json.loads(f.read_text())
        resources.append((SCHEMA_BASE + f.name, Resource.from_contents(schema, default_specification=DRAFT202012)))
    catalog = json.loads((A2UI_SPEC / catalog_file).read_text())
    # server_to_client.json refers to "catalog.json": bind it to the catalog in use.
    resources.append((SCHEMA_BASE + "catalog.json", Resource.from_contents(catalog, default_specification=DRAFT202012)))
    resources.append((catalog["$id"], Resource.from_contents(catalog, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


CATALOG_FILES = {
    BASIC_CATALOG_ID: "catalogs/basic/catalog.json",
    SCHEMA_BASE + "catalogs/minimal/catalog.json": "catalogs/minimal/catalog.json",
}


@lru_cache(maxsize=None)
def validator(schema_name: str = "server_to_client.json",
              catalog_id: str = BASIC_CATALOG_ID) -> Draft202012Validator:
    """A validator for one official schema file, with `catalog.json` bound to the given catalog."""
    registry = _registry(CATALOG_FILES.get(catalog_id, CATALOG_FILES[BASIC_CATALOG_ID]))
    schema = registry.contents(SCHEMA_BASE + schema_name)
    return Draft202012Validator(schema, registry=registry)


def _pointer(parts) -> str:
    return "".join(f"/{p}" for p in parts)


def _best_errors(v: Draft202012Validator, instance) -> list:
    """Deepest, most specific schema errors (oneOf branches unpacked to the one that nearly matched)."""
    out = []
    for err in v.iter_errors(instance):
        leaf = err
        while leaf.context:
            # Follow the branch that got furthest into the instance.
            leaf = max(leaf.context, key=lambda e: (len(e.absolute_path), -len(e.context or ())))
        out.append(leaf)
    return out


def schema_issues(message: dict, prefix: str = "", catalog_id: str = BASIC_CATALOG_ID,
                  schema_name: str = "server_to_client.json") -> list[Issue]:
    """Issues the official schema finds in one message; `prefix` is the message's own pointer."""
    v = validator(schema_name, catalog_id)
    return [Issue(prefix + _pointer(e.absolute_path), e.message) for e in _best_errors(v, message)]


def structure_issues(components: dict[str, dict], prefix: str = "",
                     allow_pending: bool = False) -> list[Issue]:
    """Rules the schema cannot express, on a surface's full component map.

    Exactly one `root` once there are components; no dangling child ids (unless `allow_pending`,
    for streamed input whose children are still on their way); no cycles; bounded depth and size.
    """
    issues: list[Issue] = []
    if not components:
        return issues
    if len(components) > MAX_COMPONENTS:
        issues.append(Issue(prefix, f"{len(components)} components exceed the limit of {MAX_COMPONENTS}"))
    if "root" not in components and not allow_pending:
        issues.append(Issue(prefix, "no component has id 'root' (exactly one must)"))
    from neuralos.a2ui.surface import Surface  # local: avoids a cycle at import time

    refs = Surface("", "").child_ids
    for cid, comp in components.items():
        for child in refs(comp):
            if child not in components and not allow_pending:
                issues.append(Issue(f"{prefix}/{cid}", f"refers to component {child!r}, which does not exist"))
    # Cycles and depth: depth-first from every component (templates count as edges too).
    state: dict[str, int] = {}  # 1 = on stack, 2 = done
    depth: dict[str, int] = {}

    def visit(cid: str, trail: list[str]) -> None:
        stack = [(cid, iter(refs(components[cid])))]
        state[cid] = 1
        while stack:
            node, it = stack[-1]
            child = next(it, None)
            if child is None:
                state[node] = 2
                depth[node] = 1 + max((depth.get(c, 0) for c in refs(components[node]) if c in components),
                                      default=0)
                stack.pop()
                continue
            if child not in components:
                continue
            if state.get(child) == 1:
                loop = [n for n, _ in stack] + [child]
                loop = loop[loop.index(child):]
                issues.append(Issue(f"{prefix}/{node}", "cycle: " + " -> ".join(loop)))
                continue
            if state.get(child) is None:
                state[child] = 1
                stack.append((child, iter(refs(components[child]))))

    for cid in components:
        if cid not in state:
            visit(cid, [])
    if depth.get("root", 0) > MAX_DEPTH:
        issues.append(Issue(f"{prefix}/root", f"tree depth {depth['root']} exceeds the limit of {MAX_DEPTH}"))
    return issues
