"""A2UI JSONL from agents on stdin: one batch per line, streamed components, bad lines reported and skipped."""
import io
import json
import os

from shell_helpers import CAT, V, notes

from neuralos.session import Session
from shell.agent import StdinAgent, apply_line, stdin_is_agent


def test_apply_line_accepts_a_message_or_an_array_and_rejects_whole():
    s = Session()
    assert apply_line(s, json.dumps(notes())) is None                  # an array: one batch
    assert apply_line(s, json.dumps({"version": V, "updateDataModel": {
        "surfaceId": "notes", "path": "/note", "value": "hi"}})) is None  # one message
    assert s.surfaces["notes"].data["note"] == "hi"
    before = json.dumps(s.snapshot(), sort_keys=True)

    err = apply_line(s, "{not json", "<stdin>:7")
    assert err["error"]["code"] == "VALIDATION_FAILED" and "<stdin>:7" in err["error"]["message"]
    err = apply_line(s, json.dumps([
        {"version": V, "updateDataModel": {"surfaceId": "notes", "path": "/note", "value": "lost"}},
        {"version": V, "updateComponents": {"surfaceId": "notes", "components": [{"id": "x", "component": "Nope"}]}}]))
    assert err["version"] == V and err["error"]["code"] == "VALIDATION_FAILED"
    assert err["error"]["surfaceId"] == "notes" and err["error"]["path"].startswith("/1/updateComponents")
    assert json.dumps(s.snapshot(), sort_keys=True) == before            # the good half did not apply


def test_stdin_is_agent_only_for_pipes(tmp_path):
    r, w = os.pipe()
    with os.fdopen(r) as pipe:
        assert stdin_is_agent(pipe)
    os.close(w)
    assert not stdin_is_agent(None)
    closed = open(tmp_path / "f", "w")
    closed.close()
    assert not stdin_is_agent(closed)


def test_streamed_lines_apply_in_order_and_a_bad_line_is_skipped(qtbot):
    s = Session()
    r, w = os.pipe()
    errors = io.StringIO()
    agent = StdinAgent(s, os.fdopen(r, "rb"), errors=errors)
    applied, rejected = [], []
    agent.applied.connect(applied.append)
    agent.rejected.connect(lambda n, e: rejected.append((n, e)))
    agent.start()
    lines = [
        {"version": V, "createSurface": {"surfaceId": "s", "catalogId": CAT}},
        # the root arrives before its children: accepted as pending (streaming)
        {"version": V, "updateComponents": {"surfaceId": "s", "components": [
            {"id": "root", "component": "Column", "children": ["a", "b"]}]}},
        "this is not JSON",
        {"version": V, "updateComponents": {"surfaceId": "s", "components": [
            {"id": "a", "component": "Text", "text": "first"}]}},
        {"version": V, "updateComponents": {"surfaceId": "ghost", "components": [
            {"id": "root", "component": "Text", "text": "x"}]}},
        {"version": V, "updateComponents": {"surfaceId": "s", "components": [
            {"id": "b", "component": "Text", "text": "second"}]}},
    ]
    with os.fdopen(w, "w") as out:
        for line in lines:
            out.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
            out.write("\n")                          # blank lines are ignored
    qtbot.waitUntil(lambda: len(applied) + len(rejected) == 6, timeout=10000)
    assert applied == [1, 3, 7, 11]
    assert [n for n, _ in rejected] == [5, 9]
    assert sorted(s.surfaces["s"].components) == ["a", "b", "root"]
    printed = [json.loads(x) for x in errors.getvalue().splitlines()]
    assert [p["error"]["code"] for p in printed] == ["VALIDATION_FAILED"] * 2
    assert "<stdin>:5" in printed[0]["error"]["message"]
    assert "ghost" in printed[1]["error"]["message"]
    qtbot.waitUntil(lambda: not agent.reader._thread.is_alive(), timeout=5000)   # EOF ends the reader
