"""NeuralRenderer: whole frames, dirty regions (pixels outside stay bit-identical), faults, loading."""
import numpy as np
import pytest
import torch

from neuralos.errors import NeuralosError
from neuralos.neural import renderer as R
from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler
from neuralos.scene import Box

from neural_scenes import hand_scene, tiny_model

torch.set_num_threads(1)


@pytest.fixture()
def renderer():
    pipe = UIRenderPipeline(model=tiny_model(seed=2), scheduler=default_scheduler(), default_num_inference_steps=2)
    return R.NeuralRenderer(pipe, margin=16)


@pytest.fixture(scope="module")
def scene():
    return hand_scene()


def test_whole_frame_is_deterministic(renderer, scene):
    a = renderer.render(scene)
    assert a.shape == (scene.height, scene.width, 3) and a.dtype == np.uint8
    assert np.array_equal(a, renderer.render(scene))
    assert renderer.steps == 2


def test_regions_change_only_their_pixels(renderer, scene):
    previous = np.random.default_rng(0).integers(0, 256, (scene.height, scene.width, 3), dtype=np.uint8)
    regions = [Box(20, 25, 30, 20), Box(40, 35, 30, 10), Box(150, 110, 30, 30)]   # overlapping, off-canvas
    out = renderer.render(scene, previous=previous, regions=regions)
    inside = np.zeros(previous.shape[:2], bool)
    for r in regions:
        r = r.intersect(Box(0, 0, scene.width, scene.height))
        inside[r.y:r.bottom, r.x:r.right] = True
    assert np.array_equal(out[~inside], previous[~inside])                # bit-identical outside
    assert (out[inside] != previous[inside]).any()
    assert renderer.render(scene, previous=previous, regions=[]).tobytes() == previous.tobytes()
    # without a previous frame (or with one of another size) regions cannot be pasted: whole frame
    assert np.array_equal(renderer.render(scene, previous=None, regions=regions), renderer.render(scene))
    assert np.array_equal(renderer.render(scene, previous=previous[:10], regions=regions), renderer.render(scene))


def test_region_render_matches_whole_frame_given_enough_context():
    """The model is local: with a margin covering its receptive field a region is the whole frame's pixels."""
    scene = hand_scene(400, 300)
    pipe = UIRenderPipeline(model=tiny_model(seed=2), scheduler=default_scheduler(), default_num_inference_steps=1)
    r = R.NeuralRenderer(pipe)
    previous = np.random.default_rng(3).integers(0, 256, (scene.height, scene.width, 3), dtype=np.uint8)
    full = r.render(scene, previous=previous)                             # regions=None: the whole frame
    region = Box(30, 40, 20, 16)
    r.margin = 128                                                        # > the tiny model's reach
    out = r.render(scene, previous=previous, regions=[region])
    assert r.context_box(region, Box(0, 0, scene.width, scene.height)).w < scene.width
    sl = (slice(region.y, region.bottom), slice(region.x, region.right))
    assert np.abs(out[sl].astype(int) - full[sl].astype(int)).max() <= 1


def test_context_box_is_aligned_and_inside_the_canvas(renderer):
    canvas = Box(0, 0, 160, 120)
    for region in [Box(0, 0, 5, 5), Box(150, 100, 10, 20), Box(60, 50, 33, 7)]:
        ctx = renderer.context_box(region, canvas)
        assert ctx.intersect(canvas) == ctx and ctx.intersect(region) == region
        assert ctx.w % renderer.size_multiple == 0 and ctx.h % renderer.size_multiple == 0


def test_non_finite_output_raises_a_clear_error(renderer, scene):
    with torch.no_grad():
        renderer.model.refine[-1].bias.fill_(float("nan"))
    with pytest.raises(R.RendererFault, match="non-finite"):
        renderer.render(scene)
    assert issubclass(R.RendererFault, NeuralosError)


def test_load_renderer_and_default(renderer, scene, tmp_path, monkeypatch):
    renderer.pipeline.save_pretrained(tmp_path / "student", safe_serialization=True)
    loaded = R.load_renderer(tmp_path / "student", margin=16)
    assert loaded.steps == 2
    assert np.abs(loaded.render(scene).astype(int) - renderer.render(scene).astype(int)).max() <= 1
    with pytest.raises(NeuralosError, match="not a neural renderer folder"):
        R.load_renderer(tmp_path / "nothing")
    monkeypatch.setattr(R, "SHIPPED_MODELS", tmp_path / "models")
    with pytest.raises(NeuralosError, match="default neural renderer is missing"):
        R.load_default_renderer()
    (tmp_path / "models").mkdir()
    (tmp_path / "student").rename(tmp_path / "models" / R.DEFAULT_MODEL)
    assert isinstance(R.load_default_renderer(), R.NeuralRenderer)


def test_large_paints_run_on_the_burst_threads(renderer, scene, monkeypatch):
    seen = []
    forward = renderer.model.forward
    monkeypatch.setattr(renderer.model, "forward", lambda *a, **k: seen.append(torch.get_num_threads()) or forward(*a, **k))
    monkeypatch.setattr(R, "BURST_PIXELS", 64 * 64)
    torch.set_num_threads(1)                                                  # whatever earlier tests left
    renderer.burst_threads = 2
    frame = renderer.render(scene)                                            # whole frame: 2 threads
    renderer.render(scene, previous=frame, regions=[Box(8, 8, 8, 8)])      # a 40x40 context: as configured
    assert seen == [2, 2, 1, 1] and torch.get_num_threads() == 1           # (2 steps each); restored after


def test_configure_keeps_a_core_for_the_gui_and_bursts_on_all(renderer, monkeypatch):
    from neuralos.neural import live
    monkeypatch.setattr(live, "cpu_cores", lambda: 4)
    monkeypatch.delenv("NEURALOS_RENDER_THREADS", raising=False)
    try:
        settings = live.configure(renderer, device="cpu")
        assert (settings["threads"], settings["burst_threads"], settings["paint_lanes"]) == (3, 4, 1)
        monkeypatch.setattr(live, "cpu_cores", lambda: 2)
        settings = live.configure(renderer, device="cpu")                  # two regions at once, one thread each
        assert (settings["threads"], settings["burst_threads"], settings["paint_lanes"]) == (1, 2, 2)
        monkeypatch.setenv("NEURALOS_PAINT_LANES", "1")
        assert live.configure(renderer, device="cpu")["paint_lanes"] == 1
        monkeypatch.delenv("NEURALOS_PAINT_LANES")
        monkeypatch.setenv("NEURALOS_RENDER_THREADS", "2")                 # a fixed count: no bursts, no lanes
        settings = live.configure(renderer, device="cpu")
        assert (settings["threads"], settings["burst_threads"], settings["paint_lanes"]) == (2, None, 1)
    finally:
        torch.set_num_threads(1)


def test_the_vector_isa_is_read_from_the_cpu_flags(tmp_path):
    from neuralos.neural import live
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n")
    flags = live.cpu_flags(str(info))
    assert {"avx2", "fma"} <= flags and live.cpu_vector_isa(flags) == "AVX2"
    assert live.cpu_vector_isa(flags | {"avx512f", "avx512_bf16"}) == "AVX-512 BF16"
    assert live.cpu_vector_isa(flags | {"avx512f"}) == "AVX-512"
    assert live.cpu_vector_isa(flags | {"amx_bf16", "avx512_bf16"}) == "AMX"
    assert live.cpu_flags(str(tmp_path / "missing")) == frozenset() and live.cpu_vector_isa(frozenset()) == "unknown"
