"""The builtin apps, driven headless like a user would: intent -> click -> action -> updated UI."""
from __future__ import annotations

import pytest

from planner_helpers import action_for, tick
from neuralos.a2ui.validate import structure_issues


def data(session, sid):
    return session.surfaces[sid].data


def assert_ok(result):
    assert result.ok, result.error
    return result


def test_notes_add_from_intent_then_button_then_delete(session, runner, click):
    assert_ok(runner.run("open notes and add 'buy milk'"))
    assert [n["text"] for n in data(session, "notes")["notes"]] == ["buy milk"]
    assert session.surfaces["notes"].theme["neuralosApp"] == "notes"
    assert not structure_issues(session.surfaces["notes"].components)

    session.set_data("notes", "/draft", "call mom")          # the user types (local binding)
    result = assert_ok(click("notes", "add"))
    assert "call mom" in result.reply
    assert [n["text"] for n in data(session, "notes")["notes"]] == ["buy milk", "call mom"]
    assert data(session, "notes")["draft"] == ""
    assert data(session, "notes")["summary"] == "2 notes"

    assert_ok(click("notes", "note-delete", "/notes/0"))       # Delete on the first note's row
    assert [n["text"] for n in data(session, "notes")["notes"]] == ["call mom"]


def test_notes_empty_draft_is_a_gentle_reply_not_a_change(session, runner, click):
    assert_ok(runner.run("jot something down"))
    before = session.snapshot()
    result = assert_ok(click("notes", "add"))
    assert result.reply == "Type a note first."
    assert session.snapshot()["surfaces"] == before["surfaces"]


def test_todo_list_add_tick_clear_remove(session, runner, click):
    assert_ok(runner.run("make a to-do list with eggs, milk and bread"))
    items = data(session, "todo")["items"]
    assert [i["text"] for i in items] == ["eggs", "milk", "bread"]
    assert data(session, "todo")["summary"] == "3 of 3 left"

    session.set_data("todo", "/newItem", "butter")
    assert_ok(click("todo", "add"))
    assert [i["text"] for i in data(session, "todo")["items"]][-1] == "butter"

    session.set_data("todo", "/items/0/done", True)            # ticking the CheckBox is local
    result = assert_ok(click("todo", "clear-done"))
    assert result.reply == "Cleared 1 completed item."
    assert [i["text"] for i in data(session, "todo")["items"]] == ["milk", "bread", "butter"]

    assert_ok(runner.run("mark bread as done"))
    assert [i["done"] for i in data(session, "todo")["items"]] == [False, True, False]
    assert_ok(runner.run("remove milk from the todo list"))
    assert_ok(click("todo", "item-remove", "/items/0"))        # row 0 is now bread
    assert [i["text"] for i in data(session, "todo")["items"]] == ["butter"]
    assert data(session, "todo")["summary"] == "1 of 1 left"


def test_todo_unknown_item_is_refused_and_changes_nothing(session, runner):
    assert_ok(runner.run("todo list: apples"))
    before = session.snapshot()
    result = runner.run("mark pears done")
    assert not result.ok and result.refused
    assert "no “pears” on the todo list" in result.error
    assert session.snapshot() == before


def test_calculator_really_calculates_from_intent_and_keypad(session, runner, click):
    result = assert_ok(runner.run("what's 12*7"))
    assert result.reply == "12*7 = 84"
    assert data(session, "calculator")["display"] == "84"
    assert_ok(click("calculator", "key-clear"))
    for key in ("key-2", "key-open", "key-3", "key-add", "key-4", "key-close", "key-mul", "key-5"):
        assert_ok(click("calculator", key))
    assert data(session, "calculator")["expr"] == "2(3+4)*5"
    session.set_data("calculator", "/expr", "2*(3+4)*5")        # the user fixes it in the field
    assert_ok(click("calculator", "key-equals"))
    assert data(session, "calculator")["display"] == "70"
    assert data(session, "calculator")["history"][0] == {"line": "2*(3+4)*5 = 70"}
    session.set_data("calculator", "/expr", "1/0")
    assert_ok(click("calculator", "key-equals"))
    assert data(session, "calculator")["error"] == "division by zero"
    assert data(session, "calculator")["display"] == "70"


def test_timer_counts_down_on_ticks_and_rings(session, runner, clock, click):
    result = assert_ok(runner.run("set a timer for 5 seconds"))
    sched = [c for c in result.commands if c.op == "schedule"]
    assert sched and sched[0].surface == "timer" and sched[0].value["name"] == "tick"
    assert data(session, "timer")["display"] == "00:05"
    assert data(session, "timer")["toggleLabel"] == "Pause"

    def fire():
        return assert_ok(runner.run(tick("timer")))

    clock.advance(2)
    fire()
    assert data(session, "timer")["display"] == "00:03"
    assert_ok(click("timer", "toggle"))                          # pause at 3 s
    assert data(session, "timer")["status"] == "Paused"
    clock.advance(60)
    assert not fire().commands                                   # paused: no more ticks
    assert data(session, "timer")["display"] == "00:03"
    assert_ok(click("timer", "toggle"))                          # resume
    clock.advance(3.2)
    r = fire()
    assert r.reply == "⏰ Time's up!" and not r.commands
    assert data(session, "timer")["status"] == "Time's up!"
    assert data(session, "timer")["display"] == "00:00"


def test_stopwatch_and_clock(session, runner, clock, click):
    assert_ok(runner.run("start a stopwatch"))
    clock.advance(65.4)
    assert_ok(click("stopwatch", "lap-button"))
    assert data(session, "stopwatch")["laps"][0]["line"] == "Lap 1: 01:05.4"
    assert_ok(click("stopwatch", "toggle"))                      # stop
    clock.advance(100)
    assert_ok(click("stopwatch", "toggle"))                      # start again
    clock.advance(1)
    assert_ok(click("stopwatch", "toggle"))
    assert data(session, "stopwatch")["display"] == "01:06.4"

    result = assert_ok(runner.run("what time is it"))
    assert result.reply.startswith("It is ")
    sched = [c for c in result.commands if c.op == "schedule"][0]
    assert 0 < sched.value["after"] <= 60.05                      # next minute boundary


def test_settings_apply_theme_and_renderer(session, runner, click):
    commands = []
    runner.on_command = commands.append
    assert_ok(runner.run("open settings"))
    assert data(session, "settings")["theme"] == ["light"]
    session.set_data("settings", "/theme", ["dark"])
    session.set_data("settings", "/renderer", ["widgets"])
    result = assert_ok(click("settings", "apply"))
    assert session.theme == "dark"                                # executed by the runner
    assert [c.to_json() for c in commands] == [{"op": "renderer", "value": "widgets"}]   # handed to the shell
    assert "dark theme" in result.reply and "widgets renderer" in result.reply


def test_contact_form_checks_then_thanks(session, runner, click):
    assert_ok(runner.run("open a contact form"))
    session.set_data("contact", "/name", "Ada")
    session.set_data("contact", "/email", "not-an-email")
    session.set_data("contact", "/message", "Hello there")
    with pytest.raises(AssertionError, match="disabled"):          # the button's own checks fail
        action_for(session, "contact", "send")
    session.set_data("contact", "/email", "ada@example.org")
    result = assert_ok(click("contact", "send"))
    assert "Ada" in result.reply
    assert data(session, "contact")["sent"] == 1
    assert data(session, "contact")["message"] == ""
    # A client that skips checks gets the planner's own check.
    session.set_data("contact", "/message", "Hello again")
    bad = action_for(session, "contact", "send")
    bad["action"]["context"]["email"] = "x"
    assert_ok(runner.run(bad))
    assert "valid email" in data(session, "contact")["status"]


def test_login_switches_view_and_back(session, runner, click):
    assert_ok(runner.run("show me a login form"))
    session.set_data("login", "/email", "ada@example.org")
    session.set_data("login", "/password", "correct horse")
    result = assert_ok(click("login", "login"))
    assert result.reply == "Signed in as ada@example.org."
    comps = session.surfaces["login"].components
    assert comps["main"]["children"] == ["title", "who", "note", "logout"]
    assert data(session, "login")["password"] == ""               # never kept
    assert_ok(click("login", "logout"))
    assert "email" in session.surfaces["login"].components["main"]["children"]


def test_converter_from_intent_and_buttons(session, runner, click):
    result = assert_ok(runner.run("convert 5 km to miles"))
    assert result.reply == "5 kilometres = 3.106856 miles."
    assert data(session, "converter")["from"] == ["km"]
    assert_ok(click("converter", "cat-temperature"))
    picker = session.surfaces["converter"].components["from"]
    assert [o["value"] for o in picker["options"]] == ["C", "F", "K"]
    session.set_data("converter", "/amount", "100")
    assert_ok(click("converter", "convert"))
    assert data(session, "converter")["result"] == "100 °C = 212 °F"
    assert_ok(runner.run("how many cups in a liter"))
    assert data(session, "converter")["result"] == "1 litre = 4.226753 US cups"
    assert session.surfaces["converter"].components["from"]["options"][0]["value"] == "l"


def test_help_lists_every_app(session, runner):
    assert_ok(runner.run("what can you do"))
    lines = " ".join(line["line"] for line in data(session, "help")["lines"])
    for title in ("Notes", "Todo list", "Calculator", "Timer", "Stopwatch", "Clock", "Settings", "Files",
                  "Contact form", "Sign in", "Unit converter"):
        assert title in lines
    assert "LLM planner" in data(session, "help")["llm"]


def test_every_app_opens_valid_a2ui(session, runner):
    for intent in ("open notes", "todo list", "calculator", "10 minute timer", "stopwatch", "clock", "settings",
                   "contact form", "sign in", "unit converter", "help", "list files in ~/Documents"):
        assert_ok(runner.run(intent))
    assert len(session.surfaces) == 12
    for sid, surface in session.surfaces.items():
        assert not structure_issues(surface.components), sid
