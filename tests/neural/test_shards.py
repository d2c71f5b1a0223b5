"""Shard format: write/read round trip, manifest, atomic writes under SIGKILL, crops."""
import json
import os
import signal
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from neuralos.errors import BadInput
from neuralos.neural import shards as sh
from neuralos.scene import Box, Part, Scene, SceneNode, TextRun


def _scene(w=96, h=64):
    return Scene(w, h, {"name": "light", "dark": False, "background": "#ffffff"}, [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, w, h), Box(0, 0, w, h)),
        SceneNode("s/@window", "s", "window", "window", Box(4, 4, 60, 40), Box(4, 4, 60, 40), window="s"),
        SceneNode("s/cb", "s", "cb", "CheckBox", Box(10, 12, 40, 16), Box(10, 12, 40, 16),
                  states=frozenset({"checked"}), interactive=True, window="s", text="Zoë",
                  text_runs=(TextRun("Zoë", 30, 24, 12.0, box=Box(28, 12, 22, 16)),),
                  parts=(Part("check.indicator", Box(10, 14, 12, 12), frozenset({"checked"})),)),
    ])


def _sample(i, previous=True, split="train"):
    rng = np.random.default_rng(i)
    frame = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8)
    prev = rng.integers(0, 256, (64, 96, 3), dtype=np.uint8) if previous else None
    meta = {"seed": i, "split": split, "frame_hash": sh.pixels_hash(frame)}
    return sh.Sample(f"s{i:09d}", frame, prev, _scene(), {"seed": i, "messages": [], "script": []}, meta)


def test_round_trip_preserves_every_field(tmp_path):
    samples = [_sample(0), _sample(1, previous=False), _sample(2)]
    idx = sh.write_shard(tmp_path, 0, samples)
    assert idx["count"] == 3 and idx["sequences"] == 2 and idx["keys"] == [s.key for s in samples]
    with tarfile.open(tmp_path / "shard-00000.tar") as tar:
        names = tar.getnames()
    assert names[:5] == ["s000000000.frame.png", "s000000000.previous.png", "s000000000.scene.json",
                         "s000000000.state.json", "s000000000.meta.json"]
    sh.write_manifest(tmp_path, [idx], {"generator": "test"})
    back = list(sh.iter_samples(tmp_path))
    assert [b["key"] for b in back] == [s.key for s in samples]
    for s, b in zip(samples, back):
        assert np.array_equal(s.frame, b["frame"]) and b["frame"].dtype == np.uint8
        assert (s.previous is None and b["previous"] is None) or np.array_equal(s.previous, b["previous"])
        assert b["scene"] == s.scene and b["state"] == s.state and b["meta"] == s.meta
    manifest = sh.read_manifest(tmp_path)
    assert manifest["samples"] == 3 and manifest["sequences"] == 2 and manifest["splits"] == {"train": 3}
    assert sh.verify_shards(tmp_path) == []


def test_shard_bytes_are_reproducible(tmp_path):
    a = sh.write_shard(tmp_path / "a", 0, [_sample(0), _sample(1)])
    b = sh.write_shard(tmp_path / "b", 0, [_sample(0), _sample(1)])
    assert a["sha256"] == b["sha256"]


def test_split_filter_and_dataset_access(tmp_path):
    idx = sh.write_shard(tmp_path, 0, [_sample(0), _sample(1, split="other"), _sample(2, previous=False)])
    sh.write_manifest(tmp_path, [idx], {})
    assert [d["key"] for d in sh.iter_samples(tmp_path, split="train")] == ["s000000000", "s000000002"]
    ds = sh.ShardDataset(tmp_path, split="train", conditioning=False)
    assert len(ds) == 2 and np.array_equal(ds[1]["frame"], _sample(2, previous=False).frame)
    with pytest.raises(BadInput, match="no samples"):
        sh.ShardDataset(tmp_path, split="eval")


def test_crops_align_frame_previous_and_conditioning(tmp_path):
    from neuralos.neural.conditioning import CONDITIONING_CHANNELS, build_conditioning

    idx = sh.write_shard(tmp_path, 0, [_sample(0), _sample(1, previous=False)])
    sh.write_manifest(tmp_path, [idx], {})
    ds = sh.ShardDataset(tmp_path, crop=(32, 24), seed=3)
    for i in range(len(ds)):
        item = ds[i]
        full = sh.load_sample(*ds._entries[i][:1], ds._entries[i][1], ds._entries[i][2])
        box = item["region"]
        assert (box.w, box.h) == (32, 24) and item["frame"].shape == (24, 32, 3)
        assert np.array_equal(item["frame"], full.frame[box.y:box.bottom, box.x:box.right])
        cond = build_conditioning(full.scene, full.previous)
        assert item["conditioning"].shape == (CONDITIONING_CHANNELS, 24, 32)
        assert np.array_equal(item["conditioning"], cond[:, box.y:box.bottom, box.x:box.right])
        if full.previous is not None:
            assert np.array_equal(item["previous"], full.previous[box.y:box.bottom, box.x:box.right])
    a, b = ds[0]["region"], ds[0]["region"]
    assert a == b                               # reproducible per (seed, epoch, index)
    batch = sh.collate([ds[0], ds[1]])
    assert tuple(batch["frame"].shape) == (2, 3, 24, 32) and float(batch["frame"].abs().max()) <= 1.0
    assert tuple(batch["conditioning"].shape) == (2, CONDITIONING_CHANNELS, 24, 32)
    assert batch["has_previous"].tolist() == [True, False]


def test_content_biased_crops_mostly_cover_components():
    scene = Scene(400, 300, {}, [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 400, 300), Box(0, 0, 400, 300)),
        SceneNode("s/t", "s", "t", "Text", Box(300, 250, 40, 20), Box(300, 250, 40, 20))])
    rng = np.random.default_rng(0)
    hits = sum(sh.choose_crop(scene, (64, 64), rng, 0.8).intersect(Box(300, 250, 40, 20)) is not None
               for _ in range(200))
    assert hits > 140
    box = sh.choose_crop(scene, (1000, 1000), rng)
    assert box == Box(0, 0, 400, 300)           # larger than the canvas: the whole canvas


def test_state_biased_crops_mostly_cover_components_in_a_state():
    pressed = Box(20, 20, 30, 20)
    scene = Scene(400, 300, {}, [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 400, 300), Box(0, 0, 400, 300)),
        SceneNode("s/@window", "s", "window", "window", Box(200, 0, 200, 300), Box(200, 0, 200, 300),
                  states=frozenset({"focused"})),       # the active window: chrome, not a component state
        *(SceneNode(f"s/t{i}", "s", f"t{i}", "Text", Box(300, 40 * i, 40, 20), Box(300, 40 * i, 40, 20))
          for i in range(7)),
        SceneNode("s/b", "s", "b", "Button", pressed, pressed, states=frozenset({"pressed"}))])

    def hits(state_bias):
        rng = np.random.default_rng(0)
        return sum(sh.choose_crop(scene, (64, 64), rng, 0.8, state_bias).intersect(pressed) is not None
                   for _ in range(400))

    assert hits(0.0) < 100                      # one node of nine
    assert hits(0.5) > 200
    plain = Scene(400, 300, {}, scene.nodes[:-1])   # no component in a state: content-biased crops as before
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    assert [sh.choose_crop(plain, (64, 64), a, 0.8, 0.5) for _ in range(20)] == \
        [sh.choose_crop(plain, (64, 64), b, 0.8) for _ in range(20)]


def test_state_biased_crops_hold_the_indicator_and_favour_passing_states():
    def box_row(i, states):    # a check box whose row is much wider than a crop, its indicator at the left
        row, ind = Box(10, 10 + 80 * i, 380, 22), Box(11, 12 + 80 * i, 18, 18)
        return SceneNode(f"s/c{i}", "s", f"c{i}", "CheckBox", row, row, states=frozenset(states),
                         parts=(Part("check.indicator", ind, frozenset(states)),))
    held = box_row(0, {"checked", "pressed", "hovered", "focused"})
    scene = Scene(400, 300, {}, [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 400, 300), Box(0, 0, 400, 300)),
        held, box_row(1, {"hovered"}), box_row(2, {"checked"}), box_row(3, set())])
    rng = np.random.default_rng(0)
    crops = [sh.choose_crop(scene, (64, 64), rng, 0.8, 1.0) for _ in range(600)]
    indicators = [n.parts[0].box for n in scene.nodes[1:4]]
    assert all(sum(c.intersect(b) == b for b in indicators) >= 1 for c in crops)   # a whole indicator, always
    def share(node):
        return sum(c.intersect(node.parts[0].box) == node.parts[0].box for c in crops) / len(crops)
    assert 0.87 < share(held) < 0.95              # odds 4 ** 3 (pressed, hovered, focused) against 4 + 1
    assert 0.03 < share(scene.nodes[2]) < 0.09    # hovered: 4 of 69


def test_state_mask_covers_components_in_a_state_and_their_rings():
    row, indicator = Box(20, 20, 120, 22), Box(22, 22, 18, 18)
    scene = Scene(200, 100, {}, [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 200, 100), Box(0, 0, 200, 100)),
        SceneNode("s/@window", "s", "window", "window", Box(0, 0, 200, 100), Box(0, 0, 200, 100),
                  states=frozenset({"focused"})),       # window chrome: not weighed
        SceneNode("s/c", "s", "c", "CheckBox", row, row,
                  parts=(Part("check.indicator", indicator, frozenset({"pressed"})),)),
        SceneNode("s/b", "s", "b", "Button", Box(150, 60, 40, 30), Box(150, 60, 40, 30))])   # no state
    mask = sh.state_mask(scene, Box(0, 0, 200, 100))
    want = np.zeros((100, 200), np.float32)
    want[22 - 3:40 + 3, 22 - 3:40 + 3] = 1                 # the indicator, grown by FOCUS_RING
    assert sh.FOCUS_RING == 3 and np.array_equal(mask, want)
    assert np.array_equal(sh.state_mask(scene, Box(10, 10, 64, 48)), want[10:58, 10:74])   # a crop: its own pixels
    pressed_row = Scene(200, 100, {}, [*scene.nodes[:2], SceneNode("s/c", "s", "c", "CheckBox", row, row,
                                                                   states=frozenset({"hovered"}))])
    assert sh.state_mask(pressed_row, Box(0, 0, 200, 100)).sum() == (120 + 6) * (22 + 6)


def test_component_mask_covers_every_interactive_component_at_rest_or_not():
    button, label = Box(150, 60, 40, 30), Box(20, 60, 100, 20)
    scene = Scene(200, 100, {}, [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 200, 100), Box(0, 0, 200, 100)),
        SceneNode("s/@close", "s", "close", "window.close", Box(180, 0, 20, 20), Box(180, 0, 20, 20),
                  interactive=True),                   # window chrome: not a catalog component
        SceneNode("s/t", "s", "t", "Text", label, label),  # not interactive
        SceneNode("s/b", "s", "b", "Button", button, button, interactive=True),                  # at rest
        SceneNode("s/c", "s", "c", "CheckBox", Box(20, 20, 60, 20), Box(20, 20, 60, 20), frozenset({"hovered"}),
                  interactive=True)])
    want = np.zeros((100, 200), np.float32)
    want[60 - 3:90 + 3, 150 - 3:190 + 3] = 1
    want[20 - 3:40 + 3, 20 - 3:80 + 3] = 1
    assert np.array_equal(sh.component_mask(scene, Box(0, 0, 200, 100)), want)
    assert np.array_equal(sh.component_mask(scene, Box(100, 40, 64, 48)), want[40:88, 100:164])


_KILLED_WRITER = r"""
import os, sys, time
import numpy as np
sys.path.insert(0, {tests!r})
from test_shards import _sample
from neuralos.neural import shards as sh
real_replace = os.replace
def slow_replace(src, dst):
    print("TMP-WRITTEN", flush=True)
    time.sleep(60)              # killed here: the temporary is complete, the rename never happens
    real_replace(src, dst)
os.replace = slow_replace
sh.write_shard({folder!r}, 0, [_sample(5), _sample(6)])
"""


def test_killed_writer_never_leaves_a_corrupt_shard(tmp_path):
    good = sh.write_shard(tmp_path, 0, [_sample(0), _sample(1)])
    before = (tmp_path / "shard-00000.tar").read_bytes()
    code = _KILLED_WRITER.format(tests=os.path.dirname(__file__), folder=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "TMP-WRITTEN"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    # The old shard is intact and still complete; the half-done write is only a *.tmp file.
    assert (tmp_path / "shard-00000.tar").read_bytes() == before
    assert sh.shard_is_complete(tmp_path, 0)["sha256"] == good["sha256"]
    assert list(tmp_path.glob("*.tmp"))
    assert sh.clean_temporaries(tmp_path) == 1 and not list(tmp_path.glob("*.tmp"))


def test_incomplete_or_modified_shards_are_detected(tmp_path):
    idx = sh.write_shard(tmp_path, 0, [_sample(0)])
    sh.write_manifest(tmp_path, [idx], {})
    assert sh.shard_is_complete(tmp_path, 0)
    (tmp_path / "shard-00000.tar.json").unlink()
    assert sh.shard_is_complete(tmp_path, 0) is None          # no index: not finished
    sh.write_shard(tmp_path, 0, [_sample(0)])
    data = bytearray((tmp_path / "shard-00000.tar").read_bytes())
    data[700] ^= 0xFF
    (tmp_path / "shard-00000.tar").write_bytes(bytes(data))
    assert sh.shard_is_complete(tmp_path, 0) is None          # hash mismatch
    assert "sha256 differs" in sh.verify_shards(tmp_path)[0]


def test_bad_directories_are_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no such data directory"):
        sh.read_manifest(tmp_path / "nope")
    with pytest.raises(BadInput, match="no manifest.json"):
        sh.read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(BadInput, match="not JSON"):
        sh.read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(BadInput, match="unknown shard format"):
        sh.read_manifest(tmp_path)
    (tmp_path / "shard-00000.tar").write_bytes(b"not a tar at all" * 40)
    with pytest.raises(BadInput, match="shard"):
        list(sh.iter_shard(tmp_path / "shard-00000.tar"))
