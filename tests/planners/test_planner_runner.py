"""PlannerRunner: progressive and atomic application, rollback, errors, timeouts, cancel, timers."""
from __future__ import annotations

import threading
import time

import pytest

from neuralos.planners.base import Planner, PlannerError, PlanStep, ShellCommand
from neuralos.planners.runner import PlannerRunner, coalesce
from neuralos.resources import BASIC_CATALOG_ID
from neuralos.session import Session

V = "v0.9"


def create(sid):
    return {"version": V, "createSurface": {"surfaceId": sid, "catalogId": BASIC_CATALOG_ID}}


def comps(sid, *components):
    return {"version": V, "updateComponents": {"surfaceId": sid, "components": list(components)}}


def text(cid, value):
    return {"id": cid, "component": "Text", "text": value}


class Scripted(Planner):
    """Yields the given steps; a callable in the script is called (to raise, block or record)."""

    name = "scripted"

    def __init__(self, *script):
        self.script = script
        self.requests = []

    def plan(self, state, request, cancel=None):
        self.requests.append(request)
        for item in self.script:
            if callable(item):
                item(cancel)
            else:
                yield item


@pytest.fixture
def desk():
    """A session with one existing window ('old', with data) and a runner factory."""
    session = Session()
    session.apply([create("old"), comps("old", text("root", "before")),
                   {"version": V, "updateDataModel": {"surfaceId": "old", "value": {"n": 1}}}])
    session.windows.open("old", "Old", 200, 100)
    runners = []

    def make(planner, **kw):
        kw.setdefault("timeout", 5)
        kw.setdefault("schedule", False)
        r = PlannerRunner(session, planner, **kw)
        runners.append(r)
        return r

    yield session, make
    for r in runners:
        r.close()


def test_progressive_batches_show_up_as_they_arrive(desk):
    session, make = desk
    seen = []

    def on_event(ev):
        if ev.kind == "applied":
            seen.append(sorted(session.surfaces["new"].components))

    planner = Scripted(PlanStep(messages=[create("new")]),
                       PlanStep(messages=[comps("new", {"id": "root", "component": "Column", "children": ["a", "b"]})],
                                provisional=True),
                       PlanStep(messages=[comps("new", text("a", "A"))], provisional=True),
                       PlanStep(messages=[comps("new", text("b", "B"))], provisional=True),
                       PlanStep(status="done", progress=1.0))
    result = make(planner, on_event=on_event).run("go")
    assert result.ok, result.error
    assert seen == [[], ["root"], ["a", "root"], ["a", "b", "root"]]
    assert result.first_component_s is not None
    assert [list(m)[1] for m in result.messages] == ["createSurface", "updateComponents"]   # coalesced
    assert [c["id"] for c in result.messages[1]["updateComponents"]["components"]] == ["root", "a", "b"]


def test_a_bad_batch_undoes_the_whole_plan(desk):
    session, make = desk
    before = session.snapshot()
    planner = Scripted(PlanStep(messages=[create("new"), comps("new", text("root", "hi"))]),
                       PlanStep(messages=[comps("old", text("root", "changed"))]),
                       PlanStep(messages=[{"version": V, "updateDataModel": {"surfaceId": "old", "path": "/n",
                                                                            "value": 2}}]),
                       PlanStep(messages=[comps("old", {"id": "x", "component": "Nonsense"})]))
    result = make(planner).run("go")
    assert not result.ok and "rejected" in result.error and "Nonsense" in result.error
    assert session.snapshot() == before                     # new window gone, old one as it was
    assert result.messages == []


def test_an_incomplete_streamed_answer_is_undone(desk):
    session, make = desk
    before = session.snapshot()
    planner = Scripted(PlanStep(messages=[create("new")]),
                       PlanStep(messages=[comps("new", {"id": "root", "component": "Card", "child": "never"})],
                                provisional=True))
    result = make(planner).run("go")
    assert not result.ok and "incomplete" in result.error and "never" in result.error
    assert session.snapshot() == before


@pytest.mark.parametrize("failure, words", [
    (PlannerError("the model server went away"), ["the model server went away"]),
    (ValueError("boom"), ["scripted planner failed", "ValueError: boom"]),
])
def test_planner_errors_leave_the_desktop_as_it_was(desk, failure, words):
    session, make = desk
    before = session.snapshot()

    def fail(cancel):
        raise failure

    planner = Scripted(PlanStep(messages=[comps("old", text("root", "half"))]), fail)
    result = make(planner).run("go")
    assert not result.ok
    for w in words:
        assert w in result.error
    assert session.snapshot() == before


def test_a_hanging_planner_times_out_and_is_told_to_stop(desk):
    session, make = desk
    before = session.snapshot()
    stopped = threading.Event()

    def hang(cancel):
        cancel.wait(30)
        stopped.set()

    planner = Scripted(PlanStep(messages=[create("new")]), hang)
    t0 = time.monotonic()
    result = make(planner, timeout=0.4).run("go")
    assert time.monotonic() - t0 < 3
    assert result.timed_out and not result.ok and "within 0.4 s" in result.error
    assert session.snapshot() == before
    assert stopped.wait(2)                                   # the planner saw the cancel


def test_cancel_undoes_and_the_next_job_still_runs(desk):
    session, make = desk
    before = session.snapshot()
    applied = threading.Event()

    def block(cancel):
        cancel.wait(10)

    runner = make(Scripted(PlanStep(messages=[create("new")]), block),
                  on_event=lambda e: e.kind == "applied" and applied.set())
    job = runner.submit("slow")
    assert applied.wait(3)
    assert "new" in session.surfaces
    job.cancel()
    result = job.wait(5)
    assert result.cancelled and session.snapshot() == before
    runner.planner = Scripted(PlanStep(messages=[create("next"), comps("next", text("root", "ok"))]))
    assert runner.run("again").ok and "next" in session.surfaces


def test_planner_rollback_step_then_a_second_try(desk):
    session, make = desk
    planner = Scripted(PlanStep(messages=[create("try1")]), PlanStep(rollback=True),
                       PlanStep(messages=[create("try2"), comps("try2", text("root", "second"))]))
    result = make(planner).run("go")
    assert result.ok and "try1" not in session.surfaces and "try2" in session.surfaces
    assert [m.get("createSurface", {}).get("surfaceId") for m in result.messages][0] == "try2"


def test_window_commands_and_theme_are_undone_too(desk):
    session, make = desk
    planner = Scripted(PlanStep(commands=[ShellCommand("minimize", "old"), ShellCommand("theme", value="dark")]),
                       PlanStep(messages=[comps("old", {"id": "root"})]))
    kinds = []
    session.subscribe(lambda changes: kinds.extend(c.kind for c in changes))
    result = make(planner).run("go")
    assert not result.ok
    assert session.theme == "light" and not session.windows.get("old").minimized
    assert kinds.count("theme") == 2                         # views hear the theme go back too


def test_shell_commands_run_and_reach_the_shell(desk):
    session, make = desk
    got = []
    planner = Scripted(PlanStep(commands=[ShellCommand("minimize", "old"), ShellCommand("theme", value="dark"),
                                          ShellCommand("renderer", value="widgets")], reply="done"))
    result = make(planner, on_command=got.append).run("go")
    assert result.ok and result.reply == "done"
    assert session.windows.get("old").minimized and session.theme == "dark"
    assert [c.op for c in got] == ["renderer"]
    bad = make(Scripted(PlanStep(commands=[ShellCommand("raise", "nope")]))).run("go")
    assert not bad.ok and "no window 'nope'" in bad.error


def test_scheduled_actions_come_back_to_the_planner(desk):
    session, make = desk
    planner = Scripted(PlanStep(commands=[ShellCommand("schedule", "old", {"after": 0.05, "name": "tick",
                                                                          "context": {"k": 1}})]))
    runner = make(planner, schedule=True)
    assert runner.run("start").ok
    deadline = time.monotonic() + 3
    while len(planner.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    tick = planner.requests[1]
    assert tick["action"]["name"] == "tick" and tick["action"]["surfaceId"] == "old"
    assert tick["action"]["context"] == {"k": 1}


def test_events_and_queue_order(desk):
    session, make = desk
    events = []
    planner = Scripted(PlanStep(status="working", progress=0.5), PlanStep(messages=[comps("old", text("root", "x"))]))
    runner = make(planner, on_event=lambda e: events.append((e.kind, e.text)))
    jobs = [runner.submit(f"r{i}") for i in range(3)]
    assert all(j.wait(5).ok for j in jobs)
    assert planner.requests == ["r0", "r1", "r2"]
    assert events[:4] == [("started", "scripted planner working…"), ("status", "working"), ("applied", ""),
                          ("finished", "")]


def test_requests_must_be_text_or_an_action(desk):
    session, make = desk
    runner = make(Scripted())
    assert "intent is empty" in runner.run("  ").error
    assert "action message" in runner.run({"version": V, "nope": {}}).error


def test_coalesce_keeps_order_and_never_merges_repeated_ids():
    msgs = [create("s"), comps("s", text("root", "a")), comps("s", text("b", "b")), comps("s", text("b", "c"))]
    out = coalesce(msgs)
    assert [len(m["updateComponents"]["components"]) for m in out[1:]] == [2, 1]
