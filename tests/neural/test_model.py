"""UIRendererModel: shapes at odd sizes, locality (crop = whole frame), save/reload, learning."""
import json

import numpy as np
import pytest
import torch

from neuralos.neural.conditioning import CONDITIONING_CHANNELS
from neuralos.neural.model import PixelGroupNorm, UIRendererModel
from neuralos.scene import MODEL_FORMAT_VERSION

from neural_scenes import TINY_MODEL, synthetic_pairs, tiny_model

torch.set_num_threads(1)


def inputs(b, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, 3, h, w, generator=g), torch.rand(b, CONDITIONING_CHANNELS, h, w, generator=g)


@pytest.mark.parametrize("hw", [(16, 16), (37, 53), (1, 1), (64, 24), (23, 100)])
def test_forward_shapes_at_any_size(hw):
    model = tiny_model().eval()
    x, c = inputs(2, *hw)
    with torch.no_grad():
        out = model(x, torch.tensor([999, 10]), c).sample
    assert out.shape == (2, 3, *hw) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert model.size_multiple == 8  # unshuffle 4 x one UNet downsampling


def test_wrong_conditioning_is_rejected():
    model = tiny_model()
    x, c = inputs(1, 16, 16)
    with pytest.raises(ValueError, match="channels"):
        model(x, 5, c[:, :10])
    with pytest.raises(ValueError, match="does not match"):
        model(x, 5, c[:, :, :8])
    with pytest.raises(ValueError, match="model format"):
        UIRendererModel(**TINY_MODEL, format_version=MODEL_FORMAT_VERSION + 1)


def test_pixel_group_norm_is_group_norm_per_pixel():
    n = PixelGroupNorm(2, 8)
    with torch.no_grad():
        n.weight.copy_(torch.linspace(0.5, 2, 8))
        n.bias.copy_(torch.linspace(-1, 1, 8))
    x = torch.randn(3, 8, 5, 7)
    ref = torch.nn.functional.group_norm(x.permute(0, 2, 3, 1).reshape(-1, 8, 1, 1), 2, n.weight, n.bias)
    ref = ref.reshape(3, 5, 7, 8).permute(0, 3, 1, 2)
    assert torch.allclose(n(x), ref, atol=1e-5)
    assert torch.allclose(n(x.contiguous(memory_format=torch.channels_last)), ref, atol=1e-5)
    assert not any(isinstance(m, torch.nn.GroupNorm) for m in tiny_model().modules())


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_gpu_form_of_the_pixel_group_norm_normalises_alike_and_trains(dtype):
    # GPUs run the norm as means over the channel groups (CUDA's layer_norm on 6-12-wide rows is slow); it must
    # be the same function, in the input's precision, with gradients.
    n = PixelGroupNorm(4, 24)
    with torch.no_grad():
        n.weight.copy_(torch.linspace(0.5, 2, 24))
        n.bias.copy_(torch.linspace(-1, 1, 24))
    x = (torch.randn(2, 24, 9, 11) * 3 + 1).to(dtype).requires_grad_()
    fast = n._forward_by_reductions(x)
    assert fast.dtype == dtype and fast.shape == x.shape
    assert torch.allclose(fast.float(), n(x).float(), atol=1e-5 if dtype == torch.float32 else 2e-2)
    fast.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and n.weight.grad.abs().sum() > 0


def test_the_maps_are_read_in_bands_with_the_same_result(monkeypatch):
    """The stems and the 4x4 pool run over bands of rows (cache-sized on a CPU): the same numbers, and the
    same gradients, as one pass; a last band cut short (37 rows) included."""
    import neuralos.neural.model as model_module

    model = tiny_model()
    x, c = inputs(2, 37, 29)
    c.requires_grad_(True)
    t = torch.tensor([999, 10])

    def run(band_elements):
        monkeypatch.setattr(model_module, "_BAND_ELEMENTS", band_elements)
        model.zero_grad()
        c.grad = None
        stem, pooled = model._read_conditioning(c)
        out = model(x, t, c).sample
        out.square().mean().backward()
        return stem, pooled, out, c.grad.clone(), model.stem.weight.grad.clone()

    banded = run(2 * CONDITIONING_CHANNELS * 29 * 4)     # 4 rows a band: 10 bands, the last one 1 row
    whole = run(1 << 30)
    stem, pooled = banded[:2]
    with torch.no_grad():
        assert torch.allclose(stem[:, :4], model.stem(c), atol=1e-5)
        assert torch.allclose(stem[:, 4:], model.refine_stem(c), atol=1e-5)
        assert torch.equal(pooled, torch.nn.functional.avg_pool2d(c, 4, ceil_mode=True))
    for a, b in zip(banded, whole):
        assert a.shape == b.shape and torch.allclose(a, b, atol=1e-5)


def test_the_refinement_runs_in_bands_at_inference_with_the_same_pixels(monkeypatch):
    """Without autograd on a CPU the full-resolution refinement runs over bands of rows with a halo: the same
    frame and gates as one pass, refinement blocks, palette gates and a last band cut short (45 -> 48 rows)
    included."""
    import neuralos.neural.model as model_module

    model = tiny_model(refine_blocks=2, palette_head=True, palette_colors=["#ffffff", "#000000"]).eval()
    torch.manual_seed(3)
    with torch.no_grad():        # random, not zero-initialised: the blocks and gates must matter
        for p in [*model.refinement_blocks.parameters(), *model.palette_gate.parameters(),
                  *model.fixed_gate.parameters(), *model.refine[2].parameters()]:
            p.normal_(0, 0.2)
    x, c = inputs(2, 45, 31)
    t = torch.tensor([999, 10])

    passes = []
    model.refine[0].register_forward_hook(lambda module, args, out: passes.append(out.shape[-2]))

    def run(band_elements):
        monkeypatch.setattr(model_module, "_REFINE_BAND_ELEMENTS", band_elements)
        passes.clear()
        with torch.no_grad():
            return model(x, t, c), list(passes)

    (banded, rows), (whole, one) = run(2 * model.config.refine_channels * 32 * 8), run(1 << 30)   # 8-row bands
    assert one == [48] and len(rows) == 6 and max(rows) == 8 + 2 * 6      # a halo of 6 rows each side
    assert whole.gates.shape == (2, 5, 45, 31)
    assert torch.allclose(banded.sample, whole.sample, atol=1e-5)
    assert torch.allclose(banded.gates, whole.gates, atol=1e-5)


def test_cpu_autocast_runs_the_refinement_in_bf16_and_keeps_the_output_float32():
    """Under CPU bf16 autocast (the renderer's setting where the CPU has bf16) the full-resolution convolutions run
    in bf16, the frame and gates come out in float32 near the float32 model's; without autocast (training) they
    stay float32."""
    model = tiny_model(refine_blocks=1, palette_head=True).eval()
    torch.manual_seed(4)
    with torch.no_grad():
        for p in [*model.refinement_blocks.parameters(), *model.palette_gate.parameters(), *model.refine[2].parameters()]:
            p.normal_(0, 0.2)
    x, c = inputs(1, 40, 56)
    seen = []
    for m in (model.refine[0], model.refinement_blocks[0][2], model.refine[2], model.palette_gate):
        m.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    with torch.no_grad():
        full = model(x, 999, c)
        assert set(seen) == {torch.float32}
        seen.clear()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            fast = model(x, 999, c)
    assert set(seen) == {torch.bfloat16}
    assert fast.sample.dtype == fast.gates.dtype == torch.float32
    assert (fast.sample - full.sample).abs().max() < 0.1 and (fast.sample - full.sample).abs().mean() < 0.02


def test_output_is_local_far_away_inputs_do_not_matter():
    """No image-wide statistics: changing pixels beyond the receptive field (about 120 px for two UNet
    levels) leaves the output unchanged (with diffusers' GroupNorm it would not), so crops, dirty regions
    and whole frames agree."""
    model = tiny_model().eval()
    x, c = inputs(1, 320, 64)
    x2, c2 = x.clone(), c.clone()
    x2[..., 200:, :] = torch.randn(1, 3, 120, 64)
    c2[..., 200:, :] = 1.0 - c2[..., 200:, :]
    with torch.no_grad():
        a = model(x, 999, c).sample
        b = model(x2, 999, c2).sample
        crop = model(x[..., :200, :], 999, c[..., :200, :]).sample
    assert (a[..., :64, :] - b[..., :64, :]).abs().max() < 1e-5
    assert (a[..., 200:, :] - b[..., 200:, :]).abs().max() > 1e-3          # it does see its own inputs
    # a crop's interior (beyond the receptive field from its cut) is the whole frame's output
    assert (a[..., :64, :] - crop[..., :64, :]).abs().max() < 1e-5


def test_save_and_reload_give_the_same_model(tmp_path):
    model = tiny_model(seed=3).eval()
    model.save_pretrained(tmp_path / "m", safe_serialization=True)
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["config.json", "diffusion_pytorch_model.safetensors"]
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["_class_name"] == "UIRendererModel" and config["format_version"] == MODEL_FORMAT_VERSION
    assert config["conditioning_channels"] == CONDITIONING_CHANNELS
    back = UIRendererModel.from_pretrained(tmp_path / "m", use_safetensors=True).eval()
    sd, sd2 = model.state_dict(), back.state_dict()
    assert sd.keys() == sd2.keys() and all(torch.equal(sd[k], sd2[k]) for k in sd)
    x, c = inputs(1, 40, 24)
    with torch.no_grad():
        assert torch.allclose(model(x, 500, c).sample, back(x, 500, c).sample, atol=1e-5)


def test_default_size_is_small():
    n = sum(p.numel() for p in UIRendererModel().parameters())
    assert 1_000_000 < n < 3_000_000


def test_a_few_steps_reduce_the_loss_on_a_tiny_batch():
    torch.manual_seed(0)
    pairs = synthetic_pairs(2, 96, 64, seed=1)
    c = torch.from_numpy(np.stack([p[0] for p in pairs]))
    x0 = torch.from_numpy(np.stack([p[1] for p in pairs])).permute(0, 3, 1, 2).float() / 127.5 - 1
    model = tiny_model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    noise = torch.randn_like(x0)
    t = torch.tensor([900, 300])
    x_t = 0.3 * x0 + 0.95 * noise

    def loss():
        return torch.nn.functional.mse_loss(model(x_t, t, c).sample, x0)

    first = float(loss().detach())
    for _ in range(25):
        opt.zero_grad()
        value = loss()
        value.backward()
        opt.step()
    assert float(loss().detach()) < 0.5 * first


def test_preconditioning_copies_clean_input_and_ignores_pure_noise():
    """x0 = c_skip x_t + c_out F: at t = 0 the output is x_t up to a small correction; at t = T-1 x_t only
    reaches the output through the network (c_skip = 0)."""
    model = tiny_model().eval()
    c_in, c_skip, c_out = model.preconditioning(torch.tensor([0, 999]))
    assert c_skip[0].item() == pytest.approx(1.0, abs=0.01) and c_out[0].item() < 0.01
    assert c_skip[1].item() == pytest.approx(0.0, abs=1e-3)
    assert c_out[1].item() == pytest.approx(model.config.sigma_data, abs=1e-3)
    x, c = inputs(1, 32, 32)
    x = x.clamp(-1, 1)
    with torch.no_grad():
        out = model(x, 0, c).sample
    assert (out - x).abs().max() < 0.05


def test_palette_head_starts_as_a_no_op_and_paints_theme_colours_exactly():
    from neuralos.neural.conditioning import PRIMARY_SLICE

    plain = tiny_model(seed=4).eval()
    palette = tiny_model(seed=4, palette_head=True).eval()
    missing, unexpected = palette.load_state_dict(plain.state_dict(), strict=False)
    assert sorted(missing) == ["palette_gate.bias", "palette_gate.weight"] and not unexpected
    x, c = inputs(2, 24, 40, seed=5)
    with torch.no_grad():
        assert torch.allclose(plain(x, 999, c).sample, palette(x, 999, c).sample, atol=1e-6)
        palette.palette_gate.bias[2] = 1.0                  # "every pixel is the primary colour"
        out = palette(x, torch.tensor([999, 300]), c).sample
    assert torch.allclose(out, c[:, PRIMARY_SLICE] * 2 - 1, atol=1e-5)   # per pixel, per window, any t


def test_palette_head_saves_and_reloads(tmp_path):
    model = tiny_model(seed=6, palette_head=True).eval()
    with torch.no_grad():
        model.palette_gate.weight.normal_()
    model.save_pretrained(tmp_path / "m", safe_serialization=True)
    back = UIRendererModel.from_pretrained(tmp_path / "m", use_safetensors=True).eval()
    assert back.config.palette_head and torch.equal(back.palette_gate.weight, model.palette_gate.weight)
    x, c = inputs(1, 16, 24)
    with torch.no_grad():
        assert torch.allclose(model(x, 999, c).sample, back(x, 999, c).sample, atol=1e-6)


def test_fixed_palette_colours_start_as_a_no_op_and_paint_their_colour_exactly(tmp_path):
    plain = tiny_model(seed=4, palette_head=True).eval()
    fixed = tiny_model(seed=4, palette_head=True, palette_colors=("#ffffff", "#000000")).eval()
    missing, unexpected = fixed.load_state_dict(plain.state_dict(), strict=False)
    assert sorted(missing) == ["fixed_gate.bias", "fixed_gate.weight"] and not unexpected
    x, c = inputs(2, 24, 40, seed=5)
    with torch.no_grad():
        assert torch.allclose(plain(x, 999, c).sample, fixed(x, 999, c).sample, atol=1e-6)
        fixed.fixed_gate.bias[0] = 1.0                        # "every pixel is white"
        assert torch.allclose(fixed(x, torch.tensor([999, 300]), c).sample, torch.ones(2, 3, 24, 40), atol=1e-5)
        fixed.fixed_gate.bias[0], fixed.fixed_gate.bias[1] = 0.5, 0.5   # half white, half black: mid grey
        assert fixed(x, 999, c).sample.abs().max() < 1e-5
    fixed.save_pretrained(tmp_path / "m", safe_serialization=True)
    back = UIRendererModel.from_pretrained(tmp_path / "m", use_safetensors=True).eval()
    assert list(back.config.palette_colors) == ["#ffffff", "#000000"]
    with torch.no_grad():
        assert torch.allclose(fixed(x, 999, c).sample, back(x, 999, c).sample, atol=1e-6)
    with pytest.raises(ValueError, match="not a #rrggbb colour"):
        tiny_model(palette_colors=("white",))


def test_the_output_gates_pick_the_gate_colours_in_the_same_order():
    plain = tiny_model(seed=4).eval()
    x, c = inputs(2, 24, 40, seed=5)
    with torch.no_grad():
        assert plain(x, 999, c).gates is None and plain.gate_colors(c) is None
    model = tiny_model(seed=4, palette_head=True, palette_colors=("#ffffff", "#000000")).eval()
    colors = model.gate_colors(c)
    assert colors.shape == (2, 5, 3, 24, 40)
    with torch.no_grad():
        for k in range(5):   # a one-hot gate k paints exactly gate colour k, wherever it comes from
            model.palette_gate.bias.zero_()
            model.fixed_gate.bias.zero_()
            (model.palette_gate if k < 3 else model.fixed_gate).bias[k % 3] = 1.0
            model.palette_gate.weight.zero_()
            model.fixed_gate.weight.zero_()
            out = model(x, torch.tensor([999, 300]), c)
            assert out.gates.shape == (2, 5, 24, 40)
            assert torch.equal(out.gates, torch.nn.functional.one_hot(torch.tensor(k), 5).float()[None, :, None, None]
                               .expand(2, 5, 24, 40))
            assert torch.allclose(out.sample, colors[:, k], atol=1e-5)


def steered_inputs(seed=5):
    """Two frames of random maps, each in no state but for a pressed box (rows 4-11, columns 6-20 of the first
    frame; rows 30-33 of the second, in the last band)."""
    from neuralos.neural.conditioning import STATE_SLICE
    from neuralos.scene import STATES

    x, c = inputs(2, 37, 31, seed=seed)
    c[:, STATE_SLICE] = 0
    pressed = STATE_SLICE.start + STATES.index("pressed")
    c[0, pressed, 4:12, 6:21] = 1
    c[1, pressed, 30:34, :] = 1
    mask = c[:, pressed] > 0                                              # (2, 37, 31)
    return x, c, mask


def test_steered_gates_start_as_a_no_op_and_change_only_pixels_where_their_maps_are_set():
    gated = tiny_model(seed=4, palette_head=True, palette_colors=("#ffffff", "#000000"), steered_maps=("state:pressed",),
                       steered_gate_channels=8).eval()
    plain = tiny_model(seed=4, palette_head=True, palette_colors=("#ffffff", "#000000")).eval()
    missing, unexpected = gated.load_state_dict(plain.state_dict(), strict=False)
    assert sorted(missing) == [f"steered_gate.{i}.{p}" for i in (0, 2) for p in ("bias", "weight")] and not unexpected
    x, c, mask = steered_inputs()
    with torch.no_grad():
        assert torch.allclose(plain(x, 999, c).sample, gated(x, 999, c).sample, atol=1e-6)
        gated.steered_gate[-1].bias[4] = 1.0                                 # "a pressed pixel is black"
        before, after = plain(x, 999, c), gated(x, 999, c)
    changed = (after.gates - before.gates).abs().amax(1) > 1e-6
    assert torch.equal(changed, mask)
    assert torch.allclose(after.gates[:, 4][mask], before.gates[:, 4][mask] + 1, atol=1e-5)
    assert torch.equal(after.sample[~mask[:, None].expand(-1, 3, -1, -1)],
                       before.sample[~mask[:, None].expand(-1, 3, -1, -1)])


def test_steered_gates_run_in_bands_alike_learn_and_reload(tmp_path, monkeypatch):
    import neuralos.neural.model as model_module

    model = tiny_model(seed=4, palette_head=True, steered_maps=("state:pressed", "role:CheckBox"),
                       steered_gate_channels=8)
    torch.manual_seed(3)
    with torch.no_grad():
        for p in [*model.palette_gate.parameters(), *model.steered_gate.parameters()]:
            p.normal_(0, 0.2)
    x, c, mask = steered_inputs()
    out = model(x, 999, c)                                                 # with autograd: one pass
    out.sample[mask[:, None].expand(-1, 3, -1, -1)].sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.steered_gate.parameters())
    monkeypatch.setattr(model_module, "_REFINE_BAND_ELEMENTS", 2 * model.config.refine_channels * 32 * 8)
    model.eval()
    with torch.no_grad():
        banded = model(x, 999, c)                                          # 8-row bands
    assert torch.allclose(banded.gates, out.gates, atol=1e-5)
    assert torch.allclose(banded.sample, out.sample, atol=1e-5)

    model.save_pretrained(tmp_path / "m", safe_serialization=True)
    back = UIRendererModel.from_pretrained(tmp_path / "m", use_safetensors=True).eval()
    assert list(back.config.steered_maps) == ["state:pressed", "role:CheckBox"]
    with torch.no_grad():
        assert torch.equal(back(x, 999, c).sample, banded.sample)


def test_steered_maps_name_maps_of_the_conditioning_and_need_gates():
    with pytest.raises(ValueError, match="'state:held' not a map of the conditioning"):
        tiny_model(palette_head=True, steered_maps=("state:pressed", "state:held"))
    with pytest.raises(ValueError, match="'previous.r' not a map"):
        tiny_model(palette_head=True, steered_maps=("role:CheckBox&previous.r",))
    with pytest.raises(ValueError, match="needs gates to steer"):
        tiny_model(steered_maps=("state:pressed",))


def test_the_dense_form_of_the_steered_gates_steers_the_same_pixels_alike():
    """On a GPU the steered gate runs on every pixel, masked (a CUDA graph cannot hold a gather of data-dependent
    size); on the CPU it runs on the steered pixels alone. Both give the same logits, padding rows and columns
    (37 -> 40, 31 -> 32) left alone."""
    model = tiny_model(seed=4, palette_head=True, steered_maps=("state:pressed",), steered_gate_channels=8).eval()
    torch.manual_seed(3)
    with torch.no_grad():
        for p in model.steered_gate.parameters():
            p.normal_(0, 0.2)
    _, c, mask = steered_inputs()
    gate, hidden = torch.randn(2, 3, 40, 32), torch.randn(2, model.config.refine_channels, 40, 32)
    with torch.no_grad():
        sparse = model._steer_gates(gate, hidden, c, 0)
        dense = model._steer_gates(gate, hidden, c, 0, dense=True)
        late = model._steer_gates(gate[:, :, 32:], hidden[:, :, 32:], c, 32, dense=True)   # a band of the last rows
        below = model._steer_gates(gate[:, :, 38:], hidden[:, :, 38:], c, 38)          # a band of padding alone
    assert torch.allclose(sparse, dense, atol=1e-6)
    assert torch.allclose(late, sparse[:, :, 32:], atol=1e-6) and torch.equal(below, gate[:, :, 38:])
    changed = (dense - gate).abs().amax(1) > 0
    assert changed[:, :37, :31].equal(mask) and not changed[:, 37:].any() and not changed[:, :, 31:].any()


def test_steered_maps_joined_by_and_steer_where_all_are_set():
    from neuralos.neural.conditioning import CONDITIONING_CHANNEL_NAMES

    model = tiny_model(seed=4, palette_head=True, steered_maps=("state:pressed & role:Button", "role:Slider"),
                       steered_gate_channels=8).eval()
    with torch.no_grad():
        model.steered_gate[-1].bias[0] = 1.0
    x, c, pressed = steered_inputs()
    button, slider = (CONDITIONING_CHANNEL_NAMES.index(f"role:{r}") for r in ("Button", "Slider"))
    c[:, [button, slider]] = 0
    c[:, button, :, :10] = 1                                               # pressed only in columns 6-9 of frame 0
    c[1, slider, 0, 0] = 1
    with torch.no_grad():
        gates = model(x, 999, c).gates
        model.steered_gate[-1].bias[0] = 0.0
        plain = model(x, 999, c).gates
    changed = (gates - plain).abs().amax(1) > 1e-6
    expected = pressed.clone()
    expected[:, :, 10:] = False
    expected[1, 0, 0] = True
    assert torch.equal(changed, expected)
