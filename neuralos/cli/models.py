"""`neuralos models list [--json] | info NAME [--json] | verify [NAME] [--json]`: the plugin folder.

`list` shows every discovered model (name, kind, format, status, source, path; the reason under a
broken one); `info` everything known about one; `verify` loads each model (or the named one) and
runs one tiny inference: exit 1 if any is broken, 2 for an unknown name.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "models", help="list, inspect and verify renderer and planner models in the plugin folders",
        description="Models are folders in $NEURALOS_MODELS, the user data directory's models/ and the "
                    "project's models/ (in that order; the first of a name wins). See docs/plugins.md.")
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", required=True)

    p = actions.add_parser("list", help="every model, ok or broken (with the reason)")
    p.add_argument("--json", action="store_true", help='print {"models": [...], "searched": [...]}')
    p.set_defaults(func=run_list)

    p = actions.add_parser("info", help="everything known about one model")
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help="print the model's row as JSON")
    p.set_defaults(func=run_info)

    p = actions.add_parser("verify", help="load and run one tiny inference; exit 1 if any is broken")
    p.add_argument("name", nargs="?", help="only this model (default: all)")
    p.add_argument("--device", default="cpu", help="torch device to verify on (default: cpu)")
    p.add_argument("--json", action="store_true", help="print the verified rows as JSON")
    p.set_defaults(func=run_verify)


def run_list(args: argparse.Namespace) -> int:
    from neuralos.plugins import discover, search_dirs

    models, dirs = discover(), search_dirs()
    if args.json:
        _print_json({"models": [m.to_dict() for m in models],
                     "searched": [{"path": str(d), "source": s, "exists": d.is_dir()} for d, s in dirs]})
        return 0
    if not models:
        print("no models found; searched:")
        for d, source in dirs:
            print(f"  {d} ({source}{'' if d.is_dir() else ', missing'})")
        return 0
    _print_table(models)
    return 0


def run_info(args: argparse.Namespace) -> int:
    from neuralos.plugins import find

    info = find(args.name)
    if args.json:
        _print_json(info.to_dict())
        return 0
    rows = [("name", info.name), ("kind", info.kind or "?"), ("format", info.format or "?"),
            ("status", info.status), ("reason", info.reason), ("source", info.source),
            ("path", str(info.path) if info.path else "(installed package)"),
            ("description", info.description),
            ("parameters", json.dumps(info.parameters) if info.parameters else "")]
    rows += [("shadows", s) for s in info.shadows]
    if info.manifest is not None and info.manifest.url:
        m = info.manifest
        rows += [("url", m.url), ("model", m.model or ""), ("api_key_env", m.api_key_env or "")]
    if info.path is not None and info.path.is_dir():
        files = [f for f in sorted(info.path.rglob("*")) if f.is_file()]
        rows += [("files" if i == 0 else "", f"{f.relative_to(info.path)} ({_size(f.stat().st_size)})")
                 for i, f in enumerate(files)]
    for key, value in rows:
        if value:
            print(f"{key + ':' if key else '':13} {value}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    import time

    from neuralos.plugins import discover, find, verify

    models = discover()
    targets = [find(args.name, models=models)] if args.name else models
    if not targets:
        print("no models to verify")
        return 0
    results = []
    for info in targets:
        progress = not args.json and sys.stderr.isatty()
        if progress:
            print(f"verifying {info.name} ...", end="", flush=True, file=sys.stderr)
        start = time.monotonic()
        result = verify(info, device=args.device)
        seconds = time.monotonic() - start
        results.append((result, seconds))
        if progress:
            print("\r\033[K", end="", flush=True, file=sys.stderr)
        if not args.json:
            line = f"{result.status:7} {result.name}"
            print(line + (f"  ({seconds:.1f} s)" if result.ok else f": {result.reason}"))
    broken = sum(not r.ok for r, _ in results)
    if args.json:
        _print_json({"models": [dict(r.to_dict(), seconds=round(s, 3)) for r, s in results]})
    else:
        print(f"{len(results) - broken} ok, {broken} broken")
    return 1 if broken else 0


def _print_table(models) -> None:
    header = ("NAME", "KIND", "FORMAT", "STATUS", "SOURCE", "PATH")
    rows = [(m.name, m.kind or "?", m.format or "?", m.status, m.source,
             str(m.path) if m.path else m.description) for m in models]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row, m in zip([header, *rows], [None, *models]):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1])
        if m is not None and m.reason:
            print(f"    {m.reason}")
        if m is not None:
            for s in m.shadows:
                print(f"    (shadows {s})")


def _print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
