"""LiveRenderer: dirty regions only, bit-exact reuse, latest-wins worker, per-region and per-session fallback."""
import dataclasses
import threading
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neuralos.neural import live as L
from neuralos.neural.conditioning import FOCUS_RING
from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler
from neuralos.neural.renderer import NeuralRenderer
from neuralos.scene import Box, Part, Scene, SceneNode, TextRun

from neural_scenes import THEME, tiny_model

torch.set_num_threads(1)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def tiny_renderer(steps=2, seed=2, cls=NeuralRenderer):
    pipe = UIRenderPipeline(model=tiny_model(seed=seed), scheduler=default_scheduler(),
                            default_num_inference_steps=steps)
    return cls(pipe)


def button(key, x, y, states=()):
    box = Box(x, y, 60, 24)
    return SceneNode(f"s/{key}", "s", key, "Button", box, box, frozenset(states), interactive=True, window="s",
                     text=key, parts=(Part("button.primary", box),),
                     text_runs=(TextRun(key, x + 8, y + 17, 12.0, box=box),))


def two_buttons(w=800, h=600, hover=(), field_text="ab"):
    """A desktop with a window spanning it, a button near each far corner and a text field in the middle."""
    full, win = Box(0, 0, w, h), Box(4, 4, w - 8, h - 8)
    fbox = Box(w // 2 - 80, h // 2 - 14, 160, 28)
    return Scene(w, h, dict(THEME), [
        SceneNode("@desktop", "", "desktop", "desktop", full, full),
        SceneNode("s/@window", "s", "window", "window", win, win, window="s"),
        button("tl", 20, 30, {"hovered"} if "tl" in hover else ()),
        button("br", w - 90, h - 50, {"hovered"} if "br" in hover else ()),
        SceneNode("s/f", "s", "f", "TextField", fbox, fbox, frozenset({"focused"}), interactive=True, window="s",
                  text=field_text, parts=(Part("input.frame", fbox),),
                  text_runs=(TextRun(field_text, fbox.x + 6, fbox.y + 19, 13.0, box=fbox),)),
    ])


def with_states(scene, key, states):
    return dataclasses.replace(scene, nodes=[dataclasses.replace(n, states=frozenset(states)) if n.key == key else n
                                             for n in scene.nodes])


def outside(frame_boxes, shape):
    mask = np.ones(shape[:2], bool)
    for b in frame_boxes:
        mask[b.y:b.bottom, b.x:b.right] = False
    return mask


WIDGETS = 200   # the stand-in widget renderer's background grey


def widgets_of(scene):
    """A stand-in widget renderer: grey, with each window and component a flat box whose shade depends on its key,
    states and text, so that (as with the real one) two scenes' frames differ where a component's look changed."""
    frame = np.full((scene.height, scene.width, 3), WIDGETS, np.uint8)
    for n in scene.nodes:
        if n.clip is not None and n.role != "desktop":
            frame[n.clip.y:n.clip.bottom, n.clip.x:n.clip.right] = zlib.crc32(
                repr((n.key, sorted(n.states), n.text)).encode()) % WIDGETS
    return frame


def shows_widgets(frame, scene, box):
    """Whether `frame` holds the widget renderer's pixels of `scene` over `box`."""
    return np.array_equal(frame[box.y:box.bottom, box.x:box.right], widgets_of(scene)[box.y:box.bottom, box.x:box.right])


# --- geometry ------------------------------------------------------------------------------------------------

def measured_reach(model, pixels) -> int:
    """How far (pixels, each way) the output at each of `pixels` really depends on the inputs, by autograd."""
    from neuralos.neural.conditioning import CONDITIONING_CHANNELS as C
    measured = 0
    for py, px in pixels:
        x = torch.randn(1, 3, 300, 300, dtype=torch.double, requires_grad=True)
        c = torch.rand(1, C, 300, 300, dtype=torch.double, requires_grad=True)
        model(x, 500, c).sample[0, :, py, px].sum().backward()
        ys, xs = torch.nonzero((x.grad.abs().sum(1)[0] + c.grad.abs().sum(1)[0]) > 0, as_tuple=True)
        measured = max(measured, int((ys - py).abs().max()), int((xs - px).abs().max()))
    return measured


def test_receptive_field_from_the_config_covers_what_the_model_really_reads():
    model = tiny_model(seed=1).double()
    reach = L.receptive_field(model.config)
    measured = measured_reach(model, [(150, 150), (151, 154), (155, 157)])
    assert measured <= reach <= measured + 8
    deeper = L.receptive_field({**dict(model.config), "block_out_channels": (16, 32, 32)})
    assert deeper > 2 * reach - 40                       # one more level roughly doubles the reach


def test_each_refinement_block_reaches_two_pixels_further():
    model = tiny_model(seed=1, refine_blocks=2).double()
    torch.manual_seed(2)
    with torch.no_grad():                                # random, not the zero-initialised no-op blocks
        for p in model.refinement_blocks.parameters():
            p.normal_(0, 0.1)
    reach = L.receptive_field(model.config)
    assert reach == L.receptive_field({**dict(model.config), "refine_blocks": 0}) + 4
    measured = measured_reach(model, [(150, 150)])
    assert measured <= reach <= measured + 8


def test_a_model_folder_can_declare_its_context_margin(tmp_path):
    """`context_margin` in model_index.json (measured by `neuralos bench`) replaces the receptive field as the
    live renderer's margin; it survives save/load; without it the receptive field is used."""
    pipe = UIRenderPipeline(model=tiny_model(seed=1), scheduler=default_scheduler(), default_num_inference_steps=1,
                            context_margin=24)
    pipe.save_pretrained(str(tmp_path / "m"), safe_serialization=True)
    loaded = NeuralRenderer(UIRenderPipeline.from_pretrained(str(tmp_path / "m"), local_files_only=True))
    assert loaded.context_margin == 24
    assert L.model_margin(loaded) == 24 and L.LiveRenderer(loaded).margin == 24
    plain = tiny_renderer()
    assert plain.context_margin is None
    assert L.model_margin(plain) == L.receptive_field(plain.model.config) == L.LiveRenderer(plain).margin
    # the model is asked for a box of about the hovered button plus the declared margin
    live = L.LiveRenderer(loaded)
    s0 = two_buttons(640, 480)
    live.render(s0, widgets_of(s0))
    painted, paint = [], loaded.paint
    loaded.paint = lambda cond, box, w, h: painted.append(box) or paint(cond, box, w, h)
    s1 = with_states(s0, "s/tl", {"hovered"})
    f1 = live.render(s1, widgets_of(s1))
    assert f1.renderer == "neural" and len(painted) == 1
    reach = 24 + L.PASTE_MARGIN + L.BUCKET      # margin, paste margin, rounding up to the size bucket
    assert painted[0].w <= 60 + 2 * reach and painted[0].h <= 24 + 2 * reach


def test_context_boxes_are_aligned_inside_the_canvas_and_contain_the_region():
    canvas = Box(0, 0, 1000, 750)
    for region in [Box(0, 0, 5, 5), Box(990, 740, 10, 10), Box(300, 200, 33, 7), Box(3, 700, 900, 50)]:
        for margin in (0, 16, 130):
            ctx = L.context_box(region, canvas, margin)
            assert ctx.intersect(canvas) == ctx and ctx.intersect(region) == region
            assert ctx.x % 8 == 0 and ctx.y % 8 == 0
            grown = region.grow(margin).intersect(canvas)
            assert ctx.intersect(grown) == grown
            assert ctx.right == canvas.right or ctx.w % L.BUCKET == 0


def test_nearby_regions_share_a_context_box_far_ones_do_not():
    canvas = Box(0, 0, 1024, 768)
    near = L.plan_contexts([Box(100, 100, 40, 20), Box(150, 100, 40, 20)], canvas, 130)
    assert len(near) == 1 and len(near[0][1]) == 2
    far = L.plan_contexts([Box(0, 0, 40, 20), Box(980, 740, 40, 20)], canvas, 130)
    assert len(far) == 2


# --- only what changed ----------------------------------------------------------------------------------------

def test_pixels_outside_dirty_regions_never_change_between_frames():
    live = L.LiveRenderer(tiny_renderer())
    s0 = two_buttons()
    states = [s0, with_states(s0, "s/tl", {"hovered"}), two_buttons(hover=("tl",), field_text="abc"),
              with_states(two_buttons(hover=("tl",), field_text="abc"), "s/br", {"pressed"})]
    prev = None
    for i, s in enumerate(states):
        f = live.render(s, widgets_of(s))
        assert f.renderer == "neural" and f.reason is None and not f.widget_regions
        if i == 0:
            assert f.full and f.regions == [Box(0, 0, s.width, s.height)]
        else:
            assert not f.full and f.regions
            assert sum(b.w * b.h for b in f.regions) < 0.1 * s.width * s.height      # only what changed
            keep = outside(f.regions, f.frame.shape)
            assert np.array_equal(f.frame[keep], prev[keep])                          # bit-identical outside
            assert (f.frame[~keep] != prev[~keep]).any()
        prev = f.frame
    same = live.render(states[-1], widgets_of(states[-1]))
    assert same.regions == [] and same.frame is prev                                  # no change, no work


class Recording(NeuralRenderer):
    """A NeuralRenderer that notes, per painted box, whether the previous frame was among its inputs."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.previous_used: list[tuple[Box, bool]] = []

    def paint(self, cond, box, width, height):
        from neuralos.neural.conditioning import PREVIOUS_FLAG
        self.previous_used.append((box, bool(np.asarray(cond)[..., PREVIOUS_FLAG, :, :].max() > 0)))
        return super().paint(cond, box, width, height)


def test_the_previous_frame_is_no_input_where_windows_closed_moved_or_changed_order_or_the_theme_changed():
    """Where the window arrangement or the theme changed, the previous frame shows the old one (ghost outlines
    and tints if the model reads it); where neither did (a hover), the model keeps reading it."""
    r = tiny_renderer(cls=Recording)
    live = L.LiveRenderer(r)
    base = two_buttons()
    popup = Box(500, 300, 200, 150)
    open_ = Scene(base.width, base.height, base.theme,
                  [*base.nodes, SceneNode("p/@window", "p", "window", "window", popup, popup, window="p")])
    there = Box(520, 310, 200, 150)
    moved = Scene(base.width, base.height, base.theme,
                  [*base.nodes, SceneNode("p/@window", "p", "window", "window", there, there, window="p")])
    hovered = with_states(open_, "s/tl", {"hovered"})
    moved_back = with_states(moved, "s/tl", set())     # the hover ends far from the popup as it moves
    steps = [(open_, False), (hovered, False), (moved_back, True), (base, True),
             (with_states(base, "s/br", {"hovered"}), False)]
    for scene, popup_changed in steps:
        r.previous_used.clear()
        f = live.render(scene, widgets_of(scene))
        assert f.renderer == "neural" and r.previous_used
        if scene is open_:
            continue                                                  # the first frame: no previous at all
        for box, used in r.previous_used:
            near_popup = box.intersect(popup) is not None or box.intersect(there) is not None
            assert used == (not (popup_changed and near_popup)), (scene.nodes[-1].key, box, used)
        if popup_changed:
            assert any(not used for _, used in r.previous_used)
    dark = Scene(base.width, base.height, {**base.theme, "dark": True}, base.nodes)
    r.previous_used.clear()
    assert live.render(dark, widgets_of(dark)).renderer == "neural"
    assert r.previous_used and not any(used for _, used in r.previous_used)   # the old theme is no input
    assert L.window_layout(open_, popup) != L.window_layout(base, popup)
    assert L.window_layout(open_, Box(10, 10, 40, 40)) == L.window_layout(base, Box(10, 10, 40, 40))  # far from it


def test_a_region_matches_the_whole_frame_render_of_the_same_scene():
    """Context = the model's receptive field: a region's pixels are the whole frame's (one step: exactly)."""
    r = tiny_renderer(steps=1)
    live = L.LiveRenderer(r)
    s0 = two_buttons(640, 480)
    f0 = live.render(s0, widgets_of(s0))
    s1 = with_states(s0, "s/tl", {"hovered"})
    f1 = live.render(s1, widgets_of(s1))
    whole = r.render(s1, previous=f0.frame)                      # every pixel painted, same previous frame
    (b,) = f1.regions
    sl = (slice(b.y, b.bottom), slice(b.x, b.right))
    assert np.abs(f1.frame[sl].astype(int) - whole[sl].astype(int)).max() <= 1


def test_whole_frame_mode_keeps_conditioning_current_and_pastes_only_dirty_regions():
    """The GPU path (forced here on the CPU): whole frames from maps rebuilt only where the scene changed."""
    from neuralos.neural.conditioning import build_conditioning

    r = tiny_renderer()
    live = L.LiveRenderer(r, whole_frame=True)
    s0 = two_buttons(320, 240)
    f0 = live.render(s0, widgets_of(s0))
    s1 = two_buttons(320, 240, hover=("br",), field_text="abcd")
    f1 = live.render(s1, widgets_of(s1))
    assert np.array_equal(live._cond[0].numpy(), build_conditioning(s1, f0.frame))    # incremental == rebuilt
    keep = outside(f1.regions, f1.frame.shape)
    assert np.array_equal(f1.frame[keep], f0.frame[keep])
    whole = r.render(s1, previous=f0.frame)
    assert np.array_equal(f1.frame[~keep], whole[~keep])


# --- cache ---------------------------------------------------------------------------------------------------

def test_a_cache_hit_is_bit_identical_to_rendering_again():
    r = tiny_renderer()
    s0 = two_buttons(480, 360)
    seq = [s0, with_states(s0, "s/tl", {"hovered"}), with_states(s0, "s/tl", {"hovered", "pressed"}), s0]
    cache = L.RegionCache()
    first = [L.LiveRenderer(r, cache=cache).render(s, widgets_of(s)) for s in seq[:1]]
    a = L.LiveRenderer(r, cache=cache)
    frames_a = [a.render(s, widgets_of(s)).frame for s in seq]
    assert cache.hits >= 1                     # the first frame of `a` is the first frame rendered before
    hits = cache.hits
    b = L.LiveRenderer(r, cache=cache)
    results_b = [b.render(s, widgets_of(s)) for s in seq]
    assert all(f.cache_misses == 0 for f in results_b) and cache.hits - hits == sum(f.cache_hits for f in results_b)
    fresh = L.LiveRenderer(r, cache=L.RegionCache())
    frames_fresh = [fresh.render(s, widgets_of(s)).frame for s in seq]
    for x, y, z in zip(frames_a, (f.frame for f in results_b), frames_fresh):
        assert x.tobytes() == y.tobytes() == z.tobytes()
    assert first[0].frame.tobytes() == frames_a[0].tobytes()


def test_the_cache_key_changes_with_anything_the_conditioning_or_noise_depends_on():
    r = tiny_renderer()
    live = L.LiveRenderer(r)
    s = two_buttons(480, 360)
    ctx = Box(0, 0, 224, 192)
    prev = np.zeros((360, 480, 3), np.uint8)
    key = live._key(s, prev, ctx)
    assert key == live._key(two_buttons(480, 360), prev.copy(), ctx)                    # equal inputs
    far = with_states(s, "s/br", {"hovered"})                                          # a change outside ctx
    assert live._key(far, prev, ctx) == key
    assert live._key(with_states(s, "s/tl", {"hovered"}), prev, ctx) != key           # a change inside
    other = prev.copy()
    other[5, 5] = 1
    assert live._key(s, other, ctx) != key                                             # one previous pixel
    assert live._key(s, prev, Box(8, 0, 224, 192)) != key                              # another place: other noise
    assert live._key(dataclasses.replace(s, theme={**s.theme, "dark": True}), prev, ctx) != key


def test_region_cache_is_bounded_lru():
    c = L.RegionCache(max_bytes=3 * 100)
    for i in range(4):
        c.put(i, np.zeros((10, 10, 1), np.uint8))
    assert c.get(0) is None and c.get(3) is not None and len(c) == 3 and c.bytes == 300
    assert c.stats()["hits"] == 1 and c.stats()["misses"] == 1


# --- the worker: latest wins ---------------------------------------------------------------------------------

class Gate:
    """A plugin renderer that blocks until released, recording the scenes it painted."""

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()
        self.painted = []

    def render(self, scene, previous, regions):
        self.started.set()
        assert self.release.wait(10)
        self.painted.append(scene.theme.get("tag"))
        return np.full((scene.height, scene.width, 3), len(self.painted), np.uint8)


def test_stale_requests_are_dropped_latest_wins():
    gate = Gate()
    results, drops = [], []
    worker = L.LiveWorker(L.LiveRenderer(gate), results.append, drops.append)
    scenes = [Scene(64, 64, {"tag": i}, [SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 64, 64),
                                                   Box(0, 0, 64, 64))]) for i in range(5)]
    try:
        assert worker.submit(scenes[0]) == 1
        assert gate.started.wait(10)                  # request 1 is rendering ...
        for s in scenes[1:]:
            worker.submit(s)                          # ... 2, 3, 4 arrive; only 5 is still wanted
        gate.release.set()
        assert worker.wait_idle(10)
    finally:
        worker.close()
    assert [r.seq for r in results] == [1, 5] and drops == [2, 3, 4] and worker.dropped == 3
    assert gate.painted == [0, 4]                     # the dropped states were never rendered
    assert results[-1].scene is scenes[4] and results[-1].submitted is not None


def _sizes(r):
    return [(b.w, b.h) for b, _ in r.previous_used]


def test_the_idle_worker_paints_each_size_input_will_need_once_before_the_input_comes():
    r = tiny_renderer(cls=Recording)
    live = L.LiveRenderer(r)
    worker = L.LiveWorker(live, lambda f: None)
    s0 = two_buttons()
    try:
        worker.submit(s0)
        assert worker.wait_idle(60)                   # idle only once the warm-up is done
        warm = live.input_shapes(s0)
        assert _sizes(r)[0] == (800, 600) and sorted(_sizes(r)[1:]) == sorted(warm)   # the frame, then each size once
        assert len(set(warm)) == len(warm) >= 2 and all(w * h < 800 * 600 * L.WHOLE_FRAME_SHARE for w, h in warm)
        r.previous_used.clear()
        for hover in (("tl",), ("br",), ()):
            worker.submit(two_buttons(hover=hover))
            assert worker.wait_idle(60)
        assert _sizes(r) and set(_sizes(r)) <= set(warm)   # hovering paints sizes already warm, and warms nothing new
    finally:
        worker.close()
    cold = tiny_renderer(cls=Recording)
    live = L.LiveRenderer(cold)
    live.warm_up = False
    worker = L.LiveWorker(live, lambda f: None)
    try:
        worker.submit(s0)
        assert worker.wait_idle(60)
    finally:
        worker.close()
    assert _sizes(cold) == [(800, 600)]


def test_a_request_waits_for_at_most_one_warm_up_paint():
    started, submitted = threading.Event(), threading.Event()
    paints = []

    class Slow(NeuralRenderer):
        def paint(self, cond, box, width, height):
            warm = not bool(np.asarray(cond).any())       # warm-ups paint zero maps
            paints.append("warm" if warm else "real")
            if warm and not started.is_set():
                started.set()
                assert submitted.wait(30)                 # the request arrives during this warm-up paint
            return super().paint(cond, box, width, height)

    r = tiny_renderer(cls=Slow)
    live = L.LiveRenderer(r)
    results = []
    worker = L.LiveWorker(live, results.append)
    try:
        worker.submit(two_buttons())
        assert started.wait(60)
        worker.submit(two_buttons(hover=("tl",)))
        submitted.set()
        assert worker.wait_idle(60)
    finally:
        worker.close()
    assert [f.seq for f in results] == [1, 2] and results[1].regions
    assert paints[:3] == ["real", "warm", "real"]   # served right after the warm-up paint it met


def test_a_scene_painted_ahead_is_then_all_cache_hits_with_the_pixels_of_painting_it_then():
    r = tiny_renderer()
    s0 = two_buttons(480, 360)
    s1 = with_states(s0, "s/tl", {"hovered", "focused"})
    live = L.LiveRenderer(r)
    live.render(s0, widgets_of(s0))
    shown, frame0 = live.last_scene, live.last_frame.copy()
    assert live.paint_ahead(s1, widgets_of(s1)) >= 1
    assert live.last_scene is shown and np.array_equal(live.last_frame, frame0)     # nothing shown changed
    assert live.paint_ahead(s1, widgets_of(s1)) == 0                                # painted once only
    f1 = live.render(s1, widgets_of(s1))
    assert f1.regions and f1.cache_misses == 0 and f1.cache_hits >= 1
    fresh = L.LiveRenderer(r, cache=L.RegionCache())
    fresh.render(s0, widgets_of(s0))
    assert fresh.render(s1, widgets_of(s1)).frame.tobytes() == f1.frame.tobytes()
    off = L.LiveRenderer(r, cache=L.RegionCache())
    off.ahead = False
    off.render(s0, widgets_of(s0))
    assert off.paint_ahead(s1, widgets_of(s1)) == 0 and len(off.cache) == 1     # only the first frame's


def test_the_worker_paints_ahead_only_while_idle_and_only_on_the_frame_it_was_meant_for():
    gate, started = threading.Event(), threading.Event()

    class Held(NeuralRenderer):
        def paint(self, cond, box, width, height):
            started.set()
            assert gate.wait(30)
            return super().paint(cond, box, width, height)

    live = L.LiveRenderer(tiny_renderer(cls=Held))
    live.warm_up = False
    results = []
    worker = L.LiveWorker(live, results.append)
    s0 = two_buttons(480, 360)
    s1, s2 = with_states(s0, "s/tl", {"hovered"}), with_states(s0, "s/br", {"hovered"})
    try:
        gate.set()
        worker.submit(s0, widgets_of(s0))
        assert worker.wait_idle(60)
        worker.paint_ahead(s0, s1, widgets_of(s1))
        assert not worker.idle and worker.wait_idle(60) and worker.painted_ahead == 1   # wait_idle waits for it
        worker.paint_ahead(s2, s1, widgets_of(s1))      # meant for a frame of s2, which is not the one shown
        assert worker.wait_idle(60) and worker.painted_ahead == 1
        worker.submit(s1, widgets_of(s1))
        assert worker.wait_idle(60) and results[-1].scene is s1 and results[-1].cache_misses == 0   # a cache hit
        gate.clear()
        started.clear()
        worker.submit(s2, widgets_of(s2))
        assert started.wait(30)                         # s2 is being painted ...
        worker.paint_ahead(s2, s0, widgets_of(s0))      # ... a guess for after it ...
        worker.submit(s1, widgets_of(s1))               # ... is dropped: a request came first
        gate.set()
        assert worker.wait_idle(60)
    finally:
        worker.close()
    assert [f.scene for f in results[-2:]] == [s2, s1] and worker.painted_ahead == 1


# --- faults ----------------------------------------------------------------------------------------------------

class Faulty(NeuralRenderer):
    """A NeuralRenderer whose regions touching `bad` raise (while armed)."""

    bad: Box | None = None

    def paint(self, cond, box, width, height):
        if self.bad is not None and box.intersect(self.bad) is not None:
            raise RuntimeError("out of memory in region")
        return super().paint(cond, box, width, height)


@pytest.mark.parametrize("lanes", [1, 2])
def test_an_exception_in_one_region_paints_that_region_with_widgets_and_it_is_retried(lanes):
    r = tiny_renderer(cls=Faulty)
    r.paint_lanes = lanes
    live = L.LiveRenderer(r)
    s0 = two_buttons()
    f0 = live.render(s0, widgets_of(s0))
    r.bad = Box(700, 500, 100, 100)                                 # the bottom-right button's area
    s1 = two_buttons(hover=("tl", "br"))
    f1 = live.render(s1, lambda: widgets_of(s1))
    assert f1.renderer == "neural+widgets" and "RuntimeError: out of memory in region" in f1.reason
    (bad,) = f1.widget_regions
    (good,) = f1.neural_regions
    assert bad.intersect(r.bad) is not None and good.intersect(r.bad) is None
    assert shows_widgets(f1.frame, s1, bad)                                         # widget pixels there
    assert not shows_widgets(f1.frame, s1, good)                                    # the model's elsewhere
    keep = outside(f1.regions, f1.frame.shape)
    assert np.array_equal(f1.frame[keep], f0.frame[keep])
    assert live.policy.consecutive == 1
    r.bad = None
    f2 = live.render(s1, widgets_of(s1))                            # nothing new in the scene: the repair
    assert f2.regions == [bad] and f2.renderer == "neural" and f2.reason is None
    assert not shows_widgets(f2.frame, s1, bad)
    assert live.policy.consecutive == 0


class Together(NeuralRenderer):
    """A NeuralRenderer whose paints each wait until `parties` of them are running at once."""

    parties = 2

    def paint(self, cond, box, width, height):
        self.threads.append(threading.current_thread().name)
        self.meet.wait()                     # BrokenBarrierError (a fault) unless the others come too
        return super().paint(cond, box, width, height)


def test_regions_are_painted_at_once_on_several_threads_with_the_pixels_of_one_at_a_time():
    def frames(lanes):
        r = tiny_renderer(cls=Together)
        r.paint_lanes, r.threads = lanes, []
        live = L.LiveRenderer(r, margin=16)
        s0, s1 = two_buttons(), two_buttons(hover=("tl", "br"))
        r.meet = threading.Barrier(1)                                 # the first frame is one whole paint
        live.render(s0, widgets_of(s0))
        r.meet, r.threads = threading.Barrier(lanes, timeout=20), []
        f1 = live.render(s1, widgets_of(s1))
        return f1, r.threads

    together, threads = frames(2)
    assert together.renderer == "neural" and len(together.neural_regions) == 2, together.reason
    assert len(set(threads)) == 2 and any(t.startswith("neuralos-paint-lane") for t in threads)
    alone, threads = frames(1)
    assert len(set(threads)) == 1 and np.array_equal(together.frame, alone.frame)


def test_only_paints_that_fit_beside_each_other_run_at_once(monkeypatch):
    r = tiny_renderer()
    small, big = Box(0, 0, 128, 112), Box(0, 0, 512, 384)
    assert r.lanes_for([small, small]) == 1                            # one lane unless configured
    r.paint_lanes = 2
    assert r.lanes_for([small, small, small]) == 2 and r.lanes_for([small]) == 1
    r.burst_threads = 2                                                # a burst paint takes every core
    assert r.lanes_for([small, big]) == 1 and r.lanes_for([small, small]) == 2


def test_non_finite_output_falls_back_then_the_session_then_neural_is_retried_after_the_cool_down():
    clock = Clock()
    r = tiny_renderer()
    live = L.LiveRenderer(r, policy=L.FallbackPolicy(max_misses=3, cooldown_s=5, clock=clock))
    s0 = two_buttons(480, 360)
    live.render(s0, widgets_of(s0))
    saved = r.model.refine[-1].bias.detach().clone()
    with torch.no_grad():
        r.model.refine[-1].bias.fill_(float("nan"))
    scenes = [two_buttons(480, 360, field_text="ab" + "c" * i) for i in range(1, 6)]
    for i, s in enumerate(scenes[:3]):
        f = live.render(s, widgets_of(s))
        assert f.renderer == "widgets" and "non-finite" in f.reason                 # every frame still arrives
        b = f.widget_regions[0]
        assert shows_widgets(f.frame, s, b)                                         # and shows the change
    assert live.policy.retry_in() == 5 and "3 failures in a row" in live.session_reason
    f = live.render(scenes[3], widgets_of(scenes[3]))
    assert f.renderer == "widgets" and f.full and np.array_equal(f.frame, widgets_of(scenes[3]))   # on widgets
    with torch.no_grad():
        r.model.refine[-1].bias.copy_(saved)
    clock.t = 4.9
    assert not live.neural_active
    clock.t = 5.1
    f = live.render(scenes[4], widgets_of(scenes[4]))                             # retried: a whole frame
    assert f.renderer == "neural" and f.full and f.reason is None and not np.array_equal(f.frame, widgets_of(scenes[4]))
    assert live.policy.retries == 1 and live.session_reason is None


def test_no_model_paints_widgets_and_says_why():
    live = L.LiveRenderer(None, reason="no usable neural renderer model: nothing installed")
    s = two_buttons(160, 120)
    f = live.render(s, lambda: widgets_of(s))
    assert f.renderer == "widgets" and np.array_equal(f.frame, widgets_of(s))
    assert f.reason == "no usable neural renderer model: nothing installed"
    assert live.describe().startswith("widgets (fallback: no usable")


def test_a_plugin_renderer_gets_regions_and_only_those_are_pasted():
    calls = []

    class Flat:
        def render(self, scene, previous, regions):
            calls.append((previous is not None, regions))
            return np.full((scene.height, scene.width, 3), 10 * len(calls), np.uint8)

    live = L.LiveRenderer(Flat())
    s0 = two_buttons(320, 240)
    f0 = live.render(s0, widgets_of(s0))
    f1 = live.render(with_states(s0, "s/tl", {"hovered"}), None)
    assert calls[0] == (False, None) and calls[1][0] and calls[1][1] == f1.regions
    keep = outside(f1.regions, f1.frame.shape)
    assert (f1.frame[keep] == 10).all() and (f1.frame[~keep] == 20).all() and (f0.frame == 10).all()


def test_policy_counts_misses_in_a_row_and_recovers():
    clock = Clock()
    p = L.FallbackPolicy(max_misses=2, cooldown_s=1, clock=clock)
    assert not p.failure("late") and p.consecutive == 1
    p.success()
    assert not p.failure("late") and p.failure("late again")          # two in a row
    assert not p.neural_allowed() and "2 failures in a row" in p.session_reason
    clock.t = 1.5
    assert p.neural_allowed() and p.session_reason is None and p.retries == 1 and p.last_reason == "late again"


def test_opening_a_window_repaints_that_window_not_the_canvas():
    """Opening a window adds its colour to theme["surface_primary"]; only that window is dirty."""
    s0 = two_buttons(640, 480)
    win = Box(300, 200, 200, 120)
    theme = {**s0.theme, "surface_primary": {**s0.theme["surface_primary"], "new": "#00aa00"}}
    s1 = Scene(640, 480, theme, [*s0.nodes, SceneNode("new/@window", "new", "window", "window", win, win,
                                                      window="new")])
    assert s1.dirty_regions(s0) == [Box(0, 0, 640, 480)]                 # the plain scene diff: everything
    assert L.dirty_regions(s1, s0) == [win]
    recoloured = Scene(640, 480, {**theme, "surface_primary": {**theme["surface_primary"], "new": "#aa0000"}},
                       s1.nodes)
    assert L.dirty_regions(recoloured, s1, margin=2) == [win.grow(2)]
    dark = Scene(640, 480, {**theme, "dark": True}, s1.nodes)
    assert L.dirty_regions(dark, s1) == [Box(0, 0, 640, 480)]            # a theme change repaints everything


def test_a_window_that_opens_closes_or_moves_is_repainted_whole_without_building_its_maps(monkeypatch):
    from neuralos.neural import conditioning as C
    s0 = two_buttons(640, 480)
    win, there = Box(300, 200, 200, 120), Box(320, 210, 200, 120)
    s1 = Scene(640, 480, s0.theme, [*s0.nodes, SceneNode("new/@window", "new", "window", "window", win, win,
                                                         window="new")])
    s2 = Scene(640, 480, s0.theme, [*s0.nodes, SceneNode("new/@window", "new", "window", "window", there, there,
                                                         window="new")])
    for after, before, box in ((s1, s0, win), (s0, s1, win), (s2, s1, there)):   # its maps differ to its edges
        differs = np.any(C.build_conditioning(after, None, region=box)[:C.PREVIOUS_SLICE.start] !=
                         C.build_conditioning(before, None, region=box)[:C.PREVIOUS_SLICE.start], axis=0)
        assert differs[0].any() and differs[-1].any() and differs[:, 0].any() and differs[:, -1].any()
    built = []
    real = C.build_conditioning
    monkeypatch.setattr(C, "build_conditioning", lambda *a, **k: built.append(k.get("region")) or real(*a, **k))
    halo = win.grow(L.WINDOW_HALO)              # where a window was: its box and the model's halo around it
    assert L.changed_regions(s1, s0) == [win] and L.changed_regions(s0, s1) == [halo]   # opened, closed
    assert L.changed_regions(s2, s1) == [halo.union(there)]                              # moved
    assert not built                                                                    # no maps built for it
    assert L.changed_regions(with_states(s1, "s/tl", {"hovered"}), s1) and built          # other changes: shrunk
    built.clear()      # a window opening over a small change next to it (a hover that ends): kept whole
    near = Scene(640, 480, s0.theme, [*s0.nodes, button("x", 280, 180, {"hovered"})])
    s3 = Scene(640, 480, s0.theme, [*s0.nodes, button("x", 280, 180), *s1.nodes[len(s0.nodes):]])
    (box,) = L.dirty_regions(s3, near)
    assert box != win and win.w * win.h >= L.WINDOW_SPAN * box.w * box.h
    assert L.changed_regions(s3, near) == [box] and not built


def test_changed_regions_shrink_to_where_the_conditioning_maps_differ():
    from neuralos.neural.conditioning import PREVIOUS_SLICE, build_conditioning

    s0 = two_buttons(640, 480, field_text="ab")
    s1 = two_buttons(640, 480, field_text="abc")                  # one more character in the field
    (node_box,) = L.dirty_regions(s1, s0)
    (typed,) = L.changed_regions(s1, s0)
    assert typed.w * 3 < node_box.w and node_box.intersect(typed) == typed   # the new glyph, not the whole field
    maps0 = build_conditioning(s0, None)[:PREVIOUS_SLICE.start]
    maps1 = build_conditioning(s1, None)[:PREVIOUS_SLICE.start]
    ys, xs = np.nonzero(np.any(maps0 != maps1, axis=0))
    assert typed == Box(int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)   # exactly those
    hover = with_states(s0, "s/tl", {"hovered"})
    assert L.changed_regions(hover, s0) == L.dirty_regions(hover, s0)     # a state covers the whole button
    relabelled = dataclasses.replace(s0, nodes=[dataclasses.replace(n, text="other") if n.key == "s/tl" else n
                                                for n in s0.nodes])
    assert L.dirty_regions(relabelled, s0) and L.changed_regions(relabelled, s0) == []   # nothing the model sees


def test_clicking_a_check_box_repaints_its_indicator_not_its_row():
    """Real widgets: the click hovers, focuses and checks the box; its indicator shows all three (format 3) and
    its focus ring's band the focus (format 4), so the repaint is the indicator's, not the row's with its label."""
    from PySide6.QtCore import QCoreApplication

    from neuralos.cli.bench import _canvas, _close, _targets_in, bench_surface
    from neuralos.widgets.input import InputRouter

    session, canvas = _canvas((480, 360), [bench_surface()])
    try:
        QCoreApplication.processEvents()
        before = canvas.scene()
        check = _targets_in(before, "bench")["CheckBox"][0]
        InputRouter(canvas).click(*check.clip.center)
        QCoreApplication.processEvents()
        after = canvas.scene()
    finally:
        _close(canvas)
    clicked = after.node(check.key)
    assert {"checked", "hovered", "focused"} <= clicked.states
    indicator = next(p.box for p in clicked.parts if p.role == "check.indicator")
    (row,) = L.dirty_regions(after, before)
    (region,) = L.changed_regions(after, before)
    assert row.intersect(check.box) == check.box and region.intersect(indicator) == indicator
    assert region.intersect(indicator.grow(FOCUS_RING)) == region and region != indicator
    assert 4 * region.w < check.box.w


class Announcing(Faulty):
    """A Faulty renderer that sets `started` when a paint begins."""

    started: threading.Event | None = None

    def paint(self, cond, box, width, height):
        if self.started is not None:
            self.started.set()
        return super().paint(cond, box, width, height)


def test_the_worker_paints_the_first_frame_before_the_widget_frame_is_grabbed_and_later_ones_wait_for_it():
    """The first frame needs no widget pixels to paint; a later one compares the widget frames (and a fault takes
    its pixels from them), so it waits for the grab."""
    r = tiny_renderer(cls=Announcing)
    r.started = threading.Event()
    results = []
    done = threading.Event()
    live = L.LiveRenderer(r)
    live.warm_up = False                               # no idle paints: `started` means this request's paint
    worker = L.LiveWorker(live, lambda f: (results.append(f), done.set()))
    s0 = two_buttons()
    try:
        first = L.PendingFrame()
        worker.submit(s0, first)
        assert r.started.wait(30)                      # painting, with no widget frame grabbed yet
        first.set_from(lambda: widgets_of(s0))
        assert done.wait(30) and results[0].renderer == "neural"
        done.clear()
        r.started.clear()
        r.bad = Box(700, 500, 100, 100)
        s1 = two_buttons(hover=("br",))
        late = L.PendingFrame()
        worker.submit(s1, late)
        assert not r.started.wait(0.3) and not done.is_set()   # where to paint waits for the widget frame
        assert late.set_from(lambda: widgets_of(s1)).shape == (600, 800, 3)
        assert done.wait(30)
        assert results[1].renderer == "widgets" and results[1].widget_regions
        (bad,) = results[1].widget_regions
        assert shows_widgets(results[1].frame, s1, bad)
    finally:
        worker.close()


def test_only_where_the_widget_frames_differ_is_repainted():
    """The maps mark a hovered button's whole box; the model repaints only where the widget renderer's frames of
    the two scenes differ (grown by the paste margin), and nothing where they do not. Without widget frames, or
    when the grab fails, the maps alone decide."""
    r = tiny_renderer(steps=1)
    live = L.LiveRenderer(r)
    s0 = two_buttons()
    w0 = widgets_of(s0)
    f0 = live.render(s0, w0)
    s1 = with_states(s0, "s/tl", {"hovered"})
    tl = next(n for n in s1.nodes if n.key == "s/tl").clip
    w1 = w0.copy()
    w1[tl.y + 4:tl.y + 10, tl.x + 5:tl.x + 15] = 7            # the widgets change a 10x6 patch of the button
    f1 = live.render(s1, w1)
    m = L.PASTE_MARGIN
    assert f1.regions == [Box(tl.x + 5 - m, tl.y + 4 - m, 10 + 2 * m, 6 + 2 * m)] and f1.neural_regions == f1.regions
    keep = outside(f1.regions, f1.frame.shape)
    assert np.array_equal(f1.frame[keep], f0.frame[keep])
    s2 = with_states(s1, "s/br", {"hovered"})
    f2 = live.render(s2, w1)                                    # the maps changed, the widget pixels did not
    assert f2.regions == [] and f2.frame is f1.frame
    s3 = with_states(s2, "s/br", ())
    br = next(n for n in s3.nodes if n.key == "s/br").clip
    for widgets in (None, lambda: (_ for _ in ()).throw(RuntimeError("grab failed"))):
        f3 = live.render(s3 if widgets is None else s2, widgets)
        (region,) = f3.regions                                  # the whole button, as the maps say
        assert region.intersect(br) == br and f3.renderer == "neural" and f3.reason is None


def test_with_widget_frames_the_maps_are_built_only_for_the_contexts_painted(monkeypatch):
    from neuralos.neural import conditioning

    live = L.LiveRenderer(tiny_renderer(steps=1))
    s0 = two_buttons()
    live.render(s0, widgets_of(s0))
    built, real = [], conditioning.build_conditioning
    monkeypatch.setattr(conditioning, "build_conditioning",
                        lambda scene, prev, region=None: built.append(region) or real(scene, prev, region=region))
    s1 = with_states(s0, "s/tl", {"hovered"})
    f = live.render(s1, widgets_of(s1))
    canvas = Box(0, 0, s1.width, s1.height)
    assert f.regions and built == [ctx for ctx, _ in L.plan_contexts(f.regions, canvas, live.margin, live.step)]
    built.clear()
    live.render(s0)                                 # without widget frames the maps of both scenes say where
    assert len(built) > 1 and built[0] != built[-1]


def test_the_sizes_warmed_up_include_an_indicator_with_its_focus_ring():
    live = L.LiveRenderer(tiny_renderer(steps=1), margin=32)
    row, indicator = Box(94, 96, 200, 24), Box(96, 98, 18, 18)     # its ring takes the context over an 8 px line
    scene = Scene(800, 600, dict(THEME), [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 800, 600), Box(0, 0, 800, 600)),
        SceneNode("s/c", "s", "c", "CheckBox", row, row, interactive=True, window="s",
                  parts=(Part("check.indicator", indicator),))])
    canvas = Box(0, 0, 800, 600)
    ringed = indicator.grow(FOCUS_RING + live.paste_margin)
    plain = indicator.grow(live.paste_margin)
    want, without = ({(c.w, c.h) for c, _ in L.plan_contexts([b], canvas, live.margin, live.step)} for b in (ringed, plain))
    assert want != without and want | without <= set(live.input_shapes(scene))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 39), st.integers(0, 29), st.integers(1, 12), st.integers(1, 12)),
                max_size=4),
       st.lists(st.tuples(st.integers(0, 39), st.integers(0, 29)), max_size=6))
def test_reference_regions_cover_every_differing_pixel_of_the_regions_and_stay_inside_them(boxes, changed):
    before = np.zeros((30, 40, 3), np.uint8)
    after = before.copy()
    for x, y in changed:
        after[y, x, 1] = 9
    canvas = Box(0, 0, 40, 30)
    regions = L.merge_boxes([b for b in (Box(*t).intersect(canvas) for t in boxes) if b is not None])
    out = L.reference_regions(regions, before, after, margin=2)
    for b in out:
        assert any(r.intersect(b) == b for r in regions)
    for x, y in changed:
        assert any(r.contains(x, y) for r in regions) == any(b.contains(x, y) for b in out)


def test_a_failed_or_missing_grab_reaches_the_worker_as_an_error():
    pending = L.PendingFrame()
    with pytest.raises(OSError):                       # the GUI thread sees its own exception ...
        pending.set_from(lambda: (_ for _ in ()).throw(OSError("display gone")))
    with pytest.raises(RuntimeError, match="grabbing the widget frame failed: display gone"):
        pending()                                      # ... the worker a reason for its log and status line
    never = L.PendingFrame()
    never.timeout_s = 0.01
    with pytest.raises(TimeoutError, match="not grabbed within"):
        never()


def test_a_closed_window_is_repainted_with_its_halo_where_the_widget_frames_agree():
    """Where a window was, the widget frames before and after can agree (a dark window's body on the dark desktop,
    the desktop around it) while the model painted the window there, and in the dark theme a faint halo up to 8 px
    around it. A window that closes is repainted over its box and that halo, not only where the widget frames
    differ (the tour's final frame kept a strip of a closed window's halo)."""
    live = L.LiveRenderer(tiny_renderer(steps=1))
    s0 = two_buttons(640, 480)
    win = Box(300, 200, 200, 120)
    s1 = Scene(640, 480, s0.theme, [*s0.nodes, SceneNode("new/@window", "new", "window", "window", win, win,
                                                         window="new")])
    w0 = widgets_of(s0)
    w1 = w0.copy()
    w1[win.y:win.bottom, win.x + 30:win.right] = 9       # the window's left 30 px look like what was under it
    live.render(s0, w0)
    opened = live.render(s1, w1)
    assert any(r.intersect(win) == win for r in opened.regions)
    closed = live.render(s0, w0)
    halo = win.grow(L.WINDOW_HALO)
    assert any(r.intersect(halo) == halo for r in closed.regions)
    strip = (slice(win.y, win.bottom), slice(win.x, win.x + 30))
    assert not np.array_equal(closed.frame[strip], opened.frame[strip])
    hovered = live.render(with_states(s0, "s/tl", {"hovered"}), w0)     # elsewhere the widget frames still decide
    assert hovered.regions == []
