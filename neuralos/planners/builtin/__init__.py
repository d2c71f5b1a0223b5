"""The builtin planner: apps and shell commands from free text, no weights needed.

Apps (one module each): notes, todo, calculator (with a safe evaluator, `calc`), timer, stopwatch,
clock (`timers`), settings, files (read-only folder list), contact and sign-in forms (`forms`), unit
converter, help. `intents` splits and reads requests, `shell` handles window and theme commands.
"""
from neuralos.planners.builtin.planner import APPS, BuiltinPlanner

__all__ = ["APPS", "BuiltinPlanner"]
