"""UIRendererModel: the conditional denoiser of the neural renderer.

One small, fully convolutional network that predicts the clean frame x0 (the "sample" parameterisation)
from a noisy frame x_t, the timestep t and the per-pixel conditioning maps of `neuralos.neural.conditioning`:

    x_t (3) ── pixel-unshuffle x4 ───────────────────────────┐   (3·16, H/4, W/4): the noisy frame, losslessly
    conditioning (C) ── 1x1 conv `stem` (S) ── unshuffle x4 ──┤   (S·16): per-pixel detail (glyphs, edges)
    conditioning (C) ── avg-pool x4 ── 1x1 `pool_proj` (P) ───┤   (P): what each 4x4 patch is (roles, states, theme)
                                                              v
                               diffusers UNet2DModel at H/4 x W/4 (timestep embedding; no attention,
                               per-pixel group norm) -> (3+F)·16 -> pixel-shuffle x4
                                  coarse x0 (3) ++ features (F)          full resolution again
    conditioning (C) ── 1x1 conv `refine_stem` (R) ──┤
                         3x3 conv ─ SiLU ─ 3x3 conv   "refinement": sees the full-resolution conditioning, so
                                  │                   glyph edges and 1-px borders land exactly
                                  │                   (`refine_blocks` residual 3x3 pairs in between, optional)
                         x0 = coarse + refinement
                         (palette head, optional: x0 += Σ_k g_k (theme colour_k - x0) after the preconditioning,
                          g = 1x1 conv of the refinement's hidden features, colours = the theme planes;
                          fixed palette colours, optional: the same blend towards constant colours, e.g. white;
                          steered gates, optional: on the pixels that one of `steered_maps` names, a small MLP
                          of the hidden features and the maps there adds to the gate logits)

The conditioning is never mixed with x_t before the UNet: at large t x_t is pure noise, and a narrow stem
shared by both would bury the maps under it. Only the UNet, which knows t, sees x_t, so the refinement
(which has no timestep input) never has to guess whether x_t is signal or noise.

Why these choices:
- pixel-unshuffle puts the expensive UNet at 1/16 of the pixels; the refinement convs are the only
  full-resolution 3x3 work, so a 1024x768 frame stays within a CPU budget.
- a small receptive field (two UNet levels: about 120 px each way): what a UI pixel looks like depends on
  its own boxes, states, glyphs and theme, all present locally in the maps, so a 256-px training crop
  shows the model the same kind of context a whole frame does, and a dirty region needs little margin.
- no attention and no image-wide statistics: diffusers' ResnetBlock2D normalises with GroupNorm, whose
  statistics span the whole image. A model trained on crops and applied to whole frames (or to dirty
  regions with a context margin) must give the same pixels in both cases, so every GroupNorm is swapped for
  `PixelGroupNorm` (the same parameters, statistics taken per pixel over the channels of each group).
  The network is then a pure function of a local window (its receptive field), like a plain conv net.
- x0 prediction with EDM preconditioning (x0 = c_skip x_t + c_out F(c_in x_t), Karras et al. 2022): at small t
  the network only corrects x_t, so more sampling steps do refine the frame; at large t it paints from the maps.
  `sigma_data` is not the frames' spread (about 0.5) but how far x0 may be from what the maps alone predict
  (0.1): c_skip is then the Bayes-optimal weight of x_t against that prediction, large only for the last few
  steps (t < 80). With 0.5 the network has to cancel the noise in x_t pixel by pixel at mid t, which the
  x4 unshuffle bottleneck cannot carry, and 25 DDIM steps came out worse than one.
- the palette head (`palette_head=True`): the theme's background, foreground and primary colours are per-pixel
  planes of the maps (primary differs per window), but a UNet that sees them only through 1x1 mixes and 4x4
  averages learns "this pixel is primary-coloured" long before it learns to *copy* an arbitrary colour, and
  painted the shipped student's teal and purple buttons in the commonest blue. The head only decides how much of
  each theme colour a pixel is (gates g_k, zero-initialised: a model gains the head without changing its output)
  and takes the colour itself from the maps.
- fixed palette colours (`palette_colors`, e.g. white and black): text on primary fills and the tick of a checked
  box are the theme's `on_primary`, white or black by the primary's contrast, which no theme plane carries; the
  network painted them from its coarse path, soft and a little grey. Gates of their own (zero-initialised too)
  blend those constants in exactly where the network says so.
- steered gates (`steered_maps`: conditioning channel names, or several joined by "&" for the pixels where all of
  them are set, e.g. ("role:check.indicator", "state:pressed", "role:CheckBox&state:focused")): a held-down
  checked box is its primary darkened by 15 % black, and its focus ring sits 2 px outside it; both are a few
  hundred pixels in a million, and training the whole network on them moves nothing (the gradient of every
  other pixel outweighs theirs). A small MLP that runs only on the pixels those maps name, from the
  refinement's features plus the maps there (roles, states, edges, theme: so "checked and pressed indicator" is
  one product of inputs away), adds to the gate logits. Not the previous frame's pixels: an MLP that read them
  painted unchecked boxes green after a window move, whose previous frame shows something else there. Its
  last layer starts at zero (a model gains it without a change) and its weights learn from those pixels alone;
  on a frame it costs little, since it skips every other pixel. Narrow sets work best: on whole check box rows
  (their labels included) it spent itself on glyph edges, which it cannot fix, and barely learned the fill.
- refinement blocks (`refine_blocks`, default 0): residual pairs of 3x3 convs, `refine_channels` wide, on the
  refinement's hidden features, the last conv zero-initialised, so a trained model gains them without a change.
  What is left of the error is at 1-2 px lines and the rounded corners of small boxes, which the coarse path
  cannot place and one 5x5 full-resolution layer places only roughly; each block reaches 2 px further each way
  (about 10 % more multiply-adds a pixel).
- x0 prediction: with conditioning this strong the clean frame is nearly determined by the scene, and an
  x0 model stays well-behaved at 1-2 sampling steps, which the step-distilled student needs.

Any size works: inputs are padded (replicate) to a multiple of `size_multiple` and cropped back.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers import ModelMixin, UNet2DModel
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.utils import BaseOutput
from torch import nn

from neuralos.neural.conditioning import (CONDITIONING_CHANNEL_NAMES, CONDITIONING_CHANNELS, PREVIOUS_SLICE, THEME_KEYS,
                                         THEME_SLICE)
from neuralos.scene import MODEL_FORMAT_VERSION

_BAND_ELEMENTS = 1 << 20   # a band of the maps per stem matmul: 4 MiB of float32, within the CPU cache
_REFINE_BAND_ELEMENTS = 1 << 21   # a band of the refinement's features: 8 MiB of float32 (measured best, 1024x768)


@dataclass
class UIRendererModelOutput(BaseOutput):
    """`sample`: the predicted clean frame x0, (B, 3, H, W), roughly in [-1, 1]. `gates`: how much of each
    palette colour (`UIRendererModel.gate_colors`) each pixel is, (B, K, H, W); None for a model without a
    palette head or fixed palette colours."""

    sample: torch.Tensor
    gates: torch.Tensor | None = None


class PixelGroupNorm(nn.Module):
    """GroupNorm with per-pixel statistics: normalises each pixel over the channels of its group.

    A drop-in for `nn.GroupNorm` (same `weight`/`bias` names and shapes) whose output at a pixel depends on
    that pixel only, so the network's output does not depend on how large the image or crop is.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"{num_channels} channels do not split into {num_groups} groups")
        self.num_groups, self.num_channels, self.eps = num_groups, num_channels, eps
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu":
            return self._forward_by_reductions(x)
        b, c, h, w = x.shape
        g = self.num_groups
        # In float32 whatever x is: the statistics are more exact (a bf16 model lands 0.8 instead of 1.1 levels
        # from float32). Plain means over the short groups (6-18 channels), not layer_norm: PyTorch's CPU
        # layer_norm is slow on rows this short, 10 against 5 ms for 48 channels at 256x192 (2-core EPYC).
        y = x.permute(0, 2, 3, 1).float().reshape(b, h, w, g, c // g)            # (B, H, W, G, C/G)
        y = y - y.mean(-1, keepdim=True)
        y = (y * torch.rsqrt(y.square().mean(-1, keepdim=True) + self.eps)).reshape(b, h, w, c)  # (B, H, W, C)
        if self.weight is not None:
            y = torch.addcmul(self.bias.float(), y, self.weight.float())
        return y.to(x.dtype).permute(0, 3, 1, 2)                                 # (B, C, H, W)

    def _forward_by_reductions(self, x: torch.Tensor) -> torch.Tensor:
        """The same normalisation as means over the channel groups in place, for GPUs: CUDA's layer_norm over
        rows of 6-12 values took 86 % of a whole frame's forward on an H200 (17.6 ms; 10.6 ms this way)."""
        b, c, h, w = x.shape
        y = x.float().view(b, self.num_groups, c // self.num_groups, h, w)       # (B, G, C/G, H, W)
        mean = y.mean(2, keepdim=True)
        centred = y - mean
        var = centred.square().mean(2, keepdim=True)                             # biased, as layer_norm's
        y = (centred * torch.rsqrt(var + self.eps)).view(b, c, h, w)              # (B, C, H, W)
        if self.weight is not None:
            y = torch.addcmul(self.bias.float()[:, None, None], y, self.weight.float()[:, None, None])
        return y.to(x.dtype)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}"


def _localize_norms(module: nn.Module) -> None:
    """Replace every nn.GroupNorm below `module` by a PixelGroupNorm with the same shape."""
    for name, child in module.named_children():
        if isinstance(child, nn.GroupNorm):
            setattr(module, name, PixelGroupNorm(child.num_groups, child.num_channels, child.eps, child.affine))
        else:
            _localize_norms(child)


class _RefineBlock(nn.Sequential):
    """3x3 conv - SiLU - 3x3 conv at full resolution, added to its input; zero at first (the second conv)."""

    def __init__(self, channels: int):
        super().__init__(nn.Conv2d(channels, channels, 3, padding=1), nn.SiLU(),
                         nn.Conv2d(channels, channels, 3, padding=1))
        nn.init.zeros_(self[-1].weight)
        nn.init.zeros_(self[-1].bias)


def _palette_tensor(colors) -> torch.Tensor:
    """(K, 3) float32 in [-1, 1] from "#rrggbb" strings; a clear error for anything else."""
    out = []
    for c in colors:
        if not (isinstance(c, str) and len(c) == 7 and c[0] == "#"):
            raise ValueError(f"palette_colors: {c!r} is not a #rrggbb colour")
        try:
            out.append([int(c[i:i + 2], 16) / 127.5 - 1 for i in (1, 3, 5)])
        except ValueError:
            raise ValueError(f"palette_colors: {c!r} is not a #rrggbb colour") from None
    return torch.tensor(out, dtype=torch.float32)


class UIRendererModel(ModelMixin, ConfigMixin):
    """Conditional x0-predicting denoiser (see the module docstring for the architecture).

    forward(sample (B,3,H,W) noisy frame, timestep (B,) or scalar, conditioning (B,C,H,W)) -> x0 (B,3,H,W).
    """

    config_name = "config.json"
    _supports_gradient_checkpointing = False

    @register_to_config
    def __init__(
        self,
        conditioning_channels: int = CONDITIONING_CHANNELS,
        sample_channels: int = 3,
        unshuffle: int = 4,
        stem_channels: int = 4,
        block_out_channels: tuple[int, ...] = (48, 96),
        layers_per_block: int = 1,
        norm_num_groups: int = 8,
        feature_channels: int = 5,
        refine_stem_channels: int = 8,
        refine_channels: int = 16,
        refine_blocks: int = 0,
        pool_channels: int = 32,
        num_train_timesteps: int = 1000,
        beta_schedule: str = "squaredcos_cap_v2",
        sigma_data: float = 0.1,
        palette_head: bool = False,
        palette_colors: tuple[str, ...] = (),
        steered_maps: tuple[str, ...] = (),
        steered_gate_channels: int = 32,
        format_version: int = MODEL_FORMAT_VERSION,
    ):
        super().__init__()
        if format_version != MODEL_FORMAT_VERSION:
            raise ValueError(f"model format {format_version} does not match this build ({MODEL_FORMAT_VERSION}); "
                             "the conditioning maps changed, retrain the model")
        u, n = unshuffle, len(block_out_channels)
        self.stem = nn.Conv2d(conditioning_channels, stem_channels, 1)
        self.refine_stem = nn.Conv2d(conditioning_channels, refine_stem_channels, 1)
        # The maps averaged over each 4x4 patch, projected: what a patch is (roles, states, theme) at the
        # UNet's resolution, which a few per-pixel stem channels cannot carry for 43 roles.
        self.pool_proj = nn.Conv2d(conditioning_channels, pool_channels, 1)
        self.unet = UNet2DModel(
            in_channels=(sample_channels + stem_channels) * u * u + pool_channels,
            out_channels=(sample_channels + feature_channels) * u * u,
            down_block_types=("DownBlock2D",) * n,
            up_block_types=("UpBlock2D",) * n,
            block_out_channels=tuple(block_out_channels),
            layers_per_block=layers_per_block,
            norm_num_groups=norm_num_groups,
            add_attention=False,
            time_embedding_type="positional",
            flip_sin_to_cos=True,
            freq_shift=0,
            resnet_time_scale_shift="scale_shift",   # t scales features, so noise can be gated out at large t
        )
        _localize_norms(self.unet)
        r_in = sample_channels + feature_channels + refine_stem_channels
        self.refine = nn.Sequential(
            nn.Conv2d(r_in, refine_channels, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(refine_channels, sample_channels, 3, padding=1),
        )
        nn.init.zeros_(self.refine[-1].weight)  # starts as the identity on the coarse prediction
        nn.init.zeros_(self.refine[-1].bias)
        self.refinement_blocks = nn.ModuleList(_RefineBlock(refine_channels) for _ in range(refine_blocks))
        if palette_head:
            self.palette_gate = nn.Conv2d(refine_channels, len(THEME_KEYS), 1)
            nn.init.zeros_(self.palette_gate.weight)   # no palette at first: the same output as without the head
            nn.init.zeros_(self.palette_gate.bias)
        if palette_colors:
            self.fixed_gate = nn.Conv2d(refine_channels, len(palette_colors), 1)
            nn.init.zeros_(self.fixed_gate.weight)     # as the palette head: a model gains them without a change
            nn.init.zeros_(self.fixed_gate.bias)
            self.register_buffer("fixed_colors", _palette_tensor(palette_colors), persistent=False)   # (K, 3)
        if steered_maps:
            names = [[m.strip() for m in entry.split("&")] for entry in steered_maps]
            maps = CONDITIONING_CHANNEL_NAMES[:PREVIOUS_SLICE.start]
            unknown = [m for entry in names for m in entry if m not in maps]
            if unknown:
                raise ValueError(f"steered_maps: {', '.join(map(repr, unknown))} not a map of the conditioning "
                                 "(role:<ROLE>, state:<STATE>, value, edge:*, glyph, theme:*)")
            n_gates = (len(THEME_KEYS) if palette_head else 0) + len(palette_colors)
            if not n_gates:
                raise ValueError("steered_maps needs gates to steer: a palette head or palette colours")
            self._steering = [[CONDITIONING_CHANNEL_NAMES.index(m) for m in entry] for entry in names]
            self.steered_gate = nn.Sequential(
                nn.Linear(refine_channels + PREVIOUS_SLICE.start, steered_gate_channels), nn.SiLU(),
                nn.Linear(steered_gate_channels, n_gates))
            nn.init.zeros_(self.steered_gate[-1].weight)   # as the other gates: a model gains it without a change
            nn.init.zeros_(self.steered_gate[-1].bias)
        # The noise schedule the model is trained under, for the preconditioning (not saved: from the config).
        from diffusers import DDPMScheduler
        alphas = DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=beta_schedule).alphas_cumprod
        self.register_buffer("alphas_cumprod", alphas.float().clone(), persistent=False)

    def preconditioning(self, timestep: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c_in, c_skip, c_out), each (B, 1, 1, 1), for x_t = a x0 + s eps at `timestep` (Karras et al. 2022,
        EDM, in variance-preserving form): x0 = c_skip x_t + c_out F(c_in x_t). Near t = 0 the network only
        corrects x_t; near t = T, c_skip -> 0 and it paints from the conditioning alone."""
        t = timestep.to(self.alphas_cumprod.device).round().long().clamp(0, len(self.alphas_cumprod) - 1)
        ab = self.alphas_cumprod[t].view(-1, 1, 1, 1)
        sd2 = self.config.sigma_data ** 2
        norm = ab * sd2 + (1 - ab)
        return norm.rsqrt(), ab.sqrt() * sd2 / norm, (1 - ab).sqrt() * self.config.sigma_data / norm.sqrt()

    @property
    def size_multiple(self) -> int:
        """Height and width are padded up to a multiple of this (unshuffle x UNet downsampling)."""
        return self.config.unshuffle * 2 ** (len(self.config.block_out_channels) - 1)

    def _read_conditioning(self, conditioning: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two 1x1 stems (as one matmul) and the 4x4 average of the maps, in one pass over the maps.

        The maps are the largest tensor of the forward pass (C floats a pixel) and these are memory-bound, so
        they run over bands of rows small enough to stay in the CPU cache: the matmul and the pool then read
        each band once from memory instead of the whole maps twice (2x faster at 1024x768 on one core). A GPU
        reads them in one go.
        """
        cfg = self.config
        b, c, h, w = conditioning.shape
        dtype = self.stem.weight.dtype
        S, R, u = cfg.stem_channels, cfg.refine_stem_channels, cfg.unshuffle
        weight = torch.cat([self.stem.weight.view(S, c), self.refine_stem.weight.view(R, c)]).to(dtype)[None]
        bias = torch.cat([self.stem.bias, self.refine_stem.bias]).to(dtype)[None, :, None]
        rows = max(u, _BAND_ELEMENTS // max(1, b * c * w) // u * u) if conditioning.device.type == "cpu" else h
        stems, pools = [], []
        for y in range(0, h, rows):
            band = conditioning[:, :, y:y + rows].to(dtype)                       # (B, C, rows, W), a view
            n = band.shape[2]
            stems.append(torch.baddbmm(bias, weight.expand(b, -1, -1), band.reshape(b, c, n * w)).view(b, -1, n, w))
            pools.append(F.avg_pool2d(band, u, ceil_mode=True))
        if len(stems) == 1:
            return stems[0], pools[0]
        return torch.cat(stems, 2), torch.cat(pools, 2)

    @staticmethod
    def _apply_palette(x0: torch.Tensor, gates: torch.Tensor, conditioning: torch.Tensor) -> torch.Tensor:
        """x0 + Σ_k g_k (colour_k - x0), colour_k = 2 theme_k - 1 the theme plane k at each pixel in [-1, 1].

        Written as x0 (1 - G) - G + Σ_k 2 g_k theme_k (G = Σ_k g_k), reading the planes in place: one pass over
        3-channel tensors per colour instead of (B, K, 3, H, W) temporaries (a whole frame is 786 k pixels).
        """
        g = gates.to(x0.dtype)                                                    # (B, K, H, W)
        total = g.sum(1, keepdim=True)                                            # (B, 1, H, W)
        out = x0 * (1 - total) - total                                            # (B, 3, H, W)
        start = THEME_SLICE.start
        for k in range(len(THEME_KEYS)):
            theme = conditioning[:, start + 3 * k:start + 3 * k + 3].to(x0.dtype)  # (B, 3, H, W), a view
            out.addcmul_(2 * g[:, k:k + 1], theme)
        return out

    @staticmethod
    def _apply_fixed(x0: torch.Tensor, gates: torch.Tensor, colors: torch.Tensor) -> torch.Tensor:
        """x0 + Σ_k g_k (colour_k - x0) for constant colours (K, 3) in [-1, 1]: x0 (1 - G) + Σ_k g_k colour_k."""
        g = gates.to(x0.dtype)                                                    # (B, K, H, W)
        out = x0 * (1 - g.sum(1, keepdim=True))                                   # (B, 3, H, W)
        return out + torch.einsum("bkhw,kc->bchw", g, colors.to(x0.dtype))

    def gate_colors(self, conditioning: torch.Tensor) -> torch.Tensor | None:
        """The colours the output's `gates` blend towards at each pixel, (B, K, 3, H, W) in [-1, 1], in the gates'
        order: the theme planes (palette head), then the fixed palette colours; None when the model has neither."""
        b, _, h, w = conditioning.shape
        parts = []
        if self.config.palette_head:
            theme = conditioning[:, THEME_SLICE.start:THEME_SLICE.start + 3 * len(THEME_KEYS)].float()
            parts.append(theme.reshape(b, len(THEME_KEYS), 3, h, w) * 2 - 1)
        if self.config.palette_colors:
            parts.append(self.fixed_colors.to(conditioning.device)[None, :, :, None, None].expand(b, -1, -1, h, w))
        return torch.cat(parts, 1) if parts else None

    def _steer_gates(self, gate: torch.Tensor, hidden: torch.Tensor, conditioning: torch.Tensor, y: int,
                     dense: bool = False) -> torch.Tensor:
        """`gate` (B, G, n, W') plus the steered gate's logits on its pixels that `steered_maps` names;
        the rows are y.. of the frame (rows of padding below it are cropped later, so they are left alone).

        On a CPU the MLP runs on those pixels alone (gathered); `dense` (any other device) runs it on every
        pixel and masks the result: no shape that depends on the data, so a CUDA graph can hold it."""
        h, w = conditioning.shape[-2:]
        n = min(gate.shape[2], h - y)
        if n <= 0:
            return gate
        maps = conditioning[:, :PREVIOUS_SLICE.start, y:y + n, :w]                # (B, M, n, w), a view
        level = None   # per pixel, the largest over entries of the smallest of an entry's maps: > 0 where steered
        for entry in self._steering:
            m = maps[:, entry[0]] if len(entry) == 1 else maps[:, entry].amin(1)   # (B, n, w)
            level = m if level is None else torch.maximum(level, m)
        steered = level > 0                                                       # (B, n, w)
        dtype = self.steered_gate[0].weight.dtype
        if dense:
            x = torch.cat([hidden[:, :, :n, :w].to(dtype), maps.to(dtype)], 1).permute(0, 2, 3, 1)  # (B, n, w, ..)
            delta = (self.steered_gate(x) * steered[..., None]).permute(0, 3, 1, 2).to(gate.dtype)  # (B, G, n, w)
            return gate + F.pad(delta, (0, gate.shape[3] - w, 0, gate.shape[2] - n))
        b, r, c = steered.nonzero(as_tuple=True)                                   # N pixels
        if not len(b):
            return gate
        x = torch.cat([hidden[b, :, r, c].to(dtype), maps[b, :, r, c].to(dtype)], 1)  # (N, refine + M)
        delta = self.steered_gate(x).to(gate.dtype)                                    # (N, G)
        return gate.permute(0, 2, 3, 1).index_put((b, r, c), delta, accumulate=True).permute(0, 3, 1, 2)

    def _refinement(self, z: torch.Tensor, s_r: torch.Tensor, dtype: torch.dtype, features: torch.dtype | None = None,
                    conditioning: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The full-resolution part: (coarse + correction (B, 3, H', W'), gate logits (B, 3+K, H', W') or None),
        from the pixel-shuffled UNet output z (B, 3+F, H', W') and the refinement stem s_r (B, R, H', W');
        `conditioning` (B, C, H, W) for the steered gates.
        `features`: a lower precision for the convolutions (CPU autocast only); the coarse frame it corrects, the
        sum and the gate logits stay in `dtype`.

        On a CPU without autograd it runs over bands of rows with a halo of one row per 3x3 layer, so the
        16-channel features of a whole frame (50 MB) never leave the cache; the kept rows are exactly those of
        one pass (a conv's zero padding at a band's edge reaches only into the halo)."""
        ns, h = self.config.sample_channels, z.shape[-2]
        rows = h
        if z.device.type == "cpu" and not torch.is_grad_enabled():
            rows = max(8, _REFINE_BAND_ELEMENTS // max(1, z.shape[0] * self.config.refine_channels * z.shape[-1]))
        halo = 2 + 2 * len(self.refinement_blocks) if rows < h else 0
        heads = [m for m in (getattr(self, "palette_gate", None), getattr(self, "fixed_gate", None)) if m is not None]
        outs, gates = [], []
        for y in range(0, h, rows):
            a, b = max(0, y - halo), min(h, y + rows + halo)
            coarse = z[:, :ns, a:b].to(dtype)                                    # (B, 3, n, W')
            r_in = torch.cat([coarse, F.silu(z[:, ns:, a:b]).to(dtype), F.silu(s_r[:, :, a:b]).to(dtype)], 1)
            keep = slice(y - a, y - a + min(rows, h - y))
            with torch.autocast("cpu", dtype=features or dtype, enabled=features is not None):
                hidden = self.refine[1](self.refine[0](r_in.contiguous(memory_format=torch.channels_last)))
                for block in self.refinement_blocks:
                    hidden = hidden + block(hidden)                              # (B, refine, n, W')
                correction = self.refine[2](hidden)                              # (B, 3, n, W')
                gate = torch.cat([head(hidden[:, :, keep]) for head in heads], 1) if heads else None
            outs.append((coarse + correction.to(dtype))[:, :, keep])
            if heads:
                gate = gate.to(dtype)
                if self.config.steered_maps:
                    gate = self._steer_gates(gate, hidden[:, :, keep], conditioning, y, z.device.type != "cpu")
                gates.append(gate)
        if len(outs) == 1:
            return outs[0], (gates[0] if heads else None)
        return torch.cat(outs, 2), (torch.cat(gates, 2) if heads else None)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor | float | int, conditioning: torch.Tensor,
                return_dict: bool = True) -> UIRendererModelOutput | tuple:
        cfg = self.config
        b, _, h, w = sample.shape
        if conditioning.shape[0] != b or conditioning.shape[-2:] != (h, w):
            raise ValueError(f"conditioning {tuple(conditioning.shape)} does not match sample {tuple(sample.shape)}")
        if conditioning.shape[1] != cfg.conditioning_channels:
            raise ValueError(f"conditioning has {conditioning.shape[1]} channels, the model expects "
                             f"{cfg.conditioning_channels}")
        if not torch.is_tensor(timestep):
            timestep = torch.tensor([timestep], device=sample.device)
        timestep = timestep.reshape(-1).expand(b) if timestep.numel() == 1 else timestep.reshape(b)

        dtype = self.stem.weight.dtype
        S, R, u = cfg.stem_channels, cfg.refine_stem_channels, cfg.unshuffle
        c_in, c_skip, c_out = (c.to(dtype=dtype) for c in self.preconditioning(timestep))
        stem, pooled = self._read_conditioning(conditioning)           # (B, S+R, H, W), (B, C, ⌈H/4⌉, ⌈W/4⌉)
        x_t = (c_in * sample.to(dtype)).to(stem.dtype)                   # (B, 3, H, W)
        m = self.size_multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:   # replicate-padding the pointwise stem equals stemming a replicate-padded input
            stem = F.pad(stem, (0, pw, 0, ph), mode="replicate")         # (B, S+R, H', W')
            x_t = F.pad(x_t, (0, pw, 0, ph), mode="replicate")
        s_u, s_r = stem.split([S, R], dim=1)
        pooled = F.silu(self.pool_proj(pooled))                          # (B, P, ⌈H/4⌉, ⌈W/4⌉)
        if pooled.shape[-2:] != (stem.shape[-2] // u, stem.shape[-1] // u):
            pooled = F.pad(pooled, (0, stem.shape[-1] // u - pooled.shape[-1],
                                    0, stem.shape[-2] // u - pooled.shape[-2]), mode="replicate")
        z = torch.cat([F.pixel_unshuffle(x_t, u), F.pixel_unshuffle(F.silu(s_u), u), pooled], 1)  # (B, (3+S)·16+P, ..)
        z = self.unet(z.contiguous(memory_format=torch.channels_last), timestep).sample  # (B, (3+F)·16, ..)
        z = F.pixel_shuffle(z, u)                                                # (B, 3+F, H', W')
        # The output stays in full precision. Under CPU autocast (bf16, where the CPU has it natively) the
        # refinement's full-resolution convolutions run in bf16 too: in float32 they were a sixth of a forward on
        # AMX, and bf16 moves the frame by at most 2-3 levels (mean 0.1-0.15; docs/performance.md run O).
        features = torch.get_autocast_dtype("cpu") if z.device.type == "cpu" and torch.is_autocast_enabled("cpu") \
            else None
        with torch.autocast(z.device.type, enabled=False):
            x0, gates = self._refinement(z, s_r, dtype, features, conditioning)   # (B, 3, H', W'), (B, 3+K, ..)
            x0 = c_skip.float() * sample.float() + c_out.float() * x0[:, :, :h, :w]   # (B, 3, H, W)
            if gates is not None:
                gates = gates[:, :, :h, :w]                                      # (B, 3+K, H, W)
            if cfg.palette_head:   # after the preconditioning: a gate of 1 gives exactly the theme colour
                x0 = self._apply_palette(x0, gates[:, :len(THEME_KEYS)], conditioning)
            if cfg.palette_colors:
                x0 = self._apply_fixed(x0, gates[:, -len(cfg.palette_colors):], self.fixed_colors)
        x0 = x0.to(dtype).contiguous()
        if not return_dict:
            return (x0,)
        return UIRendererModelOutput(sample=x0, gates=gates)
