"""Calculator: an expression field, a keypad and a history; "=" really calculates (see `calc`)."""
from __future__ import annotations

import re

from neuralos.planners.builtin.app import App, Ctx, Intent, Part
from neuralos.planners.builtin.calc import CalcError, evaluate, format_number, looks_like_math
from neuralos.planners.builtin.ui import UI, path

_ASK = re.compile(r"^(?:please\s+)?(?:what(?:'s| is| are)|whats|calculate|calc|compute|evaluate|work out|solve|"
                  r"how much is|how much are|tell me|what does)\s+(?P<e>.+?)(?:\s+(?:equal|make|come to))?$")
_KEYS = [["7", "8", "9", "/"], ["4", "5", "6", "*"], ["1", "2", "3", "-"], ["0", ".", "(", ")"], ["C", "⌫", "+", "="]]
_KEY_IDS = {"/": "div", "*": "mul", "-": "sub", "+": "add", ".": "dot", "(": "open", ")": "close",
            "C": "clear", "⌫": "back", "=": "equals"}
_LABELS = {"/": "÷", "*": "×", "-": "−"}
MAX_HISTORY = 8


class CalculatorApp(App):
    name = "calculator"
    title = "Calculator"
    about = "really calculates: + − × ÷, powers, brackets, sqrt, sin, log …"
    examples = ("open the calculator", "what's 12*7", "calculate 15% of 80", "what is 2 to the power of 10")
    aliases = r"calculator|calc|adding machine"

    def initial_data(self, ctx, args):
        return {"expr": "", "display": "0", "history": [], "error": ""}

    def components(self, ctx, sid, data):
        ui = UI()
        rows = []
        for r, keys in enumerate(_KEYS):
            ids = []
            for key in keys:
                kid = "key-" + _KEY_IDS.get(key, key)
                if key == "=":
                    ids.append(ui.button(kid, "=", "equals", {"expr": path("/expr")}, variant="primary"))
                elif key == "C":
                    ids.append(ui.button(kid, "C", "clear"))
                elif key == "⌫":
                    ids.append(ui.button(kid, "⌫", "backspace", {"expr": path("/expr")}))
                else:
                    ids.append(ui.button(kid, _LABELS.get(key, key), "key", {"key": key, "expr": path("/expr")}))
                ui._components[ids[-1]]["weight"] = 1
            rows.append(ui.row(f"keys-{r}", ids, justify="spaceEvenly"))
        line = ui.text("history-line", path("line"), "caption")
        ui.column("root", [
            ui.field("expr", "Expression", "/expr"),
            ui.text("display", path("/display"), "h2"),
            ui.text("error", path("/error"), "caption"),
            *rows,
            ui.divider("divider"),
            ui.list("history", line, "/history"),
        ])
        return ui.components

    # -- intents ----------------------------------------------------------------------------------
    def understand(self, part: Part, ctx: Ctx):
        low = part.low
        m = _ASK.match(low)
        expr = part.group(m, "e") if m else part.text
        if looks_like_math(expr):
            return [Intent(self.name, "calculate", {"expr": expr})]
        return None

    def run(self, ctx, intent):
        if intent.verb == "calculate":
            sid = self.open(ctx)
            self.calculate(ctx, sid, intent.args["expr"])
        else:
            self.open(ctx, intent.args)

    def calculate(self, ctx: Ctx, sid: str, expr: str) -> None:
        data = ctx.data(sid)
        data["expr"] = expr.strip()
        try:
            value = format_number(evaluate(expr))
        except CalcError as e:
            data["error"] = str(e)
            ctx.reply(f"Can't calculate that: {e}.")
            return
        data["display"] = value
        data["error"] = ""
        history = [{"line": f"{expr.strip()} = {value}"}] + list(data.get("history", []))
        data["history"] = history[:MAX_HISTORY]
        ctx.reply(f"{expr.strip()} = {value}")

    # -- buttons ----------------------------------------------------------------------------------
    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        expr = str(context.get("expr", data.get("expr", "")) or "")
        if name == "key":
            key = str(context.get("key", ""))
            if key not in {k for row in _KEYS for k in row} - {"C", "⌫", "="}:
                super().on_action(ctx, sid, f"key {key!r}", context)
            data["expr"] = expr + key
            data["error"] = ""
        elif name == "clear":
            data.update(expr="", display="0", error="")
        elif name == "backspace":
            data["expr"] = expr[:-1]
        elif name == "equals":
            if not expr.strip():
                data["error"] = "Type an expression first"
                return
            self.calculate(ctx, sid, expr)
        else:
            super().on_action(ctx, sid, name, context)
