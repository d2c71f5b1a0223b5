"""Discovery: search order, first name wins, detection without a manifest, broken folders isolated."""
import json
import os
import sys

import pytest
import torch
from safetensors.torch import load_file

from neuralos.errors import BadInput
from neuralos.plugins import discovery
from neuralos.plugins.discovery import default_model, discover, find, search_dirs, user_models_dir
from neuralos.plugins.tiny import write_manifest


def by_name(models):
    return {m.name: m for m in models}


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    d = tmp_path / "shipped"
    d.mkdir()
    monkeypatch.setattr(discovery, "SHIPPED_MODELS", d)
    return d


def endpoint(folder, name, **extra):
    return write_manifest(folder, name=name, kind="planner", format="openai-compatible",
                          url="http://127.0.0.1:8080/v1", model="qwen", **extra).parent


def test_search_order(tmp_path, monkeypatch, shipped):
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("NEURALOS_MODELS", f"{a}{os.pathsep}{b}")
    dirs = search_dirs()
    assert dirs == [(a, "env"), (b, "env"), (user_models_dir(), "user"), (shipped, "shipped")]
    assert user_models_dir() == tmp_path / "xdg_data_home" / "neuralos" / "models"


def test_first_name_wins_and_shadows_are_noted(tmp_path, monkeypatch, shipped):
    a, b = tmp_path / "a", tmp_path / "b"
    endpoint(a / "one", "llm", description="from a")
    endpoint(b / "two", "llm", description="from b")
    endpoint(user_models_dir() / "three", "llm")
    endpoint(user_models_dir() / "mine", "mine")
    endpoint(shipped / "default", "default")
    monkeypatch.setenv("NEURALOS_MODELS", f"{a}{os.pathsep}{b}")
    models = discover(packages=False)
    assert [m.name for m in models] == ["llm", "mine", "default"]
    llm = models[0]
    assert llm.description == "from a" and llm.source == "env" and llm.path == a / "one"
    assert llm.shadows == (str(b / "two"), str(user_models_dir() / "three"))
    assert [m.source for m in models] == ["env", "user", "shipped"]
    assert find("default", "planner", models).path == shipped / "default"


def test_detection_without_manifest(models_dir, place):
    place("renderer", models_dir / "tiny-diffusers")
    place("planner", models_dir / "tiny-llama")
    models = by_name(discover(packages=False))
    r, p = models["tiny-diffusers"], models["tiny-llama"]
    assert (r.kind, r.format, r.status, r.reason) == ("renderer", "diffusers", "ok", "")
    assert (p.kind, p.format, p.status, p.reason) == ("planner", "transformers", "ok", "")


def test_manifest_names_a_folder(models_dir, place):
    folder = place("renderer", models_dir / "folder-name")
    write_manifest(folder, name="crisp", kind="renderer", format="diffusers", description="d",
                   parameters={"steps": 2})
    info = find("crisp", "renderer", discover(packages=False))
    assert (info.path, info.description, info.parameters, info.ok) == (folder, "d", {"steps": 2}, True)


def test_a_search_dir_may_itself_be_a_model(tmp_path, monkeypatch, place):
    folder = place("planner", tmp_path / "just-this-one")
    monkeypatch.setenv("NEURALOS_MODELS", str(folder))
    assert find("just-this-one", "planner", discover(packages=False)).ok


def _break(kind, how):
    """Ways to break a copied tiny folder: each returns the expected reason fragment."""
    def unet_weights(d):
        return d / "unet" / "diffusion_pytorch_model.safetensors"

    def truncate(f):
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2])

    def to_pickle(f, name):
        torch.save(load_file(str(f)), f.parent / name)
        f.unlink()

    cases = {
        ("renderer", "missing component"): (lambda d: __import__("shutil").rmtree(d / "unet"),
                                            "unet/ is missing (listed in model_index.json)"),
        ("renderer", "missing weights"): (lambda d: unet_weights(d).unlink(),
                                          "unet/: no weights (diffusion_pytorch_model.safetensors is missing)"),
        ("renderer", "missing scheduler config"): (lambda d: (d / "scheduler" / "scheduler_config.json").unlink(),
                                                   "scheduler/scheduler_config.json is missing"),
        ("renderer", "truncated"): (lambda d: truncate(unet_weights(d)), "unet/: diffusion_pytorch_model.safetensors: truncated"),
        ("renderer", "pickle"): (lambda d: to_pickle(unet_weights(d), "diffusion_pytorch_model.bin"),
                                 "unet/: pickle weights are refused; convert to safetensors"),
        ("renderer", "bad model_index"): (lambda d: (d / "model_index.json").write_text("{nope"),
                                          "model_index.json is not valid JSON"),
        ("renderer", "untrusted library"): (lambda d: _edit_index(d, unet=["evil_module", "Net"]),
                                            "unet comes from 'evil_module'"),
        ("renderer", "custom pipeline code"): (lambda d: _edit_index(d, _class_name=["pipeline", "Mine"]),
                                               "custom pipeline code from a folder is never run"),
        ("renderer", "python file"): (lambda d: (d / "unet" / "diffusers.py").write_text("import os"),
                                      "unet/ contains Python files"),
        ("planner", "missing tokenizer"): (lambda d: (d / "tokenizer.json").unlink(), "no tokenizer"),
        ("planner", "truncated"): (lambda d: truncate(d / "model.safetensors"), "model.safetensors: truncated"),
        ("planner", "pickle"): (lambda d: to_pickle(d / "model.safetensors", "pytorch_model.bin"),
                                "pickle weights are refused; convert to safetensors (pytorch_model.bin)"),
        ("planner", "bad config"): (lambda d: (d / "config.json").write_text('{"hidden_size": 32}'),
                                    "config.json has no model_type"),
        ("planner", "bad manifest"): (lambda d: (d / "neuralos.toml").write_text('name = "x"\nkind = '),
                                      "neuralos.toml: not valid TOML"),
        ("planner", "unknown kind"): (lambda d: write_manifest(d, name="x", kind="painter", format="transformers"),
                                      "neuralos.toml: kind: must be one of renderer, planner, not 'painter'"),
        ("planner", "unknown format"): (lambda d: write_manifest(d, name="x", kind="planner", format="gguf"),
                                        "neuralos.toml: format: unknown planner format 'gguf' (known: openai-compatible, transformers)"),
        ("planner", "kind/format mismatch"): (lambda d: write_manifest(d, name="x", kind="renderer", format="transformers"),
                                              "format 'transformers' is a planner format, but kind is 'renderer'"),
        ("planner", "reserved name"): (lambda d: write_manifest(d, name="builtin", kind="planner", format="transformers"),
                                       "the name 'builtin' is reserved"),
    }
    return cases[(kind, how)]


def _edit_index(folder, **changes):
    index = json.loads((folder / "model_index.json").read_text())
    index.update(changes)
    (folder / "model_index.json").write_text(json.dumps(index))


BROKEN = [("renderer", h) for h in ("missing component", "missing weights", "missing scheduler config", "truncated",
                                     "pickle", "bad model_index", "untrusted library", "custom pipeline code",
                                     "python file")] + \
         [("planner", h) for h in ("missing tokenizer", "truncated", "pickle", "bad config", "bad manifest",
                                    "unknown kind", "unknown format", "kind/format mismatch", "reserved name")]


@pytest.mark.parametrize("kind, how", BROKEN, ids=[f"{k}-{h}" for k, h in BROKEN])
def test_broken_folder_is_listed_with_reason_and_isolated(models_dir, place, kind, how):
    place("renderer", models_dir / "good-renderer")
    place("planner", models_dir / "good-planner")
    victim = place(kind, models_dir / "victim")
    breaker, reason = _break(kind, how)
    breaker(victim)
    models = discover(packages=False)
    broken = [m for m in models if m.path == victim]
    assert len(broken) == 1 and broken[0].status == "broken", broken
    assert reason in broken[0].reason
    good = by_name(models)
    assert good["good-renderer"].ok and good["good-planner"].ok


def test_other_broken_folders(models_dir, monkeypatch):
    (models_dir / "empty").mkdir()
    (models_dir / "junk").mkdir()
    (models_dir / "junk" / "notes.txt").write_text("hi")
    (models_dir / ".hidden").mkdir()
    endpoint(models_dir / "no-key", "no-key", api_key_env="NEURALOS_TEST_KEY")
    write_manifest(models_dir / "no-url", name="no-url", kind="planner", format="openai-compatible", model="m")
    write_manifest(models_dir / "ftp", name="ftp", kind="planner", format="openai-compatible",
                   url="ftp://x", model="m")
    monkeypatch.delenv("NEURALOS_TEST_KEY", raising=False)
    models = by_name(discover(packages=False))
    assert ".hidden" not in models
    assert models["empty"].reason == "empty folder (still being copied?)"
    assert "not a model folder" in models["junk"].reason
    assert models["no-key"].reason == "the environment variable NEURALOS_TEST_KEY (api_key_env) is not set"
    assert "url is missing" in models["no-url"].reason
    assert "must start with http://" in models["ftp"].reason
    monkeypatch.setenv("NEURALOS_TEST_KEY", "secret")
    assert find("no-key", models=discover(packages=False)).ok


def test_a_lone_diffusers_model_is_not_a_pipeline(models_dir, place):
    import shutil
    renderer = place("renderer", models_dir / "pipe")
    shutil.move(str(renderer / "unet"), str(models_dir / "just-unet"))
    shutil.rmtree(renderer)
    info = discover(packages=False)[0]
    assert info.status == "broken" and "a single diffusers model (UNet2DModel), not a pipeline" in info.reason


def test_invalid_folder_name_without_manifest(models_dir, place):
    place("planner", models_dir / "my model")
    info = discover(packages=False)[0]
    assert info.status == "broken" and "rename the folder" in info.reason


def test_find_unknown_names_what_exists(models_dir):
    endpoint(models_dir / "a", "alpha")
    with pytest.raises(BadInput, match=r"--renderer: no renderer named 'x' \(no renderers are installed"):
        find("x", "renderer", discover(packages=False))
    with pytest.raises(BadInput, match=r"--planner: no planner named 'x' \(available: alpha"):
        find("x", "planner", discover(packages=False))


def test_default_model_is_first_ok(models_dir, place):
    (models_dir / "a-broken").mkdir()
    place("renderer", models_dir / "b-good")
    assert default_model("renderer", discover(packages=False)).name == "b-good"
    assert default_model("planner", discover(packages=False)) is None


def test_discovery_never_imports_from_the_folder(models_dir, place):
    folder = place("renderer", models_dir / "trap")
    (folder / "unet" / "evil.py").write_text("raise SystemExit('ran folder code')")
    _edit_index(folder, unet=["evil", "UNet2DModel"])
    sys.path.insert(0, str(folder / "unet"))
    try:
        info = discover(packages=False)[0]
    finally:
        sys.path.remove(str(folder / "unet"))
    assert info.status == "broken" and "evil" not in sys.modules


def test_to_dict_row(models_dir):
    endpoint(models_dir / "a", "alpha")
    row = discover(packages=False)[0].to_dict()
    assert row == {"name": "alpha", "kind": "planner", "format": "openai-compatible", "path": str(models_dir / "a"),
                   "status": "ok", "reason": "", "description": "", "parameters": {}, "source": "env", "shadows": []}
    json.dumps(row)
