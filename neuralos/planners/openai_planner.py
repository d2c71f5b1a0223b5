"""The `openai-compatible` planner: a chat-completions endpoint on the user's machine.

    OpenAIPlanner("http://127.0.0.1:8080/v1", model="qwen2.5", api_key_env="MY_KEY")

Works with llama.cpp's server, Ollama, vLLM, LM Studio and anything else speaking
`POST /v1/chat/completions` with `"stream": true` (server-sent events). Only the standard library is
used. The request asks for structured output — `response_format: json_schema` with the official
object form `{"messages": [...]}` of A2UI (`neuralos.planners.schema`) — and falls back to plain
JSON mode, then to no format, when a server rejects it. Answers are validated and repaired like any
LLM planner's (`neuralos.planners.llm`). Connection failures, silence longer than `timeout` and
connections dropped mid-answer are `PlannerError`s saying which.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from typing import Iterator
from urllib.parse import urlsplit

from neuralos.errors import BadInput
from neuralos.planners.base import PlannerError
from neuralos.planners.llm import ChatPlanner

FORMATS = ("auto", "json_schema", "json_object", "none")
MAX_ERROR_BODY = 4096


def chat_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of the chat-completions endpoint for a base URL.

    "http://127.0.0.1:8080" and ".../v1" both mean ".../v1/chat/completions".
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"the planner URL must be http(s)://HOST[:PORT][/v1], not {url!r}", where="url")
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path = (path if path.endswith("/v1") else path + "/v1") + "/chat/completions"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port, path


class OpenAIPlanner(ChatPlanner):
    """A chat-completions endpoint as a planner. See the module docstring.

    `api_key` or `api_key_env` (the *name* of an environment variable) give the bearer token;
    `timeout` is the longest silence allowed while waiting for the answer, `connect_timeout` for
    connecting; `response_format` is auto | json_schema | json_object | none.
    """

    name = "openai-compatible"

    def __init__(self, url: str, model: str | None = None, *, api_key: str | None = None,
                 api_key_env: str | None = None, name: str | None = None, timeout: float = 60.0,
                 connect_timeout: float = 10.0, max_tokens: int = 2048, temperature: float = 0.2,
                 retries: int = 2, response_format: str = "auto", builtin_apps: bool = True):
        super().__init__(retries=retries, builtin_apps=builtin_apps, name=name)
        self.scheme, self.host, self.port, self.path = chat_url(url)
        self.url = f"{self.scheme}://{self.host}:{self.port}{self.path}"
        self.model = model or "default"
        if api_key is None and api_key_env:
            api_key = os.environ.get(api_key_env)
            if not api_key:
                raise BadInput(f"the environment variable {api_key_env} (the API key) is not set", where="api_key_env")
        self.api_key = api_key
        if response_format not in FORMATS:
            raise BadInput(f"response_format must be one of {', '.join(FORMATS)}, not {response_format!r}",
                           where="response_format")
        for key, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if not (isinstance(value, (int, float)) and 0 < value <= 3600):
                raise BadInput(f"{key} must be a number of seconds in (0, 3600], not {value!r}", where=key)
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.response_format = response_format
        # Formats still to try, best first; a server that rejects one is not asked again.
        self._formats = {"auto": ["json_schema", "json_object", "none"], "json_schema": ["json_schema"],
                         "json_object": ["json_object"], "none": ["none"]}[response_format]
        self.last_stats: dict = {}

    def describe(self) -> str:
        return f"{self.name} ({self.model} at {self.host}:{self.port})"

    # -- request --------------------------------------------------------------------------------------
    def _body(self, chat: list[dict], fmt: str) -> dict:
        body = {"model": self.model, "messages": chat, "stream": True, "temperature": self.temperature,
                "max_tokens": self.max_tokens}
        if fmt == "json_schema":
            from neuralos.planners.schema import constrained_schema

            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "a2ui_messages", "strict": False, "schema": constrained_schema(wrapper=True)}}
        elif fmt == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=self.connect_timeout)
        try:
            conn.connect()
        except OSError as e:
            raise PlannerError(f"cannot reach the planner at {self.url}: {e.strerror or e}") from None
        conn.sock.settimeout(self.timeout)
        return conn

    def _generate(self, chat: list[dict], cancel: threading.Event | None) -> Iterator[str]:
        while True:
            fmt = self._formats[0]
            conn = self._connect()
            done = threading.Event()
            if cancel is not None:
                threading.Thread(target=self._watch, args=(conn, cancel, done), daemon=True).start()
            try:
                headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
                if self.api_key:
                    headers["Authorization"] = f"Bearer {self.api_key}"
                try:
                    conn.request("POST", self.path, body=json.dumps(self._body(chat, fmt)).encode(), headers=headers)
                    resp = conn.getresponse()
                except (socket.timeout, TimeoutError):
                    raise PlannerError(f"the planner at {self.url} did not answer within {self.timeout:g} s") from None
                except OSError as e:
                    if cancel is not None and cancel.is_set():
                        return
                    raise PlannerError(f"the connection to {self.url} failed: {e.strerror or e}") from None
                if resp.status >= 400:
                    detail = self._error_text(resp)
                    if resp.status in (400, 404, 415, 422, 500, 501) and fmt != "none" and len(self._formats) > 1 \
                            and self._mentions_format(detail):
                        self._formats.pop(0)          # the server does not do this format: ask without
                        continue
                    raise PlannerError(f"the planner at {self.url} answered HTTP {resp.status}: {detail}")
                yield from self._read(resp, cancel)
                return
            finally:
                done.set()
                conn.close()

    @staticmethod
    def _mentions_format(detail: str) -> bool:
        low = detail.lower()
        return any(w in low for w in ("response_format", "json_schema", "schema", "grammar", "format"))

    @staticmethod
    def _error_text(resp) -> str:
        try:
            raw = resp.read(MAX_ERROR_BODY).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            return resp.reason or "error"
        try:
            data = json.loads(raw)
            err = data.get("error", data) if isinstance(data, dict) else data
            msg = err.get("message") if isinstance(err, dict) else err
            return str(msg or raw).strip()[:300]
        except ValueError:
            return raw.strip()[:300] or (resp.reason or "error")

    @staticmethod
    def _watch(conn, cancel: threading.Event, done: threading.Event) -> None:
        """Close the connection as soon as the plan is cancelled (so a slow server cannot hold us)."""
        while not done.wait(0.05):
            if cancel.is_set():
                try:
                    if conn.sock is not None:
                        conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return

    def _read(self, resp, cancel) -> Iterator[str]:
        start = time.perf_counter()
        stats = {"chunks": 0, "chars": 0, "first_chunk_s": None, "finish_reason": None}
        self.last_stats = stats
        ctype = (resp.getheader("Content-Type") or "").lower()
        try:
            if "text/event-stream" not in ctype:
                # A server that ignored "stream": one JSON body.
                data = json.loads(resp.read(16 * 1024 * 1024).decode("utf-8"))
                content = self._content(data, delta=False)
                stats.update(chunks=1, chars=len(content or ""), first_chunk_s=time.perf_counter() - start)
                if content:
                    yield content
                return
            finished = False
            while True:
                line = resp.readline(1 << 20)
                if not line:
                    break
                line = line.strip()
                if not line or line.startswith(b":") or not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    finished = True
                    break
                try:
                    data = json.loads(payload)
                except ValueError:
                    raise PlannerError(f"the planner at {self.url} sent an event that is not JSON: "
                                       f"{payload[:80]!r}") from None
                if isinstance(data, dict) and data.get("error"):
                    err = data["error"]
                    raise PlannerError(f"the planner at {self.url} reported: "
                                       f"{err.get('message', err) if isinstance(err, dict) else err}")
                choice = (data.get("choices") or [{}])[0] if isinstance(data, dict) else {}
                if choice.get("finish_reason"):
                    stats["finish_reason"] = choice["finish_reason"]
                    finished = True
                content = self._content(data, delta=True)
                if content:
                    if stats["first_chunk_s"] is None:
                        stats["first_chunk_s"] = time.perf_counter() - start
                    stats["chunks"] += 1
                    stats["chars"] += len(content)
                    yield content
            if not finished:
                if cancel is not None and cancel.is_set():
                    return
                raise PlannerError(f"the connection to {self.url} closed before the answer was complete")
        except (socket.timeout, TimeoutError):
            raise PlannerError(f"the planner at {self.url} went silent for {self.timeout:g} s") from None
        except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException, OSError, ValueError) as e:
            if cancel is not None and cancel.is_set():
                return
            raise PlannerError(f"the connection to {self.url} broke mid-answer ({type(e).__name__})") from None
        finally:
            stats["seconds"] = time.perf_counter() - start

    @staticmethod
    def _content(data, delta: bool) -> str:
        if not isinstance(data, dict):
            return ""
        choices = data.get("choices") or []
        if not choices or not isinstance(choices[0], dict):
            return ""
        c = choices[0]
        part = c.get("delta") if delta else c.get("message")
        if isinstance(part, dict) and isinstance(part.get("content"), str):
            return part["content"]
        return c.get("text") if isinstance(c.get("text"), str) else ""

    # -- checks ---------------------------------------------------------------------------------------
    def verify(self) -> None:
        """Reachability check for `neuralos models verify`: the server accepts a connection."""
        self._connect().close()
