"""`neuralos eval`: fidelity, legibility, stability and speed of the neural renderer on held-out states."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from neuralos.cli._common import names_arg, size_arg


def steps_arg(text: str) -> list[int]:
    try:
        steps = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"steps must be comma-separated integers, not {text!r}") from None
    if not steps or any(s < 1 or s > 1000 for s in steps):
        raise argparse.ArgumentTypeError(f"steps must be between 1 and 1000, not {text!r}")
    return sorted(set(steps))


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "eval", help="measure the neural renderer against the widget renderer on held-out states",
        description="Render held-out states (the generator's eval split, never in a training shard) with the "
                    "widget renderer and the model(s); write metrics.json, report.md/.html, side-by-side "
                    "images and plots to --out. PSNR, SSIM, Tesseract OCR recall (of the UI's words and of all "
                    "words) and CER, component "
                    "states (each component nearer its own state than the widget renderer's other states of it; "
                    "and its PSNR), temporal stability, time per frame.")
    p.add_argument("--model", type=Path, metavar="PATH", help="the (student) renderer folder")
    p.add_argument("--teacher", type=Path, metavar="PATH", help="a teacher renderer folder for the steps sweep")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    p.add_argument("--states", type=int, default=24, metavar="N", help="held-out single frames (default 24)")
    p.add_argument("--sequences", type=int, default=8, metavar="M",
                   help="held-out sequences for temporal stability (default 8)")
    p.add_argument("--steps", type=steps_arg, default=[1, 2, 4, 25], metavar="1,2,4,25",
                   help="teacher sampling steps to sweep (default 1,2,4,25)")
    p.add_argument("--student-steps", type=steps_arg, metavar="1,2",
                   help="student steps to measure (default: the model's own)")
    p.add_argument("--size", type=size_arg, default=(512, 384), metavar="WxH", help="canvas size (default 512x384)")
    p.add_argument("--seed", type=int, default=0, help="first seed of the held-out states (default 0)")
    p.add_argument("--kinds", metavar="K1,K2", type=names_arg,
                   help="only held-out states of these kinds, e.g. press,toggled (as `neuralos data generate "
                        "--kinds`; default: all)")
    p.add_argument("--targets", metavar="T1,T2", type=names_arg,
                   help="only held-out states whose input aims at these component types, e.g. CheckBox "
                        "(default: any)")
    p.add_argument("--random-primary", type=float, default=None, metavar="P",
                   help="odds that a themed window's primary colour is any colour rather than one of 12 common "
                        "ones (default 0.2, as the training data)")
    p.add_argument("--images", type=int, default=8, metavar="K", help="side-by-side images to write (default 8)")
    p.add_argument("--no-ocr", action="store_true", help="skip Tesseract (faster)")
    p.add_argument("--no-state-check", action="store_true",
                   help="skip rendering each component's other states (faster; no states-right target)")
    p.add_argument("--require-targets", action="store_true",
                   help="exit 1 unless the student meets every target (PSNR 35, boxes 32, SSIM 0.98, OCR 0.98, "
                        "states right, <= 2 steps)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from neuralos.errors import BadInput, CheckFailed
    from neuralos.neural import evaluate as ev
    from neuralos.neural.states import selection

    if args.model is None and args.teacher is None:
        raise BadInput("give --model PATH (and/or --teacher PATH)")
    if args.states < 0 or args.sequences < 0 or args.images < 0:
        raise BadInput("--states, --sequences and --images must be >= 0")
    selection(args.kinds, args.targets,     # a typo fails before the model loads
              **({} if args.random_primary is None else {"random_primary": args.random_primary}))
    student = ev.load(args.model, "model") if args.model else None
    teacher = ev.load(args.teacher, "teacher") if args.teacher else None

    bar = None
    try:
        from tqdm import tqdm
        bar = tqdm(total=None, bar_format="{desc}", file=sys.stderr, dynamic_ncols=True)
    except ImportError:
        pass

    def progress(msg: str) -> None:
        if bar is not None:
            bar.set_description_str(msg)

    try:
        result = ev.run(args.out, student, teacher, states=args.states, sequences=args.sequences,
                        steps=args.steps, student_steps=args.student_steps, size=args.size, seed=args.seed,
                        ocr=not args.no_ocr, images=args.images, progress=progress,
                        state_check=not args.no_state_check, kinds=args.kinds, targets=args.targets,
                        **({} if args.random_primary is None else {"random_primary": args.random_primary}),
                        command="neuralos " + " ".join(sys.argv[1:]))
    finally:
        if bar is not None:
            bar.close()
    for r in result["runs"]:
        s = r["summary"]
        ocr = s.get("ocr") or {}
        ocr_txt = (f"OCR recall {ev._fmt(ocr.get('text_recall'), 3)} of the UI's words "
                   f"({ev._fmt(ocr.get('word_recall'), 3)} of all words)" if ocr.get("available")
                   else f"OCR {ocr.get('reason', 'n/a')}" if ocr else "OCR skipped")
        print(f"{r['label']}: PSNR {ev._fmt(s['psnr'].get('mean'))} dB, in boxes {ev._fmt(s['psnr_components'].get('mean'))} dB, "
              f"SSIM {ev._fmt(s['ssim'].get('mean'), 4)}, {ocr_txt}, states right "
              f"{ev._fmt((s.get('state_check') or {}).get('right_fraction'), 3)}, components at "
              f"≥ {ev.COMPONENT_PSNR_OK:g} dB {ev._fmt(s['components']['right_fraction'], 3)}, "
              f"{ev._fmt((s.get('ms_per_frame') or {}).get('median'), 1)} ms/frame")
    print(f"wrote {args.out / 'metrics.json'} and {args.out / 'report.html'}")
    if args.require_targets:
        failed = [f"{k} {ev._fmt(t['value'], 4)} (target {t['target']})" for r in result["runs"] if r.get("targets")
                  for k, t in r["targets"].items() if t["pass"] is not True]
        if failed:
            raise CheckFailed("targets missed: " + ", ".join(failed))
    return 0
