"""`neuralos bench`: JSON only on stdout, every section's numbers present, bad sections are bad input."""
import json

import pytest

from neuralos.cli import main


def test_bench_json_quick_prints_only_json_with_the_expected_keys(capsys):
    assert main(["bench", "--json", "--quick", "--size", "320x240"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)                                     # nothing but JSON on stdout
    assert "bench:" in err                                       # progress went to stderr
    assert report["size"] == [320, 240] and report["quick"] is True
    m = report["machine"]
    assert m["cpu"] and m["cores"] >= 1 and m["torch_threads"] >= 1 and m["device"] == "cpu" and m["qt"]
    assert m["cpu_isa"] in ("AMX", "AVX-512 BF16", "AVX-512", "AVX2", "AVX", "SSE", "unknown")
    assert 0 <= m["cpu_steal_percent"] <= 100                    # Linux: /proc/stat is there
    model = report["model"]
    assert model["receptive_field_px"] > 0 and model["steps"] >= 1 and model["settings"]["device"] == "cpu"
    if model["random_init"]:
        assert "randomly initialised" in model["note"]
    w, n = report["widgets"], report["neural"]
    assert w["examples"][0]["full_frame_ms"] > 0 and w["full_frame_ms_median"] > 0
    row = n["examples"][0]
    assert row["cold_ms"] > 0 and row["warm_ms"] >= 0 and row["ratio_vs_widgets"] > 0
    assert n["cache_hit_bit_identical"] is True and n["model_only_ms"] > 0
    sweep = n["margins"]                                         # region alone vs whole frame, per margin
    assert sweep["regions"] >= 1 and sweep["margin_in_use_px"] == model["context_margin_px"]
    assert [r["margin_px"] for r in sweep["rows"]] == [model["receptive_field_px"], 32]
    assert all(r["ms_median"] > 0 and 0 <= r["mean_abs_diff"] <= r["max_abs_diff"] <= 255 for r in sweep["rows"])
    lat = report["latency"]
    for renderer in ("widgets", "neural"):
        for kind in ("hover", "click", "keystroke", "window_open"):
            stats = lat[renderer][kind]
            assert stats["n"] >= 1 and 0 < stats["p50_ms"] <= stats["p95_ms"]
        assert lat[renderer]["typing"]["fps"] > 0
    assert lat["neural"]["cache"]["misses"] > 0 and "hit_rate" in lat["neural"]["cache"]
    assert set(lat["ratios"]) == {"hover", "click", "keystroke", "window_open", "typing_fps"}
    assert lat["ratios"]["hover"]["p95"] > 0
    assert "builtin" in report["planner"] or "error" in report["planner"]
    assert report["startup"].get("time_to_first_frame_ms", 0) > 0 or "error" in report["startup"]
    assert {"hover_p95_ms", "click_p95_ms", "keystroke_p95_ms", "window_open_p95_ms",
            "cold_full_frame_ms"} <= set(report["targets"])


def test_bench_table_and_sections(capsys):
    assert main(["bench", "--quick", "--size", "320x240", "--sections", "widgets"]) == 0
    out, _ = capsys.readouterr()
    assert "machine" in out and "full frame" in out and "01_flight-status" in out
    assert "input to pixels" not in out                         # only the asked-for section


def test_bench_unknown_section_is_bad_input(capsys):
    assert main(["bench", "--sections", "widgets,gpu-magic"]) == 2
    assert "gpu-magic" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["nope-model"])
def test_bench_unknown_renderer_is_bad_input(capsys, bad):
    assert main(["bench", "--quick", "--sections", "neural", "--renderer", bad]) == 2
    assert bad in capsys.readouterr().err


def test_cpu_steal_is_read_from_proc_stat(tmp_path):
    from neuralos.cli.bench import cpu_jiffies, steal_percent

    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 800 10 0 0 40 0 0\ncpu0 50 0 25 400 5 0 0 20 0 0\n")
    before = cpu_jiffies(str(stat))
    assert before == (1000, 40)
    stat.write_text("cpu  300 0 100 900 10 0 0 190 0 0\n")
    assert steal_percent(before, cpu_jiffies(str(stat))) == 30.0     # 150 of 500 jiffies stolen
    assert steal_percent(before, before) is None and steal_percent(None, before) is None
    assert cpu_jiffies(str(tmp_path / "missing")) is None
    stat.write_text("intr 1 2 3\n")
    assert cpu_jiffies(str(stat)) is None


def test_table_warns_when_the_hypervisor_steals_time():
    from neuralos.cli.bench import format_table

    report = {"size": [320, 240], "machine": {"cpu": "x", "cpu_steal_percent": 31.5}}
    assert "CPU steal 31.5 %" in format_table(report) and "inflated" in format_table(report)
    report["machine"]["cpu_steal_percent"] = 0.4
    assert "CPU steal 0.4 %" in format_table(report) and "inflated" not in format_table(report)
