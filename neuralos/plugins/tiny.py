"""Tiny random-weight model folders: a worked example of each format, for tests and demos.

They load and run in well under a second on a CPU and paint or say nothing useful. They are what a
plugin folder looks like on disk, written with the libraries' own `save_pretrained`:

    write_tiny_renderer(dir)      # format diffusers: DDPMPipeline + UNet2DModel (frame + maps -> frame)
    write_tiny_ui_renderer(dir)   # format neuralos-ui: UIRenderPipeline + a small UIRendererModel
    write_tiny_planner(dir)       # format transformers: a 2-layer Llama + a byte-level BPE tokenizer
    write_manifest(dir, name=..., kind=..., format=...)
"""
from __future__ import annotations

from pathlib import Path

def write_manifest(folder: Path, **fields) -> Path:
    """Write `neuralos.toml` with the given top-level fields (strings) and `parameters` (a dict)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parameters = fields.pop("parameters", None) or {}
    lines = [f"{k} = {_toml(v)}" for k, v in fields.items()]
    if parameters:
        lines += ["", "[parameters]"] + [f"{k} = {_toml(v)}" for k, v in parameters.items()]
    path = folder / "neuralos.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value) -> str:
    import json
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_tiny_renderer(folder: Path, conditioned: bool = True, seed: int = 0) -> Path:
    """A `DDPMPipeline` whose UNet2DModel takes 3 + CONDITIONING_CHANNELS channels (or only 3 when
    `conditioned` is False: a valid diffusers folder that cannot take the scene conditioning)."""
    import torch
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    from neuralos.neural.conditioning import CONDITIONING_CHANNELS

    torch.manual_seed(seed)
    unet = UNet2DModel(sample_size=16, in_channels=3 + CONDITIONING_CHANNELS * conditioned, out_channels=3,
                       layers_per_block=1, block_out_channels=(8, 16), norm_num_groups=4, add_attention=False,
                       down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"))
    scheduler = DDPMScheduler(num_train_timesteps=100, prediction_type="sample")
    DDPMPipeline(unet=unet, scheduler=scheduler).save_pretrained(str(folder), safe_serialization=True)
    return Path(folder)


def write_tiny_ui_renderer(folder: Path, seed: int = 0, steps: int = 1) -> Path:
    """Our own `UIRenderPipeline` with a very small `UIRendererModel` (format neuralos-ui)."""
    import torch

    from neuralos.neural.model import UIRendererModel
    from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler

    torch.manual_seed(seed)
    model = UIRendererModel(block_out_channels=(8, 16), norm_num_groups=4, stem_channels=2,
                            feature_channels=2, refine_stem_channels=4, refine_channels=4)
    pipe = UIRenderPipeline(model=model, scheduler=default_scheduler(), default_num_inference_steps=steps)
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return Path(folder)


def write_tiny_planner(folder: Path, seed: int = 0) -> Path:
    """A 2-layer random Llama with a byte-level BPE tokenizer and a chat template (format transformers);
    made by `neuralos.planners.tiny.write_tiny_lm`."""
    from neuralos.planners.tiny import write_tiny_lm

    return Path(write_tiny_lm(folder, seed=seed))
