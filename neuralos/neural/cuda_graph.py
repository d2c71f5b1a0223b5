"""A model forward captured once as a CUDA graph and replayed.

On a GPU a whole frame's forward is a few hundred small kernels; launching them from Python took 10.6 ms of
an H200's 17.6 ms forward, and replaying them as one graph 3.4 ms (docs/performance.md, run N). The graph
holds fixed input buffers: each call copies its inputs in, replays, and returns a copy of the output.
"""
from __future__ import annotations

import logging
from types import SimpleNamespace

import torch

log = logging.getLogger(__name__)

WARMUP_CALLS = 2    # eager calls on a side stream before capture (cuDNN picks its kernels, allocations settle)


class GraphedForward:
    """`forward(sample, timestep, conditioning).sample` of `model` for one shape and dtype, as a CUDA graph.

    Captured on the first call, from that call's inputs. A capture that fails (an operation the graph cannot
    hold, or no memory) is logged once, and this and every later call run the model eagerly.
    """

    def __init__(self, model):
        self.model = model
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failed: str | None = None
        self._inputs: tuple[torch.Tensor, ...] = ()
        self._output: torch.Tensor | None = None

    def __call__(self, sample: torch.Tensor, timestep: torch.Tensor, conditioning: torch.Tensor):
        if self.graph is None and self.failed is None:
            self._capture(sample, timestep, conditioning)
        if self.graph is None:
            return self.model(sample, timestep, conditioning)
        for buf, x in zip(self._inputs, (sample, timestep, conditioning)):
            buf.copy_(x)
        self.graph.replay()
        return SimpleNamespace(sample=self._output.clone())

    def _capture(self, sample, timestep, conditioning) -> None:
        if sample.device.type != "cuda":
            self._give_up(sample, f"{sample.device} is not a CUDA device")
            return
        inputs = tuple(x.detach().clone() for x in (sample, torch.as_tensor(timestep, device=sample.device),
                                                    conditioning))
        try:
            side = torch.cuda.Stream(sample.device)
            side.wait_stream(torch.cuda.current_stream(sample.device))
            with torch.cuda.stream(side):
                for _ in range(WARMUP_CALLS):
                    self.model(*inputs)
            torch.cuda.current_stream(sample.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                output = self.model(*inputs).sample
        except (RuntimeError, torch.cuda.OutOfMemoryError) as e:
            self._give_up(sample, str(e).splitlines()[0] if str(e) else type(e).__name__)
            return
        self.graph, self._inputs, self._output = graph, inputs, output

    def _give_up(self, sample, why: str) -> None:
        self.failed = why
        log.warning("CUDA graph capture failed for %s, the model runs eagerly: %s", tuple(sample.shape), why)
