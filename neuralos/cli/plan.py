"""`neuralos plan "INTENT" [--state INPUT] [--planner NAME]`: print a planner's answer as A2UI JSONL.

INTENT is free text, or an A2UI `action` message as JSON (what a button click sends), so clicks can
be scripted too. `--state` is the desktop to plan on (JSONL, a JSON array of messages, or an object
with a `messages` array). The messages the planner's answer applied are printed one per line on
stdout; the planner's reply and any shell commands (window operations, theme) go to stderr.
Exit 0 on success, 1 when the planner could not (a refusal, an invalid answer, a timeout), 2 on bad
input.
"""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "plan", help="turn an intent into A2UI messages (JSONL on stdout)",
        description="Ask a planner to answer INTENT on a desktop and print the A2UI messages it applied, one "
                    "JSON object per line. INTENT may also be an A2UI action message (JSON).")
    p.add_argument("intent", metavar="INTENT", help="what you want, in words; or an A2UI action message as JSON")
    p.add_argument("--state", metavar="INPUT",
                   help="the desktop to plan on: A2UI messages as JSONL, a JSON array, or {\"messages\": [...]}; "
                        "- reads stdin")
    p.add_argument("--planner", default="builtin", metavar="NAME",
                   help="builtin (default), openai-compatible, a model folder, or a planner from the plugin folder")
    p.add_argument("--timeout", type=_seconds, default=None, metavar="S",
                   help="give up after S seconds (default 120)")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="the desktop's theme (default light)")
    p.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--timeout takes seconds, not {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("--timeout must be between 0 and 86400 seconds")
    return value


def _request(text: str):
    from neuralos.errors import BadInput

    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise BadInput(f"looks like JSON but is not: {e.msg} at column {e.colno}", where="INTENT") from None
        if not (isinstance(doc, dict) and isinstance(doc.get("action"), dict)):
            raise BadInput('a JSON INTENT must be an A2UI action message ({"version": "v0.9", "action": {...}})',
                           where="INTENT")
        return doc
    if not stripped:
        raise BadInput("is empty", where="INTENT")
    return text


def run(args: argparse.Namespace) -> int:
    from neuralos.errors import NeuralosError
    from neuralos.planners import PlannerRunner, get_planner
    from neuralos.planners.runner import DEFAULT_TIMEOUT
    from neuralos.session import Session, window_title

    request = _request(args.intent)
    session = Session(theme=args.theme)
    if args.state:
        from neuralos.a2ui.io import load_messages

        messages = load_messages(args.state)
        session.apply(messages, source=str(args.state))
        for sid, surface in session.surfaces.items():       # windows in creation order, the last focused
            session.windows.open(sid, window_title(surface), 400, 300)
    planner = get_planner(args.planner)
    runner = PlannerRunner(session, planner, timeout=args.timeout or DEFAULT_TIMEOUT, schedule=False)
    try:
        result = runner.run(request)
    finally:
        runner.close()
        planner.close()
    if not result.ok:
        raise NeuralosError(result.error or f"the {planner.name} planner could not answer")
    out = sys.stdout
    for message in result.messages:
        out.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n")
    out.flush()
    if result.reply:
        print(result.reply, file=sys.stderr)
    for cmd in result.commands:
        print("shell command: " + json.dumps(cmd.to_json(), ensure_ascii=False), file=sys.stderr)
    return 0
