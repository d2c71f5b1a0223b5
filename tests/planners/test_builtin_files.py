"""The read-only file list: the folder the user names, and never anything outside it."""
from __future__ import annotations

import os

import pytest

from planner_helpers import action_for
from neuralos.planners.builtin.files import resolve_folder


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "projects"
    (root / "alpha" / "deep").mkdir(parents=True)
    (root / "alpha" / "readme.txt").write_text("hello")
    (root / "beta.txt").write_text("x" * 2048)
    (root / ".hidden").write_text("")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "keys.txt").write_text("no")
    os.symlink(secret, root / "escape")
    return root


def entries(session):
    return [(e["name"], e["kind"]) for e in session.surfaces["files"].data["entries"]]


def test_lists_the_named_folder_and_walks_down_and_up(session, runner, click, tree):
    result = runner.run(f"list files in '{tree}'")
    assert result.ok, result.error
    assert entries(session) == [("alpha", "folder"), ("escape", "folder"), ("beta.txt", "file")]
    assert session.surfaces["files"].data["entries"][2]["size"] == "2.0 KB"
    assert "1 hidden" in session.surfaces["files"].data["summary"]

    assert click("files", "entry-open", "/entries/0").ok              # into alpha
    assert entries(session) == [("deep", "folder"), ("readme.txt", "file")]
    info = click("files", "entry-open", "/entries/1")                 # a file: described, never opened
    assert info.ok and info.reply.startswith("readme.txt: 5 B")
    assert click("files", "up").ok
    assert session.surfaces["files"].data["path"] == str(tree.resolve())
    top = click("files", "up")                                       # the named folder is the top
    assert top.ok and "top of the folder you named" in top.reply
    assert session.surfaces["files"].data["path"] == str(tree.resolve())


def test_symlinks_and_tampered_paths_cannot_leave_the_named_folder(session, runner, click, tree):
    assert runner.run(f"show the folder {tree}").ok
    before = session.snapshot()
    escape = click("files", "entry-open", "/entries/1")               # "escape" -> ../secret
    assert not escape.ok and "outside the folders you named" in escape.error
    assert session.snapshot() == before

    for name in ("..", "../secret", "/etc"):
        msg = action_for(session, "files", "entry-open", "/entries/0")
        msg["action"]["context"]["name"] = name
        assert not runner.run(msg).ok
    # An agent rewriting the data model does not widen what may be read.
    session.set_data("files", "/path", "/")
    assert not click("files", "up").ok
    assert session.surfaces["files"].data["path"] == "/"


def test_missing_folder_and_file_are_refused(session, runner, tree):
    missing = runner.run(f"list files in {tree / 'nope'}")
    assert not missing.ok and missing.refused and "there is no folder" in missing.error
    a_file = runner.run(f"list files in {tree / 'beta.txt'}")
    assert not a_file.ok and "is a file, not a folder" in a_file.error
    assert not session.surfaces
    vague = runner.run("open the file browser")
    assert not vague.ok and "which folder?" in vague.error


def test_folder_names_people_use(home, tmp_path):
    assert resolve_folder("my documents", home) == home / "Documents"
    assert resolve_folder("~/Documents", home) == home / "Documents"
    assert resolve_folder("the downloads folder", home) == home / "Downloads"
    assert resolve_folder("src", home, tmp_path) == tmp_path / "src"
    assert resolve_folder("this folder", home, tmp_path) == tmp_path
    assert resolve_folder("/tmp", home) == resolve_folder("'/tmp'", home)
