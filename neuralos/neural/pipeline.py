"""UIRenderPipeline: conditioning maps -> frames, with a UIRendererModel and a diffusers scheduler.

A standard diffusers pipeline folder (`model_index.json`, `model/`, `scheduler/`), so a trained renderer
is an ordinary plugin folder:

    pipe = UIRenderPipeline(model=UIRendererModel(), scheduler=default_scheduler())
    frames = pipe(conditioning, num_inference_steps=25, generator=torch.Generator().manual_seed(0)).frames
    pipe.save_pretrained("models/my-renderer")          # safetensors
    pipe = UIRenderPipeline.from_pretrained("models/my-renderer", local_files_only=True)

The teacher samples with DDIM (deterministic, eta = 0) at 25+ steps; the distilled student uses the same
scheduler class at 1-2 steps ("trailing" spacing, so its first step starts from pure noise at t = T-1).
`default_num_inference_steps` (in model_index.json) records how many steps the folder's model wants;
`context_margin` (optional) how many pixels of context a dirty region needs for this trained model to paint
it as it paints the whole frame (measured by `neuralos bench`; without it, the model's receptive field).
"""
from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DiffusionPipeline
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor

from neuralos.neural.model import UIRendererModel

NUM_TRAIN_TIMESTEPS = 1000
BETA_SCHEDULE = "squaredcos_cap_v2"


def default_scheduler(num_train_timesteps: int = NUM_TRAIN_TIMESTEPS) -> DDIMScheduler:
    """The sampling scheduler: DDIM, x0 ("sample") prediction, trailing timesteps, final alpha 1."""
    return DDIMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=BETA_SCHEDULE,
                         prediction_type="sample", clip_sample=True, clip_sample_range=1.0,
                         set_alpha_to_one=True, steps_offset=0, timestep_spacing="trailing")


def training_scheduler(num_train_timesteps: int = NUM_TRAIN_TIMESTEPS) -> DDPMScheduler:
    """The forward (noising) process used in training: the same betas as `default_scheduler`."""
    return DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=BETA_SCHEDULE,
                         prediction_type="sample", clip_sample=True, clip_sample_range=1.0)


@dataclass
class UIRenderPipelineOutput(BaseOutput):
    """`frames`: (B, H, W, 3) floats in 0..1 ("np"), uint8 ("uint8"), (B, 3, H, W) in 0..1 ("pt"),
    (B, 3, H, W) in [-1, 1] unclamped ("raw") or a list of PIL images ("pil")."""

    frames: np.ndarray | torch.Tensor | list

    @property
    def images(self):
        """Alias of `frames`, the name other diffusers image pipelines use."""
        return self.frames


class UIRenderPipeline(DiffusionPipeline):
    """Denoise a frame from noise under the scene's conditioning maps (`neuralos.neural.conditioning`)."""

    model_cpu_offload_seq = "model"

    def __init__(self, model: UIRendererModel, scheduler: DDIMScheduler, default_num_inference_steps: int = 25,
                 context_margin: int | None = None):
        super().__init__()
        self.register_modules(model=model, scheduler=scheduler)
        self.register_to_config(default_num_inference_steps=int(default_num_inference_steps),
                                context_margin=None if context_margin is None else int(context_margin))

    @torch.no_grad()
    def __call__(self, conditioning: torch.Tensor | np.ndarray, num_inference_steps: int | None = None,
                 generator: torch.Generator | list[torch.Generator] | None = None,
                 noise: torch.Tensor | None = None, output_type: str = "np", return_dict: bool = True,
                 eta: float = 0.0) -> UIRenderPipelineOutput | tuple:
        """Render frames from conditioning maps (C, H, W) or (B, C, H, W).

        `noise` (B, 3, H, W) replaces the generator's starting noise (the renderer passes crops of one
        fixed full-frame noise so that dirty regions and whole frames agree). DDIM with eta = 0 is
        deterministic: the same conditioning, steps and seed give the same frame.
        """
        model = self.model
        cond = torch.as_tensor(np.ascontiguousarray(conditioning) if isinstance(conditioning, np.ndarray)
                               else conditioning)
        if cond.ndim == 3:
            cond = cond[None]
        if cond.ndim != 4 or cond.shape[1] != model.config.conditioning_channels:
            raise ValueError(f"conditioning must be (B, {model.config.conditioning_channels}, H, W), "
                             f"not {tuple(cond.shape)}")
        steps = int(num_inference_steps or self.config.default_num_inference_steps)
        if steps < 1:
            raise ValueError("num_inference_steps must be at least 1")
        # _execution_device walks every module for offload hooks (1-2 ms, a tenth of a small dirty region's
        # render): asked only when the model has one (enable_model_cpu_offload), else the model's own device.
        device = self._execution_device if getattr(model, "_hf_hook", None) is not None else model.device
        dtype = model.dtype
        cond = cond.to(device=device, dtype=dtype)
        b, _, h, w = cond.shape
        shape = (b, model.config.sample_channels, h, w)
        if noise is None:
            x = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
        else:
            if tuple(noise.shape) != shape:
                raise ValueError(f"noise must be {shape}, not {tuple(noise.shape)}")
            x = noise.to(device=device, dtype=dtype)

        progress = self.progress_bar(total=steps) if steps > 4 else None
        x = denoise(model, self.scheduler, x, cond, steps, eta=eta, generator=generator,
                    callback=progress.update if progress is not None else None)[0]
        if progress is not None:
            progress.close()

        frames = _convert(x, output_type)
        if not return_dict:
            return (frames,)
        return UIRenderPipelineOutput(frames=frames)


def denoise(model, scheduler, x: torch.Tensor, cond: torch.Tensor, num_inference_steps: int, eta: float = 0.0,
            generator=None, callback=None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The sampling loop: (final frame in [-1, 1], the model's x0 prediction at every step).

    Shared by the pipeline (under no_grad) and by distillation (with gradients through the student's steps),
    so what the student is trained on is exactly what the pipeline runs. `scheduler` is copied, not changed.
    """
    scheduler = copy.deepcopy(scheduler)  # step() keeps state: concurrent renders must not share it
    scheduler.set_timesteps(num_inference_steps, device=x.device)
    x = x * scheduler.init_noise_sigma
    step_params = inspect.signature(scheduler.step).parameters
    extra = {k: v for k, v in (("eta", eta), ("generator", generator)) if k in step_params}
    x0s = []
    for t in scheduler.timesteps:
        x0 = model(scheduler.scale_model_input(x, t), t, cond).sample
        x0s.append(x0)
        x = scheduler.step(x0, t, x, **extra).prev_sample
        if callback is not None:
            callback()
    return x, x0s


def _convert(x: torch.Tensor, output_type: str) -> np.ndarray | torch.Tensor | list:
    if output_type == "raw":
        return x
    if not torch.isfinite(x).all():
        raise FloatingPointError("the model produced non-finite pixels")
    img = ((x.float() + 1) / 2).clamp(0, 1)                                     # (B, 3, H, W) in 0..1
    if output_type == "pt":
        return img
    arr = img.permute(0, 2, 3, 1).cpu().numpy()                                 # (B, H, W, 3)
    if output_type == "np":
        return arr
    if output_type == "uint8":
        return to_uint8(arr)
    if output_type == "pil":   # through to_uint8: diffusers' numpy_to_pil rounds ties and float32 edges otherwise
        from PIL import Image
        return [Image.fromarray(a) for a in to_uint8(arr)]
    raise ValueError(f"output_type must be np, uint8, pt, raw or pil, not {output_type!r}")


def to_uint8(frames01):
    """Floats in 0..1 -> uint8 (round to nearest), the one conversion used everywhere: a numpy array, or a
    tensor converted where it is (on a GPU, so that a quarter of the bytes cross to the host), the same bits."""
    if isinstance(frames01, torch.Tensor):
        return (frames01.clamp(0.0, 1.0) * 255 + 0.5).to(torch.uint8)
    return (np.clip(frames01, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
