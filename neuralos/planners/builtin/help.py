"""Help: what the builtin planner can do, with example intents, and where an LLM planner comes in."""
from __future__ import annotations

import re

from neuralos.planners.builtin.app import App, Intent
from neuralos.planners.builtin.ui import UI

_ASK = re.compile(r"^(?:help|\?|about|about neuralos|what can (?:you|i) do(?: here)?|what can you open|"
                  r"what apps (?:are there|do you have|can you open)|how does this work|show (?:me )?(?:the )?help|"
                  r"list (?:the |all )?apps|which apps are there|what do you know)$")

SHELL_EXAMPLES = ("close the calculator", "switch to notes", "minimise everything", "restore all windows",
                  "dark mode", "use the widget renderer")


class HelpApp(App):
    name = "help"
    title = "Help"
    about = "this list"
    examples = ("help", "what can you do")
    aliases = r"help|about"

    def initial_data(self, ctx, args):
        lines = []
        for app in self.planner.apps.values():
            if app.name == self.name:
                continue
            ex = "; ".join(f"“{e}”" for e in app.examples[:3])
            lines.append({"line": f"{app.title} — {app.about}. Try {ex}."})
        lines.append({"line": "Windows and look — " + "; ".join(f"“{e}”" for e in SHELL_EXAMPLES) + "."})
        lines.append({"line": "Combine requests: “open notes and add 'buy milk'”."})
        return {"lines": lines,
                "llm": "Anything else needs an LLM planner: start the shell with --planner PATH_TO_MODEL "
                       "(a local transformers model) or --planner openai-compatible (a local server)."}

    def components(self, ctx, sid, data):
        ui = UI()
        line = ui.text("line", {"path": "line"})
        ui.column("root", [ui.text("title", "The builtin planner can…", "h3"), ui.list("lines", line, "/lines"),
                           ui.divider("divider"), ui.text("llm", {"path": "/llm"}, "caption")])
        return ui.components

    def understand(self, part, ctx):
        return [Intent(self.name, "open")] if _ASK.match(part.low) else None
