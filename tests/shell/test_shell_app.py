"""`neuralos shell` as a process: journal restore across SIGKILL, clean quit, --fresh, second launch, --script."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shell_helpers import LOGIN, V, jsonl, notes

from neuralos.journal import SNAPSHOT, Journal, default_dir

NEURALOS = str(Path(sys.executable).with_name("neuralos"))
pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")

TYPING_SCRIPT = """
steps:
  - a2ui:
""" + "".join(f"      - {json.dumps(m)}\n" for m in notes("typed", "Typed")) + """
  - click: {id: f}
  - type: "hello world"
  - expect: {data: {surface: typed, path: /note, equals: "hello world"}}
"""


def start(*args, stdin=subprocess.PIPE):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([NEURALOS, "shell", "--renderer", "widgets", "--size", "640x480", *args],
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(predicate, proc=None, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"shell exited ({proc.returncode}) before {what}: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def journal_text():
    d = default_dir()
    return "".join(p.read_text() for p in (d / "journal.jsonl", d / SNAPSHOT) if p.exists())


def loaded():
    j = Journal()
    try:
        return j.load()
    finally:
        j.close()


def stop(proc, sig=signal.SIGTERM):
    proc.send_signal(sig)
    try:
        proc.wait(30)
    finally:
        proc.kill()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f:
            f.close()


def test_sigkill_mid_session_loses_no_batch_and_no_keystroke(tmp_path):
    script = tmp_path / "typing.yaml"
    script.write_text(TYPING_SCRIPT)
    proc = start("--script", str(script))
    try:
        proc.stdin.write(jsonl(notes("agent", "Agent")))
        proc.stdin.write(json.dumps({"version": V, "updateDataModel": {
            "surfaceId": "agent", "path": "/note", "value": "from the agent"}}) + "\n")
        proc.stdin.flush()
        # every keystroke is its own fsync'ed record: wait for the last one, then kill at once
        wait_for(lambda: '"hello world"' in journal_text() and "from the agent" in journal_text(),
                 proc, what="the typed text and the agent batch in the journal")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    keystrokes = [line for line in (default_dir() / "journal.jsonl").read_text().splitlines()
                  if '"path":"/note"' in line and '"surface":"typed"' in line]
    assert len(keystrokes) >= len("hello world")          # one record per character typed
    state = loaded()
    data = {s["id"]: s["dataModel"] for s in state["surfaces"]}
    assert data["typed"]["note"] == "hello world"
    assert data["agent"]["note"] == "from the agent"
    assert {w["surface_id"] for w in state["windows"]["windows"]} == {"typed", "agent"}

    # the next launch restores it, on screen
    from PySide6.QtCore import QTimer
    from shell.app import ShellOptions, run
    seen = {}

    def check(window):
        scene = window.canvas.scene()
        seen["texts"] = scene.texts()
        seen["taskbar"] = sorted(window.taskbar.buttons)
        seen["status"] = window.status.message.text()
        QTimer.singleShot(0, window.close)

    assert run(ShellOptions(renderer="widgets", size=(640, 480), stdin=False), on_window=check) == 0
    assert "Note hello world" in seen["texts"] and "Note from the agent" in seen["texts"]   # label + value
    assert seen["taskbar"] == ["agent", "typed"]
    assert "Restored the desktop: 2 window(s)" in seen["status"]


def test_clean_quit_compacts_and_fresh_keeps_a_backup():
    proc = start()
    proc.stdin.write(jsonl(notes("n1")))
    proc.stdin.flush()
    wait_for(lambda: '"n1"' in journal_text(), proc, what="the batch in the journal")
    stop(proc, signal.SIGTERM)
    assert proc.returncode == 0
    d = default_dir()
    assert (d / "journal.jsonl").read_text() == ""
    snap = json.loads((d / SNAPSHOT).read_text())
    assert [s["id"] for s in snap["state"]["surfaces"]] == ["n1"]

    proc = start("--fresh", stdin=subprocess.DEVNULL)
    wait_for(lambda: (d / "journal.jsonl").exists() and not (d / SNAPSHOT).exists(), proc,
             what="a fresh journal")
    stop(proc, signal.SIGINT)
    assert proc.returncode == 0
    assert loaded()["surfaces"] == []
    backups = sorted(d.glob("backup-*"))
    assert len(backups) == 1
    assert json.loads((backups[0] / SNAPSHOT).read_text())["state"]["surfaces"][0]["id"] == "n1"


def test_second_launch_opens_its_file_in_the_first_and_exits_0():
    first = start()
    try:
        wait_for(lambda: (default_dir() / "journal.jsonl").exists(), first, what="the first shell")
        second = subprocess.run([NEURALOS, "--open", str(LOGIN), "--theme", "dark"], capture_output=True,
                                text=True, timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        assert second.returncode == 0, second.stderr
        assert "handed over to the running shell" in second.stderr
        wait_for(lambda: "gallery-login-form" in journal_text() and '"theme":"dark"' in journal_text(),
                 first, what="the file opened by the first shell")
    finally:
        stop(first)
    assert first.returncode == 0
    state = loaded()
    assert state["theme"] == "dark" and [s["id"] for s in state["surfaces"]] == ["gallery-login-form"]


def test_bad_open_file_is_reported_and_the_shell_keeps_running(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"version": "v0.9", "deleteSurface": {"surfaceId": "nothing-here"}}\n')
    proc = start("--open", str(bad), str(LOGIN))
    try:
        wait_for(lambda: "gallery-login-form" in journal_text(), proc, what="the good file")
    finally:
        stop(proc)
    assert proc.returncode == 0
    state = loaded()
    assert [s["id"] for s in state["surfaces"]] == ["gallery-login-form"]


def test_bad_script_is_exit_2_before_any_window(tmp_path):
    script = tmp_path / "bad.yaml"
    script.write_text("steps:\n  - intent: hi\n  - clik: {id: x}\n")
    p = subprocess.run([NEURALOS, "shell", "--script", str(script)], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert p.returncode == 2
    assert f"{script}:3" in p.stderr and "Traceback" not in p.stderr
    assert not (default_dir() / "journal.jsonl").exists()
