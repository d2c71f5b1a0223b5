"""JSON schemas for constrained decoding, derived from the official A2UI v0.9 schemas.

Grammar engines (xgrammar, llama.cpp, vLLM) support only part of JSON Schema: no `allOf`, no
`unevaluatedProperties`, no cross-file `$ref`. `constrained_schema()` rewrites the official
`server_to_client_list.json` (or its object wrapper) with the basic catalog into one self-contained
schema that says the same thing in that subset:

- every `$ref` becomes a local `#/$defs/...` reference (recursion kept);
- `allOf` is merged into one object (properties and `required` united, `const`s intersected,
  `unevaluatedProperties: false` becomes `additionalProperties: false`); a `oneOf`/`anyOf` beside it
  is distributed over the merge, and branches that contradict (a function whose `returnType` is not
  the one required) are dropped. So a `DynamicString` function call lists exactly the catalog
  functions that return a string;
- annotations, `format`, `if`/`then` and `discriminator` are dropped (looser, never stricter);
- optionally strings and arrays get length bounds (stricter: keeps random or rambling models finite;
  note that xgrammar then forbids escapes such as `\"` and `\n` inside bounded strings, so string
  bounds are off by default and the token budget bounds the answer instead).

The result is still restrictive (only catalog components, with their own properties and enums), but
it is an approximation: answers are always validated against the official schemas afterwards.
"""
from __future__ import annotations

import copy
import itertools
import json
from functools import lru_cache

from neuralos.resources import A2UI_SPEC, BASIC_CATALOG_ID

SCHEMA_BASE = "https://a2ui.org/specification/v0_9/"
_DROP = {"$id", "$schema", "$comment", "description", "title", "discriminator", "default", "examples",
         "format", "if", "then", "else", "$defs", "deprecated"}


class _Contradiction(Exception):
    """Merging two schemas gave one no value can satisfy."""


@lru_cache(maxsize=None)
def _documents() -> dict[str, dict]:
    docs = {}
    for f in (A2UI_SPEC / "json").glob("*.json"):
        docs[SCHEMA_BASE + f.name] = json.loads(f.read_text())
    catalog = json.loads((A2UI_SPEC / "catalogs" / "basic" / "catalog.json").read_text())
    docs[SCHEMA_BASE + "catalog.json"] = catalog
    docs[BASIC_CATALOG_ID] = catalog
    return docs


def _absolute(node, base: str):
    """A deep copy of `node` with every `$ref` made absolute (so merged parts need no base)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                uri, _, frag = v.partition("#")
                uri = base if not uri else uri if uri.startswith("http") else SCHEMA_BASE + uri
                out[k] = f"{uri}#{frag}"
            else:
                out[k] = _absolute(v, base)
        return out
    if isinstance(node, list):
        return [_absolute(x, base) for x in node]
    return node


class _Builder:
    def __init__(self, max_string: int | None, max_items: int | None):
        self.docs = _documents()
        self.defs: dict[str, dict] = {}
        self.max_string = max_string
        self.max_items = max_items

    def _lookup(self, ref: str) -> dict:
        uri, _, frag = ref.partition("#")
        node = self.docs[uri]
        for token in frag.strip("/").split("/") if frag.strip("/") else ():
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return _absolute(node, uri)

    @staticmethod
    def _def_name(ref: str) -> str:
        uri, _, frag = ref.partition("#")
        doc = uri.rsplit("/", 1)[-1].removesuffix(".json")
        return (doc + frag.replace("/", "_").replace("$", "")).strip("_")

    def deref(self, node):
        """Follow `$ref`s until a node that is not a bare reference (siblings become an allOf)."""
        for _ in range(64):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            extra = {k: v for k, v in node.items() if k != "$ref"}
            target = self._lookup(node["$ref"])
            node = {"allOf": [target, extra]} if extra else target
        raise ValueError("reference loop in schema")

    # -- conversion -----------------------------------------------------------------------------
    def convert(self, node):
        """`node` (absolute refs) in the grammar-friendly subset."""
        if isinstance(node, list):
            return [self.convert(x) for x in node]
        if not isinstance(node, dict):
            return node
        node = {k: v for k, v in node.items() if k not in _DROP}
        if "$ref" in node and len(node) == 1:
            name = self._def_name(node["$ref"])
            if name not in self.defs:
                self.defs[name] = {}  # placeholder: breaks recursion
                self.defs[name] = self.convert(self._lookup(node["$ref"]))
            return {"$ref": "#/$defs/" + name}
        constraints = set(node) - _DROP - {"oneOf", "anyOf"}
        if "allOf" in node or "$ref" in node or (("oneOf" in node or "anyOf" in node) and constraints):
            branches = self.flatten(node)
            if not branches:
                return None   # unsatisfiable: the enclosing anyOf drops it
            if len(branches) == 1:
                return self._convert_plain(branches[0])
            alts = [a for a in (self._convert_plain(b) for b in branches) if a is not None]
            return {"anyOf": alts} if len(alts) > 1 else (alts[0] if alts else None)
        return self._convert_plain(node)

    @staticmethod
    def _required(sub):
        if sub is None:
            raise ValueError("a property's schema is unsatisfiable")
        return sub

    def _convert_plain(self, node: dict) -> dict | None:
        out: dict = {}
        for key, value in node.items():
            if key in _DROP:
                continue
            if key in ("oneOf", "anyOf"):
                alts = [a for a in (self.convert(v) for v in value) if a is not None]
                if not alts:
                    return None
                out["anyOf"] = alts
            elif key == "properties":
                out["properties"] = {k: self._required(self.convert(v)) for k, v in value.items()}
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                out[key] = self._required(self.convert(value))
            elif key in ("unevaluatedProperties", "additionalProperties") and value is False:
                out["additionalProperties"] = False
            elif key in ("unevaluatedProperties", "additionalProperties") and value is True:
                continue   # no-op in JSON Schema, but some engines read it as "an object"
            else:
                out[key] = copy.deepcopy(value)
        kind = out.get("type")
        if kind == "string" and self.max_string and not ({"enum", "const", "pattern"} & set(out)):
            out["maxLength"] = min(out.get("maxLength", self.max_string), self.max_string)
        if kind == "array" and self.max_items:
            out["maxItems"] = min(out.get("maxItems", self.max_items), self.max_items)
        return out

    def flatten(self, node) -> list[dict]:
        """`node` as a list of allOf-free alternatives."""
        node = self.deref(node)
        if not isinstance(node, dict):
            return [node]
        own = {k: v for k, v in node.items() if k not in ("allOf", "oneOf", "anyOf")}
        parts: list[list[dict]] = [self.flatten(sub) for sub in node.get("allOf", ())]
        for key in ("oneOf", "anyOf"):
            if key in node:
                parts.append([alt for sub in node[key] for alt in self.flatten(sub)])
        if not parts:
            return [own]
        out = []
        for combo in itertools.product(*parts):
            try:
                merged = dict(own)
                for sub in combo:
                    merged = _merge(merged, sub)
            except _Contradiction:
                continue
            out.append(_required_first(merged) if "allOf" in node else merged)
        return out


def _required_first(node: dict) -> dict:
    """Order merged properties required-first (id, component, ...), as the examples write them."""
    props = node.get("properties")
    if not props:
        return node
    required = [k for k in node.get("required", []) if k in props]
    order = required + [k for k in props if k not in required]
    return {**node, "properties": {k: props[k] for k in order}}


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        if key == "properties":
            props = dict(out.get("properties", {}))
            for name, sub in value.items():
                props[name] = _merge_property(props[name], sub) if name in props else sub
            out["properties"] = props
        elif key == "required":
            out["required"] = list(dict.fromkeys([*out.get("required", []), *value]))
        elif key == "const":
            if "const" in out and out["const"] != value:
                raise _Contradiction
            if "enum" in out and value not in out["enum"]:
                raise _Contradiction
            out["const"] = value
        elif key == "enum":
            if "const" in out:
                if out["const"] not in value:
                    raise _Contradiction
            else:
                out["enum"] = [v for v in out.get("enum", value) if v in value]
                if not out["enum"]:
                    raise _Contradiction
        elif key == "type":
            if "type" in out and out["type"] != value:
                raise _Contradiction
            out["type"] = value
        elif key in ("unevaluatedProperties", "additionalProperties"):
            if value is False or out.get(key) is False:
                out[key] = False
            else:
                out.setdefault(key, value)
        else:
            out.setdefault(key, value)
    if "const" in out:
        out.pop("enum", None)
    if out.get("unevaluatedProperties") is False:
        out.pop("unevaluatedProperties")
        out["additionalProperties"] = False
    return out


def _merge_property(a: dict, b: dict) -> dict:
    if "$ref" in a and "$ref" in b and a != b:
        return {"allOf": [a, b]}   # resolved when converted
    if "$ref" in a and set(b) - {"const", "enum", "type"}:
        return {"allOf": [a, b]}
    if "$ref" in b and set(a) - {"const", "enum", "type"}:
        return {"allOf": [a, b]}
    if "$ref" in a or "$ref" in b:
        return {"allOf": [a, b]}
    return _merge(a, b)


def constrained_schema(wrapper: bool = False, max_string: int | None = None,
                       max_items: int | None = 64, min_messages: int = 1) -> dict:
    """A self-contained schema of "a JSON array of A2UI v0.9 messages" (basic catalog).

    `wrapper=True` gives the official object form `{"messages": [...]}` (for servers whose
    structured output needs an object at the top). `min_messages` rejects an empty answer.
    """
    builder = _Builder(max_string, max_items)
    name = "server_to_client_list_wrapper.json" if wrapper else "server_to_client_list.json"
    root = builder.convert(_absolute(builder.docs[SCHEMA_BASE + name], SCHEMA_BASE + name))
    listing = root["properties"]["messages"] if wrapper else root
    if "$ref" in listing:
        listing = builder.defs[listing["$ref"].rsplit("/", 1)[-1]]
    if min_messages:
        listing["minItems"] = min_messages
    return {**root, "$defs": builder.defs}


def canonical(value, schema: dict):
    """`value` with object keys in the order the constrained `schema` generates them.

    Grammar-constrained decoding writes properties in schema order; examples shown to a model (and
    scripted answers) should use the same order. Values the schema rejects keep their own order.
    """
    from jsonschema import Draft202012Validator

    defs = schema.get("$defs", {})

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def fits(node, inst) -> bool:
        return Draft202012Validator({**node, "$defs": defs}).is_valid(inst)

    def walk(inst, node):
        node = resolve(node)
        if not isinstance(node, dict):
            return inst
        if "anyOf" in node:
            for alt in node["anyOf"]:
                if fits(resolve(alt), inst):
                    return walk(inst, alt)
            return inst
        if isinstance(inst, dict):
            props = node.get("properties", {})
            extra = node.get("additionalProperties")
            ordered = {k: walk(inst[k], props[k]) for k in props if k in inst}
            for k, v in inst.items():
                if k not in ordered:
                    ordered[k] = walk(v, extra) if isinstance(extra, dict) else v
            return ordered
        if isinstance(inst, list) and isinstance(node.get("items"), dict):
            return [walk(x, node["items"]) for x in inst]
        return inst

    return walk(value, schema)
