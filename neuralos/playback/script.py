"""Playback scripts (SPEC section 6): parse YAML or JSON, validate every step up front, keep line numbers.

A script is checked completely before anything runs: every step, every field, every inline A2UI
message (against the official schema, and structurally where the state it applies to is known from
the script alone). A mistake is a `BadInput` naming `FILE:LINE` and what is wrong:

    demo.yaml:12: unknown step 'clik' (did you mean 'click'? expected one of intent, a2ui, ...)

Parsing keeps the YAML node tree (`yaml.compose`), so each step and each value inside a step knows
its line. JSON scripts are parsed with `json` first (exact syntax errors) and then composed as YAML
(JSON is YAML) for the line numbers. The YAML dialect is JSON-compatible: only true/false are
booleans and dates stay strings, so `key: No` or `text: 2024-01-02` mean what they say.
"""
from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from neuralos.errors import BadInput

STEP_KINDS = ("intent", "a2ui", "click", "type", "key", "wait", "snapshot", "expect")
TOP_LEVEL_KEYS = ("size", "renderer", "planner", "seed", "steps")
EXPECT_KINDS = ("text", "component", "surfaces", "data")
# Steps after which the state may change in ways the script does not say (planner, window buttons).
STATE_CHANGING = ("intent", "click", "key")
MAX_WAIT_S = 600.0
SNAPSHOT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SIZE_RE = re.compile(r"\s*(\d+)\s*[xX]\s*(\d+)\s*")

# Key names a `key` step accepts (case-insensitive), mapped to their canonical spelling.
NAMED_KEYS = {k.lower(): k for k in (
    "Enter", "Return", "Tab", "Backtab", "Backspace", "Escape", "Delete", "Insert", "Home", "End",
    "PageUp", "PageDown", "Left", "Right", "Up", "Down", "Space",
    *(f"F{i}" for i in range(1, 13)))}
NAMED_KEYS.update({"esc": "Escape", "del": "Delete", "pgup": "PageUp", "pgdown": "PageDown"})
MODIFIERS = {"ctrl": "Ctrl", "control": "Ctrl", "shift": "Shift", "alt": "Alt", "meta": "Meta",
             "cmd": "Meta", "super": "Meta"}


# -- the typed script ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    line: int                       # 1-based line of the step in the script
    kind: ClassVar[str] = ""

    def describe(self) -> str:
        return self.kind


@dataclass(frozen=True)
class Intent(Step):
    text: str = ""
    kind: ClassVar[str] = "intent"

    def describe(self) -> str:
        return f"intent {self.text!r}"


@dataclass(frozen=True)
class A2UI(Step):
    messages: tuple = ()            # A2UI v0.9 server-to-client messages (dicts), schema-checked
    message_lines: tuple = ()       # line of each message
    kind: ClassVar[str] = "a2ui"

    def describe(self) -> str:
        return f"a2ui ({len(self.messages)} message{'s' if len(self.messages) != 1 else ''})"


@dataclass(frozen=True)
class Target:
    """What a click aims at: visible text, a component id, or a canvas point."""

    text: str | None = None
    id: str | None = None
    at: tuple[float, float] | None = None
    surface: str | None = None      # optional: only look in this surface (text/id targets)

    def describe(self) -> str:
        where = f" in surface {self.surface!r}" if self.surface else ""
        if self.text is not None:
            return f"text {self.text!r}{where}"
        if self.id is not None:
            return f"id {self.id!r}{where}"
        return f"point ({self.at[0]:g}, {self.at[1]:g})"


@dataclass(frozen=True)
class Click(Step):
    target: Target = field(default_factory=Target)
    kind: ClassVar[str] = "click"

    def describe(self) -> str:
        return f"click {self.target.describe()}"


@dataclass(frozen=True)
class Type(Step):
    text: str = ""
    kind: ClassVar[str] = "type"

    def describe(self) -> str:
        return f"type {self.text!r}"


@dataclass(frozen=True)
class Key(Step):
    name: str = ""                  # canonical: modifiers first, e.g. "Ctrl+Shift+Left", "Enter", "a"
    kind: ClassVar[str] = "key"

    def describe(self) -> str:
        return f"key {self.name}"


@dataclass(frozen=True)
class Wait(Step):
    seconds: float = 0.0
    kind: ClassVar[str] = "wait"

    def describe(self) -> str:
        return f"wait {self.seconds:g}s"


@dataclass(frozen=True)
class Snapshot(Step):
    name: str = ""
    kind: ClassVar[str] = "snapshot"

    def describe(self) -> str:
        return f"snapshot {self.name}"


@dataclass(frozen=True)
class Expect(Step):
    kind: ClassVar[str] = "expect"


@dataclass(frozen=True)
class ExpectText(Expect):
    text: str = ""
    surface: str | None = None

    def describe(self) -> str:
        return f"expect text {self.text!r}"


@dataclass(frozen=True)
class ExpectComponent(Expect):
    component: str = ""             # a catalog type (TextField) or a component id
    value: Any = None
    surface: str | None = None

    def describe(self) -> str:
        return f"expect {self.component} value {self.value!r}"


@dataclass(frozen=True)
class ExpectSurfaces(Expect):
    count: int = 0

    def describe(self) -> str:
        return f"expect {self.count} surface(s)"


@dataclass(frozen=True)
class ExpectData(Expect):
    path: str = "/"
    equals: Any = None
    surface: str | None = None

    def describe(self) -> str:
        return f"expect data {self.path} == {self.equals!r}"


@dataclass(frozen=True)
class Script:
    path: str                       # as the user named it (used in messages)
    steps: tuple[Step, ...]
    size: tuple[int, int] | None = None
    renderer: str | None = None
    planner: str | None = None
    seed: int | None = None
    size_line: int | None = None

    def where(self, line: int | None) -> str:
        return f"{self.path}:{line}" if line else self.path


# -- the YAML dialect -------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """SafeLoader with JSON-compatible scalars: only true/false are booleans, no timestamps."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


# -- parsing ----------------------------------------------------------------------------------------
class _Errors:
    def __init__(self, path: str):
        self.path = path
        self.items: list[tuple[int | None, str]] = []

    def add(self, node_or_line, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) or node_or_line is None else _line(node_or_line)
        self.items.append((line, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        line, message = self.items[0]
        more = ""
        if len(self.items) > 1:
            others = ", ".join(str(ln) for ln, _ in self.items[1:6] if ln)
            more = f" (and {len(self.items) - 1} more problem{'s' if len(self.items) > 2 else ''}" \
                   f"{' on line ' + others if others else ''})"
        err = BadInput(message + more, where=f"{self.path}:{line}" if line else self.path)
        err.problems = [(ln, msg) for ln, msg in self.items]
        raise err


class _Invalid(Exception):
    """One field is wrong; caught per step so every step gets checked."""

    def __init__(self, node, message: str):
        self.node, self.message = node, message


def _line(node) -> int | None:
    return node.start_mark.line + 1 if node is not None and getattr(node, "start_mark", None) else None


def _kind_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing (null)"
    return type(value).__name__


def _node_kind(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return "a value"


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


class _Parser:
    def __init__(self, text: str, path: str, simulate: bool = True):
        from neuralos.a2ui.processor import MessageProcessor

        self.path = path
        self.loader = _Loader(text)
        self.errors = _Errors(path)
        # Inline A2UI is applied to a scratch state while the state follows from the script alone.
        self.scratch = MessageProcessor()
        self.simulating = simulate
        self.catalogs: dict[str, str] = {}

    # value helpers
    def value(self, node):
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node, what: str) -> dict[str, tuple[Any, Any]]:
        """key -> (key node, value node), rejecting duplicate and non-text keys."""
        if not isinstance(node, yaml.MappingNode):
            raise _Invalid(node, f"{what} must be a mapping, not {_node_kind(node)}")
        out: dict[str, tuple[Any, Any]] = {}
        for knode, vnode in node.value:
            key = self.value(knode)
            if not isinstance(key, str):
                raise _Invalid(knode, f"{what}: keys must be text, not {_kind_name(key)}")
            if key in out:
                raise _Invalid(knode, f"{what}: duplicate key {key!r}")
            out[key] = (knode, vnode)
        return out

    def text(self, node, what: str, *, allow_empty: bool = False) -> str:
        v = self.value(node)
        if not isinstance(v, str):
            hint = " (put it in quotes)" if isinstance(v, (bool, int, float)) or v is None else ""
            raise _Invalid(node, f"{what} must be text, not {_kind_name(v)}{hint}")
        if not allow_empty and not v:
            raise _Invalid(node, f"{what} must not be empty")
        return v

    def json_value(self, node, what: str):
        v = self.value(node)
        _check_json(v, node, what)
        return v

    # the document
    def parse(self) -> Script:
        try:
            root = self.loader.get_single_node()
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(str(p) for p in (e.context, e.problem) if p) or "invalid YAML"
            raise BadInput(f"invalid YAML: {what}", where=f"{self.path}:{line}" if line else self.path) from None
        except yaml.YAMLError as e:
            raise BadInput(f"invalid YAML: {e}", where=self.path) from None
        if root is None:
            raise BadInput("the script is empty (expected a mapping with `steps:` or a list of steps)",
                           where=self.path)
        top: dict[str, tuple[Any, Any]] = {}
        if isinstance(root, yaml.SequenceNode):
            steps_node = root
        else:
            if not isinstance(root, yaml.MappingNode):
                raise BadInput(f"the script must be a mapping with `steps:` (or a list of steps), not "
                               f"{_kind_name(self.value(root))}", where=f"{self.path}:{_line(root)}")
            try:
                top = self.mapping(root, "the script")
            except _Invalid as e:
                raise BadInput(e.message, where=f"{self.path}:{_line(e.node)}") from None
            for key, (knode, _) in top.items():
                if key not in TOP_LEVEL_KEYS:
                    self.errors.add(knode, f"unknown top-level key {key!r} ({_suggest(key, TOP_LEVEL_KEYS)}"
                                           f"expected {', '.join(TOP_LEVEL_KEYS)})")
            if "steps" not in top:
                self.errors.add(root, "the script has no `steps:` list")
                self.errors.raise_if_any()
            steps_node = top["steps"][1]
        size = renderer = planner = seed = size_line = None
        try:
            if "size" in top:
                size_line = _line(top["size"][1])
                size = parse_size(self.value(top["size"][1]), top["size"][1])
            if "renderer" in top:
                renderer = self.text(top["renderer"][1], "renderer")
            if "planner" in top:
                planner = self.text(top["planner"][1], "planner")
            if "seed" in top:
                seed = self.value(top["seed"][1])
                if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                    raise _Invalid(top["seed"][1], f"seed must be a whole number >= 0, not {seed!r}")
        except _Invalid as e:
            self.errors.add(e.node, e.message)
        if not isinstance(steps_node, yaml.SequenceNode):
            self.errors.add(steps_node, f"`steps` must be a list of steps, not {_node_kind(steps_node)}")
            self.errors.raise_if_any()
        if not steps_node.value:
            self.errors.add(steps_node, "`steps` is empty: nothing to play")
        steps = []
        snapshot_lines: dict[str, int] = {}
        for snode in steps_node.value:
            try:
                step = self.step(snode)
            except _Invalid as e:
                self.errors.add(e.node if e.node is not None else snode, e.message)
                continue
            if step.kind in STATE_CHANGING:
                self.simulating = False   # from here on the planner may change the state: schema checks only
            if isinstance(step, Snapshot):
                if step.name in snapshot_lines:
                    self.errors.add(step.line, f"snapshot {step.name!r} is already taken on line "
                                               f"{snapshot_lines[step.name]} (names must be unique)")
                snapshot_lines.setdefault(step.name, step.line)
            steps.append(step)
        self.errors.raise_if_any()
        return Script(self.path, tuple(steps), size, renderer, planner, seed, size_line)

    def step(self, node) -> Step:
        if isinstance(node, yaml.ScalarNode):
            name = self.value(node)
            if isinstance(name, str) and name in STEP_KINDS:
                raise _Invalid(node, f"step {name!r} needs a value (write `{name}: ...`)")
            raise _Invalid(node, f"a step must be a mapping like `click: {{text: Add}}`, not {_kind_name(name)} "
                                 f"{name!r}")
        fields = self.mapping(node, "a step")
        if not fields:
            raise _Invalid(node, "empty step (expected one of " + ", ".join(STEP_KINDS) + ")")
        kinds = [k for k in fields if k in STEP_KINDS]
        unknown = [k for k in fields if k not in STEP_KINDS]
        if unknown:
            key = unknown[0]
            if kinds:
                raise _Invalid(fields[key][0], f"{kinds[0]} step: unknown key {key!r} (a step has exactly one "
                                               f"key, its kind)")
            raise _Invalid(fields[key][0], f"unknown step {key!r} ({_suggest(key, STEP_KINDS)}expected one of "
                                           f"{', '.join(STEP_KINDS)})")
        if len(kinds) > 1:
            raise _Invalid(fields[kinds[1]][0], f"one step per list item: found both {kinds[0]!r} and "
                                                f"{kinds[1]!r} (start a new item with `- {kinds[1]}: ...`)")
        kind = kinds[0]
        knode, vnode = fields[kind]
        line = _line(knode)
        return getattr(self, "step_" + kind)(line, vnode)

    # the step kinds
    def step_intent(self, line, node) -> Intent:
        text = self.text(node, "intent")
        if not text.strip():
            raise _Invalid(node, "intent must not be blank")
        return Intent(line, text.strip())

    def step_a2ui(self, line, node) -> A2UI:
        if isinstance(node, yaml.ScalarNode):
            raise _Invalid(node, "a2ui must be a list of A2UI messages (or one message), not "
                                 f"{_kind_name(self.value(node))}")
        if isinstance(node, yaml.MappingNode):
            keys = self.mapping(node, "a2ui")
            items = [node] if "messages" not in keys else None
            if items is None:
                msgs_node = keys["messages"][1]
                if not isinstance(msgs_node, yaml.SequenceNode):
                    raise _Invalid(msgs_node, "a2ui: `messages` must be a list")
                items = msgs_node.value
        else:
            items = node.value
        if not items:
            raise _Invalid(node, "a2ui: no messages")
        messages, lines = [], []
        for i, mnode in enumerate(items):
            msg = self.json_value(mnode, f"a2ui message {i}")
            if not isinstance(msg, dict):
                raise _Invalid(mnode, f"a2ui message {i} must be a JSON object, not {_kind_name(msg)}")
            messages.append(msg)
            lines.append(_line(mnode))
        self.check_a2ui(messages, items)
        return A2UI(line, tuple(messages), tuple(lines))

    def check_a2ui(self, messages: list[dict], nodes: list) -> None:
        """Schema-check every message; while the state is known from the script alone, apply them too."""
        from neuralos.a2ui.processor import MESSAGE_KINDS, Rejected
        from neuralos.a2ui.validate import Issue, schema_issues
        from neuralos.resources import BASIC_CATALOG_ID

        if self.simulating:
            try:
                self.scratch.apply(list(messages), source="a2ui")
                return
            except Rejected as e:
                issues = e.issues
        else:
            issues = []
            for i, msg in enumerate(messages):
                kind = next((k for k in MESSAGE_KINDS if k in msg), None)
                body = msg.get(kind) if kind else None
                sid = body.get("surfaceId") if isinstance(body, dict) else None
                known = self.scratch.surfaces.get(sid)
                catalog = self.catalogs.get(sid) or (known.catalog_id if known else BASIC_CATALOG_ID)
                if kind == "createSurface" and isinstance(body, dict) and isinstance(body.get("catalogId"), str):
                    catalog = body["catalogId"]
                found = schema_issues(msg, f"/{i}", catalog_id=catalog)
                if not found and kind == "createSurface":
                    self.catalogs[sid] = catalog
                issues += found
            if not issues:
                return
        first: Issue = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        parts = [p for p in first.path.split("/")[1:]]
        if parts and parts[0] == "surfaces":      # structural: /surfaces/SID/components[/CID]
            sid = parts[1] if len(parts) > 1 else ""
            cid = parts[3] if len(parts) > 3 else None
            node = _find_component_node(self, messages, nodes, sid, cid)
            what = f"surface {sid!r}" + (f", component {cid!r}" if cid else "")
            raise _Invalid(node, f"a2ui: {what}: {first.message}{more}")
        index = int(parts[0]) if parts and parts[0].isdigit() else 0
        rest = [_unescape(p) for p in parts[1:]]
        node = _walk(nodes[index] if index < len(nodes) else None, rest)
        at = "/" + "/".join(parts[1:]) if rest else "/"
        raise _Invalid(node, f"a2ui message {index + 1} at {at}: {first.message}{more}")

    def step_click(self, line, node) -> Click:
        if isinstance(node, yaml.ScalarNode):
            v = self.value(node)
            if isinstance(v, str) and v:
                return Click(line, Target(text=v))
            raise _Invalid(node, f"click target must be {{text: ...}}, {{id: ...}} or {{at: [x, y]}}, not "
                                 f"{_kind_name(v)}")
        if isinstance(node, yaml.SequenceNode):
            raise _Invalid(node, "click target must be {text: ...}, {id: ...} or {at: [x, y]}, not a list "
                                 "(for a point write `click: {at: [x, y]}`)")
        keys = self.mapping(node, "click target")
        allowed = ("text", "id", "at", "surface")
        for k, (kn, _) in keys.items():
            if k not in allowed:
                raise _Invalid(kn, f"click target: unknown key {k!r} ({_suggest(k, allowed)}expected text, id or at)")
        chosen = [k for k in ("text", "id", "at") if k in keys]
        if len(chosen) != 1:
            raise _Invalid(node, "click target needs exactly one of text, id or at" +
                           (f" (found {', '.join(chosen)})" if chosen else ""))
        surface = self.text(keys["surface"][1], "click: surface") if "surface" in keys else None
        k = chosen[0]
        vnode = keys[k][1]
        if k == "at":
            if surface is not None:
                raise _Invalid(keys["surface"][0], "click: `surface` only applies to text and id targets")
            v = self.value(vnode)
            if not (isinstance(v, list) and len(v) == 2 and all(isinstance(c, (int, float)) and
                                                                 not isinstance(c, bool) and math.isfinite(c)
                                                                 for c in v)):
                raise _Invalid(vnode, f"click: `at` must be a point [x, y] of two numbers, not {v!r}")
            if v[0] < 0 or v[1] < 0:
                raise _Invalid(vnode, f"click: point {v} is off the canvas (coordinates start at 0)")
            return Click(line, Target(at=(float(v[0]), float(v[1]))))
        return Click(line, Target(**{k: self.text(vnode, f"click: {k}")}, surface=surface))

    def step_type(self, line, node) -> Type:
        return Type(line, self.text(node, "type"))

    def step_key(self, line, node) -> Key:
        return Key(line, parse_key(self.text(node, "key"), node))

    def step_wait(self, line, node) -> Wait:
        v = self.value(node)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _Invalid(node, f"wait must be a number of seconds, not {_kind_name(v)} {v!r}")
        if not 0 <= v <= MAX_WAIT_S:
            raise _Invalid(node, f"wait must be between 0 and {MAX_WAIT_S:g} seconds, not {v:g}")
        return Wait(line, float(v))

    def step_snapshot(self, line, node) -> Snapshot:
        name = self.text(node, "snapshot")
        if not SNAPSHOT_NAME.fullmatch(name) or name.endswith(".") or ".." in name:
            raise _Invalid(node, f"snapshot name {name!r} must be a plain file name (letters, digits, '.', '_', "
                                 "'-'; no folders), e.g. `after-typing`")
        if name.lower().endswith(".png"):
            name = name[:-4]
        return Snapshot(line, name)

    def step_expect(self, line, node) -> Expect:
        keys = self.mapping(node, "expect")
        chosen = [k for k in EXPECT_KINDS if k in keys]
        allowed = {"text": ("text", "surface"), "component": ("component", "value", "surface"),
                   "surfaces": ("surfaces",), "data": ("data",)}
        if len(chosen) != 1:
            bad = next((k for k in keys if k not in EXPECT_KINDS and k not in ("value", "surface")), None)
            if bad is not None and not chosen:
                raise _Invalid(keys[bad][0], f"expect: unknown key {bad!r} ({_suggest(bad, EXPECT_KINDS)}expected "
                                             f"one of {', '.join(EXPECT_KINDS)})")
            raise _Invalid(node, "expect needs exactly one of " + ", ".join(EXPECT_KINDS) +
                           (f" (found {', '.join(chosen)}; use one expect step each)" if chosen else ""))
        kind = chosen[0]
        for k, (kn, _) in keys.items():
            if k not in allowed[kind]:
                raise _Invalid(kn, f"expect {kind}: unknown key {k!r} (allowed: {', '.join(allowed[kind])})")
        surface = self.text(keys["surface"][1], "expect: surface") if "surface" in keys else None
        vnode = keys[kind][1]
        if kind == "text":
            return ExpectText(line, self.text(vnode, "expect: text"), surface)
        if kind == "component":
            if "value" not in keys:
                raise _Invalid(node, "expect component needs a `value` to compare with")
            return ExpectComponent(line, self.text(vnode, "expect: component"),
                                   self.json_value(keys["value"][1], "expect: value"), surface)
        if kind == "surfaces":
            v = self.value(vnode)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _Invalid(vnode, f"expect: surfaces must be a whole number >= 0, not {v!r}")
            return ExpectSurfaces(line, v)
        data = self.mapping(vnode, "expect: data")
        for k, (kn, _) in data.items():
            if k not in ("path", "equals", "surface"):
                raise _Invalid(kn, f"expect data: unknown key {k!r} ({_suggest(k, ('path', 'equals', 'surface'))}"
                                   "expected path, equals and optionally surface)")
        for need in ("path", "equals"):
            if need not in data:
                raise _Invalid(vnode, f"expect data needs `{need}`")
        path = self.text(data["path"][1], "expect data: path", allow_empty=True)
        if path and not path.startswith("/"):
            raise _Invalid(data["path"][1], f"expect data: path must be a JSON pointer starting with '/', not {path!r}")
        surface = self.text(data["surface"][1], "expect data: surface") if "surface" in data else None
        return ExpectData(line, path or "/", self.json_value(data["equals"][1], "expect data: equals"), surface)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _walk(node, tokens: list[str]):
    """The deepest YAML node a JSON pointer reaches (for the line of a schema issue)."""
    for tok in tokens:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == tok), None)
        elif isinstance(node, yaml.SequenceNode) and tok.isdigit() and int(tok) < len(node.value):
            nxt = node.value[int(tok)]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
    return node


def _find_component_node(parser, messages, nodes, sid, cid):
    """The node of component `cid` (or of the updateComponents message) for surface `sid` in this step."""
    fallback = None
    for msg, node in zip(messages, nodes):
        body = msg.get("updateComponents")
        if not isinstance(body, dict) or body.get("surfaceId") != sid:
            continue
        fallback = fallback or node
        for j, comp in enumerate(body.get("components") or ()):
            if isinstance(comp, dict) and comp.get("id") == cid:
                return _walk(node, ["updateComponents", "components", str(j)])
    return fallback or (nodes[0] if nodes else None)


def _check_json(value, node, what: str) -> None:
    """Values that go into A2UI or comparisons must be plain JSON."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise _Invalid(node, f"{what}: object keys must be text, not {_kind_name(k)} {k!r}")
            _check_json(v, node, what)
    elif isinstance(value, list):
        for v in value:
            _check_json(v, node, what)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _Invalid(node, f"{what}: {value} is not a JSON number")
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise _Invalid(node, f"{what}: {type(value).__name__} is not JSON (put it in quotes)")


def parse_size(value, node=None) -> tuple[int, int]:
    m = SIZE_RE.fullmatch(value) if isinstance(value, str) else None
    if not m:
        raise _Invalid(node, f"size must look like 1024x768, not {value!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise _Invalid(node, f"size {w}x{h} is out of range (64..8192 per side)")
    return w, h


def parse_key(text: str, node=None) -> str:
    """Canonical key chord: 'ctrl+a' -> 'Ctrl+a', 'enter' -> 'Enter', '+' -> '+', 'Ctrl++' -> 'Ctrl++'."""
    if len(text) == 1:
        mods, base = [], text
    elif text.endswith("++"):
        mods, base = text[:-2].split("+"), "+"
    else:
        *mods, base = text.split("+")
    out = []
    for m in mods:
        canon = MODIFIERS.get(m.strip().lower())
        if canon is None:
            raise _Invalid(node, f"key {text!r}: unknown modifier {m!r} (use Ctrl, Shift, Alt or Meta)")
        if canon not in out:
            out.append(canon)
    if len(base) == 1 and base.isprintable():
        name = base
    else:
        name = NAMED_KEYS.get(base.strip().lower())
        if name is None:
            raise _Invalid(node, f"unknown key {base!r} ({_suggest(base, NAMED_KEYS.values())}use a name such as "
                                 "Enter, Tab, Backspace, Escape, Left, F5, a single character, or a chord like "
                                 "Ctrl+A; to enter text use `type:`)")
    order = ["Ctrl", "Alt", "Shift", "Meta"]
    return "+".join(sorted(out, key=order.index) + [name])


def loads(text: str, path: str = "<script>", *, simulate: bool = True) -> Script:
    """Parse and validate a script given as text (YAML or JSON).

    `simulate`: the script starts from an empty desktop, so inline A2UI before the first intent, click
    or key step is applied to a scratch state and structural mistakes are caught up front. Pass False
    when the script will drive a desktop that already has windows (`neuralos shell --script`).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    stripped = text.lstrip()
    if path.lower().endswith(".json") or stripped.startswith(("{", "[")):
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            if path.lower().endswith(".json"):
                raise BadInput(f"invalid JSON: {e.msg} (column {e.colno})", where=f"{path}:{e.lineno}") from None
            # Not JSON after all: YAML flow style; let the YAML parser report it.
    # Tabs are fine in JSON but not as YAML indentation; for composing, make them spaces.
    compose_text = text.replace("\t", " ") if path.lower().endswith(".json") else text
    return _Parser(compose_text, path, simulate).parse()


def load(path: str | Path, display: str | None = None, *, simulate: bool = True) -> Script:
    """Parse and validate a script file. `display` is how messages name it (default: as given)."""
    name = display or str(path)
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise BadInput("no such script file", where=name) from None
    except IsADirectoryError:
        raise BadInput("is a folder, not a script file", where=name) from None
    except OSError as e:
        raise BadInput(f"cannot read the script: {e.strerror}", where=name) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise BadInput("the script is not UTF-8 text", where=f"{name}:{line}") from None
    return loads(text, name, simulate=simulate)
