"""Planners: (current UI state, intent or action) -> A2UI messages, streamed.

    from neuralos.planners import PlannerRunner, get_planner
    runner = PlannerRunner(session, get_planner("builtin"))
    result = runner.run("open notes and add 'buy milk'")       # PlanResult: ok, error, reply, messages

- `base`: the contract — `Planner`, `PlannerState`, `PlanStep`, `ShellCommand`, `PlannerError`, `Refusal`
- `runner`: `PlannerRunner` — threads, progressive and atomic application, cancel, timeout, rollback
- `builtin`: the embedded default (apps + shell commands, no weights)
- `transformers_planner`, `openai_planner`: LLM planners (constrained decoding, validation, repair)
- `registry`: `get_planner(name)`; `bench`: `bench_planners()`
Heavy modules (torch, transformers) load only when an LLM planner is made.
"""
from neuralos.planners.base import (Planner, PlannerError, PlannerState, PlanStep, Refusal, ShellCommand,
                                    SurfaceState)
from neuralos.planners.registry import available_planners, get_planner, planner_from_folder, register_planner
from neuralos.planners.runner import PlanJob, PlannerRunner, PlanResult, RunnerEvent

__all__ = ["Planner", "PlannerError", "PlannerRunner", "PlannerState", "PlanJob", "PlanResult", "PlanStep",
           "Refusal", "RunnerEvent", "ShellCommand", "SurfaceState", "available_planners", "get_planner",
           "planner_from_folder", "register_planner"]
