"""`neuralos data generate|check|show|stats`: synthetic training data from the widget renderer."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from neuralos.cli._common import names_arg, size_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "data", help="generate, check and inspect synthetic training data",
        description="Random but realistic A2UI desktop states rendered by the widget renderer, written "
                    "as WebDataset-style tar shards with a manifest, and checked for alignment.")
    sub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    g = sub.add_parser("generate", help="render samples into shards (resumable)",
                       description="Render SAMPLES single frames and SEQUENCES (previous, frame) pairs of "
                                   "training-split states into DIR. Re-running the same command resumes.")
    g.add_argument("--out", required=True, type=Path, metavar="DIR")
    g.add_argument("--samples", type=int, default=1000, metavar="N", help="single frames (default 1000)")
    g.add_argument("--sequences", type=int, default=0, metavar="M",
                   help="(previous, frame) pairs: hover, press, typing, open/close, scroll ... (default 0)")
    g.add_argument("--size", type=size_arg, action="append", metavar="WxH",
                   help="canvas size; repeat for several (default 512x384 640x480 800x600 1024x768)")
    g.add_argument("--workers", type=int, default=1, metavar="K", help="processes (default 1)")
    g.add_argument("--seed", type=int, default=0, metavar="S", help="first seed (default 0)")
    g.add_argument("--random-primary", type=float, default=None, metavar="P",
                   help="odds that a themed window's primary colour is any colour rather than one of 12 common "
                        "ones (default 0.2)")
    g.add_argument("--kinds", metavar="K1,K2", type=names_arg,
                   help="only states of these kinds, e.g. press,hover,toggle (single-frame interactions: hover, "
                        "press, focus, typed, toggled, static; sequence kinds: press, typing, slider, tab, "
                        "window-open ...; default: all)")
    g.add_argument("--targets", metavar="T1,T2", type=names_arg,
                   help="only states whose input aims at these component types, e.g. CheckBox (Button, TextField, "
                        "CheckBox, ChoicePicker, Slider, DateTimeInput, Tabs; default: any)")
    g.add_argument("--shard-size", type=int, default=200, metavar="N", help="samples per shard (default 200)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.set_defaults(func=run_generate)

    c = sub.add_parser("check", help="alignment check: re-render samples and compare",
                       description="Re-render K samples of every shard from their stored state: frames must "
                                   "be byte-identical, scenes equal, conditioning hashes equal. Exit 1 on any "
                                   "mismatch, naming shard, sample and what differs.")
    c.add_argument("dir", type=Path, metavar="DIR")
    c.add_argument("--sample", type=int, default=4, metavar="K", help="samples per shard (0: all; default 4)")
    c.add_argument("--seed", type=int, default=0, help="which samples to pick (default 0)")
    c.add_argument("--no-progress", action="store_true")
    c.set_defaults(func=run_check)

    s = sub.add_parser("show", help="contact sheet of samples with their role and glyph maps")
    s.add_argument("dir", type=Path, metavar="DIR")
    s.add_argument("--out", required=True, type=Path, metavar="PNG")
    s.add_argument("--count", type=int, default=8, metavar="N", help="samples (default 8)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=run_show)

    t = sub.add_parser("stats", help="counts by kind, size, theme and role (JSON)")
    t.add_argument("dir", type=Path, metavar="DIR")
    t.set_defaults(func=run_stats)


def run_generate(args: argparse.Namespace) -> int:
    from neuralos.neural import data
    from neuralos.neural.states import DEFAULT_SIZES

    sizes = args.size or list(DEFAULT_SIZES)
    manifest = data.generate(args.out, args.samples, args.sequences, sizes=sizes, workers=args.workers,
                             seed=args.seed, shard_size=args.shard_size, progress=not args.no_progress,
                             command="neuralos " + " ".join(sys.argv[1:]), kinds=args.kinds, targets=args.targets,
                             **({} if args.random_primary is None else {"random_primary": args.random_primary}))
    rate = manifest.get("samples_per_second")
    print(f"wrote {manifest['samples']} samples ({manifest['sequences']} sequences) in "
          f"{len(manifest['shards'])} shards to {args.out}"
          + (f"; {rate:.2f} samples/s this run" if rate else ""))
    if manifest["failed"]:
        print(f"warning: {len(manifest['failed'])} state(s) failed to render and were left out "
              f"(listed in manifest.json), first: seed {manifest['failed'][0]['seed']}: "
              f"{manifest['failed'][0]['error']}", file=sys.stderr)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from neuralos.neural import data

    result = data.check(args.dir, sample=args.sample, seed=args.seed, progress=not args.no_progress)
    print(f"alignment check passed: {result['checked']} samples re-rendered from {result['shards']} shards, "
          "frames byte-identical, scenes and conditioning equal")
    if result["older_format"]:
        print(f"{result['older_format']} of them were written under an older conditioning format: their maps, "
              "rebuilt from the stored scenes as training does, equal the re-renders' maps")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from neuralos.neural import data

    out = data.contact_sheet(args.dir, args.out, count=args.count, seed=args.seed)
    print(f"wrote {out}")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from neuralos.neural import data

    print(json.dumps(data.dataset_stats(args.dir), indent=1))
    return 0
