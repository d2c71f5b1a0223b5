"""A renderer around any diffusers pipeline that takes the scene conditioning (format `diffusers`).

The conditioning is `neuralos.neural.conditioning.build_conditioning(scene, previous)`: float32
maps (C, H, W), C = CONDITIONING_CHANNELS, the previous frame included. A pipeline takes it in one
of two ways, checked when it is loaded:

1. its `__call__` has a `conditioning` argument. It is called as
   `pipe(conditioning=<(1, C, H, W) tensor>, num_inference_steps=steps, generator=g, output_type="np")`
   and `.images[0]` of the result is the frame: (H, W, 3) floats in 0..1 (or uint8, or a PIL image).
2. it has a `unet` whose forward is `unet(sample, timestep).sample` (a `UNet2DModel`) with
   `in_channels == 3 + C` and `out_channels == 3`, and a `scheduler`. The noisy frame and the maps
   are concatenated channel-wise and denoised with the pipeline's own scheduler (its
   `prediction_type` decides what the unet predicts) in `steps` steps. So a researcher can train a
   plain UNet2DModel on our data and ship it as a `DDPMPipeline` folder.
"""
from __future__ import annotations

import inspect

import numpy as np

from neuralos.plugins.loading import LoadFailure
from neuralos.scene import Box, Scene


class PipelineRenderer:
    """`render(scene, previous, regions) -> uint8 (H, W, 3)` with a diffusers pipeline.

    With `previous` and `regions`, only the regions are replaced in a copy of `previous` (the rest
    of the frame stays as it was); otherwise the whole frame is returned.
    """

    def __init__(self, pipeline, steps: int = 4, seed: int = 0):
        from neuralos.neural.conditioning import CONDITIONING_CHANNELS

        self.pipeline, self.steps, self.seed = pipeline, steps, seed
        self.channels = CONDITIONING_CHANNELS
        name = type(pipeline).__name__
        if "conditioning" in inspect.signature(pipeline.__call__).parameters:
            self.mode = "call"
            return
        unet, scheduler = getattr(pipeline, "unet", None), getattr(pipeline, "scheduler", None)
        if unet is None or scheduler is None:
            raise LoadFailure(f"{name} does not take the scene conditioning: its __call__ has no "
                              "`conditioning` argument and it has no unet and scheduler")
        cfg = unet.config
        want = 3 + CONDITIONING_CHANNELS
        if cfg.get("in_channels") != want or cfg.get("out_channels") != 3:
            raise LoadFailure(f"{name} does not take the scene conditioning: its __call__ has no "
                              f"`conditioning` argument and its unet maps {cfg.get('in_channels')} -> "
                              f"{cfg.get('out_channels')} channels, not {want} -> 3 "
                              f"(frame + {CONDITIONING_CHANNELS} conditioning maps -> frame)")
        self.mode = "unet"

    def render(self, scene: Scene, previous: np.ndarray | None = None,
               regions: list[Box] | None = None) -> np.ndarray:
        import torch

        from neuralos.neural.conditioning import build_conditioning

        cond = torch.from_numpy(build_conditioning(scene, previous))[None]        # (1, C, H, W)
        generator = torch.Generator("cpu").manual_seed(self.seed)
        with torch.inference_mode():
            frame = self._call(cond, generator) if self.mode == "call" else self._sample(cond, generator)
        frame = _to_uint8(frame, scene.height, scene.width)
        if previous is None or not regions:
            return frame
        out = np.array(previous, dtype=np.uint8, copy=True)
        canvas = Box(0, 0, scene.width, scene.height)
        for region in regions:
            r = region.intersect(canvas)
            if r is not None:
                out[r.y:r.bottom, r.x:r.right] = frame[r.y:r.bottom, r.x:r.right]
        return out

    def _call(self, cond, generator):
        result = self.pipeline(conditioning=cond.to(self.pipeline.device), num_inference_steps=self.steps,
                               generator=generator, output_type="np")
        images = result.images if hasattr(result, "images") else result[0]
        return images[0]

    def _sample(self, cond, generator):
        import copy

        import torch
        import torch.nn.functional as F

        unet = self.pipeline.unet
        scheduler = copy.deepcopy(self.pipeline.scheduler)  # step() keeps state; renders may overlap
        scheduler.set_timesteps(self.steps)
        _, _, h, w = cond.shape
        m = 2 ** (len(unet.config.get("block_out_channels", (0,))) - 1)
        cond = F.pad(cond, (0, (-w) % m, 0, (-h) % m), mode="replicate").to(unet.device, unet.dtype)
        x = torch.randn((1, 3, *cond.shape[-2:]), generator=generator).to(unet.device, unet.dtype)
        x = x * getattr(scheduler, "init_noise_sigma", 1.0)
        seeded = {"generator": generator} if "generator" in inspect.signature(scheduler.step).parameters else {}
        for t in scheduler.timesteps:
            inp = scheduler.scale_model_input(x, t)
            out = unet(torch.cat([inp, cond], dim=1), t).sample
            x = scheduler.step(out, t, x, **seeded).prev_sample
        x = x[0, :, :h, :w].float().cpu()
        return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()


def _to_uint8(frame, height: int, width: int) -> np.ndarray:
    """A (H, W, 3) uint8 array from a pipeline's image (floats 0..1, uint8 or PIL); checked."""
    a = np.asarray(frame)
    if a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.floating):
            raise ValueError(f"the pipeline returned a {a.dtype} image, not floats or uint8")
        if not np.isfinite(a).all():
            raise ValueError("the pipeline returned non-finite pixels")
        a = (np.clip(a, 0.0, 1.0) * 255).round().astype(np.uint8)
    if a.shape != (height, width, 3):
        raise ValueError(f"the pipeline returned an image of shape {a.shape}, not ({height}, {width}, 3)")
    return a
