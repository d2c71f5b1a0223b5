"""The message processor: examples apply, batches are atomic, rejections say where and what."""
import copy
import json

import pytest

from conftest import EXAMPLES, MINIMAL_EXAMPLES
from neuralos.a2ui import MessageProcessor, Rejected, resolve_text
from neuralos.errors import BadInput
from neuralos.resources import BASIC_CATALOG_ID

MINIMAL_ID = BASIC_CATALOG_ID.replace("basic", "minimal")


def _create(sid="s", catalog=BASIC_CATALOG_ID, **extra):
    return {"version": "v0.9", "createSurface": {"surfaceId": sid, "catalogId": catalog, **extra}}


def _components(sid, *components):
    return {"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": list(components)}}


def _data(sid, path="/", **value):
    body = {"surfaceId": sid, "path": path}
    if "value" in value:
        body["value"] = value["value"]
    return {"version": "v0.9", "updateDataModel": body}


def _text(cid, text):
    return {"id": cid, "component": "Text", "text": text}


@pytest.fixture
def proc():
    p = MessageProcessor()
    p.apply([_create(), _components("s", _text("root", "hi")), _data("s", value={"n": 1})])
    return p


@pytest.mark.parametrize("path", EXAMPLES + MINIMAL_EXAMPLES, ids=lambda p: p.stem)
def test_every_example_applies(path):
    messages = json.loads(path.read_text())["messages"]
    p = MessageProcessor()
    changes = p.apply(messages)
    sid = messages[0]["createSurface"]["surfaceId"]
    assert sid in p.surfaces and p.surfaces[sid].root is not None
    assert changes[0].kind == "created"
    # And the state can be recreated from its own messages.
    q = MessageProcessor()
    q.apply(p.as_messages())
    assert q.snapshot() == p.snapshot()


def test_incremental_example_streams_message_by_message():
    path = next(p for p in MINIMAL_EXAMPLES if "incremental" in p.name)
    messages = json.loads(path.read_text())["messages"]
    p = MessageProcessor()
    for msg in messages:
        p.apply([msg], allow_pending=True)
    surface = p.surfaces["example_7"]
    cards = list(surface.expand_children(surface.root))
    assert [scope for _, scope in cards] == [f"/restaurants/{i}" for i in range(4)]
    title = surface.components["rc_title"]
    assert resolve_text(surface, title["text"], cards[3][1]) == "Spice Route"
    assert "rc_button" in surface.components["restaurant_card"]["children"]
    # Without allow_pending the same stream is rejected where the template is not there yet.
    q = MessageProcessor()
    q.apply(messages[:2])
    with pytest.raises(Rejected, match="restaurant_card"):
        q.apply([messages[2]])


def test_rejected_batch_changes_nothing(proc):
    before = copy.deepcopy(proc.snapshot())
    seen = []
    proc.subscribe(seen.append)
    batch = [_data("s", "/n", value=2), _components("s", _text("root", "changed")), _create("t"),
             _components("s", {"id": "x", "component": "Text", "text": 5})]
    with pytest.raises(Rejected) as err:
        proc.apply(batch)
    assert proc.snapshot() == before and seen == []
    assert err.value.issues[0].path == "/3/updateComponents/components/0/text"
    assert isinstance(err.value, BadInput) and err.value.exit_code == 2


def test_rejection_message_and_validation_failed_error(proc):
    with pytest.raises(Rejected) as err:
        proc.apply([_components("s", _text("root", "ok")), _components("s", {"id": "root", "component": "Nope"})],
                   source="planner")
    assert str(err.value).startswith("planner /1/updateComponents/components/0/component: unknown component type 'Nope'")
    error = err.value.error_message()
    assert error["error"]["code"] == "VALIDATION_FAILED" and error["error"]["surfaceId"] == "s"
    from neuralos.a2ui.validate import schema_issues
    assert schema_issues(error, schema_name="client_to_server.json") == []


def test_changes_are_reported_once_per_batch(proc):
    seen = []
    proc.subscribe(seen.append)
    changes = proc.apply([_data("s", "/n", value=5), _components("s", _text("root", "x"), _text("b", "y"))])
    assert seen == [changes]
    assert [(c.kind, c.ids) for c in changes] == [("data", ("/n",)), ("components", ("root", "b"))]


@pytest.mark.parametrize("batch, path, words", [
    ([_components("nope", _text("root", "a"))], "/0/updateComponents/surfaceId", "does not exist"),
    ([_create("s")], "/0/createSurface/surfaceId", "already exists"),
    ([_create("n", "https://example.com/other.json")], "/0/createSurface/catalogId", "not supported"),
    ([_components("s", _text("root", "a"), _text("root", "b"))], "/0/updateComponents/components/1/id", "duplicate"),
    ([_components("s", {"id": "root", "component": "Column", "children": ["ghost"]})], "/surfaces/s/components/root",
     "'ghost'"),
    ([_components("s", _text("a", "x"), {"id": "root", "component": "Card", "child": "b"},
                  {"id": "b", "component": "Card", "child": "root"})], "/surfaces/s/components/", "cycle"),
    ([_data("s", "/", value=[1, 2])], "/0/updateDataModel/value", "root must be a JSON object"),
    ([_data("s", "no-slash", value=1)], "/0/updateDataModel/path", "must start with '/'"),
    ([_data("s", "/n/7", value=1)], "", ""),  # writing under a number replaces it: allowed
    (["text"], "/0", "must be a JSON object"),
    ([{"version": "v0.9"}], "/0", "needs one of"),
])
def test_bad_batches_name_path_and_problem(proc, batch, path, words):
    if not path:
        proc.apply(batch)
        return
    before = proc.snapshot()
    with pytest.raises(Rejected) as err:
        proc.apply(batch)
    assert any(i.path.startswith(path) and words in i.message for i in err.value.issues), err.value.issues
    assert proc.snapshot() == before


def test_surface_without_root_is_rejected_but_pending_allowed():
    p = MessageProcessor()
    with pytest.raises(Rejected, match="no component has id 'root'"):
        p.apply([_create(), _components("s", _text("a", "x"))])
    assert p.surfaces == {}
    p.apply([_create(), _components("s", _text("a", "x"))], allow_pending=True)
    assert "a" in p.surfaces["s"].components


def test_batch_must_be_a_list():
    with pytest.raises(Rejected, match="must be a list"):
        MessageProcessor().apply({"version": "v0.9"})


def test_delete_and_recreate_in_one_batch(proc):
    proc.apply([{"version": "v0.9", "deleteSurface": {"surfaceId": "s"}}, _create("s", MINIMAL_ID),
                _components("s", _text("root", "again"))])
    s = proc.surfaces["s"]
    assert s.catalog_id == MINIMAL_ID and s.data == {} and s.root["text"] == "again"


def test_minimal_surface_is_validated_against_minimal_catalog():
    p = MessageProcessor()
    with pytest.raises(Rejected, match="unknown component type 'Image'"):
        p.apply([_create("m", MINIMAL_ID), _components("m", {"id": "root", "component": "Image", "url": "x"})])


def test_data_updates_set_and_delete(proc):
    proc.apply([_data("s", "/list", value=["a"]), _data("s", "/list/-", value="b"), _data("s", "/obj/k", value=1)])
    assert proc.surfaces["s"].data == {"n": 1, "list": ["a", "b"], "obj": {"k": 1}}
    proc.apply([_data("s", "/obj"), _data("s", "/list/0")])
    assert proc.surfaces["s"].data == {"n": 1, "list": ["b"]}


def test_data_values_are_copied_not_shared(proc):
    value = {"deep": [1]}
    proc.apply([_data("s", "/v", value=value)])
    value["deep"].append(2)
    assert proc.surfaces["s"].data["v"] == {"deep": [1]}


def test_local_edit(proc):
    seen = []
    proc.subscribe(seen.append)
    change = proc.set_data("s", "/name", "Ada")
    assert change.local and proc.surfaces["s"].data["name"] == "Ada" and seen == [[change]]


@pytest.mark.parametrize("sid, path, value", [("nope", "/a", 1), ("s", "/n/x/9", 1), ("s", "/", 3)])
def test_bad_local_edit_changes_nothing(proc, sid, path, value):
    proc.apply([_data("s", "/n", value=[1])])
    before = proc.snapshot()
    with pytest.raises(Rejected):
        proc.set_data(sid, path, value)
    assert proc.snapshot() == before


def test_snapshot_restore_round_trip(proc):
    snap = json.loads(json.dumps(proc.snapshot()))
    other = MessageProcessor()
    other.restore(snap)
    assert other.snapshot() == proc.snapshot()
