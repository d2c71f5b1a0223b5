"""Recorder: constant-frame-rate H.264 with repeated frames, PNGs, GIF, and a valid file after a failure."""
import av
import numpy as np
import pytest
from PIL import Image

from neuralos.playback.recorder import Recorder, VideoWriter, draw_pointer, save_png


def decode(path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        meta = (v.codec_context.name, v.width, v.height, v.frames, float(v.average_rate), v.format.name)
        return meta, [f.to_ndarray(format="rgb24") for f in c.decode(v)]


def frame(w, h, value, box=None):
    a = np.full((h, w, 3), value, np.uint8)
    if box:
        x, y, bw, bh = box
        a[y:y + bh, x:x + bw] = (200, 30, 30)
    return a


def test_constant_frame_rate_with_repeats(tmp_path):
    r = Recorder(tmp_path, 160, 120, fps=30, pointer=False)
    r.show(frame(160, 120, 255), 3)
    r.show(frame(160, 120, 255, (10, 10, 40, 40)), 2)
    r.hold(5)
    assert r.ticks == 10 and r.time_ms == pytest.approx(333.333, abs=0.01)
    out = r.close()
    (codec, w, h, n, rate, fmt), frames = decode(out["video"])
    assert (codec, w, h, n, rate, fmt) == ("h264", 160, 120, 10, 30.0, "yuv420p")
    assert len(frames) == 10
    # First three white, the rest show the red box; repeats decode to (nearly, it is lossy) the same picture.
    assert all(f.mean() > 250 for f in frames[:3])
    for f in frames[3:]:
        assert abs(int(f[30, 30, 0]) - 200) < 12 and abs(int(f[30, 30, 1]) - 30) < 12
        assert np.abs(f.astype(int) - frames[4]).mean() < 1.0
    final = np.asarray(Image.open(out["final"]))
    assert np.array_equal(final, frame(160, 120, 255, (10, 10, 40, 40)))   # PNGs are exact


def test_odd_sizes_are_padded_to_even(tmp_path):
    w = VideoWriter(tmp_path / "v.mp4", 101, 75)
    w.write(frame(101, 75, 90), 2)
    w.close()
    (codec, vw, vh, n, *_), frames = decode(tmp_path / "v.mp4")
    assert (vw, vh, n) == (102, 76, 2)
    assert abs(int(frames[0][74, 101, 0]) - 90) < 4   # the padding repeats the edge


def test_unfinished_video_is_still_playable(tmp_path):
    """What is on disk mid-run (a killed process never closes the file) already decodes."""
    w = VideoWriter(tmp_path / "v.mp4", 64, 64, fps=10)
    rng = np.random.default_rng(0)
    for _ in range(25):
        w.write(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), 1)
    (tmp_path / "copy.mp4").write_bytes((tmp_path / "v.mp4").read_bytes())
    _, frames = decode(tmp_path / "copy.mp4")
    assert 20 <= len(frames) <= 25     # every complete one-second fragment, at least
    w.close()
    (_, _, _, n, *_), frames = decode(tmp_path / "v.mp4")
    assert n == len(frames) == 25


def test_same_input_same_bytes(tmp_path):
    for name in ("a", "b"):
        r = Recorder(tmp_path / name, 96, 64)
        r.set_pointer(20, 20)
        r.show(frame(96, 64, 240), 4)
        r.set_pointer(30, 30, True)
        r.show(frame(96, 64, 240, (5, 5, 20, 20)), 4)
        r.close()
    assert (tmp_path / "a/video.mp4").read_bytes() == (tmp_path / "b/video.mp4").read_bytes()


def test_pointer_goes_into_the_video_not_the_pngs(tmp_path):
    r = Recorder(tmp_path, 64, 64, gif=True)
    r.set_pointer(10, 10)
    r.show(frame(64, 64, 255), 3)
    r.snapshot("s")
    out = r.close()
    _, frames = decode(out["video"])
    assert frames[0][11, 10].max() < 60                 # the arrow's dark outline
    assert np.asarray(Image.open(out["final"])).min() == 255
    assert np.asarray(Image.open(tmp_path / "snapshots/s.png")).min() == 255
    assert not np.array_equal(draw_pointer(frame(64, 64, 255), 10, 10), frame(64, 64, 255))


def test_gif_is_downscaled_deduplicated_and_timed(tmp_path):
    r = Recorder(tmp_path, 1280, 720, fps=30, gif=True, pointer=False)
    r.show(frame(1280, 720, 255), 30)
    r.show(frame(1280, 720, 255, (100, 100, 300, 300)), 15)
    r.hold(15)
    out = r.close()
    g = Image.open(out["gif"])
    assert g.size == (640, 360)
    assert g.n_frames == 2
    durations = []
    for i in range(g.n_frames):
        g.seek(i)
        durations.append(g.info["duration"])
    assert durations == [1000, 1000]


def test_save_png_is_atomic_and_exact(tmp_path):
    a = np.random.default_rng(0).integers(0, 255, (33, 47, 3), dtype=np.uint8)
    p = save_png(tmp_path / "x" / "a.png", a)
    assert np.array_equal(np.asarray(Image.open(p)), a)
    assert not list((tmp_path / "x").glob("*.part"))
    with pytest.raises(ValueError):
        save_png(tmp_path / "b.png", a.astype(np.float32))
