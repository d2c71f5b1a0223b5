"""Settings: the desktop's theme and renderer, applied by the shell (`theme` / `renderer` commands)."""
from __future__ import annotations

from neuralos.planners.builtin.app import App
from neuralos.planners.builtin.ui import UI, path
from neuralos.session import THEMES

RENDERERS = (("auto", "Automatic (neural when it keeps up)"), ("neural", "Neural"), ("widgets", "Qt widgets"))


class SettingsApp(App):
    name = "settings"
    title = "Settings"
    about = "theme and renderer"
    examples = ("open settings", "dark mode", "use the widget renderer")
    aliases = r"settings|preferences|prefs|options|control panel|system settings|configuration"

    def initial_data(self, ctx, args):
        renderer = ctx.state.renderer or "auto"
        return {"theme": [ctx.state.theme], "renderer": [renderer],
                "planner": f"Planner: {ctx.state.planner or 'builtin'} — start the shell with --planner NAME "
                           "to use an LLM planner", "status": ""}

    def components(self, ctx, sid, data):
        ui = UI()
        renderers = list(RENDERERS)
        current = ctx.state.renderer
        if current and current not in {r for r, _ in renderers}:
            renderers.append((current, current))
        ui.column("root", [
            ui.choice("theme", "Theme", [(t, t.capitalize()) for t in THEMES], "/theme", chips=True),
            ui.choice("renderer", "Renderer", renderers, "/renderer"),
            ui.text("planner", path("/planner"), "caption"),
            ui.row("buttons", [ui.button("apply", "Apply", "apply_settings",
                                         {"theme": path("/theme"), "renderer": path("/renderer")}, variant="primary")]),
            ui.text("status", path("/status"), "caption"),
        ])
        return ui.components

    def on_action(self, ctx, sid, name, context):
        if name != "apply_settings":
            return super().on_action(ctx, sid, name, context)
        data = ctx.data(sid)
        done = []
        theme = _first(context.get("theme"))
        if theme in THEMES and theme != ctx.state.theme:
            ctx.command("theme", value=theme)
            done.append(f"{theme} theme")
        renderer = _first(context.get("renderer"))
        if renderer and renderer != (ctx.state.renderer or "auto"):
            ctx.command("renderer", value=renderer)
            done.append(f"{renderer} renderer")
        data["status"] = ("Applied: " + ", ".join(done)) if done else "Nothing changed"
        ctx.reply(data["status"] + ".")


def _first(value):
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], str) else None
    return value if isinstance(value, str) else None
