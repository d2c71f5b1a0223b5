"""Training: the teacher (`neuralos train teacher`) and its step-distilled student (`neuralos train distill`).

One loop file, one dataclass config, `accelerate` underneath: the same code runs on a 2-core CPU at small
scale and on one or many GPUs (`accelerate launch -m neuralos train teacher ...`, multi-node included).

Teacher
    A UIRendererModel trained from scratch with the standard DDPM objective in its x0 form: sample t uniformly,
    x_t = sqrt(a_t) x0 + sqrt(1 - a_t) eps (cosine schedule), predict x0, minimise ||x0_hat - x0||^2 on
    random crops (the model is fully convolutional and local, so crops train it for any size). AdamW, cosine
    LR with warm-up, EMA of the weights (the EMA weights are what is saved), gradient clipping. The previous
    frame is dropped from a share of the samples (`previous_dropout`) so the model paints without one too.

Student: knowledge distillation of the deterministic DDIM sampler (Luhman & Luhman 2021, "Knowledge
    Distillation in Iterative Generative Models for Improved Sampling Speed"), with a k-step student.
    The student starts as a copy of the teacher; for each crop and noise z the teacher's own multi-step DDIM
    output (`teacher_steps`, 25 by default; no gradients) is the target, and the student's k-step DDIM
    output (k = 1 or 2, trailing timesteps, the exact loop `UIRenderPipeline` runs, gradients through every
    step) is regressed onto it.
    Why this method here: with conditioning this strong the sampler's map from noise to frame is close to a
    function of the scene alone, so the failure mode that made progressive (Salimans & Ho 2022) and consistency
    (Song et al. 2023) distillation necessary for unconditional images - one step cannot fit a highly
    multimodal noise->image map - barely applies, while direct regression has none of their compounding
    errors (no chain of halvings, no self-consistency targets) and optimises exactly what is measured:
    the student's k-step frame against the teacher's 25+-step frame. Its price, a full teacher trajectory
    per sample, is paid without gradients and is modest for a 2-3 M-parameter model. An optional data term
    (`data_weight` * ||student - frame||^2) keeps the student anchored to the reference frames as well.
    When the teacher's long chain drifts (a weak teacher: its 25-step frames worse than its 2-step ones), aim
    at its best sampler instead: the shipped student learns the teacher's 2-step frames in one step (one
    halving, as in progressive distillation) with `data_weight` 4 and `detail_weight` 4.
    Once the student paints better than its teacher (the shipped one is 10 dB closer to the reference frames),
    the teacher term only pulls it back towards the teacher's blur: `teacher_weight` 0 then fine-tunes the
    distilled student (`init`) on the data term alone, at its own step count, and no teacher is loaded.

Output folder (`--out`):
    pipeline/            the EMA model as a UIRenderPipeline folder (a plugin folder; safetensors),
                         refreshed at every checkpoint and at the end, with training.json next to model_index.json
    checkpoints/step-N/  accelerate state (model, optimizer, LR schedule, EMA, RNG) + trainer.json; --resume
    log.jsonl            one line per logged step: step, loss, lr, seconds; and eval lines (PSNR)
"""
from __future__ import annotations

import copy
import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from neuralos.errors import BadInput, first_line
from neuralos.scene import Box

MODES = ("teacher", "distill")


@dataclass
class TrainConfig:
    mode: str = "teacher"                 # teacher | distill
    data: str | list[str] = ""            # shards folder (`neuralos data`), or a list of them
    out: str = "runs/teacher"
    steps: int = 2000                     # optimizer steps (total, including resumed ones)
    batch_size: int = 4
    crop: int = 256                       # square training crops (a multiple of the model's size step)
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    grad_clip: float = 1.0
    ema_decay: float = 0.999              # the EMA's ceiling (it warms up from 0)
    seed: int = 0
    device: str = "auto"                  # auto | cpu | cuda (accelerate launch decides for multi-GPU)
    mixed_precision: str = "no"           # no | bf16 | fp16
    threads: int = 0                      # torch CPU threads (0: torch's default)
    num_workers: int = 0                  # DataLoader worker processes (spawned)
    log_every: int = 10
    checkpoint_every: int = 250
    keep_checkpoints: int = 2
    eval_every: int = 0                   # 0: at checkpoints only
    eval_crops: int = 8
    resume: bool = False
    progress: bool = True
    previous_dropout: float = 0.5         # teacher: share of samples trained without their previous frame
    content_bias: float = 0.8             # crops centred on a component (not bare desktop) this often
    state_bias: float = 0.0               # crops centred on a component in some state (pressed, focused ...) this often
    model: dict = field(default_factory=dict)  # teacher: UIRendererModel kwargs; distill: config changes (a new head)
    sample_steps: int = 25                # teacher: steps its pipeline folder defaults to
    # distillation
    teacher: str = ""                     # teacher pipeline folder (default: runs/teacher/pipeline)
    init: str = ""                        # the student's starting weights, a pipeline folder (default: the teacher)
    teacher_steps: int = 25
    student_steps: int = 2
    teacher_weight: float = 1.0           # distill: weight of the term against the teacher (0: no teacher, fine-tune --init)
    data_weight: float = 0.25
    detail_weight: float = 0.0            # distill: data term weighs the reference's thin detail 1 + this much more
    state_weight: float = 0.0             # distill: ... and components in some state (shards.state_mask) this much more
    component_weight: float = 0.0         # distill: ... and interactive components, any state (shards.component_mask)
    gate_weight: float = 0.0              # distill: weight of the palette-gate term (`gate_loss`)
    grown_lr_scale: float = 10.0          # distill: LR multiplier of the modules --model adds (they start at zero)
    grown_only: bool = False              # distill: train only the modules --model adds; the rest stays --init's

    def validate(self) -> None:
        if self.mode not in MODES:
            raise BadInput(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.steps < 1 or self.batch_size < 1:
            raise BadInput("--steps and --batch-size must be at least 1")
        if self.crop < 16 or self.crop % 16:
            raise BadInput(f"--crop must be a multiple of 16 (at least 16), not {self.crop}")
        if self.mode == "distill" and not 1 <= self.student_steps <= 4:
            raise BadInput("--student-steps must be 1..4")
        if self.mode == "distill" and self.teacher_steps < self.student_steps:
            raise BadInput("--teacher-steps must be at least --student-steps")
        if min(self.data_weight, self.detail_weight, self.state_weight, self.component_weight, self.teacher_weight,
               self.gate_weight) < 0:
            raise BadInput("--teacher-weight, --data-weight, --detail-weight, --state-weight, --component-weight and "
                           "--gate-weight must not be negative")
        if self.mode == "distill" and self.teacher_weight == 0 and (not self.init or self.data_weight == 0):
            raise BadInput("--teacher-weight 0 fine-tunes a distilled student on the reference frames alone: "
                           "it needs --init (that student) and a --data-weight above 0")
        if self.grown_only and not (self.mode == "distill" and self.model):
            raise BadInput("--grown-only trains only the modules --model adds: give --model with a new module")
        if not 0 <= self.state_bias <= 1:
            raise BadInput(f"--state-bias must be 0..1, not {self.state_bias}")


# --- data ----------------------------------------------------------------------------------------------------

class PairDataset:
    """Random crops of in-memory (conditioning (C, H, W) float32, frame (H, W, 3) uint8) pairs.

    The minimal data source (tests, quick experiments); items look like `shards.ShardDataset` items, so
    `shards.collate` batches both.
    """

    def __init__(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]], crop: int, seed: int = 0,
                 length: int | None = None):
        self.pairs = [(np.asarray(c, np.float32), np.asarray(f, np.uint8)) for c, f in pairs]
        if not self.pairs:
            raise BadInput("no training pairs")
        for c, f in self.pairs:
            if c.shape[1:] != f.shape[:2] or f.ndim != 3:
                raise BadInput(f"conditioning {c.shape} and frame {f.shape} are not aligned")
        self.crop, self.seed, self.epoch = crop, seed, 0
        self.length = length or len(self.pairs)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int | tuple[int, int]) -> dict:
        epoch, i = index if isinstance(index, tuple) else (self.epoch, index)
        c, f = self.pairs[i % len(self.pairs)]
        rng = np.random.default_rng([self.seed, epoch, i])
        h, w = f.shape[:2]
        ch, cw = min(self.crop, h), min(self.crop, w)
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        return {"key": f"pair-{i % len(self.pairs)}", "frame": f[y:y + ch, x:x + cw],
                "conditioning": c[:, y:y + ch, x:x + cw], "previous": None, "region": Box(x, y, cw, ch)}


def make_dataset(cfg: TrainConfig, split: str | None = "train", seed_offset: int = 0):
    """The shards at `cfg.data` (one folder, or several as one dataset) as crops (conditioning built per crop)."""
    from neuralos.neural.shards import ShardDataset

    folders = [cfg.data] if isinstance(cfg.data, str) else list(cfg.data)
    for folder in folders or [""]:
        if not folder or not Path(folder).is_dir():
            raise BadInput("training data folder not found (make one with `neuralos data`)", where=folder or "--data")
    return ShardDataset(folders, split=split, crop=(cfg.crop, cfg.crop), seed=cfg.seed + seed_offset,
                        content_bias=cfg.content_bias, state_bias=cfg.state_bias)


class EpochSampler:
    """The indices of a dataset in a shuffled order, each as `(epoch, i)`: a pure function of (seed, epoch).

    The epoch travels with the index, so the dataset draws an epoch's crops in loader processes that live
    across epochs: respawning them each epoch (14 processes, each importing torch and Qt) stalled a GPU run
    for 50-70 s an epoch.
    """

    def __init__(self, n: int, seed: int = 0):
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[tuple[int, int]]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n)
        return iter([(self.epoch, int(i)) for i in order])


def _loader(dataset, cfg: TrainConfig):
    from torch.utils.data import DataLoader

    from neuralos.neural.shards import collate

    kw = {"num_workers": cfg.num_workers}
    if cfg.num_workers > 0:
        kw.update(multiprocessing_context="spawn", persistent_workers=True)
    return DataLoader(dataset, batch_size=cfg.batch_size, sampler=EpochSampler(len(dataset), cfg.seed),
                      drop_last=len(dataset) >= cfg.batch_size, collate_fn=collate, **kw)


def _batches(loader, dataset, start_epoch: int) -> Iterator[tuple[int, dict]]:
    """(epoch, batch) forever; each epoch reseeds the crops and the shuffle (`set_epoch` on the sampler, which
    hands the epoch to the dataset with every index, and on the dataset itself).

    A resumed run starts the epoch after the checkpoint's (the rest of a half-done epoch is skipped).
    """
    epoch = start_epoch
    while True:
        for obj in (dataset, loader, getattr(loader, "sampler", None)):
            if hasattr(obj, "set_epoch"):
                obj.set_epoch(epoch)
        for batch in loader:
            yield epoch, batch
        epoch += 1


def drop_previous(cond, p: float, generator=None):
    """Zero the previous-frame maps (and their flag) of a random share `p` of the batch, in place."""
    import torch

    from neuralos.neural.conditioning import PREVIOUS_FLAG, PREVIOUS_SLICE

    if p <= 0:
        return cond
    drop = torch.rand(cond.shape[0], generator=generator) < p
    if drop.any():
        idx = drop.nonzero().flatten().to(cond.device)
        cond[idx, PREVIOUS_SLICE.start:PREVIOUS_FLAG + 1] = 0.0
    return cond


def grown_model(source, changes: dict) -> tuple:
    """(model, names of its new parameters): a copy of `source` (a UIRendererModel) with its config `changes`
    applied, e.g. {"palette_head": True} or {"refine_blocks": 1}.

    Every weight the two share is copied. Changes may only *add* modules that start as no-ops (zero gates, a
    residual block whose last conv is zero), so the new model paints exactly what `source` paints, which is
    checked on a random input; anything else (another width, fewer layers) is refused with BadInput: that is a
    new teacher, not a grown student.
    """
    from neuralos.neural.model import UIRendererModel

    if not changes:
        return copy.deepcopy(source), []
    config = {k: v for k, v in source.config.items() if not k.startswith("_")}
    unknown = sorted(set(changes) - set(config))
    if unknown:
        raise BadInput(f"--model: {', '.join(unknown)} is not a UIRendererModel setting")
    model = UIRendererModel(**{**config, **changes})
    if source.dtype != model.dtype:
        model = model.to(source.dtype)
    try:
        missing, unexpected = model.load_state_dict(source.state_dict(), strict=False)
    except RuntimeError as e:   # a shape mismatch
        raise BadInput(f"--model {json.dumps(changes)} changes the shape of existing weights: "
                       f"{str(e).splitlines()[-1].strip()}") from None
    if unexpected:
        raise BadInput(f"--model {json.dumps(changes)} removes weights ({', '.join(unexpected[:3])}); "
                       "train a new teacher for that")
    params = dict(model.named_parameters())
    if not _paints_alike(model, source):
        raise BadInput(f"--model {json.dumps(changes)} adds modules that change what the model paints at first; "
                       "train a new teacher for that")
    return model, [k for k in missing if k in params]


def _paints_alike(a, b, size: int = 24) -> bool:
    """Whether two UIRendererModels give the same output on one random (seeded) input."""
    import torch

    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, a.config.sample_channels, size, size, generator=g).to(a.dtype)
    cond = torch.rand(1, a.config.conditioning_channels, size, size, generator=g).to(a.dtype)
    with torch.no_grad():
        return torch.allclose(a(x, 500, cond).sample, b(x, 500, cond).sample, atol=1e-6)


DETAIL_STEP = 0.04   # in [-1, 1] units (5 of 255 levels): a step this big to a neighbour is detail


def detail_mask(frame):
    """(B, 1, h, w) float, 1 on the thin detail of `frame` (B, 3, h, w) in [-1, 1] and 1 px around it: pixels
    that differ from a 4-neighbour by more than DETAIL_STEP (outlines, focus rings, text, check marks).

    They are a few percent of a UI's pixels but most of its error, and a plain MSE barely sees them."""
    import torch.nn.functional as F

    dx = (frame[..., :, 1:] - frame[..., :, :-1]).abs().amax(dim=1, keepdim=True) > DETAIL_STEP
    dy = (frame[..., 1:, :] - frame[..., :-1, :]).abs().amax(dim=1, keepdim=True) > DETAIL_STEP
    edge = F.pad(dx, (0, 1)) | F.pad(dx, (1, 0)) | F.pad(dy, (0, 0, 0, 1)) | F.pad(dy, (0, 0, 1, 0))
    return F.max_pool2d(edge.float(), 3, stride=1, padding=1)


def weighted_mse(pred, target, weight):
    """MSE with per-pixel `weight` (B, 1, h, w), normalised so that a uniform weight gives the plain MSE."""
    se = ((pred - target) ** 2).mean(dim=1, keepdim=True)
    return (se * weight).sum() / weight.sum()


GATE_TOLERANCE = 1.5 / 127.5   # a reference pixel within 1.5 levels (of 255) of a palette colour *is* that colour


def gate_loss(gates, colors, frame, tolerance: float = GATE_TOLERANCE):
    """How far the palette gates are from painting exactly the palette colours of the reference's flat areas.

    gates (B, K, h, w) and colors (B, K, 3, h, w): a model output's `gates` and its `gate_colors`; frame (B, 3, h, w)
    in [-1, 1]. Where a reference pixel and its 5x5 neighbourhood are one of the palette colours (several may
    coincide, e.g. a white background and the fixed white), the gates of the matching colours should sum to 1
    and the others be 0: the output is then that colour exactly, whatever it is. The squared error is averaged
    per colour and then over the colours present, so a crop's primary fills count as much as its background.
    Everything else (text, outlines, anti-aliased edges, hover tints, pictures) is left to the pixel loss:
    asking for exact gates on 1-px detail (glyph cores are exactly the foreground colour) makes the gates
    change within a pixel, which the refinement's two 3x3 convs cannot do without blurring the text, and
    bold title strokes are 3-4 px wide
    (docs/neural.md, "Gate supervision").

    Why: a student trained on the pixel loss alone paints common primaries with its UNet and leaves the primary
    gate at 0.25-0.8, so a rare primary (a red check box) comes out a lighter red; the gates take their colour
    from the maps and generalise to any colour.
    """
    import torch.nn.functional as F

    match = ((frame[:, None] - colors).abs().amax(2) <= tolerance).float()       # (B, K, h, w)
    match = -F.max_pool2d(-match, 5, stride=1, padding=2)                           # flat: the 5x5 around matches
    present = match.amax(1, keepdim=True)                                           # (B, 1, h, w)
    on = (gates * match).sum(1, keepdim=True)                                       # (B, 1, h, w)
    off = (gates ** 2 * (1 - match)).sum(1, keepdim=True)
    err = ((on - 1) ** 2 + off) * present                                           # (B, 1, h, w)
    per_colour = (err * match).sum((0, 2, 3)) / match.sum((0, 2, 3)).clamp(min=1)   # (K,)
    seen = match.sum((0, 2, 3)) > 0
    return per_colour[seen].mean() if bool(seen.any()) else gates.new_zeros(())


# --- the trainer ---------------------------------------------------------------------------------------------

def psnr(a, b) -> float:
    """PSNR in dB of two batches in [-1, 1] (as 8-bit pixels would be)."""
    mse = float((((a.clamp(-1, 1) - b.clamp(-1, 1)) / 2) ** 2).mean())
    return 10 * math.log10(1.0 / max(mse, 1e-12))


class Trainer:
    """Runs `cfg` (teacher or distill) to `cfg.steps`, resuming from the newest checkpoint with `resume`."""

    def __init__(self, cfg: TrainConfig, dataset=None, eval_dataset=None):
        import torch
        from accelerate import Accelerator
        from accelerate.utils import set_seed

        cfg.validate()
        self.cfg = cfg
        self.out = Path(cfg.out)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.accelerator = Accelerator(cpu=cfg.device == "cpu", mixed_precision=cfg.mixed_precision)
        set_seed(cfg.seed)
        self.dataset = dataset if dataset is not None else make_dataset(cfg)
        if eval_dataset is None and dataset is None:
            try:
                eval_dataset = make_dataset(cfg, split="eval", seed_offset=1)
            except BadInput:
                eval_dataset = None
        # Held-out crops when there is an eval split; else fixed training crops the loop never draws.
        self.eval_data = "eval split" if eval_dataset is not None else "training samples (other crops)"
        self.eval_batch = self._fixed_batch(eval_dataset if eval_dataset is not None else self.dataset)
        self._build()

    # -- setup ----------------------------------------------------------------------------------------
    def _build(self) -> None:
        import torch
        from diffusers.optimization import get_cosine_schedule_with_warmup
        from diffusers.training_utils import EMAModel

        from neuralos.neural.model import UIRendererModel
        from neuralos.neural.pipeline import default_scheduler, training_scheduler

        cfg = self.cfg
        self.teacher = None
        self.grown: list[str] = []
        if cfg.mode == "teacher":
            model = UIRendererModel(**cfg.model)
            self.sample_scheduler = default_scheduler()
        else:
            source = None   # the student starts as the teacher, or as an earlier student (--init)
            if cfg.teacher_weight > 0:
                path = Path(cfg.teacher or Path(cfg.out).parent / "teacher" / "pipeline")
                tpipe = self._load_pipeline(path, "teacher pipeline folder not found (train one with "
                                                  "`neuralos train teacher`)")
                self.teacher = tpipe.model.eval().requires_grad_(False).to(self.accelerator.device)
                self.sample_scheduler = tpipe.scheduler
                self.teacher_path = str(path)
                source = tpipe.model
            if cfg.init:
                ipipe = self._load_pipeline(Path(cfg.init), "--init is not a pipeline folder (no model_index.json)",
                                            adopt=True)
                source = ipipe.model
                if self.teacher is None:   # fine-tuning alone: the student keeps its own sampler
                    self.sample_scheduler = ipipe.scheduler
            model, self.grown = grown_model(source, cfg.model)
            model.train().requires_grad_(True)
            if cfg.grown_only:
                if not self.grown:
                    raise BadInput(f"--grown-only: --model {json.dumps(cfg.model)} adds no module to train")
                for name, p in model.named_parameters():
                    p.requires_grad_(name in self.grown)
            if cfg.gate_weight > 0 and not (model.config.palette_head or model.config.palette_colors):
                raise BadInput("--gate-weight needs a student with palette gates: grow it with "
                               "--model '{\"palette_head\": true}'")
        self.noise_scheduler = training_scheduler(self.sample_scheduler.config.num_train_timesteps)
        self.ema = EMAModel(model.parameters(), decay=cfg.ema_decay, use_ema_warmup=True, power=0.75,
                            model_cls=UIRendererModel, model_config=model.config)
        # Modules a grown student adds start at zero; Adam moves a weight about lr a step, so they get a larger LR
        # to catch up with weights that are already trained.
        params = dict(model.named_parameters())
        groups = [] if cfg.grown_only else [{"params": [p for k, p in params.items() if k not in self.grown],
                                             "lr": cfg.lr}]
        if self.grown:
            groups.append({"params": [params[k] for k in self.grown], "lr": cfg.lr * cfg.grown_lr_scale})
        opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.99), weight_decay=cfg.weight_decay)
        lr_sched = get_cosine_schedule_with_warmup(opt, min(cfg.warmup_steps, cfg.steps // 10 + 1), cfg.steps)
        self.model, self.opt, self.lr_sched, self.loader = self.accelerator.prepare(
            model, opt, lr_sched, _loader(self.dataset, cfg))
        self.ema.to(self.accelerator.device)
        self.accelerator.register_for_checkpointing(self.ema)
        self.step, self.epoch = 0, 0
        self.n_params = sum(p.numel() for p in model.parameters())
        self.terms: dict[str, float] = {}   # the last distillation loss's weighted terms (teacher, data, gate)

    def _load_pipeline(self, path: Path, missing: str, adopt: bool = False):
        """The pipeline folder at `path`. With `adopt` (the student's starting weights), a model of an older map
        format is taken as this build's format: its weights start the student, which then learns the new maps
        (the maps change little between formats); a teacher must be of this build's format."""
        from neuralos.neural.model import UIRendererModel
        from neuralos.neural.pipeline import UIRenderPipeline
        from neuralos.quiet import no_progress_bars
        from neuralos.scene import MODEL_FORMAT_VERSION

        if not (path / "model_index.json").is_file():
            raise BadInput(missing, where=str(path))
        kw = dict(local_files_only=True, use_safetensors=True)
        with no_progress_bars():   # the loop has its own progress bar
            try:
                fmt = json.loads((path / "model" / "config.json").read_text()).get("format_version")
            except (OSError, ValueError):
                fmt = None
            try:
                if adopt and fmt is not None and fmt != MODEL_FORMAT_VERSION:
                    self.accelerator.print(f"{path}: model format {fmt}, this build's is {MODEL_FORMAT_VERSION}: "
                                           "its weights start the student, which learns the new maps")
                    model = UIRendererModel.from_pretrained(str(path / "model"), format_version=MODEL_FORMAT_VERSION,
                                                            **kw)
                    return UIRenderPipeline.from_pretrained(str(path), model=model, **kw)
                return UIRenderPipeline.from_pretrained(str(path), **kw)
            except ValueError as e:   # another map format (a teacher), or a config this build cannot read
                raise BadInput(first_line(e), where=str(path)) from None

    def _fixed_batch(self, dataset) -> dict | None:
        from neuralos.neural.shards import collate

        n = min(self.cfg.eval_crops, len(dataset))
        if n == 0:
            return None
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(10_000)   # crops the training epochs never draw
        items = [dataset[int(i)] for i in np.linspace(0, len(dataset) - 1, n).round()]
        if hasattr(dataset, "set_epoch"):
            dataset.set_epoch(0)
        return collate(items)

    # -- checkpoints ----------------------------------------------------------------------------------
    def checkpoints(self) -> list[Path]:
        folder = self.out / "checkpoints"
        found = [p for p in folder.glob("step-*") if (p / "trainer.json").is_file()] if folder.is_dir() else []
        return sorted(found, key=lambda p: int(p.name.split("-")[1]))

    def resume(self) -> bool:
        found = self.checkpoints()
        if not found:
            return False
        path = found[-1]
        self.accelerator.load_state(str(path))
        state = json.loads((path / "trainer.json").read_text())
        self.step, self.epoch = int(state["step"]), int(state["epoch"])
        return True

    def save_checkpoint(self) -> Path:
        acc = self.accelerator
        path = self.out / "checkpoints" / f"step-{self.step}"
        acc.wait_for_everyone()
        acc.save_state(str(path))
        if acc.is_main_process:
            (path / "trainer.json").write_text(json.dumps({"step": self.step, "epoch": self.epoch,
                                                           "config": asdict(self.cfg)}, indent=1))
            for old in self.checkpoints()[:-max(1, self.cfg.keep_checkpoints)]:
                shutil.rmtree(old, ignore_errors=True)
            self.save_pipeline()
        return path

    def ema_model(self):
        """A fresh UIRendererModel holding the EMA weights (on the CPU)."""
        from neuralos.neural.model import UIRendererModel

        config = self.accelerator.unwrap_model(self.model).config
        # a model adopted from a folder records that folder's path: a saved model must not carry it
        model = UIRendererModel.from_config({k: v for k, v in config.items() if k != "_name_or_path"})
        self.ema.copy_to(model.parameters())
        return model.eval()

    def save_pipeline(self, metrics: dict | None = None) -> Path:
        from neuralos.neural.pipeline import UIRenderPipeline

        cfg = self.cfg
        steps = cfg.sample_steps if cfg.mode == "teacher" else cfg.student_steps
        pipe = UIRenderPipeline(model=self.ema_model(), scheduler=copy.deepcopy(self.sample_scheduler),
                                default_num_inference_steps=steps)
        folder = self.out / "pipeline"
        tmp = self.out / "pipeline.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        pipe.save_pretrained(str(tmp), safe_serialization=True)
        info = {"mode": cfg.mode, "step": self.step, "config": asdict(cfg), "parameters": self.n_params,
                "data_samples": len(self.dataset), "metrics": metrics or {}, "metrics_on": self.eval_data}
        if self.teacher is not None:
            info["teacher"] = self.teacher_path
        (tmp / "training.json").write_text(json.dumps(info, indent=1))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        return folder

    # -- one optimisation step ------------------------------------------------------------------------
    def loss(self, batch: dict):
        """The mode's loss on one batch (frame (B, 3, h, w) in [-1, 1], conditioning (B, C, h, w))."""
        import torch
        import torch.nn.functional as F

        from neuralos.neural.pipeline import denoise

        cfg, acc = self.cfg, self.accelerator
        x0 = batch["frame"].to(acc.device)
        cond = batch["conditioning"].to(acc.device)
        if cfg.mode == "teacher":
            cond = drop_previous(cond, cfg.previous_dropout)
            noise = torch.randn_like(x0)
            t = torch.randint(0, self.noise_scheduler.config.num_train_timesteps, (x0.shape[0],), device=x0.device)
            x_t = self.noise_scheduler.add_noise(x0, noise, t)
            with acc.autocast():
                pred = self.model(x_t, t, cond).sample
            self.terms = {}
            return F.mse_loss(pred.float(), x0)
        noise = torch.randn_like(x0)
        student = acc.unwrap_model(self.model)
        gates: list = []   # the last step's gates: what the final frame's palette colours come from
        hook = (student.register_forward_hook(lambda module, args, out: gates.append(out.gates))
                if cfg.gate_weight > 0 else None)
        try:
            with acc.autocast():
                final, x0s = denoise(self.model, self.sample_scheduler, noise, cond, cfg.student_steps)
        finally:
            if hook is not None:
                hook.remove()
        terms = {}
        if gates:
            terms["gate"] = cfg.gate_weight * gate_loss(gates[-1].float(), student.gate_colors(cond), x0)
        if self.teacher is not None:
            with torch.no_grad(), acc.autocast():
                target = denoise(self.teacher, self.sample_scheduler, noise, cond, cfg.teacher_steps)[0].float()
            # Every step's x0 estimate aims at the teacher's frame; the final frame counts as much as the rest.
            distill = F.mse_loss(final.float(), target)
            if len(x0s) > 1:
                distill = 0.5 * distill + 0.5 * sum(F.mse_loss(x.float(), target) for x in x0s[:-1]) / (len(x0s) - 1)
            terms["teacher"] = cfg.teacher_weight * distill
        if cfg.data_weight > 0 and (cfg.detail_weight > 0 or cfg.state_weight > 0 or cfg.component_weight > 0):
            weight = 1 + cfg.detail_weight * detail_mask(x0)
            for mask, by in (("state_mask", cfg.state_weight), ("component_mask", cfg.component_weight)):
                if by > 0:
                    if mask not in batch:
                        raise BadInput(f"--{mask.split('_')[0]}-weight needs data with scenes "
                                       "(`neuralos data generate` shards)")
                    weight = weight + by * batch[mask].to(acc.device)
            terms["data"] = cfg.data_weight * weighted_mse(final.float(), x0, weight)
        elif cfg.data_weight > 0:
            terms["data"] = cfg.data_weight * F.mse_loss(final.float(), x0)
        self.terms = {k: float(v.detach()) for k, v in terms.items()}
        return sum(terms.values(), final.new_zeros((), dtype=torch.float32))

    def train_step(self, batch: dict) -> float:
        acc = self.accelerator
        self.model.train()
        loss = self.loss(batch)
        if loss.requires_grad:   # with --grown-only, a batch may not reach the new modules (no steered pixel)
            acc.backward(loss)
        if acc.sync_gradients and self.cfg.grad_clip > 0:
            acc.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.opt.step()
        self.lr_sched.step()
        self.opt.zero_grad(set_to_none=True)
        self.ema.step(self.accelerator.unwrap_model(self.model).parameters())
        self.step += 1
        return float(loss.detach())

    # -- evaluation -----------------------------------------------------------------------------------
    def evaluate(self) -> dict:
        """PSNR (dB) of the EMA model on fixed crops (`eval_data` says which): 1 step, the mode's steps,
        and the teacher at its steps when distilling."""
        import torch

        from neuralos.neural.pipeline import denoise

        if self.eval_batch is None:
            return {}
        cfg = self.cfg
        model = self.ema_model().to(self.accelerator.device)
        x0 = self.eval_batch["frame"].to(self.accelerator.device)
        cond = self.eval_batch["conditioning"].to(self.accelerator.device)
        noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(cfg.seed)).to(x0.device)
        steps = sorted({1, cfg.sample_steps if cfg.mode == "teacher" else cfg.student_steps})
        out = {}
        with torch.no_grad():
            for n in steps:
                out[f"psnr_{n}step"] = round(psnr(denoise(model, self.sample_scheduler, noise, cond, n)[0], x0), 2)
            if self.teacher is not None:
                t = denoise(self.teacher, self.sample_scheduler, noise, cond, cfg.teacher_steps)[0]
                out[f"teacher_psnr_{cfg.teacher_steps}step"] = round(psnr(t, x0), 2)
        return out

    # -- the loop -------------------------------------------------------------------------------------
    def log(self, record: dict) -> None:
        if self.accelerator.is_main_process:
            self.out.mkdir(parents=True, exist_ok=True)
            with open(self.out / "log.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")

    def run(self) -> dict:
        from tqdm.auto import tqdm

        cfg, acc = self.cfg, self.accelerator
        self.out.mkdir(parents=True, exist_ok=True)
        resumed = cfg.resume and self.resume()
        if acc.is_main_process:
            (self.out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
            acc.print(f"{cfg.mode}: {self.n_params / 1e6:.2f} M parameters, {len(self.dataset)} samples, "
                      f"crop {cfg.crop}, batch {cfg.batch_size}, device {acc.device}"
                      + (f", resumed at step {self.step}" if resumed else ""))
        bar = tqdm(total=cfg.steps, initial=self.step, desc=cfg.mode, disable=not (cfg.progress and acc.is_main_process),
                   dynamic_ncols=True)
        batches = _batches(self.loader, self.dataset, self.epoch + 1 if resumed else 0)
        t0, losses, terms, metrics = time.time(), [], {}, {}
        while self.step < cfg.steps:
            self.epoch, batch = next(batches)
            losses.append(self.train_step(batch))
            for k, v in self.terms.items():   # the weighted terms of a distillation loss, logged apart
                terms.setdefault(k, []).append(v)
            bar.update(1)
            if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                loss = float(np.mean(losses))
                parts = {f"loss_{k}": float(np.mean(v)) for k, v in terms.items()} if len(terms) > 1 else {}
                losses, terms = [], {}
                lr = self.lr_sched.get_last_lr()[0]
                bar.set_postfix(loss=f"{loss:.5f}", lr=f"{lr:.2e}")
                self.log({"step": self.step, "epoch": self.epoch, "loss": loss, **parts, "lr": lr,
                          "seconds": round(time.time() - t0, 1)})
            at_ckpt = self.step % cfg.checkpoint_every == 0 or self.step == cfg.steps
            if (cfg.eval_every and self.step % cfg.eval_every == 0) or at_ckpt:
                metrics = self.evaluate()
                if metrics:
                    self.log({"step": self.step, "eval": metrics, "eval_data": self.eval_data})
                    bar.write(f"step {self.step}: " + ", ".join(f"{k} {v}" for k, v in metrics.items()))
            if at_ckpt:
                self.save_checkpoint()
        bar.close()
        folder = self.save_pipeline(metrics) if acc.is_main_process else self.out / "pipeline"
        acc.wait_for_everyone()
        return {"pipeline": str(folder), "step": self.step, "metrics": metrics}


def train(cfg: TrainConfig, dataset=None, eval_dataset=None) -> dict:
    """Train (or resume) to `cfg.steps`; returns {pipeline, step, metrics}."""
    return Trainer(cfg, dataset=dataset, eval_dataset=eval_dataset).run()


def config_from_args(mode: str, args) -> TrainConfig:
    """A TrainConfig from argparse results (only the attributes that are set)."""
    names = {f.name for f in fields(TrainConfig)}
    values = {k: v for k, v in vars(args).items() if k in names and v is not None}
    values["mode"] = mode
    return TrainConfig(**values)
