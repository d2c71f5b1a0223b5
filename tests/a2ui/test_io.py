"""Loading messages: JSONL, a JSON array, an object with `messages`; malformed input names the line."""
import io
import json

import pytest

from conftest import EXAMPLES, TEST_CASES
from neuralos.a2ui import load_messages, parse_messages
from neuralos.errors import BadInput

MSGS = [{"version": "v0.9", "createSurface": {"surfaceId": "s", "catalogId": "c"}},
        {"version": "v0.9", "deleteSurface": {"surfaceId": "s"}}]


@pytest.mark.parametrize("text", [
    "\n".join(json.dumps(m) for m in MSGS) + "\n",
    "\n\n" + "\n\n".join(json.dumps(m) for m in MSGS),           # blank lines are fine
    json.dumps(MSGS, indent=2),
    json.dumps({"name": "x", "messages": MSGS}, indent=2),
    "\ufeff" + json.dumps(MSGS),
])
def test_three_forms(text):
    assert parse_messages(text) == MSGS


def test_single_message_line():
    assert parse_messages(json.dumps(MSGS[0])) == [MSGS[0]]


def test_official_files_load(tmp_path):
    assert len(load_messages(EXAMPLES[0])) == len(json.loads(EXAMPLES[0].read_text())["messages"])
    assert len(load_messages(TEST_CASES / "contact_form_example.jsonl")) >= 3


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(MSGS)))
    assert load_messages("-") == MSGS


@pytest.mark.parametrize("text, where, words", [
    (json.dumps(MSGS[0]) + "\n{\"version\": \"v0.9\",\n", "f.jsonl:2:", "invalid JSON"),
    (json.dumps(MSGS[0]) + "\n\n[1, 2]\n", "f.jsonl:3", "must be a JSON object, not an array"),
    (json.dumps(MSGS[0]) + "\nnot json\n", "f.jsonl:2:1", "invalid JSON"),
    ("{\"a\": 1,\n  \"b\": }\n", "f.jsonl:2:8", "invalid JSON: Expecting value"),
    ("[\n  {\"version\": \"v0.9\"},\n  {\"version\" \"v0.9\"}\n]", "f.jsonl:3:14", "Expecting ':'"),
    ("[1, {}]", "f.jsonl /0", "must be a JSON object, not a number"),
    ('{"messages": {}}', "f.jsonl /messages", "must be an array"),
    ('{"name": "no messages here"}', "f.jsonl", "expected JSONL, a JSON array"),
    ('"just a string"', "f.jsonl", "got a string"),
    ("   \n\n", "f.jsonl", "no A2UI messages"),
    ('[{"v": NaN}]', "f.jsonl", "NaN is not valid JSON"),
    (json.dumps(MSGS[0]) + '\n{"v": Infinity}', "f.jsonl:2", "Infinity is not valid JSON"),
    ("[" * 100000 + "]" * 100000, "f.jsonl", "nested too deeply"),
])
def test_malformed_input_names_line_and_problem(text, where, words):
    with pytest.raises(BadInput) as err:
        parse_messages(text, "f.jsonl")
    assert str(err.value).startswith(where), str(err.value)
    assert words in str(err.value)
    assert err.value.exit_code == 2


def test_file_errors(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_messages(tmp_path / "missing.jsonl")
    with pytest.raises(BadInput, match="is a directory"):
        load_messages(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"a": "\xff"}]')
    with pytest.raises(BadInput, match=r"bad.json: not UTF-8 text \(bad byte at offset 8\)"):
        load_messages(bad)
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(m) for m in MSGS))
    assert load_messages(str(good)) == MSGS
