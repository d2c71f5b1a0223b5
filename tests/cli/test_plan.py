"""`neuralos plan`: JSONL on stdout, state input, actions as JSON, refusals exit 1, bad input exit 2."""
import json
import subprocess
import sys

import pytest

from neuralos.a2ui.processor import MessageProcessor
from neuralos.cli import main

CLI = "import sys; from neuralos.cli import main; sys.exit(main())"


def lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_intent_prints_valid_jsonl(capsys):
    assert main(["plan", "open notes and add 'buy milk'"]) == 0
    out, err = capsys.readouterr()
    messages = lines(out)
    assert [next(k for k in m if k != "version") for m in messages] == [
        "createSurface", "updateComponents", "updateDataModel"]
    MessageProcessor().apply(messages)                        # replays on an empty desktop
    assert messages[2]["updateDataModel"]["value"]["notes"][0]["text"] == "buy milk"
    assert "buy milk" in err


def test_state_and_action_round_trip(tmp_path, capsys):
    assert main(["plan", "make a to-do list with eggs"]) == 0
    state = tmp_path / "state.jsonl"
    state.write_text(capsys.readouterr().out)
    action = {"version": "v0.9", "action": {"name": "remove_item", "surfaceId": "todo", "sourceComponentId": "item-remove",
                                            "timestamp": "2026-01-01T00:00:00.000Z", "context": {"id": "t1"}}}
    assert main(["plan", json.dumps(action), "--state", str(state)]) == 0
    update = lines(capsys.readouterr().out)
    assert {"version": "v0.9", "updateDataModel": {"surfaceId": "todo", "path": "/items", "value": []}} in update


def test_shell_commands_go_to_stderr(tmp_path, capsys):
    assert main(["plan", "what's 6*7"]) == 0
    state = tmp_path / "s.json"
    state.write_text(json.dumps(lines(capsys.readouterr().out)))
    assert main(["plan", "minimise the calculator", "--state", str(state)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and 'shell command: {"op": "minimize", "surface": "calculator"}' in err
    assert main(["plan", "close it", "--state", str(state)]) == 0
    assert lines(capsys.readouterr().out) == [{"version": "v0.9", "deleteSurface": {"surfaceId": "calculator"}}]


def test_refusal_is_exit_1_and_one_line(capsys):
    assert main(["plan", "fly me to the moon"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("neuralos: I can't do “fly me to the moon” with the builtin planner")
    assert "--planner" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, words", [
    (["plan", "open notes", "--state", "nope.jsonl"], "nope.jsonl: no such file"),
    (["plan", "{not json"], "INTENT: looks like JSON but is not"),
    (["plan", '{"version": "v0.9"}'], "must be an A2UI action message"),
    (["plan", "   "], "INTENT: is empty"),
    (["plan", "open notes", "--planner", "./no/such/model"], "is not a folder"),
    (["plan", "open notes", "--planner", "no-such-planner"], "no-such-planner"),
])
def test_bad_input_is_exit_2(argv, words, capsys):
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_invalid_state_names_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"version": "v0.9", "updateComponents": {"surfaceId": "x", "components": [
        {"id": "root", "component": "Text", "text": "hi"}]}}) + "\n")
    assert main(["plan", "open notes", "--state", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "does not exist" in err


def test_real_process_exit_codes_without_tracebacks():
    ok = subprocess.run([sys.executable, "-c", CLI, "plan", "convert 100 F to C"], capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0 and "37.777778 °C" in ok.stderr
    assert all("version" in json.loads(line) for line in ok.stdout.splitlines())
    refused = subprocess.run([sys.executable, "-c", CLI, "plan", "order a pizza"], capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
