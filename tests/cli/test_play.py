"""`neuralos play`: exit codes, messages on one line, outputs, CLI flags over script keys."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuralos.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "playback"))
from playback_helpers import FORM, decode  # noqa: E402

PASSING = "size: 640x480\nrenderer: neural\nsteps:\n" + FORM + """\
  - click: {id: f}
  - type: "Zoë"
  - expect: {data: {surface: demo, path: /name, equals: "Zoë"}}
  - snapshot: typed
"""


def write(tmp_path, text, name="script.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_passing_script_exit_0_and_summary(tmp_path, capsys):
    script = write(tmp_path, PASSING)
    out = tmp_path / "out"
    rc = main(["play", str(script), "--out", str(out), "--renderer", "widgets", "--size", "320x240", "--gif"])
    so, se = capsys.readouterr()
    assert rc == 0, se
    assert so.startswith("PASS: 5/5 steps passed")
    assert f"video:  {out / 'video.mp4'}" in so and "gif:" in so
    trace = json.loads((out / "trace.json").read_text())
    assert trace["size"] == [320, 240]                       # --size wins over the script's size
    assert trace["renderer"]["requested"] == "widgets"       # --renderer wins over the script's renderer
    info, frames = decode(out / "video.mp4")
    assert (info["width"], info["height"]) == (320, 240) and len(frames) == trace["timings"]["video_frames"]
    assert (out / "video.gif").exists() and (out / "snapshots" / "typed.png").exists()


def test_failing_expectation_exit_1(tmp_path, capsys):
    script = write(tmp_path, "size: 320x240\nsteps:\n" + FORM + "  - expect: {text: Missing}\n")
    rc = main(["play", str(script), "--out", str(tmp_path / "out"), "--renderer", "widgets"])
    so, se = capsys.readouterr()
    assert rc == 1
    assert so.startswith("FAIL: 1/2 steps passed")
    assert f"neuralos: {script}:7: expected a visible component showing 'Missing'" in se
    assert (tmp_path / "out" / "video.mp4").exists() and (tmp_path / "out" / "trace.json").exists()


@pytest.mark.parametrize("text, message", [
    ("steps:\n  - click: {text: 'Add'\n", ":3: invalid YAML"),
    ("steps:\n  - wait: 1\n  - clik: {text: Add}\n", ":3: unknown step 'clik' (did you mean 'click'?"),
    ("steps:\n  - click: {txt: Add}\n", ":2: click target: unknown key 'txt'"),
    ("steps:\n  - click: {at: [5000, 1]}\n", ":2: click point [5000, 1] is off the 1024x768 canvas"),
    ("size: huge\nsteps:\n  - wait: 1\n", ":1: size must look like 1024x768, not 'huge'"),
])
def test_malformed_script_exit_2_before_anything_runs(tmp_path, capsys, text, message):
    script = write(tmp_path, text)
    out = tmp_path / "out"
    rc = main(["play", str(script), "--out", str(out)])
    so, se = capsys.readouterr()
    assert rc == 2
    assert se.startswith(f"neuralos: {script}{message}")
    assert len(se.strip().splitlines()) == 1 and "Traceback" not in se
    assert not out.exists()                                   # nothing ran, nothing written


def test_bad_flags_exit_2(tmp_path, capsys):
    script = write(tmp_path, PASSING)
    with pytest.raises(SystemExit) as e:
        main(["play", str(script), "--out", str(tmp_path / "o"), "--size", "12by3"])
    assert e.value.code == 2
    assert "size must look like 1024x768" in capsys.readouterr().err
    rc = main(["play", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "missing.yaml: no such script file" in capsys.readouterr().err


def test_real_process_exit_codes_and_no_traceback(tmp_path):
    """Through the installed entry point, as other tools drive it."""
    bad = write(tmp_path, "steps:\n  - clik: {text: Add}\n", "bad.yaml")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    entry = "import sys; from neuralos.cli import main; sys.exit(main())"
    p = subprocess.run([sys.executable, "-c", entry, "play", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 2 and "unknown step 'clik'" in p.stderr and "Traceback" not in p.stderr


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    script = write(tmp_path, PASSING)
    (tmp_path / "taken").write_text("x")
    rc = main(["play", str(script), "--out", str(tmp_path / "taken")])
    assert rc == 2 and "taken: exists and is not a folder" in capsys.readouterr().err
    rc = main(["play", str(script), "--out", str(tmp_path / "taken" / "sub")])
    assert rc == 2 and "cannot write the outputs here" in capsys.readouterr().err
