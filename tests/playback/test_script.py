"""Playback script parsing: the spec's format, typed steps, and malformed scripts named by line."""
import json

import pytest

from neuralos.errors import BadInput
from neuralos.playback import script as S

CATALOG = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"

GOOD = f"""\
size: 640x480
renderer: widgets
planner: builtin
seed: 7
steps:
  - intent: "open a notes app"
  - a2ui:
      - {{"version": "v0.9", "createSurface": {{"surfaceId": "n", "catalogId": "{CATALOG}"}}}}
      - {{"version": "v0.9", "updateComponents": {{"surfaceId": "n", "components": [
          {{"id": "root", "component": "Text", "text": "hi"}}]}}}}
  - click: {{text: "Add"}}
  - click: {{id: save, surface: n}}
  - click: {{at: [10, 20.5]}}
  - type: "buy milk"
  - key: Enter
  - key: ctrl+shift+z
  - wait: 0.2
  - snapshot: after-typing
  - expect: {{text: "buy milk"}}
  - expect: {{component: TextField, value: "buy milk"}}
  - expect: {{surfaces: 1}}
  - expect: {{data: {{path: /items/0, equals: "buy milk"}}}}
  - expect: {{data: {{surface: n, path: /done, equals: false}}}}
"""


def test_spec_example_parses_into_typed_steps_with_lines():
    s = S.loads(GOOD, "demo.yaml")
    assert (s.size, s.renderer, s.planner, s.seed) == ((640, 480), "widgets", "builtin", 7)
    kinds = [type(st).__name__ for st in s.steps]
    assert kinds == ["Intent", "A2UI", "Click", "Click", "Click", "Type", "Key", "Key", "Wait", "Snapshot",
                     "ExpectText", "ExpectComponent", "ExpectSurfaces", "ExpectData", "ExpectData"]
    assert [st.line for st in s.steps] == [6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]
    assert s.steps[1].messages[1]["updateComponents"]["components"][0]["text"] == "hi"
    assert s.steps[1].message_lines == (8, 9)
    assert s.steps[2].target == S.Target(text="Add")
    assert s.steps[3].target == S.Target(id="save", surface="n")
    assert s.steps[4].target.at == (10.0, 20.5)
    assert s.steps[7].name == "Ctrl+Shift+z"
    assert s.steps[8].seconds == pytest.approx(0.2)
    assert s.steps[11].value == "buy milk" and s.steps[12].count == 1
    assert s.steps[13].path == "/items/0" and s.steps[14].equals is False and s.steps[14].surface == "n"


def test_json_script_same_as_yaml():
    doc = {"size": "320x240", "steps": [{"type": "Zoë"}, {"expect": {"text": "Zoë"}}, {"wait": 1}]}
    s = S.loads(json.dumps(doc, indent=2, ensure_ascii=False), "demo.json")
    assert s.size == (320, 240)
    assert [st.kind for st in s.steps] == ["type", "expect", "wait"]
    assert s.steps[0].text == "Zoë"
    assert s.steps[0].line == 5


def test_top_level_list_of_steps_and_json_compatible_scalars():
    s = S.loads("- type: No\n- type: 2024-01-02\n- key: y\n", "s.yaml")
    # YAML 1.1 would make these a boolean and a date: here they are what they say.
    assert [st.text for st in s.steps[:2]] == ["No", "2024-01-02"]
    assert s.steps[2].name == "y"


def err(text, path="demo.yaml"):
    with pytest.raises(BadInput) as e:
        S.loads(text, path)
    assert e.value.exit_code == 2
    return str(e.value)


@pytest.mark.parametrize("text, expected", [
    ("steps:\n  - click: {text: 'Add'\n  - type: x\n", "demo.yaml:3: invalid YAML"),
    ("steps:\n  - type: a\n  - clik: {text: Add}\n",
     "demo.yaml:3: unknown step 'clik' (did you mean 'click'? expected one of intent, a2ui, click, type, key, wait,"
     " snapshot, expect)"),
    ("steps:\n  - click: {txt: Add}\n", "demo.yaml:2: click target: unknown key 'txt' (did you mean 'text'?"),
    ("steps:\n  - click: {at: [1]}\n", "demo.yaml:2: click: `at` must be a point [x, y] of two numbers"),
    ("steps:\n  - click: {text: a, id: b}\n", "demo.yaml:2: click target needs exactly one of text, id or at"),
    ("steps:\n  - click: [1, 2]\n", "demo.yaml:2: click target must be {text: ...}, {id: ...} or {at: [x, y]}"),
    ("size: big\nsteps:\n  - wait: 1\n", "demo.yaml:1: size must look like 1024x768, not 'big'"),
    ("size: 10x10\nsteps:\n  - wait: 1\n", "demo.yaml:1: size 10x10 is out of range"),
    ("steps:\n  - wait: -1\n", "demo.yaml:2: wait must be between 0 and 600 seconds"),
    ("steps:\n  - wait: soon\n", "demo.yaml:2: wait must be a number of seconds"),
    ("steps:\n  - type: 12\n", "demo.yaml:2: type must be text, not a number (put it in quotes)"),
    ("steps:\n  - key: Entr\n", "demo.yaml:2: unknown key 'Entr' (did you mean 'Enter'?"),
    ("steps:\n  - key: Hyper+a\n", "demo.yaml:2: key 'Hyper+a': unknown modifier 'Hyper'"),
    ("steps:\n  - snapshot: ../x\n", "demo.yaml:2: snapshot name '../x' must be a plain file name"),
    ("steps:\n  - snapshot: a\n  - snapshot: a\n", "demo.yaml:3: snapshot 'a' is already taken on line 2"),
    ("steps:\n  - expect: {txt: a}\n", "demo.yaml:2: expect: unknown key 'txt' (did you mean 'text'?"),
    ("steps:\n  - expect: {component: TextField}\n", "demo.yaml:2: expect component needs a `value`"),
    ("steps:\n  - expect: {surfaces: -1}\n", "demo.yaml:2: expect: surfaces must be a whole number >= 0"),
    ("steps:\n  - expect: {data: {path: items, equals: 1}}\n",
     "demo.yaml:2: expect data: path must be a JSON pointer starting with '/'"),
    ("steps:\n  - expect: {data: {path: /a}}\n", "demo.yaml:2: expect data needs `equals`"),
    ("steps:\n  - expect: {text: a, surfaces: 1}\n", "demo.yaml:2: expect needs exactly one of"),
    ("steps:\n  - type: a\n    key: Enter\n", "demo.yaml:3: one step per list item: found both 'type' and 'key'"),
    ("steps:\n  - intent\n", "demo.yaml:2: step 'intent' needs a value"),
    ("steps:\n  - intent: '   '\n", "demo.yaml:2: intent must not be blank"),
    ("stepz:\n  - wait: 1\n", "demo.yaml:1: unknown top-level key 'stepz' (did you mean 'steps'?"),
    ("size: 640x480\n", "demo.yaml:1: the script has no `steps:` list"),
    ("steps: []\n", "demo.yaml:1: `steps` is empty"),
    ("steps:\n  - type: a\n  - type: a\nsteps:\n  - wait: 1\n", "demo.yaml:4: the script: duplicate key 'steps'"),
    ("", "demo.yaml: the script is empty"),
    ("just text\n", "demo.yaml:1: the script must be a mapping with `steps:`"),
    ("steps:\n  - a2ui: hello\n", "demo.yaml:2: a2ui must be a list of A2UI messages"),
])
def test_malformed_scripts_name_line_and_problem(text, expected):
    assert err(text).startswith(expected)


def test_every_problem_is_counted_not_just_the_first():
    msg = err("steps:\n  - wait: -1\n  - clik: a\n  - type: 3\n")
    assert msg.startswith("demo.yaml:2: wait must be between")
    assert "(and 2 more problems on line 3, 4)" in msg


def test_bad_json_names_line_and_column():
    msg = err('{\n  "steps": [\n    {"type": "a"},,\n  ]\n}\n', "demo.json")
    assert msg.startswith("demo.json:3: invalid JSON: Expecting value (column 19)")


A2UI_HEAD = f"""\
steps:
  - a2ui:
      - {{"version": "v0.9", "createSurface": {{"surfaceId": "s", "catalogId": "{CATALOG}"}}}}
      - {{"version": "v0.9", "updateComponents": {{"surfaceId": "s", "components": [
          {{"id": "root", "component": "Column", "children": ["t"]}},
"""


def test_inline_a2ui_schema_error_points_at_the_offending_line():
    msg = err(A2UI_HEAD + '          {"id": "t", "component": "Text", "text": 5}]}}\n')
    assert msg.startswith("demo.yaml:6: a2ui message 2 at /updateComponents/components/1/text:")


def test_inline_a2ui_unknown_component_type():
    msg = err(A2UI_HEAD + '          {"id": "t", "component": "Txet", "text": "x"}]}}\n')
    assert msg.startswith("demo.yaml:6: a2ui message 2 at /updateComponents/components/1")


def test_inline_a2ui_structural_error_before_anything_runs():
    msg = err(A2UI_HEAD + '          {"id": "u", "component": "Text", "text": "x"}]}}\n')
    assert msg.startswith("demo.yaml:5: a2ui: surface 's', component 'root': refers to component 't', "
                          "which does not exist")


def test_inline_a2ui_surface_that_does_not_exist():
    text = """\
steps:
  - a2ui:
      - {"version": "v0.9", "updateDataModel": {"surfaceId": "nope", "path": "/a", "value": 1}}
"""
    assert err(text).startswith("demo.yaml:3: a2ui message 1 at /updateDataModel/surfaceId: surface 'nope' does not "
                                "exist")


def test_after_an_intent_a2ui_is_only_schema_checked():
    # The planner may have created surface 'notes': only the state-independent checks apply.
    text = """\
steps:
  - intent: open notes
  - a2ui:
      - {"version": "v0.9", "updateDataModel": {"surfaceId": "notes", "path": "/a", "value": 1}}
"""
    s = S.loads(text, "demo.yaml")
    assert s.steps[1].messages[0]["updateDataModel"]["surfaceId"] == "notes"
    bad = text.replace('"path": "/a"', '"path": 5')
    assert err(bad).startswith("demo.yaml:4: a2ui message 1 at /updateDataModel/path:")


def test_load_names_the_file(tmp_path):
    with pytest.raises(BadInput, match="no such script file"):
        S.load(tmp_path / "missing.yaml")
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"steps:\n  - type: caf\xe9\n")
    with pytest.raises(BadInput, match=r"latin1.yaml:2: the script is not UTF-8"):
        S.load(p)


@pytest.mark.parametrize("key, canon", [("enter", "Enter"), ("Return", "Return"), ("ctrl+a", "Ctrl+a"),
                                        ("Shift+Ctrl+Left", "Ctrl+Shift+Left"), ("+", "+"), ("Ctrl++", "Ctrl++"),
                                        ("esc", "Escape"), ("F5", "F5"), ("é", "é")])
def test_key_names(key, canon):
    assert S.parse_key(key) == canon
