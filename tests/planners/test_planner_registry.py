"""get_planner / planner_from_folder: names, folders, manifests, the environment."""
import pytest

from neuralos.errors import BadInput
from neuralos.planners import available_planners, get_planner, planner_from_folder, register_planner
from neuralos.planners.builtin import BuiltinPlanner
from neuralos.planners.openai_planner import OpenAIPlanner


def test_builtin_is_the_default():
    assert isinstance(get_planner(None), BuiltinPlanner) and isinstance(get_planner("builtin"), BuiltinPlanner)
    assert get_planner().describe() == "builtin (no model)"


def test_openai_compatible_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEURALOS_OPENAI_URL", "http://127.0.0.1:11434")
    monkeypatch.setenv("NEURALOS_OPENAI_MODEL", "qwen2.5")
    monkeypatch.setenv("NEURALOS_OPENAI_API_KEY", "k")
    p = get_planner("openai-compatible")
    assert isinstance(p, OpenAIPlanner)
    assert (p.url, p.model, p.api_key) == ("http://127.0.0.1:11434/v1/chat/completions", "qwen2.5", "k")
    assert p.describe() == "openai-compatible (qwen2.5 at 127.0.0.1:11434)"


def test_folders_and_manifests(tiny_lm, tmp_path, monkeypatch):
    p = get_planner(str(tiny_lm))
    assert p.name == "tiny-llama" and "transformers" in p.describe()
    monkeypatch.setenv("ENDPOINT_KEY", "s3")
    ep = planner_from_folder(tmp_path, {"name": "local-llm", "format": "openai-compatible",
                                        "url": "http://127.0.0.1:8080/v1", "model": "m", "api_key_env": "ENDPOINT_KEY",
                                        "parameters": {"timeout": 5, "retries": 1}})
    assert (ep.name, ep.api_key, ep.timeout, ep.retries) == ("local-llm", "s3", 5.0, 1)
    with pytest.raises(BadInput, match="needs a url"):
        planner_from_folder(tmp_path, {"format": "openai-compatible"})
    with pytest.raises(BadInput, match="unknown planner format"):
        planner_from_folder(tmp_path, {"format": "onnx"})


def test_registered_factories(monkeypatch):
    from neuralos.planners import registry

    monkeypatch.setattr(registry, "_FACTORIES", {})
    register_planner("test-echo", BuiltinPlanner)
    assert "test-echo" in available_planners()
    assert isinstance(get_planner("test-echo"), BuiltinPlanner)
