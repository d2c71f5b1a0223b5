"""Notes: a text box, an "Add note" button and the list of notes, each with its own Delete button."""
from __future__ import annotations

import re

from neuralos.planners.base import Refusal
from neuralos.planners.builtin.app import App, Ctx, Intent, Part
from neuralos.planners.builtin.ui import UI, path

NOTE_WORDS = r"notes?|note ?pad|notebook|memos?|scratch ?pad"
_ADD = re.compile(
    r"^(?:please\s+)?(?:add|put|write|save|jot|take|make|create|new|start)(?:\s+down)?\s*(?:a\s+|another\s+|one\s+more\s+|new\s+)?"
    r"(?:note|memo)\s*(?::|,|saying|that says|that|about|to say|reading)?\s*(?P<t>.+)?$")
_ADD_TO = re.compile(rf"^(?:please\s+)?(?:add|put|write|save|jot(?: down)?)\s+(?P<t>.+?)\s+(?:to|in|into|on)\s+"
                     rf"(?:my\s+|the\s+|a\s+)?(?:{NOTE_WORDS})(?:\s+app)?$")
_PREFIX = re.compile(r"^(?:note|memo)\s*:\s*(?P<t>.+)$")
_JOT = re.compile(r"^(?:please\s+)?(?:i (?:want|need|would like|'d like) to\s+|let me\s+)?(?:jot|write|scribble|note)\s+(?:(?:something|stuff|a few things|things|it|this)\s+down"
                  r"|down\s+(?:something|a few things|things))$")
_JOT_TEXT = re.compile(r"^(?:please\s+)?(?:jot|write|note)\s+down\s+(?:that\s+)?(?P<t>.+)$|"
                       r"^(?:remember|note)\s+that\s+(?P<t2>.+)$")


def _notes_in(text: str) -> list[str]:
    """"'eggs' and 'milk'" is two notes; anything else is one."""
    part = Part(text)
    if len(part.quoted) >= 2 and not re.sub(r"\x00\d+\x00|,|\band\b|\s", "", part.low):
        return part.quoted
    return [text]


def _clean(notes) -> list[dict]:
    """The well-formed notes of a list (an agent may have put anything there)."""
    if not isinstance(notes, list):
        return []
    return [n for n in notes if isinstance(n, dict) and isinstance(n.get("text"), str)]


def _summary(notes: list) -> str:
    return "No notes yet" if not notes else f"{len(notes)} note" + ("s" if len(notes) != 1 else "")


class NotesApp(App):
    name = "notes"
    title = "Notes"
    about = "write notes and delete them"
    examples = ("open notes", "jot something down", "open notes and add 'buy milk'", "note: call mom")
    aliases = NOTE_WORDS + r"|jot(?:ter)?"

    def initial_data(self, ctx, args):
        return {"draft": "", "notes": [], "nextId": 1, "summary": _summary([])}

    def components(self, ctx, sid, data):
        ui = UI()
        note = ui.row("note", [ui.text("note-text", path("text")),
                               ui.button("note-delete", "Delete", "delete_note", {"id": path("id")},
                                         variant="borderless")],
                      align="center", justify="spaceBetween")
        ui.column("root", [
            ui.field("draft", "New note", "/draft", variant="longText"),
            ui.row("buttons", [ui.button("add", "Add note", "add_note", {"text": path("/draft")}, variant="primary"),
                               ui.button("clear", "Delete all", "clear_notes")]),
            ui.divider("divider"),
            ui.text("summary", path("/summary"), "caption"),
            ui.list("notes", note, "/notes"),
        ])
        return ui.components

    # -- intents ----------------------------------------------------------------------------------
    def understand(self, part: Part, ctx: Ctx):
        low = part.low
        if _JOT.match(low):
            return [Intent(self.name, "open")]
        for rx in (_ADD_TO, _PREFIX, _JOT_TEXT, _ADD):
            m = rx.match(low)
            if m:
                name = next((g for g, v in m.groupdict().items() if v), None)
                if not name:
                    return [Intent(self.name, "open")]
                return [Intent(self.name, "add", {"text": part.group(m, name)})]
        return None

    def run(self, ctx, intent):
        if intent.verb == "add":
            for text in _notes_in(intent.args["text"]):
                self.add(ctx, text)
        else:
            self.open(ctx, intent.args)

    def add(self, ctx: Ctx, text: str, sid: str | None = None) -> None:
        text = text.strip()
        if not text:
            raise Refusal("there is nothing to add: the note is empty")
        sid = sid or self.open(ctx)
        data = ctx.data(sid)
        notes = data["notes"] = _clean(data.get("notes"))
        n = data.get("nextId") if isinstance(data.get("nextId"), int) else len(notes) + 1
        notes.append({"id": f"n{n}", "text": text})
        data["nextId"] = n + 1
        data["summary"] = _summary(data["notes"])
        ctx.reply(f"Added the note “{text}”.")

    # -- buttons ----------------------------------------------------------------------------------
    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        notes = data["notes"] = _clean(data.get("notes"))
        if name == "add_note":
            text = str(context.get("text", data.get("draft", "")) or "").strip()
            if not text:
                ctx.reply("Type a note first.")
                return
            self.add(ctx, text, sid)
            data["draft"] = ""
        elif name == "delete_note":
            before = len(notes)
            data["notes"] = [n for n in notes if n.get("id") != context.get("id")]
            if len(data["notes"]) == before:
                raise Refusal("that note is already gone")
            ctx.reply("Deleted the note.")
        elif name == "clear_notes":
            data["notes"] = []
            ctx.reply("Deleted all notes.")
        else:
            super().on_action(ctx, sid, name, context)
        data["summary"] = _summary(data["notes"])
