"""UIRenderPipeline: a standard diffusers pipeline folder, deterministic given a seed."""
import json

import numpy as np
import pytest
import torch

from neuralos.neural.conditioning import CONDITIONING_CHANNELS, build_conditioning
from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler, denoise, to_uint8, training_scheduler

from neural_scenes import hand_scene, tiny_model

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def cond():
    return build_conditioning(hand_scene(), None)[:, :40, :56]


@pytest.fixture()
def pipe():
    p = UIRenderPipeline(model=tiny_model(seed=1).eval(), scheduler=default_scheduler(), default_num_inference_steps=3)
    p.set_progress_bar_config(disable=True)
    return p


def run(pipe, cond, seed=0, **kw):
    return pipe(cond, generator=torch.Generator().manual_seed(seed), **kw).frames


def test_deterministic_given_a_seed_and_seed_matters(pipe, cond):
    a, b, c = run(pipe, cond, 0), run(pipe, cond, 0), run(pipe, cond, 1)
    assert a.shape == (1, 40, 56, 3) and a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_output_types_agree(pipe, cond):
    f = run(pipe, cond, output_type="np")[0]
    u = run(pipe, cond, output_type="uint8")[0]
    t = run(pipe, cond, output_type="pt")
    raw = run(pipe, cond, output_type="raw")
    pil = run(pipe, cond, output_type="pil")[0]
    assert u.dtype == np.uint8 and np.array_equal(u, (f * 255 + 0.5).astype(np.uint8))
    assert t.shape == (1, 3, 40, 56) and torch.allclose(t[0].permute(1, 2, 0), torch.from_numpy(f))
    assert torch.allclose(((raw.clamp(-1, 1) + 1) / 2)[0].permute(1, 2, 0), torch.from_numpy(f))
    assert np.array_equal(np.asarray(pil), u)
    out = pipe(cond, generator=torch.Generator().manual_seed(0))
    assert out.images is out.frames  # the name other diffusers pipelines use


def test_noise_argument_replaces_the_generator(pipe, cond):
    noise = torch.randn(1, 3, 40, 56, generator=torch.Generator().manual_seed(0))
    assert np.array_equal(pipe(cond, noise=noise).frames, run(pipe, cond, 0))
    with pytest.raises(ValueError, match="noise must be"):
        pipe(cond, noise=noise[..., :8])
    with pytest.raises(ValueError, match="conditioning must be"):
        pipe(cond[:5])


def test_steps_default_from_the_folder_and_single_step_is_x0(pipe, cond):
    assert np.array_equal(run(pipe, cond), run(pipe, cond, num_inference_steps=3))
    x = torch.randn(1, 3, 40, 56, generator=torch.Generator().manual_seed(0))
    c = torch.from_numpy(cond)[None]
    with torch.no_grad():
        final, x0s = denoise(pipe.model, pipe.scheduler, x, c, 1)
        direct = pipe.model(x, 999, c).sample.clamp(-1, 1)
    assert len(x0s) == 1 and torch.allclose(final, direct, atol=1e-6)   # one trailing step: t = T-1, output x0


def test_save_pretrained_is_a_standard_folder_and_reloads_identically(pipe, cond, tmp_path):
    pipe.save_pretrained(tmp_path / "p", safe_serialization=True)
    index = json.loads((tmp_path / "p" / "model_index.json").read_text())
    assert index["_class_name"] == "UIRenderPipeline" and index["default_num_inference_steps"] == 3
    assert index["model"] == ["neuralos.neural.model", "UIRendererModel"]
    assert index["scheduler"] == ["diffusers", "DDIMScheduler"]
    assert (tmp_path / "p" / "model" / "diffusion_pytorch_model.safetensors").is_file()
    assert not list((tmp_path / "p").rglob("*.bin"))
    back = UIRenderPipeline.from_pretrained(tmp_path / "p", local_files_only=True, use_safetensors=True)
    back.set_progress_bar_config(disable=True)
    assert back.scheduler.config.prediction_type == "sample" and back.scheduler.config.timestep_spacing == "trailing"
    assert np.allclose(run(back, cond), run(pipe, cond), atol=1e-4)
    # it is a plugin folder the plugin loader accepts as is
    from neuralos.plugins.loading import load_pipeline
    assert isinstance(load_pipeline(tmp_path / "p"), UIRenderPipeline)


def test_training_and_sampling_schedules_share_betas():
    a, b = default_scheduler(), training_scheduler()
    assert torch.allclose(a.alphas_cumprod, b.alphas_cumprod)
    a.set_timesteps(2)
    assert a.timesteps.tolist() == [999, 499]
    assert CONDITIONING_CHANNELS == tiny_model().config.conditioning_channels


def test_to_uint8_gives_the_same_bits_for_arrays_and_tensors():
    # GPU frames are converted on the device; the bytes must be those of the numpy conversion.
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(-0.2, 1.2, 100_000), (np.arange(256) + 0.5) / 255, [0.0, 1.0, -1.0, 2.0]])
    values = values.astype(np.float32)
    from_tensor = to_uint8(torch.from_numpy(values))
    assert from_tensor.dtype == torch.uint8
    assert np.array_equal(from_tensor.numpy(), to_uint8(values))
