"""`neuralos train teacher|distill`: train the neural renderer's teacher and distil its few-step student.

    neuralos train teacher --data data/ui --out runs/teacher --steps 20000
    neuralos train distill --data data/ui --teacher runs/teacher/pipeline --out runs/student --student-steps 2
    accelerate launch -m neuralos train teacher ...              # one or many GPUs, one or many nodes

Each writes OUT/pipeline (a UIRenderPipeline plugin folder), OUT/checkpoints/step-N (resume with --resume)
and OUT/log.jsonl. See `neuralos.neural.train` for the objectives and the distillation method.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def _common(p: argparse.ArgumentParser, out_default: str, steps: int, lr: float) -> None:
    # extend: `--data A --data B` trains on both, as `--data A B` does (store would keep only B).
    p.add_argument("--data", required=True, nargs="+", action="extend", metavar="DIR",
                   help="shards made by `neuralos data generate` (several folders, in one --data or repeated: "
                        "trained on as one)")
    p.add_argument("--out", default=out_default, metavar="DIR", help=f"output folder (default {out_default})")
    p.add_argument("--steps", type=int, default=steps, metavar="N",
                   help=f"total optimizer steps, resumed ones included (default {steps})")
    p.add_argument("--batch-size", type=int, default=4, metavar="B", help="crops per step (per device; default 4)")
    p.add_argument("--crop", type=int, default=256, metavar="PX",
                   help="square crop side, a multiple of 16 (default 256)")
    p.add_argument("--lr", type=float, default=lr, help=f"peak learning rate, cosine decay (default {lr:g})")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in OUT")
    p.add_argument("--seed", type=int, default=0, help="seed of crops, noise and init (default 0)")
    p.add_argument("--state-bias", type=float, default=0.0, metavar="P",
                   help="share of crops centred on a component in some state: hovered, pressed, focused, "
                        "checked ... (default 0)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: a GPU when there is one (accelerate launch sets up multi-GPU)")
    p.add_argument("--mixed-precision", choices=("no", "bf16", "fp16"), default="no",
                   help="autocast precision on GPUs (default no)")
    p.add_argument("--threads", type=int, default=0, metavar="T", help="torch CPU threads (0: default)")
    p.add_argument("--workers", dest="num_workers", type=int, default=0, metavar="K",
                   help="data loader processes (default 0: load in the training process)")
    p.add_argument("--checkpoint-every", type=int, default=250, metavar="N", help="steps between checkpoints")
    p.add_argument("--log-every", type=int, default=10, metavar="N", help="steps between log lines")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train the neural renderer (teacher, then distilled student)",
        description="Train the diffusion teacher from scratch on shards from `neuralos data`, then distil it "
                    "into a 1-4 step student. Runs on a CPU at small scale and on GPUs through accelerate.")
    sub = p.add_subparsers(dest="train_command", metavar="STAGE", required=True)

    t = sub.add_parser("teacher", help="train the teacher (DDPM x0 objective, DDIM sampling at 25+ steps)",
                       description="Train a UIRendererModel from scratch: random crops, standard diffusion "
                                   "objective (x0 prediction), AdamW, cosine LR, EMA. Writes OUT/pipeline.")
    _common(t, "runs/teacher", 20000, 1e-3)
    t.add_argument("--sample-steps", type=int, default=25, metavar="N",
                   help="DDIM steps the teacher's pipeline folder samples with (default 25)")
    t.add_argument("--model", type=json.loads, default=None, metavar="JSON",
                   help='UIRendererModel options, e.g. \'{"block_out_channels": [48, 96, 96]}\'')
    t.set_defaults(func=run_teacher)

    d = sub.add_parser("distill", help="distil the teacher into a 1-4 step student",
                       description="Knowledge distillation of the teacher's deterministic DDIM sampler "
                                   "(Luhman & Luhman 2021): the student, initialised from the teacher, learns to "
                                   "reproduce the teacher's multi-step output in --student-steps steps.")
    _common(d, "runs/student", 5000, 2e-4)
    d.add_argument("--teacher", default=None, metavar="DIR",
                   help="teacher pipeline folder (default: OUT/../teacher/pipeline)")
    d.add_argument("--teacher-steps", type=int, default=25, metavar="N", help="teacher DDIM steps (default 25)")
    d.add_argument("--student-steps", type=int, default=2, metavar="K", help="student steps, 1-4 (default 2)")
    d.add_argument("--teacher-weight", type=float, default=1.0, metavar="T",
                   help="weight of the term against the teacher's frames (default 1; 0: no teacher, fine-tune the "
                        "--init student on the reference frames alone)")
    d.add_argument("--data-weight", type=float, default=0.25, metavar="W",
                   help="weight of the extra loss against the reference frames (default 0.25; 0: pure distillation)")
    d.add_argument("--detail-weight", type=float, default=0.0, metavar="X",
                   help="in the data term, weigh the reference's outlines and text 1+X times (default 0)")
    d.add_argument("--state-weight", type=float, default=0.0, metavar="X",
                   help="in the data term, weigh components in some state (hovered, pressed, focused, checked ...) "
                        "X times more (default 0)")
    d.add_argument("--component-weight", type=float, default=0.0, metavar="X",
                   help="in the data term, weigh every interactive component, in a state or at rest, X times more "
                        "(default 0)")
    d.add_argument("--gate-weight", type=float, default=0.0, metavar="W",
                   help="weight of a term that teaches the palette gates to paint exactly the theme's colours where "
                        "the reference is one of them (needs a palette head; default 0)")
    d.add_argument("--init", default=None, metavar="DIR",
                   help="start the student from this pipeline folder (an earlier student) instead of the teacher")
    d.add_argument("--model", type=json.loads, default=None, metavar="JSON",
                   help='grow the student: config changes that add zero-initialised modules, e.g. \'{"palette_head": true}\'')
    d.add_argument("--grown-lr-scale", type=float, default=10.0, metavar="X",
                   help="learning-rate multiplier of the modules --model adds (default 10)")
    d.add_argument("--grown-only", action="store_true",
                   help="train only the modules --model adds; every other weight stays the --init student's")
    d.set_defaults(func=run_distill)


def _run(mode: str, args: argparse.Namespace) -> int:
    from neuralos.neural.train import config_from_args, train

    cfg = config_from_args(mode, args)
    if args.model is not None:
        cfg.model = dict(args.model)
    cfg.progress = not args.no_progress if hasattr(args, "no_progress") else True
    result = train(cfg)
    metrics = ", ".join(f"{k} {v}" for k, v in result["metrics"].items())
    print(f"{mode}: step {result['step']}, pipeline in {Path(result['pipeline'])}" + (f" ({metrics})" if metrics else ""))
    return 0


def run_teacher(args: argparse.Namespace) -> int:
    return _run("teacher", args)


def run_distill(args: argparse.Namespace) -> int:
    return _run("distill", args)
