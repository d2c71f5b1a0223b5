"""Timer (countdown), stopwatch and clock.

A2UI has no clock on the client, so these apps keep times in their data model and ask the shell to
send them a `tick` action later (`ShellCommand("schedule", ...)`): the timer and stopwatch once a
second while running, the clock at each new minute. Times come from the planner's `clock`, so tests
can drive them with a fake one.
"""
from __future__ import annotations

import math
import re
import time

from neuralos.planners.base import Refusal
from neuralos.planners.builtin.app import App, Ctx, Intent, Part
from neuralos.planners.builtin.ui import UI, path

_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
            "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "a couple of": 2,
            "a few": 3}
_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
_NUM = r"\d+(?:\.\d+)?|" + "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
_PIECE = re.compile(rf"({_NUM})\s*-?\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b")
MAX_TIMER = 24 * 3600


def parse_duration(text: str) -> float | None:
    """Seconds in "5 minutes", "1h 30m", "90 s", "1:30", "half an hour", "an hour and a half"; else None."""
    s = text.strip().lower()
    m = re.fullmatch(r"(\d+):(\d{2})(?::(\d{2}))?", s)
    if m:
        a, b, c = int(m.group(1)), int(m.group(2)), m.group(3)
        return a * 3600 + b * 60 + int(c) if c else a * 60 + b
    if re.fullmatch(r"(?:a\s+)?half(?:\s+an|\s+a)?\s+(?:hour|hr)", s):
        return 1800.0
    if re.fullmatch(r"(?:a\s+)?quarter(?:\s+of)?\s+an?\s+hour", s):
        return 900.0
    total, end = 0.0, 0
    pieces = list(_PIECE.finditer(s))
    if not pieces:
        return None
    for p in pieces:
        gap = s[end:p.start()].strip(" ,")
        if gap not in ("", "and"):
            return None
        n = p.group(1)
        value = float(n) if n[0].isdigit() else _NUMBERS[n]
        total += value * _UNITS[p.group(2)]
        end = p.end()
    rest = s[end:].strip(" ,")
    if rest in ("and a half", "and half"):
        total += 0.5 * _UNITS[pieces[-1].group(2)]
    elif rest:
        return None
    return total if total > 0 else None


def clock_text(seconds: float, tenths: bool = False) -> str:
    """3725 -> "1:02:05"; 65 -> "01:05"; with tenths 65.4 -> "01:05.4"."""
    if tenths:
        whole = int(seconds)
        frac = int((seconds - whole) * 10)
        base = clock_text(whole)
        return f"{base}.{frac}"
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def _words(seconds: float) -> str:
    s = int(round(seconds))
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        n, s = divmod(s, size)
        if n:
            parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
    return " ".join(parts) or "0 seconds"


# -- timer ------------------------------------------------------------------------------------------

_TIMER_WORDS = r"timers?|count ?down|kitchen timer|egg timer"
_TIMER_FOR = re.compile(rf"^(?:please\s+)?(?:set|start|make|create|give me|i need|open|run|new|show(?: me)?|put on|can i have)?\s*(?:me\s+)?(?:a|an|the|my)?\s*"
                        rf"(?:{_TIMER_WORDS})\s*(?:for|of|:|on|with)?\s*(?P<d>.+)$")
_D_TIMER = re.compile(rf"^(?:please\s+)?(?:set|start|make|create|give me|i need|open|run|show(?: me)?|put on)?\s*(?:me\s+)?(?:a|an)?\s*"
                      rf"(?P<d>.+?)\s+(?:{_TIMER_WORDS})$")
_REMIND = re.compile(r"^(?:please\s+)?(?:remind|wake|alert|ping|tell) me in\s+(?P<d>.+?)(?:\s+to\s+.+)?$|"
                     r"^(?:count down|countdown)\s+(?:from\s+)?(?P<d2>.+)$")
_CONTROL = re.compile(rf"^(?:please\s+)?(?P<v>pause|stop|resume|continue|restart|reset|cancel|start)\s+(?:the\s+|my\s+)?(?:{_TIMER_WORDS})$")


class TimerApp(App):
    name = "timer"
    title = "Timer"
    about = "a countdown: start, pause, reset, +1 minute"
    examples = ("set a timer for 5 minutes", "10 minute timer", "remind me in 90 seconds", "pause the timer")
    aliases = _TIMER_WORDS

    def initial_data(self, ctx, args):
        duration = float(args.get("seconds", 300))
        return self._view({"duration": duration, "remaining": duration, "endsAt": None, "running": False,
                           "minutes": "", "status": "Ready"})

    @staticmethod
    def _view(data: dict) -> dict:
        data["display"] = clock_text(math.ceil(data["remaining"] - 1e-6))
        data["toggleLabel"] = "Pause" if data["running"] else ("Start" if data["remaining"] > 0 else "Restart")
        return data

    def components(self, ctx, sid, data):
        ui = UI()
        mins = ui.field("minutes", "Minutes", "/minutes", variant="number")
        ui._components[mins]["weight"] = 1
        ui.column("root", [
            ui.text("display", path("/display"), "h1"),
            ui.text("status", path("/status"), "caption"),
            ui.row("controls", [ui.button("toggle", path("/toggleLabel"), "toggle", variant="primary"),
                                ui.button("reset", "Reset", "reset"),
                                ui.button("plus", "+1 min", "add_minute")]),
            ui.row("set-row", [mins, ui.button("set", "Set", "set", {"minutes": path("/minutes")})], align="end"),
        ], align="center")
        return ui.components

    # -- intents ----------------------------------------------------------------------------------
    def understand(self, part: Part, ctx: Ctx):
        low = part.low
        m = _CONTROL.match(low)
        if m:
            return [Intent(self.name, m.group("v"))]
        for rx in (_TIMER_FOR, _D_TIMER, _REMIND):
            m = rx.match(low)
            if not m:
                continue
            name = next(g for g, v in m.groupdict().items() if v)
            text = part.group(m, name)
            seconds = parse_duration(text)
            if seconds is None:
                if rx is _TIMER_FOR and text.lower() in ("please", "now"):
                    return [Intent(self.name, "open")]
                if rx is _D_TIMER:
                    continue
                raise Refusal(f"I can't read “{text}” as a duration (try '5 minutes' or '1:30')")
            return [Intent(self.name, "set", {"seconds": seconds})]
        return None

    def run(self, ctx, intent):
        if intent.verb == "set":
            seconds = float(intent.args["seconds"])
            if not 0 < seconds <= MAX_TIMER:
                raise Refusal("a timer runs from 1 second to 24 hours")
            existing = ctx.surfaces_of(self.name)
            sid = self.open(ctx, {"seconds": seconds})
            data = ctx.data(sid)
            if existing:
                data.update(duration=seconds, remaining=seconds, running=False, endsAt=None)
            self._start(ctx, sid, data)
            ctx.reply(f"Timer set for {_words(seconds)}.")
            return
        if intent.verb == "open":
            self.open(ctx, intent.args)
            return
        ids = ctx.surfaces_of(self.name)
        if not ids:
            raise Refusal("there is no timer running (say 'set a timer for 5 minutes')")
        sid = ids[-1]
        data = ctx.data(sid)
        verb = {"stop": "pause", "cancel": "reset", "continue": "resume", "restart": "reset"}.get(intent.verb, intent.verb)
        if verb == "pause":
            self._pause(ctx, data)
        elif verb in ("resume", "start"):
            self._start(ctx, sid, data)
        elif verb == "reset":
            data.update(remaining=data["duration"], running=False, endsAt=None, status="Ready")
            if intent.verb == "restart":
                self._start(ctx, sid, data)
        self._view(data)
        ctx.reply(f"Timer: {data['status'].lower()}.")

    def _start(self, ctx: Ctx, sid: str, data: dict) -> None:
        if data["remaining"] <= 0:
            data["remaining"] = data["duration"]
        data.update(running=True, endsAt=ctx.now + data["remaining"], status="Running")
        self._view(data)
        ctx.schedule(sid, min(1.0, data["remaining"]))

    def _pause(self, ctx: Ctx, data: dict) -> None:
        if data["running"]:
            data["remaining"] = max(0.0, data["endsAt"] - ctx.now)
        data.update(running=False, endsAt=None, status="Paused")

    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        if not {"duration", "remaining", "running"} <= set(data):
            data.update(self.initial_data(ctx, {}))
        if name == "tick":
            if not data["running"]:
                return
            left = data["endsAt"] - ctx.now
            if left <= 0.05:
                data.update(remaining=0.0, running=False, endsAt=None, status="Time's up!")
                ctx.reply("⏰ Time's up!")
            else:
                data["remaining"] = left
                ctx.schedule(sid, min(1.0, left - math.floor(left - 1e-6)) or 1.0)
        elif name == "toggle":
            if data["running"]:
                self._pause(ctx, data)
            else:
                self._start(ctx, sid, data)
        elif name == "reset":
            data.update(remaining=data["duration"], running=False, endsAt=None, status="Ready")
        elif name == "add_minute":
            data["remaining"] += 60
            data["duration"] = max(data["duration"], data["remaining"])
            if data["running"]:
                data["endsAt"] += 60
        elif name == "set":
            raw = str(context.get("minutes", data.get("minutes", ""))).strip()
            seconds = parse_duration(raw) if not re.fullmatch(r"\d+(?:\.\d+)?", raw) else float(raw) * 60
            if not seconds or seconds > MAX_TIMER:
                data["status"] = "Enter minutes, e.g. 5 or 1:30"
            else:
                data.update(duration=seconds, remaining=seconds, running=False, endsAt=None, minutes="")
                self._start(ctx, sid, data)
        else:
            super().on_action(ctx, sid, name, context)
        self._view(data)


# -- stopwatch --------------------------------------------------------------------------------------

_SW_WORDS = r"stop ?watch|chronometer|chrono"
_SW_CONTROL = re.compile(rf"^(?:please\s+)?(?P<v>start|stop|pause|resume|reset|lap)\s+(?:the\s+|my\s+|a\s+)?(?:{_SW_WORDS})$|"
                         r"^(?P<v2>time me)$")


class StopwatchApp(App):
    name = "stopwatch"
    title = "Stopwatch"
    about = "start, stop, laps"
    examples = ("start a stopwatch", "time me", "stop the stopwatch")
    aliases = _SW_WORDS

    def initial_data(self, ctx, args):
        return self._view(ctx, {"elapsed": 0.0, "startedAt": None, "running": False, "laps": []})

    @staticmethod
    def _total(ctx: Ctx, data: dict) -> float:
        extra = ctx.now - data["startedAt"] if data["running"] and data["startedAt"] is not None else 0.0
        return data["elapsed"] + max(0.0, extra)

    def _view(self, ctx: Ctx, data: dict) -> dict:
        data["display"] = clock_text(self._total(ctx, data), tenths=True)
        data["toggleLabel"] = "Stop" if data["running"] else "Start"
        return data

    def components(self, ctx, sid, data):
        ui = UI()
        lap = ui.text("lap", path("line"), "caption")
        ui.column("root", [
            ui.text("display", path("/display"), "h1"),
            ui.row("controls", [ui.button("toggle", path("/toggleLabel"), "toggle", variant="primary"),
                                ui.button("lap-button", "Lap", "lap"),
                                ui.button("reset", "Reset", "reset")]),
            ui.list("laps", lap, "/laps"),
        ], align="center")
        return ui.components

    def understand(self, part, ctx):
        m = _SW_CONTROL.match(part.low)
        if m:
            verb = m.group("v") or "start"
            return [Intent(self.name, {"pause": "stop"}.get(verb, verb))]
        return None

    def run(self, ctx, intent):
        existing = ctx.surfaces_of(self.name)
        if intent.verb in ("open",) or (intent.verb == "start" and not existing):
            sid = self.open(ctx, intent.args)
            if intent.verb == "start":
                self.on_action(ctx, sid, "toggle", {})
                ctx.reply("Stopwatch started.")
            return
        if not existing:
            raise Refusal("there is no stopwatch open (say 'start a stopwatch')")
        sid = existing[-1]
        ctx.raise_(sid)
        data = ctx.data(sid)
        action = {"start": "toggle" if not data.get("running") else None,
                  "resume": "toggle" if not data.get("running") else None,
                  "stop": "toggle" if data.get("running") else None, "lap": "lap", "reset": "reset"}[intent.verb]
        if action:
            self.on_action(ctx, sid, action, {})
        ctx.reply(f"Stopwatch: {data['display']}.")

    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        if not {"elapsed", "running", "laps"} <= set(data):
            data.update(self.initial_data(ctx, {}))
        if name == "tick":
            if not data["running"]:
                return
            ctx.schedule(sid, 1.0)
        elif name == "toggle":
            if data["running"]:
                data["elapsed"] = self._total(ctx, data)
                data.update(running=False, startedAt=None)
            else:
                data.update(running=True, startedAt=ctx.now)
                ctx.schedule(sid, 1.0)
        elif name == "lap":
            n = len(data["laps"]) + 1
            data["laps"] = [{"line": f"Lap {n}: {clock_text(self._total(ctx, data), tenths=True)}"}] + data["laps"]
        elif name == "reset":
            data.update(elapsed=0.0, startedAt=ctx.now if data["running"] else None, laps=[])
        else:
            super().on_action(ctx, sid, name, context)
        self._view(ctx, data)


# -- clock ------------------------------------------------------------------------------------------

_TIME_Q = re.compile(r"^(?:what(?:'s| is)|whats|tell me|show(?: me)?|give me)\s+(?:the\s+)?(?:current\s+)?(?:time|date|day)"
                     r"(?:\s+(?:is it|now|today|right now))?$|^what (?:time|day|date) is it(?:\s+(?:now|today))?$|"
                     r"^(?:today's|todays) date$|^(?:current|local) time$")


class ClockApp(App):
    name = "clock"
    title = "Clock"
    about = "the local time and date"
    examples = ("what time is it", "show the clock")
    aliases = r"clock|watch face"

    def initial_data(self, ctx, args):
        return self._view(ctx, {})

    @staticmethod
    def _view(ctx: Ctx, data: dict) -> dict:
        t = time.localtime(ctx.now)
        data["time"] = time.strftime("%H:%M", t)
        data["date"] = time.strftime("%A, %d %B %Y", t)
        data["zone"] = time.strftime("%Z", t) or "local time"
        return data

    def components(self, ctx, sid, data):
        ui = UI()
        ui.column("root", [ui.text("time", path("/time"), "h1"), ui.text("date", path("/date"), "h4"),
                           ui.text("zone", path("/zone"), "caption")], align="center")
        return ui.components

    def understand(self, part, ctx):
        if _TIME_Q.match(part.low):
            return [Intent(self.name, "tell")]
        return None

    def run(self, ctx, intent):
        sid = self.open(ctx, intent.args)
        data = self._view(ctx, ctx.data(sid))
        if intent.verb == "tell":
            ctx.reply(f"It is {data['time']} on {data['date']}.")

    def after_open(self, ctx, sid):
        ctx.schedule(sid, 60.0 - (ctx.now % 60.0) + 0.05)

    def on_action(self, ctx, sid, name, context):
        if name != "tick":
            super().on_action(ctx, sid, name, context)
        self._view(ctx, ctx.data(sid))
        self.after_open(ctx, sid)
