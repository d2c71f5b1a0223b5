"""Fuzzing the processor with random and mutated messages: only `Rejected` may come out, and the
state left behind is always valid (structure and schema) and safe to render."""
import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, MINIMAL_EXAMPLES
from neuralos.a2ui import MessageProcessor, Rejected, build_action, failed_checks, resolve, resolve_text
from neuralos.a2ui.validate import schema_issues, structure_issues

BATCHES = [json.loads(p.read_text())["messages"] for p in EXAMPLES + MINIMAL_EXAMPLES]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8) | st.sampled_from(["root", "/", "/a/0", "v0.9", "Text", "Column", "${/x}"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "component", "path", "call", "args", "text", "child", "children", "value", "x"]),
        inner, max_size=3),
    max_leaves=8)


def _paths(doc, prefix=()):
    """Every location inside a JSON document, as a tuple of keys/indices."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


def _parent(doc, path):
    for step in path[:-1]:
        doc = doc[step]
    return doc


def _component_lists(batch):
    return [m["updateComponents"]["components"] for m in batch
            if isinstance(m, dict) and isinstance(m.get("updateComponents"), dict)
            and isinstance(m["updateComponents"].get("components"), list)]


@st.composite
def mutated_batch(draw):
    batch = copy.deepcopy(draw(st.sampled_from(BATCHES)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["drop", "retype", "swap_ids", "cycle", "dangle", "truncate", "duplicate"]))
        paths = [p for p in _paths(batch) if p]
        if op in ("drop", "retype") and paths:
            path = draw(st.sampled_from(paths))
            parent = _parent(batch, path)
            if op == "drop":
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(json_values)
        elif op in ("swap_ids", "cycle", "dangle"):
            comps = [c for lst in _component_lists(batch) for c in lst if isinstance(c, dict)]
            if len(comps) < 2:
                continue
            a, b = draw(st.sampled_from(comps)), draw(st.sampled_from(comps))
            if op == "swap_ids":
                a["id"], b["id"] = b.get("id"), a.get("id")
            elif op == "cycle":  # b points back at a and a at b
                for one, other in ((a, b), (b, a)):
                    key = "children" if isinstance(one.get("children"), list) else "child"
                    one[key] = [other.get("id")] if key == "children" else other.get("id")
            else:
                a["child" if "child" in a else "children"] = draw(st.sampled_from(["ghost", ["ghost"]]))
        elif op == "truncate" and len(batch) > 1:
            del batch[draw(st.integers(1, len(batch) - 1)):]
        elif op == "duplicate" and batch:
            batch.append(copy.deepcopy(draw(st.sampled_from(batch))))
    return batch


def _check_state(proc: MessageProcessor, pending: bool) -> None:
    for sid, surface in proc.surfaces.items():
        assert isinstance(surface.data, dict)
        assert structure_issues(surface.components, allow_pending=pending) == []
        for comp in surface.components.values():
            msg = {"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": [comp]}}
            assert schema_issues(msg, catalog_id=surface.catalog_id) == []
            # Everything a renderer would do with it must not raise.
            for scope in ["/"] + [s for _, s in surface.expand_children(comp)][:3]:
                for value in comp.values():
                    resolve(surface, value, scope)
                    resolve_text(surface, value, scope)
                failed_checks(surface, comp, scope)
                build_action(surface, comp, scope)


def _apply(proc, batch, pending=False):
    before = proc.snapshot()
    try:
        proc.apply(batch, allow_pending=pending)
    except Rejected as e:
        assert e.issues and proc.snapshot() == before
        assert str(e)


@SETTINGS
@given(st.lists(mutated_batch(), min_size=1, max_size=3), st.booleans())
def test_mutated_examples_never_crash_or_corrupt(batches, pending):
    proc = MessageProcessor()
    for batch in batches:
        _apply(proc, batch, pending)
        _check_state(proc, pending)


@SETTINGS
@given(st.lists(st.one_of(json_values, st.builds(
    lambda kind, body: {"version": "v0.9", kind: body},
    st.sampled_from(["createSurface", "updateComponents", "updateDataModel", "deleteSurface"]),
    st.dictionaries(st.sampled_from(["surfaceId", "catalogId", "components", "path", "value", "theme"]),
                    json_values, max_size=4))), max_size=4))
def test_random_messages_only_raise_rejected(batch):
    proc = MessageProcessor()
    proc.apply(copy.deepcopy(BATCHES[0]))
    _apply(proc, batch)
    _apply(proc, [batch] if batch else batch)
    _check_state(proc, False)


@SETTINGS
@given(st.sampled_from(BATCHES), st.lists(st.tuples(st.text(max_size=12), json_values), max_size=4))
def test_local_edits_never_corrupt(batch, edits):
    proc = MessageProcessor()
    proc.apply(copy.deepcopy(batch))
    sid = next(iter(proc.surfaces))
    for path, value in edits:
        before = proc.snapshot()
        try:
            proc.set_data(sid, path, value)
        except Rejected:
            assert proc.snapshot() == before
    _check_state(proc, False)
