"""bench_planners() returns the numbers `neuralos bench` prints (checked for shape, never for speed)."""
from neuralos.planners.bench import bench_planners


def test_bench_reports_builtin_and_transformers_numbers():
    report = bench_planners(repeat=1, tokens=16)
    assert report["machine"]["cpus"] >= 1
    builtin = report["builtin"]
    assert builtin["intents"]["what's 12*7"]["ok"] and not builtin["intents"]["fly me to the moon"]["ok"]
    assert all(v["ms"] > 0 and v["planner_ms"] > 0 for v in builtin["intents"].values())
    tf = report["transformers"]
    assert tf["tokens_per_s_constrained"] > 0 and tf["tokens_per_s_unconstrained"] > 0
    scripted = tf["scripted_answer"]
    assert scripted["ok"], scripted["error"]
    assert 0 < scripted["time_to_first_component_s"] <= scripted["total_s"]
