"""Checks on inputs and buttons; action messages and local function calls; data-model metadata."""
from datetime import datetime, timezone

import pytest

from neuralos.a2ui import MessageProcessor, OpenUrlRequest, build_action, data_model_metadata, failed_checks
from neuralos.a2ui.validate import schema_issues
from neuralos.resources import BASIC_CATALOG_ID

FORM = [
    {"version": "v0.9", "createSurface": {"surfaceId": "form", "catalogId": BASIC_CATALOG_ID, "sendDataModel": True}},
    {"version": "v0.9", "updateDataModel": {"surfaceId": "form", "path": "/",
                                             "value": {"email": "", "qty": 3, "rows": [{"id": "r1"}, {"id": "r2"}]}}},
    {"version": "v0.9", "updateComponents": {"surfaceId": "form", "components": [
        {"id": "root", "component": "Column", "children": ["email", "send", "list", "help"]},
        {"id": "email", "component": "TextField", "label": "Email", "value": {"path": "/email"}, "checks": [
            {"condition": {"call": "required", "args": {"value": {"path": "/email"}}}, "message": "Email is required"},
            {"condition": {"call": "email", "args": {"value": {"path": "/email"}}}, "message": "Not an email"}]},
        {"id": "send", "component": "Button", "child": "send_label",
         "checks": [{"condition": {"call": "email", "args": {"value": {"path": "/email"}}}, "message": "Fix the email"}],
         "action": {"event": {"name": "submit", "context": {
             "email": {"path": "/email"}, "qty": {"path": "/qty"}, "kind": "order",
             "summary": {"call": "formatString", "args": {"value": "${/qty} for ${/email}"}}}}}},
        {"id": "send_label", "component": "Text", "text": "Send"},
        {"id": "list", "component": "List", "children": {"componentId": "row_btn", "path": "/rows"}},
        {"id": "row_btn", "component": "Button", "child": "row_label",
         "action": {"event": {"name": "open_row", "context": {"rowId": {"path": "id"}}}}},
        {"id": "row_label", "component": "Text", "text": {"path": "id"}},
        {"id": "help", "component": "Button", "child": "help_label",
         "action": {"functionCall": {"call": "openUrl", "args": {"url": "https://example.com/help"}, "returnType": "void"}}},
        {"id": "help_label", "component": "Text", "text": "Help"},
    ]}},
]


@pytest.fixture
def proc():
    p = MessageProcessor()
    p.apply(FORM)
    return p


def test_failed_checks_follow_the_data(proc):
    s = proc.surfaces["form"]
    field = s.components["email"]
    assert failed_checks(s, field) == ["Email is required", "Not an email"]
    proc.set_data("form", "/email", "ada@")
    assert failed_checks(s, field) == ["Not an email"]
    proc.set_data("form", "/email", "ada@example.com")
    assert failed_checks(s, field) == []
    assert failed_checks(s, s.components["send_label"]) == []     # no checks at all


def test_unevaluable_condition_counts_as_failed():
    from neuralos.a2ui.surface import Surface
    s = Surface("s", BASIC_CATALOG_ID)
    comp = {"checks": [{"condition": {"call": "regex", "args": {"value": "a", "pattern": "("}}, "message": "bad"},
                       {"condition": {"path": "/missing"}, "message": "missing"},
                       {"condition": True, "message": "never"}]}
    errors = []
    assert failed_checks(s, comp, errors=errors) == ["bad", "missing"]
    assert errors and "regex" in errors[0]


def test_action_message_resolves_context_and_is_schema_valid(proc):
    proc.set_data("form", "/email", "ada@example.com")
    s = proc.surfaces["form"]
    when = datetime(2026, 1, 16, 14, 30, 5, 123000, tzinfo=timezone.utc)
    msg = build_action(s, s.components["send"], timestamp=when)
    assert msg == {"version": "v0.9", "action": {
        "name": "submit", "surfaceId": "form", "sourceComponentId": "send", "timestamp": "2026-01-16T14:30:05.123Z",
        "context": {"email": "ada@example.com", "qty": 3, "kind": "order", "summary": "3 for ada@example.com"}}}
    assert schema_issues(msg, schema_name="client_to_server.json") == []


def test_action_timestamp_defaults_to_now_in_utc(proc):
    proc.set_data("form", "/email", "ada@example.com")
    s = proc.surfaces["form"]
    stamp = build_action(s, s.components["send"])["action"]["timestamp"]
    sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert stamp.endswith("Z") and abs((datetime.now(timezone.utc) - sent).total_seconds()) < 60


def test_button_with_failing_check_sends_nothing(proc):
    s = proc.surfaces["form"]
    assert build_action(s, s.components["send"]) is None


def test_template_button_context_uses_its_item(proc):
    s = proc.surfaces["form"]
    scopes = [scope for _, scope in s.expand_children(s.components["list"])]
    contexts = [build_action(s, s.components["row_btn"], scope)["action"]["context"] for scope in scopes]
    assert contexts == [{"rowId": "r1"}, {"rowId": "r2"}]


def test_function_call_action_runs_locally(proc):
    s = proc.surfaces["form"]
    assert build_action(s, s.components["help"]) == OpenUrlRequest("https://example.com/help")
    local = {"id": "x", "action": {"functionCall": {"call": "required", "args": {"value": 1}}}}
    assert build_action(s, local) is None
    assert build_action(s, s.components["send_label"]) is None    # no action


def test_data_model_metadata(proc):
    proc.apply([{"version": "v0.9", "createSurface": {"surfaceId": "quiet", "catalogId": BASIC_CATALOG_ID}}])
    meta = data_model_metadata(proc.surfaces)
    assert meta == {"version": "v0.9", "surfaces": {"form": proc.surfaces["form"].data}}
    assert schema_issues(meta, schema_name="client_data_model.json") == []
    assert data_model_metadata([proc.surfaces["quiet"]]) is None
