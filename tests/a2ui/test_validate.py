"""Schema validation agrees with the official test cases; error messages point at the real problem."""
import json

import pytest

from conftest import EXAMPLES, MINIMAL_EXAMPLES, TEST_CASES
from neuralos.a2ui.validate import schema_issues, structure_issues
from neuralos.resources import BASIC_CATALOG_ID


def _cases():
    for f in sorted(TEST_CASES.glob("*.json")):
        suite = json.loads(f.read_text())
        for i, case in enumerate(suite["tests"]):
            yield pytest.param(suite["schema"], case, id=f"{f.stem}[{i}]")


CASES = list(_cases())


def test_all_case_files_are_found():
    assert len(CASES) >= 70


@pytest.mark.parametrize("schema, case", CASES)
def test_official_case_verdict(schema, case):
    issues = schema_issues(case["data"], schema_name=schema)
    assert (not issues) == case["valid"], f"{case['description']}: {issues}"


def test_jsonl_example_matches_its_test_file():
    lines = [json.loads(ln) for ln in (TEST_CASES / "contact_form_example.jsonl").read_text().splitlines() if ln.strip()]
    assert lines
    for msg in lines:
        assert schema_issues(msg) == []


@pytest.mark.parametrize("path", EXAMPLES + MINIMAL_EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_schema_valid(path):
    doc = json.loads(path.read_text())
    catalog = doc["messages"][0]["createSurface"]["catalogId"]
    for i, msg in enumerate(doc["messages"]):
        assert schema_issues(msg, f"/{i}", catalog_id=catalog) == []


def _update(*components):
    return {"version": "v0.9", "updateComponents": {"surfaceId": "s", "components": list(components)}}


def _messages(msg, prefix="/1"):
    return [str(i) for i in schema_issues(msg, prefix)]


def test_wrong_property_type_names_the_property_not_another_component():
    assert _messages(_update({"id": "root", "component": "Text", "text": 5})) == [
        '/1/updateComponents/components/0/text: 5 is not valid here: expected a string, '
        'a data binding {"path": ...} or a function call {"call": ...}']


def test_unknown_component_type_lists_the_catalog():
    (msg,) = _messages(_update({"id": "root", "component": "Foo"}))
    assert msg.startswith("/1/updateComponents/components/0/component: unknown component type 'Foo' "
                          "(catalog has Text, Image, Icon,")
    assert "DateTimeInput" in msg


def test_unknown_function_lists_the_catalog():
    (msg,) = _messages(_update({"id": "root", "component": "Text", "text": {"call": "shout"}}))
    assert "/components/0/text/call: unknown function 'shout' (catalog has required, regex" in msg


def test_missing_property_and_missing_type():
    assert _messages(_update({"id": "root", "component": "Text"})) == [
        "/1/updateComponents/components/0: 'text' is a required property"]
    assert _messages(_update({"id": "root"})) == [
        "/1/updateComponents/components/0: 'component' is a required property"]


def test_unexpected_property_is_reported_alone():
    assert _messages(_update({"id": "root", "component": "Text", "text": "a", "colour": "red"})) == [
        "/1/updateComponents/components/0: Unevaluated properties are not allowed ('colour' was unexpected)"]


def test_message_without_a_kind():
    assert [i.message for i in schema_issues({"version": "v0.9", "bogus": {}})] == [
        "needs one of 'createSurface', 'updateComponents', 'updateDataModel' or 'deleteSurface'"]


def test_deep_error_inside_function_arguments():
    comp = {"id": "root", "component": "Text",
            "text": {"call": "formatNumber", "args": {"value": 1, "decimals": "2"}, "returnType": "string"}}
    (msg,) = _messages(_update(comp))
    assert msg.startswith('/1/updateComponents/components/0/text/args/decimals: "2" is not valid here: expected a number')


@pytest.mark.parametrize("value, ok", [("2024-01-31", True), ("09:30", True), ("2024-01-31T09:30:00Z", True),
                                       ("2024-01-31T09:30", True), ("soon", False), ("2024-13-01", False)])
def test_date_time_formats_are_checked(value, ok):
    comp = {"id": "root", "component": "DateTimeInput", "value": {"path": "/d"}, "min": value}
    assert (schema_issues(_update(comp)) == []) == ok


@pytest.mark.parametrize("url, ok", [("https://example.com/a?b=c", True), ("mailto:a@b.c", True),
                                     ("not a uri", False), ("example.com", False)])
def test_uri_format_is_checked(url, ok):
    button = {"id": "root", "component": "Button", "child": "t",
              "action": {"functionCall": {"call": "openUrl", "args": {"url": url}, "returnType": "void"}}}
    assert (schema_issues(_update(button)) == []) == ok


def test_minimal_catalog_is_selectable():
    comp = {"id": "root", "component": "Image", "url": "https://x/y.png"}
    minimal = BASIC_CATALOG_ID.replace("basic", "minimal")
    assert schema_issues(_update(comp)) == []
    assert "unknown component type 'Image'" in str(schema_issues(_update(comp), catalog_id=minimal)[0])


# -- structure ------------------------------------------------------------------------------------
def _comps(*pairs):
    return {cid: {"id": cid, "component": "Column", "children": kids} for cid, kids in pairs}


def test_structure_accepts_a_tree():
    assert structure_issues(_comps(("root", ["a", "b"]), ("a", []), ("b", ["c"]), ("c", []))) == []


def test_structure_needs_a_root():
    (issue,) = structure_issues(_comps(("a", [])))
    assert "no component has id 'root'" in issue.message


def test_structure_finds_dangling_ids_unless_pending():
    comps = _comps(("root", ["ghost"]))
    (issue,) = structure_issues(comps, "/surfaces/s/components")
    assert issue.path == "/surfaces/s/components/root" and "'ghost'" in issue.message
    assert structure_issues(comps, allow_pending=True) == []


def test_structure_finds_cycles():
    issues = structure_issues(_comps(("root", ["a"]), ("a", ["b"]), ("b", ["a"])))
    assert any("cycle: a -> b -> a" in i.message for i in issues)


def test_structure_finds_self_reference_through_template():
    comps = {"root": {"id": "root", "component": "List", "children": {"componentId": "root", "path": "/xs"}}}
    assert any("cycle" in i.message for i in structure_issues(comps))


def test_structure_limits_depth_and_size():
    chain = [(f"n{i}", [f"n{i + 1}"]) for i in range(80)] + [("n80", [])]
    comps = _comps(*chain)
    comps["root"] = {"id": "root", "component": "Card", "child": "n0"}
    assert any("depth" in i.message for i in structure_issues(comps))
    many = _comps(("root", []), *[(f"x{i}", []) for i in range(5001)])
    assert any("exceed the limit" in i.message for i in structure_issues(many))
