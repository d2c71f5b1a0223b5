"""Dynamic values: literals, bindings (absolute and template-relative), calls, safe failure."""
import pytest

from neuralos.a2ui import MessageProcessor, binding_path, resolve, resolve_text
from neuralos.a2ui.surface import Surface
from neuralos.resources import BASIC_CATALOG_ID


@pytest.fixture
def surface():
    s = Surface("s", BASIC_CATALOG_ID)
    s.data = {"user": {"name": "Ada", "age": 36.0, "admin": False}, "tags": ["a", "b"],
              "items": [{"title": "tea", "qty": 2, "done": True}, {"title": "milk", "qty": 1, "done": False}]}
    return s


@pytest.mark.parametrize("value", ["text", 3, 2.5, True, None, ["x", 1]])
def test_literals_come_back_unchanged(surface, value):
    assert resolve(surface, value) == value


def test_bindings(surface):
    assert resolve(surface, {"path": "/user/name"}) == "Ada"
    assert resolve(surface, {"path": "/tags"}) == ["a", "b"]
    assert resolve(surface, {"path": "/nope/deeper"}) is None
    assert resolve(surface, {"path": "title"}, "/items/1") == "milk"        # relative to the template item
    assert resolve(surface, {"path": "/user/name"}, "/items/1") == "Ada"    # absolute ignores the scope
    assert resolve(surface, {"path": "./qty"}, "/items/0") == 2
    assert resolve(surface, {"path": "/"}) == surface.data


def test_calls_resolve_their_arguments_recursively(surface):
    value = {"call": "formatString", "args": {"value": "${title} x${qty}"}, "returnType": "string"}
    assert resolve(surface, value, "/items/0") == "tea x2"
    both = {"call": "and", "args": {"values": [{"path": "done"}, {"call": "not", "args": {"value": {"path": "/user/admin"}}}]}}
    assert resolve(surface, both, "/items/0") is True
    assert resolve(surface, both, "/items/1") is False


def test_objects_that_are_neither_binding_nor_call_have_their_members_resolved(surface):
    assert resolve(surface, {"path": "/user", "extra": 1}) == {"path": "/user", "extra": 1}
    options = [{"label": {"path": "/user/name"}, "value": "ada"}, {"label": "Other", "value": "x"}]
    assert resolve(surface, options) == [{"label": "Ada", "value": "ada"}, {"label": "Other", "value": "x"}]


def test_data_values_are_not_evaluated(surface):
    surface.data["raw"] = {"path": "/user/name", "call": "not"}
    assert resolve(surface, {"path": "/raw"}) == {"path": "/user/name", "call": "not"}


@pytest.mark.parametrize("value, returns", [
    ({"call": "formatNumber", "args": {"value": "abc"}, "returnType": "string"}, ""),
    ({"call": "formatNumber", "args": {"value": "abc"}}, ""),                 # return type from the catalog
    ({"call": "email", "args": {}}, False),
    ({"call": "regex", "args": {"value": "a", "pattern": "("}}, False),
    ({"call": "shout", "args": {"value": 1}, "returnType": "number"}, None),
    ({"call": "formatString", "args": {"value": "${oops"}}, ""),
    ({"call": "and", "args": "not an object"}, False),
])
def test_failing_functions_yield_safe_defaults_and_are_reported(surface, value, returns):
    errors = []
    assert resolve(surface, value, errors=errors) == returns
    assert len(errors) == 1 and value["call"] in errors[0]


def test_function_bugs_do_not_escape(surface, monkeypatch):
    from neuralos.a2ui import functions
    monkeypatch.setitem(functions.FUNCTIONS, "required", lambda args, ctx: 1 / 0)
    errors = []
    assert resolve(surface, {"call": "required", "args": {"value": 1}}, errors=errors) is False
    assert "ZeroDivisionError" in errors[0]


@pytest.mark.parametrize("value, text", [
    ({"path": "/user/name"}, "Ada"), ({"path": "/user/age"}, "36"), ({"path": "/user/admin"}, "false"),
    ({"path": "/missing"}, ""), (12.25, "12.25"), ({"path": "/tags"}, "a, b"), (None, "")])
def test_resolve_text(surface, value, text):
    assert resolve_text(surface, value) == text


def test_binding_path():
    assert binding_path({"path": "/user/name"}) == "/user/name"
    assert binding_path({"path": "name"}, "/items/3") == "/items/3/name"
    assert binding_path({"path": "a/b"}, "/") == "/a/b"
    assert binding_path("literal") is None
    assert binding_path({"call": "required", "args": {}}) is None
    assert binding_path({"path": "/x", "more": 1}) is None


def test_template_scopes_over_a_child_list():
    """A List whose children come from a data list: each item renders with its own scope."""
    p = MessageProcessor()
    p.apply([
        {"version": "v0.9", "createSurface": {"surfaceId": "todo", "catalogId": BASIC_CATALOG_ID}},
        {"version": "v0.9", "updateDataModel": {"surfaceId": "todo", "path": "/",
                                                 "value": {"todos": [{"t": "tea", "done": True}, {"t": "milk", "done": False}],
                                                           "byKey": {"x": {"t": "one"}}}}},
        {"version": "v0.9", "updateComponents": {"surfaceId": "todo", "components": [
            {"id": "root", "component": "Column", "children": ["list", "keyed"]},
            {"id": "list", "component": "List", "children": {"componentId": "row", "path": "/todos"}},
            {"id": "keyed", "component": "Column", "children": {"componentId": "label", "path": "/byKey"}},
            {"id": "row", "component": "CheckBox", "label": {"path": "t"}, "value": {"path": "done"}},
            {"id": "label", "component": "Text", "text": {"path": "t"}}]}},
    ])
    s = p.surfaces["todo"]
    rows = list(s.expand_children(s.components["list"]))
    assert rows == [("row", "/todos/0"), ("row", "/todos/1")]
    row = s.components["row"]
    assert [resolve_text(s, row["label"], scope) for _, scope in rows] == ["tea", "milk"]
    target = binding_path(row["value"], rows[1][1])
    p.set_data("todo", target, True)
    assert s.data["todos"][1]["done"] is True
    assert [resolve_text(s, s.components["label"]["text"], sc) for _, sc in s.expand_children(s.components["keyed"])] == ["one"]
