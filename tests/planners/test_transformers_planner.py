"""The transformers planner with tiny random models built here and loaded like a user's folder."""
from __future__ import annotations

import json
import threading
import time

import pytest

from neuralos.errors import BadInput
from neuralos.planners.base import PlannerState
from neuralos.planners.builtin import BuiltinPlanner
from neuralos.planners.runner import PlannerRunner
from neuralos.planners.tiny import ScriptedSampler as Script
from neuralos.planners.tiny import answer_text
from neuralos.planners.transformers_planner import TransformersPlanner
from neuralos.resources import BASIC_CATALOG_ID
from neuralos.session import Session
from planner_helpers import action_for

torch = pytest.importorskip("torch")

GOOD = [
    {"version": "v0.9", "createSurface": {"surfaceId": "hello", "catalogId": BASIC_CATALOG_ID}},
    {"version": "v0.9", "updateComponents": {"surfaceId": "hello", "components": [
        {"id": "root", "component": "Column", "children": ["title", "ok"]},
        {"id": "title", "component": "Text", "text": {"path": "/greeting"}, "variant": "h2"},
        {"id": "ok-label", "component": "Text", "text": "OK"},
        {"id": "ok", "component": "Button", "child": "ok-label", "action": {"event": {"name": "ok", "context": {}}}}]}},
    {"version": "v0.9", "updateDataModel": {"surfaceId": "hello", "value": {"greeting": "Hello"}}},
]
BAD = [  # well-formed, schema-valid, but the Card's child never arrives
    {"version": "v0.9", "createSurface": {"surfaceId": "broken", "catalogId": BASIC_CATALOG_ID}},
    {"version": "v0.9", "updateComponents": {"surfaceId": "broken", "components": [
        {"id": "root", "component": "Card", "child": "missing"}]}},
]


@pytest.fixture(autouse=True)
def one_thread():
    """A 32-wide model gains nothing from intra-op threads; on a shared 2-core box they cost 20x."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def desk():
    session = Session()
    session.apply([{"version": "v0.9", "createSurface": {"surfaceId": "old", "catalogId": BASIC_CATALOG_ID}},
                   {"version": "v0.9", "updateComponents": {"surfaceId": "old", "components": [
                       {"id": "root", "component": "Text", "text": "keep me"}]}}])
    runners = []

    def run(planner, request, **kw):
        r = PlannerRunner(session, planner, timeout=kw.pop("timeout", 60), schedule=False, **kw)
        runners.append(r)
        return r.run(request)

    yield session, run
    for r in runners:
        r.close()


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_random_weights_give_valid_a2ui_or_a_clean_rejection(desk, tiny_lm, tmp_path, arch):
    session, run = desk
    folder = tiny_lm
    if arch == "qwen2":
        from neuralos.planners.tiny import write_tiny_lm

        folder = write_tiny_lm(tmp_path / "qwen", arch="qwen2", seed=3)
    planner = TransformersPlanner(folder, max_new_tokens=48, retries=1, temperature=0.8, seed=1)
    assert planner.grammar() is not None
    before = session.snapshot()
    state = PlannerState.from_session(session)
    result = run(planner, "open a notes app")
    if result.ok:
        state.check(result.messages)          # whatever it did is valid A2UI on the state it saw
    else:
        assert "gave no valid A2UI after 2 attempts" in result.error and "\n" not in result.error
        assert session.snapshot() == before
    # Constrained decoding: whatever came out is the start of a JSON array of v0.9 messages.
    assert planner.last_text.startswith('[{"version": "v0.9", "')
    assert planner.last_stats["new_tokens"] <= 48


def test_scripted_model_renders_progressively_and_commits(desk, tiny_lm):
    session, run = desk
    planner = TransformersPlanner(tiny_lm, max_new_tokens=400, retries=0)
    planner.sampler = Script(planner.tokenizer, answer_text(GOOD))
    applied = []
    result = run(planner, "say hello", on_event=lambda e: e.kind == "applied" and applied.append(
        sorted(session.surfaces["hello"].components) if "hello" in session.surfaces else None))
    assert result.ok, result.error
    assert applied[:3] == [[], ["root"], ["root", "title"]]          # one component at a time
    assert session.surfaces["hello"].data == {"greeting": "Hello"}
    assert result.messages == GOOD
    assert result.first_component_s is not None and planner.last_stats["finished"]
    assert "old" in session.surfaces


def test_intent_click_action_update_session(desk, tiny_lm):
    session, run = desk
    planner = TransformersPlanner(tiny_lm, max_new_tokens=400, retries=0)
    update = [{"version": "v0.9", "updateDataModel": {"surfaceId": "hello", "path": "/greeting", "value": "Clicked!"}}]
    planner.sampler = Script(planner.tokenizer, answer_text(GOOD), answer_text(update))
    chats = []
    encode = planner._encode
    planner._encode = lambda chat: chats.append(chat) or encode(chat)
    assert run(planner, "say hello").ok
    click = action_for(session, "hello", "ok")
    result = run(planner, click)
    assert result.ok, result.error
    assert session.surfaces["hello"].data == {"greeting": "Clicked!"}
    prompt = chats[-1][-1]["content"]
    assert "The user clicked a button" in prompt and '"name": "ok"' in prompt
    assert 'surfaceId=hello' in prompt and '"greeting":"Hello"' in prompt      # the desktop as it was
    assert 'The data model of hello now: {"greeting":"Hello"}' in prompt


def test_models_without_a_chat_template_get_a_plain_prompt(desk, tiny_lm):
    session, run = desk
    planner = TransformersPlanner(tiny_lm, max_new_tokens=400, retries=0)
    planner.tokenizer.chat_template = None
    prompt = planner.tokenizer.decode(planner._encode([{"role": "system", "content": "S"},
                                                       {"role": "user", "content": "U"}]))
    assert prompt == "Instructions:\nS\n\nUser:\nU\n\nAssistant:\n"
    planner.sampler = Script(planner.tokenizer, answer_text(GOOD))
    assert run(planner, "say hello").ok and "hello" in session.surfaces


def test_an_invalid_answer_is_sent_back_and_repaired(desk, tiny_lm):
    session, run = desk
    planner = TransformersPlanner(tiny_lm, max_new_tokens=400, retries=2)
    planner.sampler = Script(planner.tokenizer, answer_text(BAD), answer_text(GOOD))
    chats = []
    encode = planner._encode
    planner._encode = lambda chat: chats.append(chat) or encode(chat)
    result = run(planner, "say hello")
    assert result.ok, result.error
    assert "broken" not in session.surfaces and "hello" in session.surfaces     # attempt 1 rolled back
    repair = chats[-1][-1]["content"]
    assert chats[-1][-2]["role"] == "assistant" and '"broken"' in chats[-1][-2]["content"]
    error = json.loads(repair.split("\n")[1])
    assert error["error"]["code"] == "VALIDATION_FAILED" and "missing" in error["error"]["message"]
    assert any("repairing (1/2)" in s for s in result.statuses)


def test_retries_run_out_into_a_clean_planner_error(desk, tiny_lm):
    session, run = desk
    before = session.snapshot()
    planner = TransformersPlanner(tiny_lm, max_new_tokens=400, retries=1)
    planner.sampler = Script(planner.tokenizer, answer_text(BAD))
    result = run(planner, "say hello")
    assert not result.ok and "after 2 attempts" in result.error and "'missing'" in result.error
    assert session.snapshot() == before


def test_unconstrained_prose_is_rejected_cleanly(desk, tiny_lm):
    session, run = desk
    planner = TransformersPlanner(tiny_lm, max_new_tokens=40, retries=0, constrained=False)
    planner.sampler = Script(planner.tokenizer, "Sorry, I can't do UI.")
    result = run(planner, "say hello")
    assert not result.ok and "contains no JSON" in result.error


def test_cancel_stops_generation_and_undoes(desk, tiny_lm):
    session, _ = desk
    before = session.snapshot()
    planner = TransformersPlanner(tiny_lm, max_new_tokens=400, retries=0)
    planner.sampler = Script(planner.tokenizer, answer_text(GOOD), delay=0.01)
    started = threading.Event()
    runner = PlannerRunner(session, planner, timeout=60, schedule=False,
                           on_event=lambda e: e.kind == "applied" and started.set())
    try:
        job = runner.submit("say hello")
        assert started.wait(30)
        t0 = time.monotonic()
        job.cancel()
        result = job.wait(10)
        assert result.cancelled and time.monotonic() - t0 < 2
        assert session.snapshot() == before
    finally:
        runner.close()


def test_prompt_shrinks_to_fit_and_says_when_it_cannot(tiny_lm):
    planner = TransformersPlanner(tiny_lm, max_new_tokens=64)
    state = PlannerState()
    assert planner._prompt_level(state, "open notes") == 0
    planner.max_prompt_tokens = 1100
    assert planner._prompt_level(state, "open notes") >= 2
    planner.max_prompt_tokens = 100
    with pytest.raises(Exception, match="does not fit"):
        planner._prompt_level(state, "open notes")


def test_actions_on_builtin_windows_go_to_the_builtin_apps(tiny_lm):
    session = Session()
    runner = PlannerRunner(session, BuiltinPlanner(), schedule=False)
    assert runner.run("open notes").ok
    planner = TransformersPlanner(tiny_lm, max_new_tokens=8)
    planner.sampler = lambda logits, step: pytest.fail("the model must not be asked")
    runner.planner = planner
    session.set_data("notes", "/draft", "from the LLM shell")
    result = runner.run(action_for(session, "notes", "add"))
    runner.close()
    assert result.ok and session.surfaces["notes"].data["notes"][0]["text"] == "from the LLM shell"


def test_folders_that_are_not_safe_models_are_bad_input(tmp_path, tiny_lm):
    with pytest.raises(BadInput, match="is not a folder"):
        TransformersPlanner(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadInput, match="no config.json"):
        TransformersPlanner(empty)
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text((tiny_lm / "config.json").read_text())
    (pickled / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(BadInput, match="no .safetensors weights"):
        TransformersPlanner(pickled)
    with pytest.raises(BadInput, match="max_new_tokens"):
        TransformersPlanner(tiny_lm, max_new_tokens=0)


def test_verify_runs_a_few_constrained_tokens(tiny_lm):
    planner = TransformersPlanner(tiny_lm)
    planner.verify()
    assert planner.last_stats["new_tokens"] <= 8
    assert "constrained" in planner.describe()
