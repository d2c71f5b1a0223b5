"""The crash-safe desktop journal: restore equals what was applied, across torn writes and SIGKILL."""
import json
import os
import random
import signal
import subprocess
import sys
import textwrap

import pytest

from neuralos.journal import Journal, JournalBusy, replay
from neuralos.session import Session

CAT = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"
V = "v0.9"


def notes_batch(sid="notes", title="Notes"):
    return [
        {"version": V, "createSurface": {"surfaceId": sid, "catalogId": CAT, "theme": {"agentDisplayName": title}}},
        {"version": V, "updateComponents": {"surfaceId": sid, "components": [
            {"id": "root", "component": "Column", "children": ["t", "f"]},
            {"id": "t", "component": "Text", "text": "Notes"},
            {"id": "f", "component": "TextField", "label": "Note", "value": {"path": "/note"}}]}},
        {"version": V, "updateDataModel": {"surfaceId": sid, "path": "/note", "value": ""}},
    ]


# One deterministic session history, shared by the in-process tests and the SIGKILL child (which
# exec()s this source): step i changes the session once; every kind of change appears.
STEPS_SRC = textwrap.dedent('''
    CAT = "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"

    def make_session():
        """A session with a stand-in for the canvas, which opens a window for every new surface in
        its change listener (subscribed before the journal, as in the shell)."""
        from neuralos.session import Session
        s = Session()
        s.subscribe(lambda changes: [s.windows.open(c.surface_id, c.surface_id, 300, 200)
                                     for c in changes if c.kind == "created"])
        return s

    def step(session, i):
        sid = f"s{i // 40}"
        k = i % 40
        if k == 0:
            session.apply([
                {"version": "v0.9", "createSurface": {"surfaceId": sid, "catalogId": CAT}},
                {"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": [
                    {"id": "root", "component": "Column", "children": ["f", "items"]},
                    {"id": "f", "component": "TextField", "label": "Type", "value": {"path": "/text"}},
                    {"id": "items", "component": "List", "children": {"componentId": "it", "path": "/items"}},
                    {"id": "it", "component": "Text", "text": {"path": "name"}}]}},
                {"version": "v0.9", "updateDataModel": {"surfaceId": sid, "path": "/", "value": {"items": []}}}])
        elif k % 10 == 5:        # an agent batch appending with the "-" token
            session.apply([{"version": "v0.9", "updateDataModel": {
                "surfaceId": sid, "path": "/items/-", "value": {"name": f"item {i}"}}}])
        elif k % 10 == 7:        # a component update
            session.apply([{"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": [
                {"id": "f", "component": "TextField", "label": f"Type {i}", "value": {"path": "/text"}}]}}])
        elif k == 13:
            session.window_op("move", sid, 40 + i % 200, 30 + i % 100)
        elif k == 23:
            session.set_theme("dark" if (i // 40) % 2 == 0 else "light")
        elif k == 33 and i >= 80:
            session.window_op("close", f"s{i // 40 - 2}")   # closing deletes an older surface
        else:                    # a keystroke into the TextField: local two-way binding
            text = session.surfaces[sid].data.get("text", "")
            session.set_data(sid, "/text", text + "abcdefghijklmnopqrstuvwxyzäöü"[i % 29])
''')
NS: dict = {}
exec(STEPS_SRC, NS)
step, make_session = NS["step"], NS["make_session"]


def history(n):
    """Snapshots after each of steps 0..n-1 (index 0 = empty desktop)."""
    s = make_session()
    snaps = [json.loads(json.dumps(s.snapshot()))]   # a copy: snapshot() shares the live data
    for i in range(n):
        step(s, i)
        snaps.append(json.loads(json.dumps(s.snapshot())))
    return snaps


def run_journaled(tmp_path, n, **kw):
    s = make_session()
    j = Journal(tmp_path / "j", **kw)
    assert j.load() is None
    j.attach(s)
    for i in range(n):
        step(s, i)
    return s, j


def reload(tmp_path):
    j = Journal(tmp_path / "j")
    try:
        return j.load(), j.warnings
    finally:
        j.close()


def test_restore_equals_applied_state(tmp_path):
    s, j = run_journaled(tmp_path, 130, compact_every=10_000)
    # nothing compacted: everything comes from the journal lines
    assert not j.snapshot_path.exists()
    j._fh.close(); j._fh = None; j._unlock()       # "crash": no close(), no compaction
    state, warnings = reload(tmp_path)
    assert state == s.snapshot()
    assert warnings == []
    assert state["theme"] == "dark" and len(state["surfaces"]) == 3   # s0 deleted at step 113
    restored = Session()
    restored.restore(state)
    assert restored.snapshot() == s.snapshot()


def test_every_keystroke_is_its_own_fsynced_record(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    s = Session()
    j = Journal(tmp_path / "j")
    j.load()
    j.attach(s)
    s.apply(notes_batch())
    before = len(synced)
    for ch in "hello":
        s.set_data("notes", "/note", s.surfaces["notes"].data["note"] + ch)
    assert len(synced) - before == 5
    lines = j.journal_path.read_text().splitlines()
    assert [json.loads(x)["ops"][0]["value"] for x in lines[-5:]] == ["h", "he", "hel", "hell", "hello"]


def test_torn_last_line_is_ignored_at_every_cut_point(tmp_path):
    snaps = history(20)
    s, j = run_journaled(tmp_path, 20, compact_every=10_000)
    j._fh.close(); j._fh = None; j._unlock()
    data = j.journal_path.read_bytes()
    last_start = data.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(last_start, len(data)):
        j.journal_path.write_bytes(data[:cut])
        state, warnings = reload(tmp_path)
        if cut == len(data) - 1:              # only the newline is missing: the record is whole
            assert state == snaps[20]
        else:
            assert state == snaps[19], cut
            if cut > last_start:
                assert "torn last line" in warnings[0]


def test_append_after_torn_tail_cuts_the_garbage_first(tmp_path):
    s, j = run_journaled(tmp_path, 3, compact_every=10_000)
    j._fh.close(); j._fh = None; j._unlock()
    with open(j.journal_path, "ab") as f:
        f.write(b'{"seq": 4, "ops": [{"op": "data", "surf')       # killed mid-write
    s2 = Session()
    j2 = Journal(tmp_path / "j")
    s2.restore(j2.load())
    j2.attach(s2)
    s2.set_data("s0", "/text", "after the crash")
    j2._fh.close(); j2._fh = None; j2._unlock()
    state, warnings = reload(tmp_path)
    assert warnings == []
    assert state["surfaces"][0]["dataModel"]["text"] == "after the crash"
    assert state == s2.snapshot()


def test_compaction_and_crash_between_snapshot_and_truncation(tmp_path):
    snaps = history(95)
    s, j = run_journaled(tmp_path, 95, compact_every=16)
    assert j.snapshot_path.exists()
    assert len(j.journal_path.read_text().splitlines()) < 16
    j._fh.close(); j._fh = None; j._unlock()
    state, _ = reload(tmp_path)
    assert state == snaps[95] == s.snapshot()
    # A crash after the new snapshot replaced the old one but before the journal was emptied leaves
    # records the snapshot already covers: they are skipped by sequence number, not applied twice.
    journal_text = j.journal_path.read_text()
    j2 = Journal(tmp_path / "j")
    j2.load()
    j2.compact(s.snapshot())
    j2.close()
    j.journal_path.write_text(journal_text)
    state, _ = reload(tmp_path)
    assert state == snaps[95]


def test_close_compacts_and_fresh_keeps_a_backup(tmp_path):
    s, j = run_journaled(tmp_path, 30)
    j.close()
    assert j.journal_path.read_text() == ""
    assert json.loads(j.snapshot_path.read_text())["state"] == s.snapshot()
    j2 = Journal(tmp_path / "j")
    backup = j2.set_aside()
    assert j2.load() is None
    assert backup is not None and (backup / "snapshot.json").exists()
    assert json.loads((backup / "snapshot.json").read_text())["state"] == s.snapshot()
    assert j2.backups() == [backup]
    j2.close()


def test_second_writer_is_refused(tmp_path):
    j = Journal(tmp_path / "j")
    j.load()
    with pytest.raises(JournalBusy):
        Journal(tmp_path / "j").load()
    j.close()
    Journal(tmp_path / "j").load()


def test_replay_tolerates_ops_on_missing_surfaces():
    state = {"version": 1, "theme": "light", "surfaces": [], "windows": {}}
    replay(state, [{"op": "data", "surface": "gone", "path": "/x", "value": 1},
                   {"op": "components", "surface": "gone", "components": [{"id": "root"}]},
                   {"op": "delete", "surface": "gone"}])
    assert state["surfaces"] == []


CHILD = """
import json, sys
from neuralos.journal import Journal
exec(open(sys.argv[2]).read())
s = make_session()
j = Journal(sys.argv[1], compact_every=int(sys.argv[3]))
assert j.load() is None
j.attach(s)
for i in range(int(sys.argv[4])):
    step(s, i)
    print(i, flush=True)          # step i is journaled (fsync'ed) before this line is written
print("done", flush=True)
sys.stdin.read()                  # stay alive until killed
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_mid_session_loses_nothing_applied(tmp_path, seed):
    total = 240
    snaps = history(total)
    (tmp_path / "steps.py").write_text(STEPS_SRC)
    (tmp_path / "child.py").write_text(CHILD)
    kill_after = random.Random(seed).randrange(20, 200)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(tmp_path / "j"),
                             str(tmp_path / "steps.py"), "13", str(total)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    last = -1
    try:
        for line in proc.stdout:
            if line.strip() == "done":
                break
            last = int(line)
            if last >= kill_after:
                break
        proc.send_signal(signal.SIGKILL)   # while it keeps applying and writing
        proc.wait(10)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    state, _ = reload(tmp_path)
    assert state is not None
    # The restored desktop is the state after some step at or beyond the last one reported.
    matches = [n for n in range(last + 1, total + 1) if snaps[n] == state]
    assert matches, f"restored state matches no step >= {last + 1}"


def test_session_restore_while_attached_is_journaled(tmp_path):
    """A planner's rollback restores an older snapshot: dropped surfaces and the theme must follow."""
    s, j = run_journaled(tmp_path, 45, compact_every=10_000)      # s0 and s1 exist, theme dark
    older = json.loads(json.dumps(history(3)[3]))                  # only s0, light theme
    s.restore(older)
    assert list(s.surfaces) == ["s0"] and s.theme == "light"
    j._fh.close(); j._fh = None; j._unlock()
    state, _ = reload(tmp_path)
    assert state == s.snapshot()
