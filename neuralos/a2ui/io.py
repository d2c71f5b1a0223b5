"""Reading A2UI messages from files and stdin in the three input forms of the CLI contract.

- JSONL: one message object per line (blank lines allowed);
- a JSON array of messages;
- a JSON object with a `messages` array (the form of the official examples).

Problems raise `BadInput` naming the source and the line (and column) and what is wrong.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from neuralos.a2ui.validate import json_kind
from neuralos.errors import BadInput

MESSAGE_KEYS = ("createSurface", "updateComponents", "updateDataModel", "deleteSurface")
FORMS = "JSONL, a JSON array of messages, or an object with a 'messages' array"


def load_messages(path: str | Path) -> list[dict]:
    """Messages from a file; `-` reads stdin."""
    if str(path) == "-":
        return parse_messages(sys.stdin.read(), "<stdin>")
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise BadInput("no such file", where=str(p)) from None
    except IsADirectoryError:
        raise BadInput("is a directory, not a file of A2UI messages", where=str(p)) from None
    except OSError as e:
        raise BadInput(f"cannot read: {e.strerror or e}", where=str(p)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadInput(f"not UTF-8 text (bad byte at offset {e.start})", where=str(p)) from None
    return parse_messages(text, str(p))


def parse_messages(text: str, source: str = "<stdin>") -> list[dict]:
    """Messages from text in any of the three forms."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise BadInput(f"no A2UI messages (expected {FORMS})", where=source)
    try:
        doc = _loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data" or _is_jsonl(text):
            return _parse_jsonl(text, source)
        raise BadInput(f"invalid JSON: {e.msg}", where=f"{source}:{e.lineno}:{e.colno}") from None
    except ValueError as e:
        raise BadInput(str(e), where=source) from None
    if isinstance(doc, list):
        return _check_list(doc, source, "")
    if isinstance(doc, dict):
        if "messages" in doc:
            if not isinstance(doc["messages"], list):
                raise BadInput(f"'messages' must be an array, not {json_kind(doc['messages'])}", where=f"{source} /messages")
            return _check_list(doc["messages"], source, "/messages")
        if any(k in doc for k in MESSAGE_KEYS):
            return [doc]  # JSONL with a single line
    raise BadInput(f"expected {FORMS}, got {json_kind(doc)}", where=source)


def _loads(text: str) -> Any:
    def reject(constant: str):
        raise ValueError(f"{constant} is not valid JSON (numbers must be finite)")
    try:
        return json.loads(text, parse_constant=reject)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _is_jsonl(text: str) -> bool:
    """Several lines that each start a JSON object: JSONL with a broken line somewhere."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return len(lines) > 1 and all(ln.startswith("{") for ln in lines)


def _parse_jsonl(text: str, source: str) -> list[dict]:
    messages = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            msg = _loads(line)
        except json.JSONDecodeError as e:
            raise BadInput(f"invalid JSON: {e.msg} (JSONL: one message per line)",
                           where=f"{source}:{number}:{e.colno}") from None
        except ValueError as e:
            raise BadInput(str(e), where=f"{source}:{number}") from None
        if not isinstance(msg, dict):
            raise BadInput(f"a message must be a JSON object, not {json_kind(msg)}", where=f"{source}:{number}")
        messages.append(msg)
    return messages


def _check_list(items: list, source: str, prefix: str) -> list[dict]:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadInput(f"a message must be a JSON object, not {json_kind(item)}", where=f"{source} {prefix}/{i}")
    return items
