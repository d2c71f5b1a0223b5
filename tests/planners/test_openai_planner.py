"""The openai-compatible planner against a real HTTP server on loopback with scripted replies."""
from __future__ import annotations

import json
import queue
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from neuralos.errors import BadInput
from neuralos.planners.openai_planner import OpenAIPlanner, chat_url
from neuralos.planners.runner import PlannerRunner
from neuralos.resources import BASIC_CATALOG_ID
from neuralos.session import Session
from planner_helpers import action_for

V = "v0.9"
ANSWER = [
    {"version": V, "createSurface": {"surfaceId": "greeter", "catalogId": BASIC_CATALOG_ID}},
    {"version": V, "updateComponents": {"surfaceId": "greeter", "components": [
        {"id": "root", "component": "Column", "children": ["msg", "btn"]},
        {"id": "msg", "component": "Text", "text": {"path": "/msg"}},
        {"id": "btn-label", "component": "Text", "text": "Wave"},
        {"id": "btn", "component": "Button", "child": "btn-label",
         "action": {"event": {"name": "wave", "context": {"said": {"path": "/msg"}}}}}]}},
    {"version": V, "updateDataModel": {"surfaceId": "greeter", "value": {"msg": "Hello"}}},
]
WAVED = [{"version": V, "updateDataModel": {"surfaceId": "greeter", "path": "/msg", "value": "You waved!"}}]


# -- the scripted server ------------------------------------------------------------------------------

def sse(text, *, piece=12, delay=0.0, drop_after=None, done=True):
    """A reply streaming `text` as chat-completion chunks; `drop_after` closes the socket after N chunks."""
    def reply(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        chunks = [text[i:i + piece] for i in range(0, len(text), piece)]
        for n, chunk in enumerate(chunks):
            if drop_after is not None and n == drop_after:
                h.wfile.flush()
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            event = {"choices": [{"index": 0, "delta": {"content": chunk}, "finish_reason": None}]}
            h.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            h.wfile.flush()
            if delay:
                time.sleep(delay)
        if done:
            h.wfile.write(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
            h.wfile.write(b"data: [DONE]\n\n")
    return reply


def plain_json(text):
    def reply(h):
        body = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return reply


def http_error(status, message):
    def reply(h):
        body = json.dumps({"error": {"message": message}}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return reply


def silent(seconds):
    def reply(h):
        time.sleep(seconds)
    return reply


class Scripted:
    def __init__(self):
        self.replies: "queue.Queue" = queue.Queue()
        self.requests: list[dict] = []
        self.reject_formats = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if outer.reject_formats and "response_format" in body:
                    return http_error(400, "response_format is not supported")(self)
                try:
                    reply = outer.replies.get_nowait()
                except queue.Empty:
                    return http_error(500, "the test ran out of scripted replies")(self)
                try:
                    reply(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.watchdog = threading.Timer(120, self.server.shutdown)      # never outlives a stuck test
        self.watchdog.daemon = True
        self.watchdog.start()

    def script(self, *replies):
        for r in replies:
            self.replies.put(r)

    def stop(self):
        self.watchdog.cancel()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    s = Scripted()
    yield s
    s.stop()


@pytest.fixture
def desk():
    session = Session()
    runners = []

    def run(planner, request, **kw):
        r = PlannerRunner(session, planner, timeout=kw.pop("timeout", 20), schedule=False, **kw)
        runners.append(r)
        return r.run(request)

    yield session, run
    for r in runners:
        r.close()


def wrapped(messages):
    return json.dumps({"messages": messages})


# -- tests ----------------------------------------------------------------------------------------------

def test_streamed_answer_then_click_then_update(server, desk, monkeypatch):
    session, run = desk
    monkeypatch.setenv("MY_PLANNER_KEY", "sekret")
    planner = OpenAIPlanner(server.url, "tiny-model", api_key_env="MY_PLANNER_KEY")
    applied = []
    server.script(sse(wrapped(ANSWER)), sse(json.dumps(WAVED)))
    result = run(planner, "make a greeter", on_event=lambda e: e.kind == "applied" and applied.append(1))
    assert result.ok, result.error
    assert session.surfaces["greeter"].data == {"msg": "Hello"}
    assert len(applied) >= 5                                    # createSurface, 4 components, data
    first = server.requests[0]
    assert first["path"] == "/v1/chat/completions"
    assert first["headers"]["Authorization"] == "Bearer sekret"
    body = first["body"]
    assert body["model"] == "tiny-model" and body["stream"] is True
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["messages"]
    assert "User intent: make a greeter" in body["messages"][-1]["content"]

    result = run(planner, action_for(session, "greeter", "btn"))
    assert result.ok, result.error
    assert session.surfaces["greeter"].data["msg"] == "You waved!"
    sent = server.requests[1]["body"]["messages"][-1]["content"]
    assert '"name": "wave"' in sent and '"said": "Hello"' in sent      # the action, its context resolved


def test_malformed_json_is_repaired(server, desk):
    session, run = desk
    planner = OpenAIPlanner(server.url, "m")
    broken = json.dumps(ANSWER)[:-40] + "}}]"                          # not JSON any more
    server.script(sse(broken), sse(json.dumps(ANSWER)))
    result = run(planner, "make a greeter")
    assert result.ok, result.error
    assert "greeter" in session.surfaces
    repair = server.requests[1]["body"]["messages"]
    assert repair[-2]["role"] == "assistant" and repair[-2]["content"] == broken
    assert "VALIDATION_FAILED" in repair[-1]["content"] and "not valid JSON" in repair[-1]["content"]


def test_invalid_a2ui_is_repaired_and_the_first_try_undone(server, desk):
    session, run = desk
    planner = OpenAIPlanner(server.url, "m")
    bad = json.loads(json.dumps(ANSWER))
    bad[1]["updateComponents"]["components"][1]["component"] = "Marquee"
    server.script(sse(json.dumps(bad)), sse(json.dumps(ANSWER)))
    result = run(planner, "make a greeter")
    assert result.ok, result.error
    assert session.surfaces["greeter"].components["msg"]["component"] == "Text"
    error = server.requests[1]["body"]["messages"][-1]["content"]
    assert "/1/updateComponents/components/1" in error


def test_servers_without_structured_output_get_plain_requests(server, desk):
    session, run = desk
    server.reject_formats = True
    planner = OpenAIPlanner(server.url, "m")
    server.script(sse(json.dumps(ANSWER)), plain_json(json.dumps(WAVED)))
    assert run(planner, "make a greeter").ok
    formats = [r["body"].get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object", None]
    assert run(planner, "wave").ok                                   # remembered: asked plainly at once
    assert "response_format" not in server.requests[-1]["body"]
    assert session.surfaces["greeter"].data["msg"] == "You waved!"


def test_a_silent_server_times_out_cleanly(server, desk):
    session, run = desk
    planner = OpenAIPlanner(server.url, "m", timeout=0.3, retries=0)
    server.script(silent(3))
    t0 = time.monotonic()
    result = run(planner, "make a greeter")
    assert time.monotonic() - t0 < 2.5
    assert not result.ok and "did not answer within 0.3 s" in result.error and not session.surfaces


def test_a_slow_stream_hits_the_runner_timeout_and_is_undone(server, desk):
    session, run = desk
    planner = OpenAIPlanner(server.url, "m", timeout=5)
    server.script(sse(json.dumps(ANSWER), piece=20, delay=0.15))
    result = run(planner, "make a greeter", timeout=1.0)
    assert result.timed_out and not session.surfaces


def test_a_dropped_connection_undoes_what_was_shown(server, desk):
    session, run = desk
    planner = OpenAIPlanner(server.url, "m", retries=0)
    seen = []
    server.script(sse(json.dumps(ANSWER), piece=40, drop_after=8))
    result = run(planner, "make a greeter",
                 on_event=lambda e: e.kind == "applied" and seen.append(sorted(session.surfaces)))
    assert seen and seen[-1] == ["greeter"]                          # it was on screen while streaming
    assert not result.ok and "closed before the answer was complete" in result.error
    assert not session.surfaces                                      # and is gone again


@pytest.mark.parametrize("reply, words", [
    (http_error(500, "model not loaded"), "HTTP 500: model not loaded"),
    (lambda h: (h.send_response(200), h.send_header("Content-Type", "text/event-stream"), h.end_headers(),
                h.wfile.write(b"data: {not json\n\n")), "not JSON"),
    (lambda h: (h.send_response(200), h.send_header("Content-Type", "text/event-stream"), h.end_headers(),
                h.wfile.write(b'data: {"error": {"message": "out of memory"}}\n\n')), "reported: out of memory"),
])
def test_server_errors_are_one_clear_line(server, desk, reply, words):
    session, run = desk
    server.script(reply)
    result = run(OpenAIPlanner(server.url, "m", retries=0), "make a greeter")
    assert not result.ok and words in result.error and "\n" not in result.error


def test_nobody_listening(desk):
    session, run = desk
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(OpenAIPlanner(f"http://127.0.0.1:{port}", "m", connect_timeout=1), "make a greeter")
    assert not result.ok and "cannot reach the planner" in result.error


def test_cancel_closes_the_connection(server, desk):
    session, _ = desk
    planner = OpenAIPlanner(server.url, "m", timeout=30)
    server.script(sse(json.dumps(ANSWER), piece=10, delay=0.2))
    started = threading.Event()
    runner = PlannerRunner(session, planner, timeout=30, schedule=False,
                           on_event=lambda e: e.kind == "applied" and started.set())
    try:
        job = runner.submit("make a greeter")
        assert started.wait(10)
        t0 = time.monotonic()
        job.cancel()
        assert job.wait(5).cancelled and time.monotonic() - t0 < 1.5
        assert not session.surfaces
    finally:
        runner.close()


def test_configuration_mistakes_are_bad_input(monkeypatch):
    assert chat_url("http://127.0.0.1:8080")[3] == "/v1/chat/completions"
    assert chat_url("http://localhost:11434/v1/")[1:] == ("localhost", 11434, "/v1/chat/completions")
    with pytest.raises(BadInput, match="http"):
        OpenAIPlanner("ftp://x", "m")
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(BadInput, match="NOPE_KEY"):
        OpenAIPlanner("http://127.0.0.1:1", "m", api_key_env="NOPE_KEY")
    with pytest.raises(BadInput, match="response_format"):
        OpenAIPlanner("http://127.0.0.1:1", "m", response_format="xml")
