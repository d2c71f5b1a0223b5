"""The tour in assets/: the product's main demo plays headless, passes, and leaves a real video."""
import json

import numpy as np
import pytest

from neuralos.cli import main
from neuralos.resources import ASSETS

from playback_helpers import decode, png

TOUR = ASSETS / "tour.yaml"


@pytest.mark.slow
def test_tour_plays_and_its_video_is_real(tmp_path, capsys):
    out = tmp_path / "tour"
    rc = main(["play", str(TOUR), "--out", str(out), "--gif", "--renderer", "widgets"])
    so, se = capsys.readouterr()
    assert rc == 0, se
    assert f"video:  {out / 'video.mp4'}" in so

    trace = json.loads((out / "trace.json").read_text())
    assert trace["ok"] and trace["steps_passed"] == trace["steps_total"] >= 30
    kinds = {s["kind"] for s in trace["steps"]}
    assert kinds == {"intent", "a2ui", "click", "type", "key", "wait", "snapshot", "expect"}
    assert trace["timings"]["wall_ms"] < 60_000
    assert len(trace["final_state"]["surfaces"]) == 2 and trace["final_state"]["theme"] == "dark"

    info, frames = decode(out / "video.mp4")
    assert info["codec"] == "h264" and (info["width"], info["height"]) == (1024, 768)
    assert info["frames"] == len(frames) == trace["timings"]["video_frames"]
    assert len(frames) / info["fps"] > 5                          # several seconds of video
    assert all(f.std() > 5 for f in frames)                       # never a blank frame
    distinct = sum(1 for a, b in zip(frames, frames[1:]) if np.abs(a.astype(int) - b).max() > 40)
    assert distinct >= 20                                         # it moves: windows open, text is typed
    assert np.abs(frames[-1].astype(int) - png(out / "final.png")).mean() < 3
    for name in ("todo", "player", "dark"):
        assert png(out / "snapshots" / f"{name}.png").shape == (768, 1024, 3)
    assert (out / "video.gif").stat().st_size > 10_000
