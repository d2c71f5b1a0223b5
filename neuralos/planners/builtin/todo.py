"""Todo list: add items, tick them off (a local CheckBox binding), remove them, clear the done ones."""
from __future__ import annotations

import difflib
import re

from neuralos.planners.base import Refusal
from neuralos.planners.builtin.app import App, Ctx, Intent, Part, split_items
from neuralos.planners.builtin.ui import UI, path

LIST_WORDS = r"to-?dos?(?:\s+list)?|to do(?:\s+list)?|tasks?(?:\s+list)?|check ?list|shopping list|chores"
_LIST = rf"(?:my\s+|the\s+|a\s+)?(?:{LIST_WORDS})"
_ADD_TO = re.compile(rf"^(?:please\s+)?(?:add|put|write|include|append)\s+(?P<t>.+?)\s+(?:to|on|onto|in|into)\s+{_LIST}$")
_WITH = re.compile(rf"^(?:please\s+)?(?:make|create|start|open|new|give me|i need)?\s*(?:me\s+)?{_LIST}\s*"
                   rf"(?::|with|for|containing|of)\s*(?P<t>.+)$")
_REMIND = re.compile(r"^(?:please\s+)?remind me to\s+(?P<t>.+)$")
_DONE = re.compile(r"^(?:please\s+)?(?:mark|check off|tick off|tick|check|cross off|complete|finish|finished|done with|i did|i have done|i've done)"
                   rf"\s+(?P<t>.+?)(?:\s+(?:as\s+)?(?:done|complete|completed|finished))?"
                   rf"(?:\s+(?:on|in|from)\s+{_LIST})?$")
_REMOVE = re.compile(rf"^(?:please\s+)?(?:remove|delete|drop|take)\s+(?P<t>.+?)(?:\s+off)?\s+(?:from|off)\s+{_LIST}$")
_CLEAR = re.compile(r"^(?:please\s+)?(?:clear|remove|delete|drop)\s+(?:all\s+)?(?:the\s+)?(?:completed|done|finished|checked|ticked)"
                    r"(?:\s+(?:ones|items|tasks|to-?dos))?(?:\s+from\s+" + _LIST + r")?$")


def _clean(items) -> list[dict]:
    """The well-formed items of a list (an agent or a client may have put anything there)."""
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, dict) and isinstance(i.get("text"), str)]


def _summary(items: list) -> str:
    left = sum(1 for i in items if not i.get("done"))
    if not items:
        return "Nothing to do"
    return f"{left} of {len(items)} left" if left else "All done!"


class TodoApp(App):
    name = "todo"
    title = "Todo list"
    about = "a checklist: add, tick off, remove"
    examples = ("make a to-do list", "add eggs, milk and bread to my shopping list", "mark eggs done",
                "remove milk from the todo list")
    aliases = LIST_WORDS

    def initial_data(self, ctx, args):
        return {"newItem": "", "items": [], "nextId": 1, "summary": _summary([])}

    def components(self, ctx, sid, data):
        ui = UI()
        item = ui.row("item", [ui.checkbox("item-done", path("text"), "done"),
                               ui.button("item-remove", "Remove", "remove_item", {"id": path("id")},
                                         variant="borderless")],
                      align="center", justify="spaceBetween")
        new = ui.field("new-item", "New item", "/newItem")
        ui._components[new]["weight"] = 1
        ui.column("root", [
            ui.row("input", [new, ui.button("add", "Add", "add_item", {"text": path("/newItem")}, variant="primary")],
                   align="end"),
            ui.list("items", item, "/items"),
            ui.divider("divider"),
            ui.row("footer", [ui.text("summary", path("/summary"), "caption"),
                              ui.button("clear-done", "Clear completed", "clear_done", {"items": path("/items")},
                                        variant="borderless")],
                   align="center", justify="spaceBetween"),
        ])
        return ui.components

    # -- intents ----------------------------------------------------------------------------------
    def understand(self, part: Part, ctx: Ctx):
        low = part.low
        if _CLEAR.match(low):
            return [Intent(self.name, "clear")]
        for rx, verb in ((_ADD_TO, "add"), (_WITH, "add"), (_REMIND, "add"), (_REMOVE, "remove")):
            m = rx.match(low)
            if m:
                return [Intent(self.name, verb, {"text": part.group(m, "t")})]
        m = _DONE.match(low)
        if m and (self.mentions(low) or ctx.last_app == self.name or self._focused(ctx) or ctx.surfaces_of(self.name)):
            return [Intent(self.name, "done", {"text": part.group(m, "t")})]
        return None

    def _focused(self, ctx: Ctx) -> bool:
        f = ctx.state.focused
        return f is not None and f.app == self.name

    def run(self, ctx, intent):
        if intent.verb == "add":
            self.add(ctx, [part for part in split_items(intent.args["text"])])
        elif intent.verb in ("done", "remove"):
            sid = self._existing(ctx)
            data = ctx.data(sid)
            data["items"] = _clean(data.get("items"))
            for text in split_items(intent.args["text"]):
                item = self._find(data["items"], text)
                if intent.verb == "done":
                    item["done"] = True
                    ctx.reply(f"Ticked off “{item['text']}”.")
                else:
                    data["items"].remove(item)
                    ctx.reply(f"Removed “{item['text']}”.")
            data["summary"] = _summary(data["items"])
        elif intent.verb == "clear":
            sid = self._existing(ctx)
            self._clear(ctx, ctx.data(sid))
        else:
            self.open(ctx, intent.args)

    def _existing(self, ctx: Ctx) -> str:
        ids = ctx.surfaces_of(self.name)
        if not ids:
            raise Refusal("there is no todo list open (say 'make a to-do list' first)")
        return ids[-1]

    @staticmethod
    def _find(items: list, text: str) -> dict:
        want = text.strip().lower()
        for it in items:
            if it.get("text", "").lower() == want:
                return it
        partial = [it for it in items if want in it.get("text", "").lower()]
        if len(partial) == 1:
            return partial[0]
        close = difflib.get_close_matches(want, [it.get("text", "").lower() for it in items], n=1, cutoff=0.75)
        if close:
            return next(it for it in items if it.get("text", "").lower() == close[0])
        raise Refusal(f"there is no “{text}” on the todo list")

    def add(self, ctx: Ctx, texts: list[str], sid: str | None = None) -> None:
        texts = [t.strip() for t in texts if t.strip()]
        if not texts:
            raise Refusal("there is nothing to add: the item is empty")
        sid = sid or self.open(ctx)
        data = ctx.data(sid)
        items = data["items"] = _clean(data.get("items"))
        n = data.get("nextId") if isinstance(data.get("nextId"), int) else len(items) + 1
        for text in texts:
            items.append({"id": f"t{n}", "text": text, "done": False})
            n += 1
        data["nextId"] = n
        data["summary"] = _summary(items)
        ctx.reply("Added " + ", ".join(f"“{t}”" for t in texts) + " to the todo list.")

    def _clear(self, ctx: Ctx, data: dict) -> None:
        items = _clean(data.get("items"))
        done = [i for i in items if i.get("done")]
        data["items"] = [i for i in items if not i.get("done")]
        data["summary"] = _summary(data["items"])
        ctx.reply(f"Cleared {len(done)} completed item{'s' if len(done) != 1 else ''}.")

    # -- buttons ----------------------------------------------------------------------------------
    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        if name == "add_item":
            text = str(context.get("text", data.get("newItem", "")) or "").strip()
            if not text:
                ctx.reply("Type an item first.")
                return
            self.add(ctx, [text], sid)
            data["newItem"] = ""
        elif name == "remove_item":
            items = _clean(data.get("items"))
            data["items"] = [i for i in items if i.get("id") != context.get("id")]
            data["summary"] = _summary(data["items"])
        elif name == "clear_done":
            if isinstance(context.get("items"), list):    # the ticks the user made locally
                data["items"] = _clean(context["items"])
            self._clear(ctx, data)
        else:
            super().on_action(ctx, sid, name, context)
