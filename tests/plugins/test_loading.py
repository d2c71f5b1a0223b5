"""Safe loading: trusted classes only, shapes checked against the weights, failures become BrokenModel."""
import json
import re

import numpy as np
import pytest
from safetensors.torch import load_file, save_file

from neuralos.errors import BadInput
from neuralos.plugins import BrokenModel, discover, find, load_planner, load_renderer, verify
from neuralos.plugins.loading import load_causal_lm
from neuralos.plugins.tiny import write_manifest
from neuralos.plugins.verify import tiny_scene


def edit_json(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_diffusers_folder_renders_a_frame(models_dir, place):
    place("renderer", models_dir / "tiny")
    renderer = load_renderer("tiny")
    scene = tiny_scene()
    frame = renderer.render(scene, None, None)
    assert frame.dtype == np.uint8 and frame.shape == (64, 64, 3)
    assert np.array_equal(frame, renderer.render(scene, None, None))  # seeded: same scene, same frame


def test_regions_replace_only_those_pixels(models_dir, place):
    from neuralos.scene import Box
    place("renderer", models_dir / "tiny")
    renderer = load_renderer("tiny")
    previous = np.full((64, 64, 3), 7, np.uint8)
    frame = renderer.render(tiny_scene(), previous, [Box(8, 8, 16, 16)])
    outside = np.ones((64, 64), bool)
    outside[8:24, 8:24] = False
    assert (frame[outside] == 7).all() and not (frame[8:24, 8:24] == 7).all()


def test_pipeline_without_conditioning_is_refused(models_dir, place):
    place("unconditioned", models_dir / "plain-ddpm")
    assert find("plain-ddpm", models=discover(packages=False)).ok  # a fine diffusers folder...
    with pytest.raises(BrokenModel, match=r"DDPMPipeline does not take the scene conditioning: .* unet maps 3 -> 3"):
        load_renderer("plain-ddpm")                                 # ...that cannot paint our scenes


def test_config_and_weights_shapes_disagree(models_dir, place):
    folder = place("renderer", models_dir / "tiny")
    edit_json(folder / "unet" / "config.json", block_out_channels=[16, 32], norm_num_groups=8)
    with pytest.raises(BrokenModel) as e:
        load_renderer("tiny")
    assert str(e.value).startswith(str(folder) + ": unet/: weights do not match the config: ")
    assert "is [8, " in e.value.reason and "the config makes [16, " in e.value.reason


def test_weights_missing_a_tensor(models_dir, place):
    folder = place("renderer", models_dir / "tiny")
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    tensors = load_file(str(weights))
    del tensors["conv_out.bias"]
    save_file(tensors, str(weights))
    with pytest.raises(BrokenModel, match="unet/: weights lack conv_out.bias, which the config needs"):
        load_renderer("tiny")


def test_config_that_does_not_build(models_dir, place):
    folder = place("renderer", models_dir / "tiny")
    edit_json(folder / "unet" / "config.json", norm_num_groups=5)
    with pytest.raises(BrokenModel, match="unet/config.json does not build a UNet2DModel"):
        load_renderer("tiny")


def test_unknown_class_in_trusted_library(models_dir, place):
    folder = place("renderer", models_dir / "tiny")
    edit_json(folder / "model_index.json", unet=["diffusers", "NoSuchModel"])
    with pytest.raises(BrokenModel, match="model_index.json: .*NoSuchModel is not a model"):
        load_renderer("tiny")
    edit_json(folder / "model_index.json", unet=["diffusers", "UNet2DModel"], _class_name="NoSuchPipeline")
    with pytest.raises(BrokenModel, match="pipeline class 'NoSuchPipeline' is neither"):
        load_renderer("tiny")


def test_folder_rechecked_at_load(models_dir, place):
    folder = place("renderer", models_dir / "tiny")
    info = find("tiny", models=discover(packages=False))
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # broken after discovery said ok
    with pytest.raises(BrokenModel, match="truncated"):
        load_renderer(info)


def test_broken_and_wrong_kind(models_dir, place):
    (models_dir / "empty").mkdir()
    place("renderer", models_dir / "tiny")
    with pytest.raises(BrokenModel, match="empty folder"):
        load_renderer(find("empty", models=discover(packages=False)))
    with pytest.raises(BadInput, match="'tiny' is a renderer, not a planner"):
        load_planner("tiny")
    with pytest.raises(BadInput, match="no renderer named 'nope'"):
        load_renderer("nope")


def test_causal_lm_loads_and_generates(place, tmp_path):
    import torch
    folder = place("planner", tmp_path / "llm")
    model, tokenizer = load_causal_lm(folder)
    ids = tokenizer("open a notes app", return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == ids["input_ids"].shape[1] + 3


def test_causal_lm_shape_mismatch(place, tmp_path):
    from neuralos.plugins.loading import LoadFailure
    folder = place("planner", tmp_path / "llm")
    size = json.loads((folder / "config.json").read_text())["intermediate_size"]
    edit_json(folder / "config.json", intermediate_size=size + 8)
    with pytest.raises(LoadFailure, match=r"weights do not match the config: model.layers.0.mlp.\w+.weight is \["):
        load_causal_lm(folder)


def test_causal_lm_unknown_architecture(place, tmp_path):
    from neuralos.plugins.loading import LoadFailure
    folder = place("planner", tmp_path / "llm")
    edit_json(folder / "config.json", model_type="my_secret_arch", auto_map={"AutoModelForCausalLM": "x.Y"})
    with pytest.raises(LoadFailure, match="model_type 'my_secret_arch' is not built into transformers"):
        load_causal_lm(folder)


def test_transformers_folder_is_a_planner(models_dir, place):
    from neuralos.planners.base import Planner
    folder = place("planner", models_dir / "tiny-llm")
    write_manifest(folder, name="tiny", kind="planner", format="transformers", parameters={"max_new_tokens": 16})
    planner = load_planner("tiny")
    assert isinstance(planner, Planner) and planner.name == "tiny" and planner.max_new_tokens == 16
    assert verify(find("tiny", models=discover(packages=False))).ok


def test_planner_parameters_are_checked(models_dir, place):
    folder = place("planner", models_dir / "tiny-llm")
    write_manifest(folder, name="tiny", kind="planner", format="transformers", parameters={"max_tokens": 16})
    with pytest.raises(BrokenModel, match=r"parameters.max_tokens is not a transformers parameter \(known: .*max_new_tokens"):
        load_planner("tiny")
    write_manifest(folder, name="tiny", kind="planner", format="transformers", parameters={"temperature": 99})
    with pytest.raises(BrokenModel, match="temperature must be a number 0..5, not 99"):
        load_planner("tiny")


@pytest.fixture
def local_server():
    """A real HTTP server on 127.0.0.1 (what llama.cpp's server would be); yields its base URL."""
    import http.server
    import threading
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_compatible_manifest(models_dir, local_server, monkeypatch):
    write_manifest(models_dir / "llama-server", name="llama-server", kind="planner", format="openai-compatible",
                   url=local_server, model="qwen", api_key_env="NEURALOS_TEST_KEY", parameters={"timeout": 5})
    monkeypatch.setenv("NEURALOS_TEST_KEY", "k")
    planner = load_planner("llama-server")
    assert (planner.name, planner.model, planner.api_key, planner.timeout) == ("llama-server", "qwen", "k", 5.0)
    assert planner.url == local_server + "/chat/completions"
    assert verify(find("llama-server", models=discover(packages=False))).ok


def test_openai_compatible_unreachable(models_dir, local_server):
    import socket
    with socket.socket() as s:       # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_manifest(models_dir / "gone", name="gone", kind="planner", format="openai-compatible",
                   url=f"http://127.0.0.1:{port}/v1", model="m")
    result = verify(find("gone", models=discover(packages=False)))
    assert result.status == "broken" and f"cannot reach the planner at http://127.0.0.1:{port}" in result.reason


def test_neuralos_ui_folder(models_dir, place):
    from neuralos.neural.renderer import NeuralRenderer
    from neuralos.scene import Box
    folder = place("ui", models_dir / "tiny-ui")
    info = find("tiny-ui", models=discover(packages=False))
    assert (info.kind, info.format, info.ok) == ("renderer", "neuralos-ui", True)
    write_manifest(folder, name="tiny-ui", kind="renderer", format="neuralos-ui", parameters={"steps": 1, "margin": 8})
    renderer = load_renderer("tiny-ui")
    assert isinstance(renderer, NeuralRenderer) and (renderer.steps, renderer.margin) == (1, 8)
    frame = renderer.render(tiny_scene())
    assert frame.dtype == np.uint8 and frame.shape == (64, 64, 3)
    again = renderer.render(tiny_scene(), frame, [Box(0, 0, 16, 16)])
    assert np.array_equal(again[32:], frame[32:])
    assert verify(find("tiny-ui", models=discover(packages=False))).ok


def test_neuralos_ui_wrong_shapes_and_format(models_dir, place):
    folder = place("ui", models_dir / "tiny-ui")
    channels = json.loads((folder / "model" / "config.json").read_text())["conditioning_channels"]
    edit_json(folder / "model" / "config.json", conditioning_channels=channels - 1)
    # The stem sees the conditioning channels plus the noisy frame's: one channel fewer in the config.
    with pytest.raises(BrokenModel, match=r"model/: weights do not match the config: stem.weight is \[\d+, (\d+), 1, 1\] "
                                          r"in the weights, the config makes \[\d+, (\d+), 1, 1\]") as err:
        load_renderer("tiny-ui")
    in_weights, in_config = map(int, re.search(r"is \[\d+, (\d+),.*makes \[\d+, (\d+),", str(err.value)).groups())
    assert in_weights == in_config + 1
    edit_json(folder / "model" / "config.json", conditioning_channels=channels, format_version=999)
    with pytest.raises(BrokenModel, match="model/config.json does not build a UIRendererModel: model format 999"):
        load_renderer("tiny-ui")


def test_renderer_parameters_are_checked(models_dir, place):
    folder = place("ui", models_dir / "tiny-ui")
    write_manifest(folder, name="tiny-ui", kind="renderer", format="neuralos-ui", parameters={"stepz": 1})
    with pytest.raises(BrokenModel, match=r"parameters.stepz is not a neuralos-ui parameter \(known: .*steps"):
        load_renderer("tiny-ui")
    write_manifest(folder, name="tiny-ui", kind="renderer", format="neuralos-ui", parameters={"steps": 0})
    with pytest.raises(BrokenModel, match="parameters.steps must be an integer 1..1000, not 0"):
        load_renderer("tiny-ui")
