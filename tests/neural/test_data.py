"""Data generation end to end: render, shards, manifest, resume, and the alignment check."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neuralos.cli import main
from neuralos.errors import CheckFailed
from neuralos.neural import data, shards as sh
from neuralos.neural.states import generate_state, split_of
from neuralos.scene import Box, Part, Scene, SceneNode, TextRun

SIZE = (320, 240)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("data") / "set"
    manifest = data.generate(out, samples=4, sequences=3, sizes=[SIZE], shard_size=3, seed=0, progress=False)
    return out, manifest


def _rewrite(folder: Path, shard: str, edit) -> None:
    """Re-write one shard with `edit(sample)` applied, keeping its index and the manifest consistent,
    so that only the alignment check itself can notice."""
    path = folder / shard
    samples = list(sh.iter_shard(path))
    for s in samples:
        edit(s)
    old_idx = json.loads((folder / f"{shard}.json").read_text())
    idx = sh.write_shard(folder, int(shard[6:11]), samples, {k: old_idx[k] for k in ("failed", "generator", "jobs")})
    manifest = sh.read_manifest(folder)
    others = [json.loads((folder / f"{s['shard']}.json").read_text()) for s in manifest["shards"] if s["shard"] != shard]
    sh.write_manifest(folder, others + [idx], {k: v for k, v in manifest.items() if k not in
                                               ("shards", "samples", "sequences", "splits", "format", "created")})


def _copy(src: Path, dst: Path) -> Path:
    import shutil
    shutil.copytree(src, dst)
    return dst


def test_render_is_deterministic_and_sized():
    state = generate_state(3, sizes=[SIZE], sequence=True)
    a, b = data.render_state(state), data.render_state(state)
    assert a.frame.shape == (240, 320, 3) and a.frame.dtype == np.uint8
    assert np.array_equal(a.frame, b.frame) and np.array_equal(a.previous, b.previous)
    assert a.scene.to_dict() == b.scene.to_dict() and a.resolved == b.resolved


def test_resolve_target_prefers_the_component_then_same_type_never_chrome():
    win = SceneNode("s/@window", "s", "@window", "window", Box(0, 0, 200, 100), Box(0, 0, 200, 100),
                    interactive=True, window="s")
    close = SceneNode("s/@close", "s", "@close", "window.close", Box(180, 0, 20, 20), Box(180, 0, 20, 20),
                      interactive=True, window="s")
    field = SceneNode("s/f", "s", "f", "TextField", Box(10, 40, 100, 20), Box(10, 40, 100, 20), interactive=True,
                      window="s")
    hidden = SceneNode("s/g", "s", "g", "TextField", Box(10, 70, 100, 20), None, interactive=True, window="s")
    scene = Scene(200, 100, {}, [win, close, field, hidden])
    assert data.resolve_target(scene, {"surface": "s", "component": "f", "fx": 0.5, "fy": 0.5}) == (60, 50)
    # hidden "g": the visible TextField stands in, whatever `pick` says; chrome is never a stand-in
    for pick in (0.0, 0.5, 0.99):
        assert data.resolve_target(scene, {"surface": "s", "component": "g", "type": "TextField", "pick": pick,
                                           "fx": 0.0, "fy": 0.0}) == (10, 40)
        assert data.resolve_target(scene, {"surface": "s", "component": "g", "type": "Slider",
                                           "pick": pick}) == (60, 50)
    assert data.resolve_target(scene, {"surface": "s", "role": "window.close"}) == (190, 10)
    assert data.resolve_target(scene, {"point": [1.0, 1.0]}) == (199, 99)


def test_generate_writes_train_shards_and_manifest(dataset):
    out, manifest = dataset
    assert manifest["samples"] == 7 and manifest["sequences"] == 3 and len(manifest["shards"]) == 3
    assert manifest["splits"] == {"train": 7} and manifest["failed"] == []
    assert manifest["git_commit"] is None or len(manifest["git_commit"]) == 40
    assert manifest["plan"]["sizes"] == [list(SIZE)] and manifest["conditioning"]["channels"]
    samples = list(sh.iter_samples(out))
    keys = [s["key"] for s in samples]
    assert len(set(keys)) == 7 and sum(k.startswith("q") for k in keys) == 3
    for s in samples:
        assert s["frame"].shape == (240, 320, 3)
        assert (s["previous"] is not None) == s["key"].startswith("q") == s["meta"]["sequence"]
        assert s["meta"]["split"] == "train" == split_of(generate_state(s["meta"]["seed"], sequence=s["meta"]["sequence"]))
        assert s["meta"]["frame_hash"] == sh.pixels_hash(s["frame"])
        assert s["state"]["messages"] and s["scene"].width == 320


def test_alignment_check_passes_on_good_shards(dataset):
    out, _ = dataset
    result = data.check(out, sample=0, progress=False)
    assert result["checked"] == 7 and result["mismatches"] == []


def test_random_primary_odds_are_planned_stored_with_each_state_and_checked(tmp_path):
    from neuralos.errors import BadInput
    from neuralos.neural.states import PRIMARY_COLORS

    out = tmp_path / "any-colour"
    data.generate(out, samples=3, sequences=1, sizes=[SIZE], seed=40, random_primary=1.0, progress=False)
    assert json.loads((out / "plan.json").read_text())["random_primary"] == 1.0
    states = [s["state"] for s in sh.iter_samples(out)]
    colours = {m["createSurface"]["theme"]["primaryColor"] for st in states for m in st["messages"]
               if "primaryColor" in m.get("createSurface", {}).get("theme", {})}
    assert all(st["random_primary"] == 1.0 for st in states) and not colours & set(PRIMARY_COLORS)
    assert data.check(out, sample=0, progress=False)["mismatches"] == []   # regenerated with the stored odds
    with pytest.raises(BadInput, match="random_primary: 1.0 -> 0.5"):
        data.generate(out, samples=3, sequences=1, sizes=[SIZE], seed=40, random_primary=0.5, progress=False)


def test_kinds_select_seeds_whose_states_regenerate_alone(tmp_path, capsys):
    from neuralos.errors import BadInput

    out = tmp_path / "pressed"
    data.generate(out, samples=3, sequences=2, sizes=[SIZE], seed=40, kinds=["press"], progress=False)
    assert json.loads((out / "plan.json").read_text())["kinds"] == ["press"]
    kinds = sorted(s["state"]["kind"] for s in sh.iter_samples(out))
    assert kinds == ["press"] * 3 + ["seq:press"] * 2
    assert data.check(out, sample=0, progress=False)["mismatches"] == []     # from the seed alone
    with pytest.raises(BadInput, match="kinds"):                             # another selection: a new folder
        data.generate(out, samples=3, sequences=2, sizes=[SIZE], seed=40, kinds=["hover"], progress=False)
    assert main(["data", "generate", "--out", str(tmp_path / "x"), "--samples", "1", "--kinds", "presss"]) == 2
    assert "unknown state kind(s) presss" in capsys.readouterr().err and not (tmp_path / "x").exists()
    with pytest.raises(BadInput, match="choose more common kinds"):         # a kind single frames never have
        data.plan_jobs(1, 0, 0, [SIZE], kinds=frozenset({"window-open"}))


def test_targets_select_states_whose_input_aims_at_those_component_types(tmp_path, capsys):
    out = tmp_path / "pressed-boxes"
    assert main(["data", "generate", "--out", str(out), "--samples", "3", "--sequences", "1", "--size", "512x384",
                 "--seed", "40", "--kinds", "press", "--targets", "CheckBox", "--no-progress"]) == 0
    assert json.loads((out / "plan.json").read_text())["targets"] == ["CheckBox"]
    samples = list(sh.iter_shard(sh.shard_paths(out)[0]))
    assert len(samples) == 4
    for s in samples:                       # the frame shows a pressed check box, whatever else it holds
        assert any(n.role == "CheckBox" and "pressed" in n.states for n in s.scene.nodes), s.key
    assert data.check(out, sample=0, progress=False)["mismatches"] == []
    assert main(["data", "generate", "--out", str(tmp_path / "x"), "--samples", "1", "--targets", "Checkbox"]) == 2
    err = capsys.readouterr().err
    assert "unknown target type(s) Checkbox" in err and "CheckBox" in err and not (tmp_path / "x").exists()


def test_cli_random_primary_states_the_generators_default_and_rejects_odds_outside_0_1(tmp_path, capsys):
    from neuralos.neural.states import RANDOM_PRIMARY

    with pytest.raises(SystemExit):
        main(["data", "generate", "--help"])
    assert f"(default {RANDOM_PRIMARY})" in " ".join(capsys.readouterr().out.split())   # the help's literal
    out = tmp_path / "odds"
    assert main(["data", "generate", "--out", str(out), "--samples", "1", "--random-primary", "1.5"]) == 2
    assert "--random-primary must be between 0 and 1" in capsys.readouterr().err and not out.exists()


def test_check_fails_on_one_flipped_pixel_even_with_consistent_hashes(dataset, tmp_path):
    out = _copy(dataset[0], tmp_path / "set")
    target = sh.read_manifest(out)["shards"][1]["shard"]
    first = next(sh.iter_shard(out / target)).key

    def flip(s):
        if s.key == first:
            s.frame[10, 10, 0] ^= 1
            s.meta["frame_hash"] = sh.pixels_hash(s.frame)
    _rewrite(out, target, flip)
    with pytest.raises(CheckFailed) as e:
        data.check(out, sample=0, progress=False)
    msg = str(e.value)
    assert f"{target}/{first}: frame differs from a re-render" in msg and "1 pixels differ" in msg
    assert "x=10 y=10" in msg


def test_check_fails_on_naive_tampering(dataset, tmp_path):
    out = _copy(dataset[0], tmp_path / "set")
    shard = out / sh.read_manifest(out)["shards"][0]["shard"]
    s = next(sh.iter_shard(shard))
    s.frame[0, 0] = 255 - s.frame[0, 0]
    # replace just that PNG inside the tar, leaving manifest and meta as they were
    import io
    import tarfile
    members = []
    with tarfile.open(shard) as tar:
        for m in tar:
            blob = tar.extractfile(m).read()
            if m.name == f"{s.key}.frame.png":
                blob = sh.encode_png(s.frame)
            members.append((m.name, blob))
    with tarfile.open(shard, "w") as tar:
        for name, blob in members:
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    rc = main(["data", "check", str(out), "--sample", "0", "--no-progress"])
    assert rc == 1


def test_check_fails_on_an_edited_scene(dataset, tmp_path):
    out = _copy(dataset[0], tmp_path / "set")
    target = sh.read_manifest(out)["shards"][2]["shard"]
    first = next(sh.iter_shard(out / target)).key

    def nudge(s):
        if s.key == first:
            d = s.scene.to_dict()
            node = next(n for n in d["nodes"] if n["role"] == "window")
            node["box"]["w"] -= 1
            s.scene = Scene.from_dict(d)
            s.meta["conditioning_hash"] = data.conditioning_hash(s.scene, s.previous)
    _rewrite(out, target, nudge)
    with pytest.raises(CheckFailed, match=f"{target}/{first}: scene differs from a re-render: node .*@window: box"):
        data.check(out, sample=0, progress=False)


def test_check_accepts_samples_from_an_older_map_format(dataset, tmp_path, capsys):
    """Samples keep their scenes, so a change of the conditioning format does not void them: their recorded
    hash is of the old maps; the check compares the maps of the stored and the re-rendered scene instead."""
    from neuralos.neural.conditioning import CONDITIONING_VERSION

    out = _copy(dataset[0], tmp_path / "set")
    target = sh.read_manifest(out)["shards"][0]["shard"]
    count = len(list(sh.iter_shard(out / target)))

    def age(s):
        s.meta["conditioning_version"] = CONDITIONING_VERSION - 1
        s.meta["conditioning_hash"] = "0" * 64
    _rewrite(out, target, age)
    assert data.check(out, sample=0, progress=False)["older_format"] == count
    assert main(["data", "check", str(out), "--sample", "0", "--no-progress"]) == 0
    assert f"{count} of them were written under an older conditioning format" in capsys.readouterr().out

    def restamp(s):   # the same stale hash claimed for the current format is a mismatch
        s.meta["conditioning_version"] = CONDITIONING_VERSION
    _rewrite(out, target, restamp)
    with pytest.raises(CheckFailed, match="differs from meta.conditioning_hash"):
        data.check(out, sample=0, progress=False)


def test_check_fails_on_a_held_out_state_in_a_shard(dataset, tmp_path):
    out = _copy(dataset[0], tmp_path / "set")
    target = sh.read_manifest(out)["shards"][0]["shard"]
    eval_seed = next(s for s in range(500) if generate_state(s, sizes=[SIZE]).split == "eval")
    sample = data.make_sample(generate_state(eval_seed, sizes=[SIZE]))
    sample.meta["split"] = "train"           # a lying writer
    samples = list(sh.iter_shard(out / target)) + [sample]
    sh.write_shard(out, 0, samples)
    idx = json.loads((out / f"{target}.json").read_text())
    manifest = sh.read_manifest(out)
    rest = [json.loads((out / f"{s['shard']}.json").read_text()) for s in manifest["shards"][1:]]
    sh.write_manifest(out, [idx] + rest, {})
    with pytest.raises(CheckFailed, match=f"{sample.key}: state is in split 'eval'"):
        data.check(out, sample=0, progress=False)


def test_conditioning_problems_flags_glyphs_under_a_later_window():
    from neuralos.neural.conditioning import CONDITIONING_CHANNELS, GLYPH_CHANNEL

    text = SceneNode("a/t", "a", "t", "Text", Box(10, 10, 50, 12), Box(10, 10, 50, 12), window="a",
                     text_runs=(TextRun("Hello", 10, 20, 12.0, box=Box(10, 10, 50, 12)),))
    scene = Scene(100, 60, {}, [
        SceneNode("a/@window", "a", "@window", "window", Box(0, 0, 80, 50), Box(0, 0, 80, 50), window="a"), text,
        SceneNode("b/@window", "b", "@window", "window", Box(30, 5, 60, 40), Box(30, 5, 60, 40), window="b")])
    cond = np.zeros((CONDITIONING_CHANNELS, 60, 100), np.float32)
    cond[GLYPH_CHANNEL, 12:20, 12:28] = 1.0        # visible part of "Hello": fine
    assert data.conditioning_problems(scene, cond) == []
    cond[GLYPH_CHANNEL, 12:20, 32:40] = 1.0        # under window b: the frame shows b there
    problems = data.conditioning_problems(scene, cond)
    assert problems and "a/t under window b/@window" in problems[0]


def test_conditioning_problems_accepts_a_later_windows_indicator_mark_over_covered_text():
    """A checked box of the upper window puts its tick in the glyph map over the lower window's covered text:
    that ink is the upper window's own, not a leak (a false alarm once stopped `data check` on real shards)."""
    from neuralos.neural.conditioning import GLYPH_CHANNEL, build_conditioning

    text = SceneNode("a/t", "a", "t", "Text", Box(10, 10, 80, 20), Box(10, 10, 80, 20), window="a",
                     text_runs=(TextRun("Hello", 10, 26, 14.0, box=Box(10, 10, 80, 20)),))
    check = SceneNode("b/c", "b", "c", "CheckBox", Box(40, 10, 24, 20), Box(40, 10, 24, 20), window="b",
                      parts=(Part("check.indicator", Box(41, 11, 18, 18), frozenset({"checked"})),))
    scene = Scene(120, 60, {}, [
        SceneNode("a/@window", "a", "@window", "window", Box(0, 0, 100, 50), Box(0, 0, 100, 50), window="a"), text,
        SceneNode("b/@window", "b", "@window", "window", Box(35, 5, 80, 40), Box(35, 5, 80, 40), window="b"), check])
    cond = build_conditioning(scene)
    assert cond[GLYPH_CHANNEL, 11:29, 41:59].max() > 0      # the tick is in the map
    assert cond[GLYPH_CHANNEL, 10:30, 35:40].max() == 0     # the covered text is not
    assert data.conditioning_problems(scene, cond) == []


def test_real_conditioning_hides_text_of_covered_windows():
    """Overlapping windows: the glyph map must not show text the upper window covers."""
    from neuralos.neural.conditioning import build_conditioning

    state = generate_state(0, sizes=[(400, 300)], sequence="window-open")
    r = data.render_state(state)
    assert sum(n.role == "window" for n in r.scene.nodes) >= 2
    assert data.conditioning_problems(r.scene, build_conditioning(r.scene, r.previous)) == []


def test_cli_errors_and_contact_sheet(dataset, tmp_path):
    out, _ = dataset
    assert main(["data", "check", str(tmp_path / "missing")]) == 2
    assert main(["data", "generate", "--out", str(out), "--samples", "5", "--no-progress"]) == 2  # other plan
    png = tmp_path / "sheet.png"
    assert main(["data", "show", str(out), "--out", str(png), "--count", "3"]) == 0
    from PIL import Image
    with Image.open(png) as im:
        assert im.width > 600 and im.height > 200
    stats = data.dataset_stats(out)
    assert stats["samples"] == 7 and sum(stats["kinds"].values()) == 7


def test_killed_generation_resumes_without_redoing_finished_shards(tmp_path):
    out = tmp_path / "set"
    cmd = [sys.executable, "-c", "import sys; from neuralos.cli import main; sys.exit(main())", "data", "generate", "--out", str(out), "--samples", "4",
           "--size", "320x240", "--shard-size", "1", "--workers", "2", "--no-progress"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not list(out.glob("shard-*.tar.json")):
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)      # the whole run: main process and its workers
    finally:
        proc.wait(30)
    finished = sorted(out.glob("shard-*.tar.json"))
    assert finished and not (out / "manifest.json").exists()
    stamp = {p.name: (p.with_suffix("").stat().st_mtime_ns, p.stat().st_mtime_ns) for p in finished}
    time.sleep(0.05)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name, (tar_t, idx_t) in stamp.items():
        p = out / name
        assert (p.with_suffix("").stat().st_mtime_ns, p.stat().st_mtime_ns) == (tar_t, idx_t), name
    manifest = sh.read_manifest(out)
    assert manifest["samples"] == 4 and len(manifest["shards"]) == 4
    assert not list(out.glob("*.tmp")) and sh.verify_shards(out) == []
    samples = list(sh.iter_samples(out))
    assert len({s["key"] for s in samples}) == 4
    assert all(s["meta"]["frame_hash"] == sh.pixels_hash(s["frame"]) for s in samples)
