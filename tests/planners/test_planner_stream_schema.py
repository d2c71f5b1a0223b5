"""Streamed answers piece by piece, and the grammar-friendly schema derived from the official one."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from planner_examples import EXAMPLES, example_messages
from neuralos.planners.schema import canonical, constrained_schema
from neuralos.planners.stream import MessageStream, StreamError


def feed_all(text, step=5):
    stream, pieces = MessageStream(), []
    for i in range(0, len(text), step):
        pieces += stream.feed(text[i:i + step])
    return stream, pieces


@pytest.mark.parametrize("form", ["list", "wrapper", "single"])
def test_components_arrive_one_by_one_in_every_answer_form(form):
    msgs = example_messages("09_login-form")
    value = {"list": msgs, "wrapper": {"messages": msgs}, "single": msgs[1]}[form]
    stream, pieces = feed_all("Sure, here it is:\n```json\n" + json.dumps(value, indent=2) + "\n```\nEnjoy!")
    comps = [p for p in pieces if p.kind == "component"]
    ids = [c["id"] for c in (msgs[1]["updateComponents"]["components"])]
    assert [p.value["id"] for p in comps] == ids
    assert [p.position for p in comps] == list(range(len(ids)))
    assert {p.surface_id for p in comps} == {"gallery-login-form"}
    assert stream.messages() == (msgs if form != "single" else [msgs[1]])
    whole = [p for p in pieces if p.kind == "message"]
    assert len(whole) == (3 if form != "single" else 1)


def test_strings_with_brackets_and_escapes_do_not_confuse_it():
    msgs = [{"version": "v0.9", "updateComponents": {"surfaceId": "s", "components": [
        {"id": "root", "component": "Text", "text": "a ] } [ { \" \\ \u2603 ,:"}]}}]
    stream, pieces = feed_all(json.dumps(msgs, ensure_ascii=False), step=1)
    assert pieces[0].value == msgs[0]["updateComponents"]["components"][0]
    assert stream.messages() == msgs


@pytest.mark.parametrize("text, words", [
    ("", "no JSON"), ("I cannot help with that.", "no JSON"),
    ('[{"version": "v0.9", "createSurface": {"surfaceId": "x"', "ended before"),
    ('[{"version": "v0.9",, }]', "not valid JSON"),
])
def test_incomplete_or_broken_answers_say_why(text, words):
    stream, _ = feed_all(text)
    with pytest.raises(StreamError, match=words):
        stream.messages()


def test_runaway_answers_are_bounded():
    stream = MessageStream(max_chars=100)
    with pytest.raises(StreamError, match="longer than 100"):
        stream.feed("[" + " " * 200)


def test_constrained_schema_accepts_every_official_example_and_rejects_other_things():
    v = Draft202012Validator(constrained_schema())
    for name in EXAMPLES:
        assert not list(v.iter_errors(example_messages(name))), name
    good = example_messages("07_task-card")
    assert not v.is_valid([])                                                 # an answer does something
    bad = json.loads(json.dumps(good))
    bad[1]["updateComponents"]["components"][0]["component"] = "Spreadsheet"
    assert not v.is_valid(bad)
    bad = json.loads(json.dumps(good))
    bad[1]["updateComponents"]["components"][1]["colour"] = "red"              # no extra properties
    assert not v.is_valid(bad)
    text_call = {"id": "t", "component": "Text", "text": {"call": "email", "args": {"value": "x"},
                                                           "returnType": "boolean"}}
    assert not v.is_valid([{"version": "v0.9", "updateComponents": {"surfaceId": "s", "components": [text_call]}}])
    wrapper = Draft202012Validator(constrained_schema(wrapper=True))
    assert wrapper.is_valid({"messages": good}) and not wrapper.is_valid(good)


def test_the_schema_has_nothing_grammar_engines_cannot_take():
    text = json.dumps(constrained_schema())
    for word in ('"allOf"', '"unevaluatedProperties"', '"oneOf"', '"if"', '"format": "uri"', '"date-time"', "https://"):
        assert word not in text


def test_xgrammar_accepts_every_official_example_in_schema_order(tiny_lm):
    xgr = pytest.importorskip("xgrammar")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_lm), local_files_only=True)
    schema = constrained_schema()
    compiled = xgr.GrammarCompiler(xgr.TokenizerInfo.from_huggingface(tok, vocab_size=len(tok))).compile_json_schema(
        schema, any_whitespace=False)
    for name in EXAMPLES:
        matcher = xgr.GrammarMatcher(compiled)
        assert matcher.accept_string(json.dumps(canonical(example_messages(name), schema), ensure_ascii=False)), name
    assert not xgr.GrammarMatcher(compiled).accept_string('[{"version": "v0.8"')
