"""Incremental reading of a streamed answer: A2UI messages, and components as soon as each one closes.

    stream = MessageStream()
    for chunk in chunks:
        for event in stream.feed(chunk):
            ...   # Piece("component", 0, {...}, surface_id="notes") / Piece("message", 1, {...})
    messages = stream.messages()   # the whole answer, or StreamError saying what is wrong

The answer may be a JSON array of messages, the official wrapper object `{"messages": [...]}`, or one
message object; text before the first `[`/`{` (a chatty model's "Here you go:") and after the end is
ignored. Nothing is parsed twice: each closed value is parsed once, from its own slice of the text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class StreamError(ValueError):
    """The streamed text is not (yet) a complete answer; `path` is a JSON pointer into it."""

    def __init__(self, message: str, path: str = "/"):
        self.path = path
        super().__init__(message)


@dataclass(frozen=True)
class Piece:
    """A complete part of the answer: kind "component" (of message `index`) or "message"."""

    kind: str
    index: int
    value: Any
    surface_id: str | None = None
    position: int = 0            # a component's index in its message's `components`


class _Frame:
    __slots__ = ("kind", "start", "path", "key", "index", "expect_key")

    def __init__(self, kind: str, start: int, path: tuple):
        self.kind, self.start, self.path = kind, start, path
        self.key: str | None = None
        self.index = -1
        self.expect_key = kind == "{"

    def child(self):
        return self.key if self.kind == "{" else self.index


class MessageStream:
    """See the module docstring. `max_chars` bounds the text kept (a runaway answer is an error)."""

    def __init__(self, max_chars: int = 2_000_000):
        self.text = ""
        self.max_chars = max_chars
        self._pos = 0
        self._stack: list[_Frame] = []
        self._root: str | None = None
        self._root_start = 0
        self._root_end: int | None = None
        self._mode: str | None = None         # "list" | "wrapper" | "single"
        self._in_string = False
        self._escape = False
        self._str_start = 0
        self._str_is_key = False
        self._surfaces: dict[int, str] = {}   # message index -> updateComponents surfaceId

    @property
    def complete(self) -> bool:
        return self._root_end is not None

    def feed(self, chunk: str) -> list[Piece]:
        if self._root_end is not None:
            return []
        self.text += chunk
        if len(self.text) > self.max_chars:
            raise StreamError(f"the answer is longer than {self.max_chars} characters")
        out: list[Piece] = []
        text = self.text
        i = self._pos
        while i < len(text) and self._root_end is None:
            ch = text[i]
            if self._in_string:
                if self._escape:
                    self._escape = False
                elif ch == "\\":
                    self._escape = True
                elif ch == '"':
                    self._in_string = False
                    self._string_done(i, out)
            elif self._root is None:
                if ch in "[{":
                    self._root = ch
                    self._root_start = i
                    self._stack.append(_Frame(ch, i, ()))
                    if ch == "[":
                        self._mode = "list"
                        self._stack[-1].index = 0
            elif ch == '"':
                self._in_string = True
                self._str_start = i
                top = self._stack[-1] if self._stack else None
                self._str_is_key = bool(top and top.kind == "{" and top.expect_key)
            elif ch in "[{":
                parent = self._stack[-1]
                if parent.kind == "[" and parent.index < 0:
                    parent.index = 0
                frame = _Frame(ch, i, parent.path + (parent.child(),))
                if ch == "[":
                    frame.index = -1
                self._stack.append(frame)
            elif ch in "]}":
                frame = self._stack.pop()
                self._closed(frame, i, out)
                if not self._stack:
                    self._root_end = i
            elif ch == ",":
                top = self._stack[-1]
                if top.kind == "{":
                    top.expect_key = True
                else:
                    top.index += 1
            elif ch == ":":
                self._stack[-1].expect_key = False
            elif not ch.isspace():
                top = self._stack[-1]
                if top.kind == "[" and top.index < 0:
                    top.index = 0
            i += 1
        self._pos = i
        return out

    # -- events -----------------------------------------------------------------------------------
    def _string_done(self, end: int, out: list[Piece]) -> None:
        top = self._stack[-1] if self._stack else None
        if top is None:
            return
        if top.kind == "[" and top.index < 0:
            top.index = 0
        if self._str_is_key:
            try:
                top.key = json.loads(self.text[self._str_start:end + 1])
            except ValueError:
                top.key = None
            if top is self._stack[0] and self._root == "{" and self._mode is None:
                self._mode = "wrapper" if top.key == "messages" else "single"
            return
        path = top.path + (top.child(),)
        where = self._message_path(path)
        if where is not None and where[1] == ("updateComponents", "surfaceId"):
            try:
                self._surfaces[where[0]] = json.loads(self.text[self._str_start:end + 1])
            except ValueError:
                pass

    def _message_path(self, path: tuple) -> tuple[int, tuple] | None:
        """(message index, path inside the message) for a path from the root, or None."""
        if self._mode == "list" and path and isinstance(path[0], int):
            return path[0], path[1:]
        if self._mode == "wrapper" and len(path) >= 2 and path[0] == "messages" and isinstance(path[1], int):
            return path[1], path[2:]
        if self._mode == "single":
            return 0, path
        return None

    def _closed(self, frame: _Frame, end: int, out: list[Piece]) -> None:
        where = self._message_path(frame.path)
        if where is None:
            return
        index, inner = where
        if inner == () or (len(inner) == 3 and inner[:2] == ("updateComponents", "components")
                           and isinstance(inner[2], int) and frame.kind == "{"):
            try:
                value = json.loads(self.text[frame.start:end + 1])
            except ValueError:
                return   # malformed: messages() reports it
            if inner == ():
                out.append(Piece("message", index, value))
            else:
                out.append(Piece("component", index, value, self._surfaces.get(index), inner[2]))

    # -- the whole answer -------------------------------------------------------------------------
    def messages(self) -> list[Any]:
        """All messages of the complete answer; `StreamError` if it is incomplete or not JSON."""
        if self._root is None:
            raise StreamError("the answer contains no JSON (expected a JSON array of A2UI messages)")
        if self._root_end is None:
            raise StreamError("the answer ended before its JSON was complete (too long, or cut off)")
        try:
            value = json.loads(self.text[self._root_start:self._root_end + 1])
        except json.JSONDecodeError as e:
            raise StreamError(f"the answer is not valid JSON: {e.msg} at character {e.pos}") from None
        if self._mode == "wrapper" and isinstance(value, dict):
            value = value.get("messages")
            if not isinstance(value, list):
                raise StreamError("'messages' must be an array", "/messages")
        elif isinstance(value, dict):
            value = [value]
        return value
