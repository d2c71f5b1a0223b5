"""Validation of A2UI messages: the official v0.9 JSON schemas, then the structural rules they cannot say.

Schema files are the official ones, shipped as package data under `neuralos/a2ui/spec/` (Apache-2.0).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
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
    _tag_branches(catalog)
    return Registry().with_resources(resources)


# A catalog's `anyComponent` and `anyFunction` are oneOfs whose branches differ in one constant
# property (`component`, `call`). Validating only the branch whose constant matches is equivalent to
# the oneOf (every other branch fails on that constant) but ~18x faster, and its errors are the
# branch's own. id(oneOf schema) -> (property, {constant: branch}); the registry keeps the schemas alive.
_TAGGED: dict[int, tuple[str, dict[str, dict]]] = {}


def _tag_branches(catalog: dict) -> None:
    for schema in catalog.get("$defs", {}).values():
        branches = schema.get("oneOf") if isinstance(schema, dict) else None
        if not branches:
            continue
        tags = [_constants(catalog, b) for b in branches]
        props = set.intersection(*(set(t) for t in tags))
        props = sorted(p for p in props if len({t[p] for t in tags}) == len(tags))
        preferred = schema.get("discriminator", {}).get("propertyName")
        prop = preferred if preferred in props else next(iter(props), None)
        if prop:
            _TAGGED[id(schema)] = (prop, {t[prop]: b for t, b in zip(tags, branches)})


def _constants(catalog: dict, branch: dict) -> dict[str, object]:
    """Required properties with a `const` in a local `$ref` branch, e.g. {"component": "Text"}."""
    ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
    if not ref.startswith("#/"):
        return {}
    target = catalog
    for part in ref[2:].split("/"):
        target = target.get(part, {})
    parts = [target, *target.get("allOf", ())]
    required = {r for p in parts for r in p.get("required", ())}
    return {k: v["const"] for p in parts for k, v in p.get("properties", {}).items()
            if k in required and isinstance(v, dict) and isinstance(v.get("const"), str)}


_KIND_OF_TAG = {"component": "component type", "call": "function"}


def _one_of(validator, branches, instance, schema):
    tagged = _TAGGED.get(id(schema))
    if tagged is None or not isinstance(instance, dict) or tagged[0] not in instance:
        yield from Draft202012Validator.VALIDATORS["oneOf"](validator, branches, instance, schema)
        return
    prop, by_tag = tagged
    tag = instance[prop]
    branch = by_tag.get(tag) if isinstance(tag, str) else None
    if branch is None:
        name = repr(tag) if isinstance(tag, str) else _json(tag)
        yield ValidationError(f"unknown {_KIND_OF_TAG.get(prop, prop)} {name} (catalog has {', '.join(by_tag)})",
                              path=(prop,))
    else:
        yield from validator.descend(instance, branch)


_Validator = validators.extend(Draft202012Validator, {"oneOf": _one_of})


# The formats the A2UI schemas use, checked here because jsonschema's own checkers for them need extra
# packages. ISO 8601 as renderers write it: time zone optional (DateTimeInput's min/max rely on the
# three date/time formats being told apart: their `oneOf` fails when format is not asserted).
_DATE = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_TIME = r"([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d+)?)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)?"
_FORMAT_PATTERNS = {"date": _DATE, "time": _TIME, "date-time": f"{_DATE}[Tt ]{_TIME}",
                    "uri": r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*"}


def _matcher(pattern: str):
    rx = re.compile(pattern)
    return lambda value: not isinstance(value, str) or rx.fullmatch(value) is not None


FORMATS = FormatChecker(formats=())
for _name, _pattern in _FORMAT_PATTERNS.items():
    FORMATS.checks(_name)(_matcher(_pattern))


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
    return _Validator(schema, registry=registry, format_checker=FORMATS)


def _pointer(parts) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# Properties that say which branch of a oneOf an object means: a component's type, a function's name,
# a binding's path, an action's kind, a message's kind.
DISCRIMINATORS = ("component", "call", "path", "event", "functionCall",
                  "createSurface", "updateComponents", "updateDataModel", "deleteSurface")


def _missing(err) -> str | None:
    """The first property a `required` error reports missing."""
    props = [p for p in err.validator_value if isinstance(err.instance, dict) and p not in err.instance]
    return props[0] if props else None


def _rejects(err, depth: int) -> bool:
    """Does this error show its branch is about a different kind of value altogether?"""
    path = list(err.absolute_path)
    if err.validator == "type" and len(path) == depth:
        return True
    return err.validator == "required" and len(path) == depth and _missing(err) in DISCRIMINATORS


def _kind(err) -> list[str]:
    """What a branch rejected for its type wanted, in words."""
    required = err.schema.get("required", ()) if isinstance(err.schema, dict) else ()
    if "componentId" in required:
        return ['a template {"componentId": ..., "path": ...}']
    if "path" in required:
        return ['a data binding {"path": ...}']
    if "call" in required:
        return ['a function call {"call": ...}']
    types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    return [("an " if t[0] in "aeiou" else "a ") + t for t in types]


def json_kind(value) -> str:
    """What kind of JSON value this is, in words ("an array", "null", ...)."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _json(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _words(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" or " if len(items) > 1 else "") + items[-1]


def _drop_consequences(errs: list) -> list:
    """`unevaluatedProperties` fires for every property whose own subschema failed: noise next to the cause."""
    causes = [e for e in errs if e.validator != "unevaluatedProperties"]
    return causes or errs


def _explain(err) -> list[tuple[str, str]]:
    """(path, message) pairs for one schema error, choosing the oneOf/anyOf branch the value meant."""
    if not err.context:
        return [(_pointer(err.absolute_path), err.message)]
    depth = len(err.absolute_path)
    branches: dict = {}
    for e in err.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)
    relevant = [errs for errs in branches.values() if not any(_rejects(e, depth) for e in errs)]
    if relevant:
        # The one branch left, or the one that got furthest into the value.
        errs = max(relevant, key=lambda es: (max(len(e.absolute_path) for e in es), -len(es)))
        return [issue for e in _drop_consequences(errs) for issue in _explain(e)]
    here, inst = _pointer(err.absolute_path), err.instance
    at_depth = [e for e in err.context if len(e.absolute_path) == depth]
    if any(e.validator == "type" for e in at_depth):
        expected = [k for e in at_depth if e.validator == "type" for k in _kind(e)]
        expected += [_kind(e)[0] for e in at_depth if e.validator == "required" and _missing(e) in ("path", "call")]
        return [(here, f"{_json(inst)} is not valid here: expected {_words(list(dict.fromkeys(expected)))}")]
    missing = list(dict.fromkeys(_missing(e) for e in at_depth if e.validator == "required" and _missing(e)))
    if missing:
        return [(here, f"{_words([repr(m) for m in missing])} is a required property" if len(missing) == 1
                 else f"needs one of {_words([repr(m) for m in missing])}")]
    return [(here, err.message if len(err.message) <= 200 else f"{_json(inst)} is not valid here")]


def schema_issues(message: dict, prefix: str = "", catalog_id: str = BASIC_CATALOG_ID,
                  schema_name: str = "server_to_client.json") -> list[Issue]:
    """Issues the official schema finds in one message; `prefix` is the message's own pointer."""
    v = validator(schema_name, catalog_id)
    found = [issue for err in _drop_consequences(list(v.iter_errors(message))) for issue in _explain(err)]
    return [Issue(prefix + path, msg) for path, msg in dict.fromkeys(found)]


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

    def visit(cid: str) -> None:
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
            visit(cid)
    if depth.get("root", 0) > MAX_DEPTH:
        issues.append(Issue(f"{prefix}/root", f"tree depth {depth['root']} exceeds the limit of {MAX_DEPTH}"))
    return issues
