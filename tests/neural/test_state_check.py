"""The counterfactual state check: the widget renderer's other states of each component, and the verdict."""
import numpy as np
import pytest

from neuralos.neural import evaluate as ev
from neuralos.neural import state_check as S

SIZE = (320, 240)


@pytest.fixture(scope="module")
def todo():
    """Held-out state 33 at 320x240: a focused text field, an unchecked check box and two buttons in view."""
    case = ev.reference_cases(5, 0, SIZE)[-1]
    assert case.state.seed == 33 and case.state.kind == "focus"
    return case, S.alternatives(case.state, case.scene, ev.STATE_ROLES)


def nodes_of(alt):
    return {n.key: n for n in alt.scene.nodes}


def test_alternatives_show_components_in_other_states(todo):
    case, alts = todo
    by = {a.label: nodes_of(a) for a in alts}
    ref = {n.key: n for n in case.scene.nodes}
    assert "checked" not in ref["todo/checkbox-3#0"].states
    assert "checked" in by["todo/checkbox-3#0 changed"]["todo/checkbox-3#0"].states
    assert "hovered" in by["pointer on todo/button-10"]["todo/button-10"].states
    without = next(v for k, v in by.items() if k.startswith("without input from script/"))
    assert "focused" in ref["todo/textfield-13"].states and "focused" not in without["todo/textfield-13"].states
    # a component behind another window cannot be pointed at: no such alternative, no error
    assert all(a.frame.shape == case.frame.shape for a in alts)
    assert len({a.label for a in alts}) == len(alts)


def test_the_reference_is_right_and_another_state_is_wrong(todo):
    case, alts = todo
    res = S.check(case.frame, case.scene, case.frame, alts, ev.STATE_ROLES)
    keys = {x["key"] for x in res}
    assert {"todo/checkbox-3#0", "todo/textfield-13", "todo/button-10"} <= keys
    assert all(x["right"] and x["margin"] > 1e6 for x in res)

    # Draw the check box checked (the widget renderer's own pixels of that state): that one is wrong.
    flipped = next(a for a in alts if a.label == "todo/checkbox-3#0 changed")
    box = next(S.visible_box(n) for n in case.scene.nodes if n.key == "todo/checkbox-3#0")
    neural = case.frame.copy()
    neural[box.y:box.bottom, box.x:box.right] = flipped.frame[box.y:box.bottom, box.x:box.right]
    res = {x["key"]: x for x in S.check(case.frame, case.scene, neural, alts, ev.STATE_ROLES)}
    box_test = res["todo/checkbox-3#0"]
    assert not box_test["right"] and box_test["margin"] < 1
    assert [t["other"] for t in box_test["tests"] if not t["ok"]] == ["todo/checkbox-3#0 changed"]
    assert all(x["right"] for k, x in res.items() if k != "todo/checkbox-3#0")

    # Halfway between the two states, but nearer the right one: still right, with a smaller margin.
    blend = ((case.frame.astype(np.float32) * 0.7 + neural.astype(np.float32) * 0.3)).round().astype(np.uint8)
    res = {x["key"]: x for x in S.check(case.frame, case.scene, blend, alts, ev.STATE_ROLES)}
    assert res["todo/checkbox-3#0"]["right"] and 1 < res["todo/checkbox-3#0"]["margin"] < 10


def test_eval_reports_a_component_drawn_in_another_state(todo, tmp_path):
    case, alts = todo
    flipped = next(a for a in alts if a.label == "todo/checkbox-3#0 changed")
    box = next(S.visible_box(n) for n in case.scene.nodes if n.key == "todo/checkbox-3#0")

    class Flipper:
        def render(self, scene, previous=None, regions=None):
            frame = case.frame.copy()
            frame[box.y:box.bottom, box.x:box.right] = flipped.frame[box.y:box.bottom, box.x:box.right]
            return frame

    res = ev.run(tmp_path, student=Flipper(), cases=[case], ocr=False, images=0)
    run = res["runs"][0]
    sc = run["summary"]["state_check"]
    assert sc["components"] >= 3 and sc["right"] == sc["components"] - 1
    assert sc["by_role"]["CheckBox"] == {"count": 1, "wrong": 1}
    assert run["targets"]["component_states_right"]["pass"] is False
    report = (tmp_path / "report.md").read_text()
    assert "WRONG STATE s000000033 todo/checkbox-3#0" in report and run["wrong_states_image"] in report
    from PIL import Image
    assert Image.open(tmp_path / run["wrong_states_image"]).size[0] > 3 * box.w

    res = ev.run(tmp_path / "off", student=Flipper(), cases=[case], ocr=False, images=0, state_check=False)
    assert res["runs"][0]["targets"]["component_states_right"]["value"] is None
