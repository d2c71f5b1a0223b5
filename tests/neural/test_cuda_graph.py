"""GraphedForward: the sampling loop through a graphed forward gives the pipeline's frames; a failed capture
(here: a model on the CPU) falls back to the eager model once, with a warning."""
import logging

import numpy as np
import pytest
import torch

from neuralos.neural import renderer as R
from neuralos.neural.conditioning import build_conditioning
from neuralos.neural.cuda_graph import GraphedForward
from neuralos.neural.pipeline import UIRenderPipeline, default_scheduler

from neural_scenes import hand_scene, tiny_model

torch.set_num_threads(1)


def _renderer(device="cpu"):
    pipe = UIRenderPipeline(model=tiny_model(seed=4), scheduler=default_scheduler(), default_num_inference_steps=2)
    return R.NeuralRenderer(pipe.to(device))


def _inputs(r, device="cpu"):
    scene = hand_scene(160, 96)
    cond = torch.from_numpy(build_conditioning(scene, None))[None].to(device)
    return scene, cond, r.noise(scene.width, scene.height, device)


def test_failed_capture_runs_the_model_eagerly_with_the_pipelines_pixels(caplog):
    r = _renderer()
    scene, cond, noise = _inputs(r)
    with torch.inference_mode():
        want = r.pipeline(cond, num_inference_steps=2, noise=noise, output_type="raw").frames
        with caplog.at_level(logging.WARNING, logger="neuralos.neural.cuda_graph"):
            got = r._replay(cond, noise)
            again = r._replay(cond, noise)
    assert torch.equal(got, want) and torch.equal(again, want)
    (graphed,) = r._graphs.values()
    assert graphed.graph is None and "CUDA" in graphed.failed
    assert len([m for m in caplog.messages if "CUDA graph capture failed" in m]) == 1   # once, not per frame


def test_one_graph_per_frame_size_and_at_most_two_kept():
    r = _renderer()
    for w, h in ((64, 32), (96, 32), (128, 32)):
        cond = torch.zeros((1, r.model.config.conditioning_channels, h, w))
        with torch.inference_mode():
            r._replay(cond, r.noise(w, h))
    assert [k[0][-1] for k in r._graphs] == [96, 128]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_graph_replay_matches_the_eager_forward_on_cuda():
    r = _renderer("cuda")
    r.cuda_graphs = True
    scene, cond, noise = _inputs(r, "cuda")
    box = R.Box(0, 0, scene.width, scene.height)
    graphed = r.paint(cond, box, scene.width, scene.height)
    assert next(iter(r._graphs.values())).graph is not None
    r.cuda_graphs = False
    eager = r.paint(cond, box, scene.width, scene.height)
    assert np.abs(graphed.astype(int) - eager).max() <= 1
