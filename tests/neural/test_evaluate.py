"""neuralos eval end to end with renderers whose answers are known, and with the real model class."""
import hashlib
import json
import math

import numpy as np
import pytest

from neuralos.cli import main
from neuralos.errors import BadInput, CheckFailed
from neuralos.neural import evaluate as ev
from neuralos.neural import metrics as M
from neuralos.neural.states import split_of

SIZE = (320, 240)


@pytest.fixture(scope="module")
def cases():
    return ev.reference_cases(3, 1, SIZE, seed=0)


class Oracle:
    """Looks the reference frame up by scene: a perfect renderer, optionally with noise or a defect."""

    def __init__(self, cases, noise=0.0, defect_role=None):
        self.frames = {}
        for c in cases:
            self.frames[self._key(c.scene)] = c.frame
            if c.previous_scene is not None:
                self.frames[self._key(c.previous_scene)] = c.previous
        self.noise, self.defect_role, self.calls = noise, defect_role, []

    @staticmethod
    def _key(scene):
        return hashlib.sha256(scene.to_json().encode()).hexdigest()

    def render(self, scene, previous=None, regions=None, steps=None):
        self.calls.append((steps, regions is not None))
        frame = self.frames[self._key(scene)].copy()
        if self.noise:
            rng = np.random.default_rng(0)
            frame = np.clip(frame + rng.normal(0, self.noise, frame.shape), 0, 255).round().astype(np.uint8)
        if self.defect_role:
            for n in scene.nodes:
                if n.role == self.defect_role and n.clip is not None:
                    b = n.clip
                    frame[b.y:b.bottom, b.x:b.right] = (255, 0, 255)     # a magenta block: no UI colour
        return frame


def test_cases_are_held_out(cases):
    assert len(cases) == 4 and sum(c.previous is not None for c in cases) == 1
    assert all(split_of(c.state) == "eval" for c in cases)


def test_perfect_renderer_meets_every_target(cases, tmp_path):
    res = ev.run(tmp_path, student=Oracle(cases), cases=cases, images=2)
    run = res["runs"][0]
    s = run["summary"]
    assert s["psnr"]["infinite"] == 4 and s["ssim"]["mean"] == 1.0 and s["psnr_pooled"] == math.inf
    assert s["components"]["wrong"] == 0
    assert s["temporal_full"]["changed_fraction_max"] == 0.0
    t = run["targets"]
    if M.tesseract_status()[0]:
        assert s["ocr"]["available"] and s["ocr"]["reference_words"] > 0 and s["ocr"]["word_recall"] == 1.0
        assert s["ocr"]["text_words"] > 0 and s["ocr"]["text_recall"] == 1.0 and t["ocr_text_recall"]["pass"]
    t = run["targets"]
    assert t["ssim"]["pass"] and t["component_states_right"]["pass"] and t["psnr"]["pass"] is True
    assert res["widgets"]["temporal"]["changed_fraction_max"] == 0.0   # dirty regions cover every change
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["runs"][0]["summary"]["psnr_pooled"] == "inf"
    for f in ("report.md", "report.html", "plots/steps_vs_quality.png", "plots/student_vs_teacher.png"):
        assert (tmp_path / f).stat().st_size > 0, f
    assert len(list((tmp_path / "images").glob("*.png"))) == 2       # no wrong-components sheet
    assert run["wrong_components_image"] is None


def test_noisy_renderer_measures_known_psnr_and_teacher_sweep(cases, tmp_path):
    teacher = Oracle(cases, noise=5.0)
    res = ev.run(tmp_path, student=Oracle(cases, noise=2.0), teacher=teacher, cases=cases,
                 steps=[1, 4], ocr=False, images=1)
    student, t1, t4 = res["runs"]
    assert [r["label"] for r in res["runs"]] == ["student (default steps)", "teacher (1 steps)", "teacher (4 steps)"]
    # Gaussian noise of sigma s gives ~20 log10(255 / s) dB; clipping at black/white lowers the error a bit.
    assert 20 * math.log10(255 / 2) - 0.2 < student["summary"]["psnr"]["mean"] < 20 * math.log10(255 / 2) + 1.5
    assert 20 * math.log10(255 / 5) - 0.2 < t4["summary"]["psnr"]["mean"] < 20 * math.log10(255 / 5) + 1.5
    assert 0.5 < t4["summary"]["ssim"]["mean"] < student["summary"]["ssim"]["mean"] < 1.0
    assert {c[0] for c in teacher.calls} == {1, 4} and any(c[1] for c in teacher.calls)  # dirty-region renders
    assert student["targets"]["psnr"]["pass"] is True and t1["targets"] is None
    md = (tmp_path / "report.md").read_text()
    assert "teacher (4 steps)" in md and "## Targets — student" in md


def test_wrong_component_states_are_flagged(cases, tmp_path):
    res = ev.run(tmp_path, student=Oracle(cases, defect_role="Button"), cases=cases, ocr=False,
                 images=0)
    comps = res["runs"][0]["summary"]["components"]
    assert comps["by_role"]["Button"]["wrong"] == comps["by_role"]["Button"]["count"] > 0
    # anything else flagged must overlap a defaced button (windows may overlap)
    from neuralos.scene import Box
    listed = res["runs"][0]["components"]
    buttons = [(x["case"], Box(*x["box"])) for x in listed if x["role"] == "Button"]
    for x in listed:
        if x["role"] != "Button" and not x["ok"]:
            assert any(c == x["case"] and b.intersect(Box(*x["box"])) for c, b in buttons), x
    assert comps["right_fraction"] < 1    # the 28 dB bar; the states-right target: test_state_check.py
    split = comps["by_state"]                    # every component counted once, by whether it is in a state
    assert split["in_a_state"]["count"] + split["plain"]["count"] == comps["count"]
    assert split["in_a_state"]["wrong"] + split["plain"]["wrong"] == comps["wrong"]
    assert sum(1 for x in listed if x["states"]) == split["in_a_state"]["count"]
    report = (tmp_path / "report.md").read_text()
    assert "WRONG" in report and "of those in some state" in report
    # the sheet shows each wrong component zoomed: the magenta defect on the left, the reference beside it
    sheet_path = res["runs"][0]["wrong_components_image"]
    assert sheet_path == "images/wrong-components-student-default.png" and sheet_path in report
    from PIL import Image
    sheet = np.asarray(Image.open(tmp_path / sheet_path).convert("RGB"))
    magenta = np.all(sheet == (255, 0, 255), axis=2)
    rows = min(comps["wrong"], ev.SHEET_MAX_ROWS)
    assert magenta.any() and sheet.shape[0] >= rows * 2 * ev.SHEET_MARGIN_PX
    first_col = np.nonzero(magenta.any(axis=0))[0]
    assert first_col.max() < sheet.shape[1] // 2          # only in the neural tiles, never in the reference


def test_bad_renderer_output_and_missing_inputs(cases, tmp_path):
    class Broken:
        def render(self, scene, previous=None, regions=None):
            return np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(CheckFailed, match="expected uint8"):
        ev.run(tmp_path, student=Broken(), cases=cases[:1], ocr=False)
    with pytest.raises(BadInput, match="step count"):
        ev.RendererUnderTest("x", Broken(), steps=2)
    with pytest.raises(BadInput, match="nothing to evaluate"):
        ev.run(tmp_path)
    assert main(["eval", "--out", str(tmp_path / "o")]) == 2
    assert main(["eval", "--model", str(tmp_path / "no-such-model"), "--out", str(tmp_path / "o")]) == 2


def test_a_selection_evaluates_held_out_states_of_those_kinds_only(tmp_path, capsys):
    size = (512, 384)     # the press aims at a check box; in a smaller window it may be scrolled out of reach
    picked = ev.reference_cases(2, 0, size, seed=0, random_primary=1.0, kinds=frozenset({"press"}),
                                targets=frozenset({"CheckBox"}))
    assert all(c.state.kind == "press" and split_of(c.state) == "eval" for c in picked)
    assert any(n.role == "CheckBox" and "pressed" in n.states for c in picked for n in c.scene.nodes)
    res = ev.run(tmp_path, student=Oracle(picked), states=2, sequences=0, size=size, ocr=False, images=0,
                 state_check=False, random_primary=1.0, kinds=["press"], targets=["CheckBox"])
    # ^ renders the same selection again (names as the CLI gives them): the oracle knows every frame
    assert [c["seed"] for c in res["cases"]] == [c.state.seed for c in picked]
    assert json.loads((tmp_path / "metrics.json").read_text())["selection"] == {
        "random_primary": 1.0, "kinds": ["press"], "targets": ["CheckBox"]}
    assert ("Selected states: kinds press; input aimed at CheckBox; odds 1 that a primary colour is any colour."
            in (tmp_path / "report.md").read_text())
    assert main(["eval", "--model", str(tmp_path / "no-such-model"), "--out", str(tmp_path / "o"),
                 "--kinds", "presss"]) == 2
    assert "unknown state kind(s) presss" in capsys.readouterr().err     # before the model is looked for


def test_report_html_is_escaped_and_complete(cases, tmp_path):
    ev.run(tmp_path, student=Oracle(cases, noise=1.0), cases=cases, ocr=False, images=1)
    page = (tmp_path / "report.html").read_text()
    assert page.startswith("<!doctype html>") and "<table>" in page and "images/" in page and "<script" not in page


@pytest.mark.slow
def test_eval_cli_end_to_end_with_a_tiny_untrained_model(tmp_path):
    """The real pipeline folder, loader and NeuralRenderer: metrics.json, report and plots come out."""
    from neural_scenes import tiny_model

    from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler

    folder = tmp_path / "tiny"
    UIRenderPipeline(model=tiny_model(), scheduler=default_scheduler(),
                     default_num_inference_steps=2).save_pretrained(folder, safe_serialization=True)
    out = tmp_path / "eval"
    rc = main(["eval", "--model", str(folder), "--teacher", str(folder), "--states", "1", "--sequences", "1",
               "--steps", "1,3", "--size", "160x128", "--no-ocr", "--images", "2", "--out", str(out)])
    assert rc == 0
    m = json.loads((out / "metrics.json").read_text())
    labels = [r["label"] for r in m["runs"]]
    assert labels == ["student (2 steps)", "teacher (1 steps)", "teacher (3 steps)"]
    student = m["runs"][0]
    assert student["targets"]["steps"] == {"value": 2, "target": 2, "pass": True}
    assert student["targets"]["psnr"]["pass"] is False            # untrained: far from the targets
    assert student["summary"]["ms_per_frame"]["median"] > 0 and m["widgets"]["ms_per_frame"]["median"] > 0
    # dirty-region renders copy everything outside the regions from the previous frame: perfectly stable
    assert student["summary"]["temporal_regions"]["changed_fraction_max"] == 0.0
    assert all(m["cases"][i]["content_hash"] for i in range(2))
    for f in ("report.md", "report.html", "plots/steps_vs_quality.png", "plots/student_vs_teacher.png"):
        assert (out / f).is_file(), f
    assert main(["eval", "--model", str(folder), "--out", str(out), "--states", "1", "--sequences", "0",
                 "--size", "160x128", "--no-ocr", "--require-targets"]) == 1
    not_a_model = tmp_path / "empty"
    not_a_model.mkdir()
    assert main(["eval", "--model", str(not_a_model), "--out", str(out)]) == 2
