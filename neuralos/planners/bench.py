"""Planner latency numbers (a benchmark prints numbers; it is never a timed test).

    from neuralos.planners.bench import bench_planners
    print(bench_planners())

- builtin: per intent, the wall time from submitting the intent to its batch applied on a fresh
  session (runner, threads and validation included), and the planner's own time; median of `repeat`.
- transformers: a tiny random Llama (hidden 32, 2 layers) built in a temp folder. `tokens_per_s`
  decoding under the A2UI grammar (and without it, to show the grammar's cost), and for a scripted
  valid answer written through the grammar (`ScriptedSampler`), the time to the first component
  applied to the session and to the whole answer. torch runs on `threads` threads (a model this
  small is fastest on one).
"""
from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

INTENTS = (
    "open notes and add 'buy milk'", "make a to-do list with eggs, milk and bread", "what's 12*7",
    "set a timer for 5 minutes", "start a stopwatch", "what time is it", "open settings",
    "list files in this folder", "open a contact form", "sign in", "convert 5 km to miles", "help",
    "dark mode", "fly me to the moon",
)
ANSWER = [
    {"version": "v0.9", "createSurface": {"surfaceId": "hello",
                                          "catalogId": "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"}},
    {"version": "v0.9", "updateComponents": {"surfaceId": "hello", "components": [
        {"id": "root", "component": "Column", "children": ["title", "ok"]},
        {"id": "title", "component": "Text", "text": {"path": "/greeting"}, "variant": "h2"},
        {"id": "ok-label", "component": "Text", "text": "OK"},
        {"id": "ok", "component": "Button", "child": "ok-label", "action": {"event": {"name": "ok", "context": {}}}}]}},
    {"version": "v0.9", "updateDataModel": {"surfaceId": "hello", "value": {"greeting": "Hello"}}},
]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def bench_builtin(repeat: int = 5, intents=INTENTS) -> dict:
    from neuralos.planners.base import PlannerState
    from neuralos.planners.builtin import BuiltinPlanner
    from neuralos.planners.runner import PlannerRunner
    from neuralos.session import Session

    out = {}
    for intent in intents:
        total, own, ok = [], [], None
        for _ in range(repeat):
            session = Session()
            planner = BuiltinPlanner()
            runner = PlannerRunner(session, planner, schedule=False)
            t = time.perf_counter()
            result = runner.run(intent)
            total.append(time.perf_counter() - t)
            runner.close()
            ok = result.ok
            t = time.perf_counter()
            try:
                list(planner.plan(PlannerState(), intent))
            except Exception:
                pass
            own.append(time.perf_counter() - t)
        out[intent] = {"ms": _ms(statistics.median(total)), "planner_ms": _ms(statistics.median(own)),
                       "ok": ok}
    values = [v["ms"] for v in out.values()]
    return {"intents": out, "median_ms": round(statistics.median(values), 3), "max_ms": max(values),
            "repeat": repeat}


def bench_transformers(tokens: int = 128, threads: int = 1, arch: str = "llama") -> dict:
    import torch

    from neuralos.planners.base import PlannerState
    from neuralos.planners.runner import PlannerRunner
    from neuralos.planners.tiny import ScriptedSampler, answer_text, write_tiny_lm
    from neuralos.planners.transformers_planner import TransformersPlanner
    from neuralos.session import Session

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_tiny_lm(Path(tmp) / "tiny", arch=arch)
            t = time.perf_counter()
            planner = TransformersPlanner(folder, max_new_tokens=tokens, retries=0, builtin_apps=False)
            load_s = time.perf_counter() - t
            t = time.perf_counter()
            planner.grammar()
            grammar_s = time.perf_counter() - t
            chat = [{"role": "user", "content": "open a notes app"}]

            def decode(constrained: bool) -> dict:
                planner.constrained = constrained
                for _ in planner._generate(chat, None):
                    pass
                return dict(planner.last_stats)

            decode(True)                                  # warm-up
            constrained = decode(True)
            free = decode(False)
            planner.constrained = True

            answer = answer_text(ANSWER)
            planner.max_new_tokens = len(planner.tokenizer(answer)["input_ids"]) + 16
            planner.sampler = ScriptedSampler(planner.tokenizer, answer)
            session = Session()
            runner = PlannerRunner(session, planner, schedule=False, timeout=600)
            t = time.perf_counter()
            result = runner.run("say hello")
            total_s = time.perf_counter() - t
            runner.close()
            scripted = dict(planner.last_stats)
            prompt_tokens = len(planner._encode(__import__("neuralos.planners.prompt", fromlist=["build_chat"])
                                                .build_chat(PlannerState(), "say hello")))
    finally:
        torch.set_num_threads(before)
    return {
        "model": f"tiny random {arch} (hidden 32, 2 layers, vocab {planner.vocab_size})", "threads": threads,
        "load_s": round(load_s, 3), "grammar_compile_s": round(grammar_s, 3),
        "tokens_per_s_constrained": round(constrained["tokens_per_s"], 1),
        "tokens_per_s_unconstrained": round(free["tokens_per_s"], 1),
        "decode_tokens": constrained["new_tokens"],
        "scripted_answer": {
            "ok": result.ok, "error": result.error, "prompt_tokens": prompt_tokens,
            "answer_tokens": scripted["new_tokens"],
            "time_to_first_token_s": round(scripted["first_token_s"], 3),
            "time_to_first_component_s": round(result.first_component_s, 3) if result.first_component_s else None,
            "total_s": round(total_s, 3), "tokens_per_s": round(scripted["tokens_per_s"], 1),
        },
    }


def bench_planners(repeat: int = 5, tokens: int = 128, threads: int = 1, transformers: bool = True) -> dict:
    """Builtin latency per intent and tiny-transformers decoding numbers, with the machine named."""
    import torch

    report = {"machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                          "cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__},
              "builtin": bench_builtin(repeat)}
    if transformers:
        report["transformers"] = bench_transformers(tokens, threads)
    return report


if __name__ == "__main__":
    import json

    print(json.dumps(bench_planners(), indent=2, ensure_ascii=False))
