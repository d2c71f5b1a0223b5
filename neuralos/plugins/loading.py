"""Load a discovered model, safely: `load_renderer(info)` and `load_planner(info)`.

Every load re-checks the folder (it may have changed since discovery), then:
- reads weights from safetensors only (`use_safetensors=True`), with `local_files_only=True` and
  `trust_remote_code=False`: nothing is downloaded and no code comes from the folder;
- resolves pipeline and component classes through `neuralos.plugins.trusted` only;
- builds each model on the meta device from its config and compares every tensor shape with the
  safetensors headers before reading a byte of weights, so a config/weights mismatch is reported
  as such ("conv_in.weight is [8, 3, 3, 3] in the weights, the config makes [8, 73, 3, 3]").
Any failure raises `BrokenModel` (a `BadInput`, exit 2) naming the folder and the reason; the
caller's current model is untouched, so a failed swap leaves the previous model active.
"""
from __future__ import annotations

import threading
from pathlib import Path

from neuralos.errors import BadInput, NeuralosError, first_line
from neuralos.plugins.checks import pipeline_components, read_json
from neuralos.plugins.discovery import ModelInfo, discover, find, inspect
from neuralos.plugins.formats import all_formats
from neuralos.plugins.weights import tensor_shapes, weight_files
from neuralos.quiet import no_progress_bars

SAFE = {"local_files_only": True, "use_safetensors": True, "trust_remote_code": False}
# One load at a time in the process: diffusers/accelerate and transformers build models under
# process-wide patches (`init_empty_weights` replaces `nn.Module.register_parameter`, `no_init_weights`
# the `torch.nn.init` functions), so a planner loading on one thread while a renderer loads on another
# (the shell does both) would get meta tensors ("Cannot copy out of meta tensor").
_LOAD_LOCK = threading.RLock()


class BrokenModel(BadInput):
    """A model that cannot be used; `info` is the model, `reason` says why (without the path)."""

    def __init__(self, info: ModelInfo, reason: str):
        self.info, self.reason = info, reason
        super().__init__(reason, where=str(info.path) if info.path else f"model {info.name!r}")


class LoadFailure(Exception):
    """Raised inside loaders with a reason worded for the user; becomes BrokenModel."""


def load_renderer(model: ModelInfo | str, device: str = "cpu",
                  models: list[ModelInfo] | None = None) -> object:
    """A ready renderer (`render(scene, previous, regions) -> uint8 (H, W, 3)`) for a model or name."""
    return _load(resolve(model, "renderer", models), device)


def load_planner(model: ModelInfo | str, device: str = "cpu",
                 models: list[ModelInfo] | None = None) -> object:
    """A ready planner (`plan(state, request, cancel)`) for a model or name."""
    return _load(resolve(model, "planner", models), device)


def resolve(model: ModelInfo | str, kind: str, models: list[ModelInfo] | None = None) -> ModelInfo:
    """The ModelInfo for `model` (a name or a ModelInfo) of `kind`. BadInput for an unknown name or
    a model of the other kind, BrokenModel for a model discovery found broken."""
    if isinstance(model, str):
        models = discover() if models is None else models
        info = find(model, kind if all(m.name != model for m in models) else None, models)
    else:
        info = model
    if not info.ok and info.kind in ("", kind):
        raise BrokenModel(info, info.reason)
    if info.kind != kind:
        raise BadInput(f"{info.name!r} is a {info.kind or 'broken model'}, not a {kind}", where=f"--{kind}")
    return info


def _load(info: ModelInfo, device: str) -> object:
    if info.path is not None:  # the folder may have changed since it was discovered
        fresh = inspect(info.path, info.source)
        info = fresh if fresh.name == info.name else fresh.broken(
            f"the folder now holds model {fresh.name!r}, not {info.name!r}")
    if not info.ok:
        raise BrokenModel(info, info.reason)
    fmt = all_formats().get(info.format)
    if fmt is None:
        raise BrokenModel(info, f"unknown format {info.format!r}")
    try:
        with _LOAD_LOCK, no_progress_bars():
            obj = fmt.load(info, device)
    except BrokenModel:
        raise
    except (LoadFailure, NeuralosError) as e:  # already worded for the user
        raise BrokenModel(info, str(e)) from e
    except Exception as e:  # library errors: keep the first line, it is usually the useful one
        raise BrokenModel(info, f"failed to load: {type(e).__name__}: {first_line(e)}") from e
    method = "render" if info.kind == "renderer" else "plan"
    if not callable(getattr(obj, method, None)):
        raise BrokenModel(info, f"the loaded {info.kind} ({type(obj).__name__}) has no {method}() method")
    return obj


# --- shape checks ------------------------------------------------------------------------------------

def check_shapes(expected: dict[str, tuple[int, ...]], files: list[Path], where: str,
                 allow_missing: set[str] = frozenset()) -> None:
    """Compare the shapes a config makes with those in the safetensors headers; LoadFailure if off."""
    actual = tensor_shapes(files)
    wrong = [(k, actual[k], s) for k, s in expected.items() if k in actual and actual[k] != s]
    missing = [k for k in expected if k not in actual and k not in allow_missing]
    if wrong:
        k, got, want = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        raise LoadFailure(f"{where}weights do not match the config: {k} is {list(got)} in the weights, "
                          f"the config makes {list(want)}{more}")
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise LoadFailure(f"{where}weights lack {missing[0]}{more}, which the config needs")


def meta_shapes(build) -> tuple[dict[str, tuple[int, ...]], object]:
    """Run `build()` on the meta device (no memory, no weights): its state-dict shapes and the model."""
    import torch
    with torch.device("meta"):
        model = build()
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}, model


# --- diffusers pipelines -----------------------------------------------------------------------------

def load_pipeline(path: Path, device: str = "cpu"):
    """A diffusers pipeline from a checked folder: trusted classes only, shapes checked first."""
    import torch
    from diffusers import ModelMixin

    from neuralos.plugins import trusted

    path = Path(path)
    index = read_json(path / "model_index.json")
    try:
        pipeline_cls = trusted.pipeline_class(index["_class_name"])
        classes = {name: trusted.component_class(lib, cls)
                   for name, (lib, cls) in pipeline_components(index).items()}
    except (LookupError, ImportError) as e:
        raise LoadFailure(f"model_index.json: {e}") from None
    for name, cls in classes.items():
        if issubclass(cls, ModelMixin):
            try:
                config = cls.load_config(path / name)
                expected, _ = meta_shapes(lambda: cls.from_config(config))
            except Exception as e:
                raise LoadFailure(f"{name}/config.json does not build a {cls.__name__}: {first_line(e)}") from None
            check_shapes(expected, weight_files(path / name, "diffusion_pytorch_model"), f"{name}/: ")
    pipe = pipeline_cls.from_pretrained(str(path), **SAFE, dtype=torch.float32)
    return pipe.to(device)


def load_neuralos_ui(info: ModelInfo, device: str):
    """Our own UIRenderPipeline folder as a NeuralRenderer; `[parameters]` go to NeuralRenderer."""
    from neuralos.neural.renderer import NeuralRenderer

    params = _renderer_parameters(info, NeuralRenderer)
    return NeuralRenderer(load_pipeline(info.path, device), **params)


def load_diffusers(info: ModelInfo, device: str):
    """Any diffusers pipeline that takes the scene conditioning (see PipelineRenderer)."""
    from neuralos.plugins.pipeline_renderer import PipelineRenderer

    params = _renderer_parameters(info, PipelineRenderer)
    return PipelineRenderer(load_pipeline(info.path, device), **params)


def _renderer_parameters(info: ModelInfo, cls: type) -> dict:
    params = _parameters(info, cls, exclude={"pipeline"})
    steps = params.get("steps")
    if steps is not None and not (isinstance(steps, int) and not isinstance(steps, bool) and 1 <= steps <= 1000):
        raise LoadFailure(f"neuralos.toml: parameters.steps must be an integer 1..1000, not {steps!r}")
    return params


def _parameters(info: ModelInfo, cls: type, exclude: set[str]) -> dict:
    """The manifest's parameters, checked to be keyword arguments `cls` takes (less `exclude`)."""
    import inspect

    known = {n for n, p in inspect.signature(cls).parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)} - exclude
    for key in info.parameters:
        if key not in known:
            raise LoadFailure(f"neuralos.toml: parameters.{key} is not a {info.format} parameter "
                              f"(known: {', '.join(sorted(known)) or 'none'})")
    return dict(info.parameters)


# --- transformers planners ---------------------------------------------------------------------------

def load_causal_lm(path: Path, device: str = "cpu"):
    """(model, tokenizer) of a causal-LM folder: built-in architectures only, shapes checked first."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    path = Path(path)
    model_type = read_json(path / "config.json").get("model_type")
    if model_type not in CONFIG_MAPPING:
        raise LoadFailure(f"config.json: model_type {model_type!r} is not built into transformers "
                          "(code shipped with a model is never run)")
    try:
        config = AutoConfig.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
        expected, skeleton = meta_shapes(lambda: AutoModelForCausalLM.from_config(config, trust_remote_code=False))
    except Exception as e:
        raise LoadFailure(f"config.json does not build a causal LM: {first_line(e)}") from None
    tied = set(getattr(skeleton, "_tied_weights_keys", None) or ())
    check_shapes(expected, weight_files(path, "model"), "", allow_missing=tied)
    model, loading = AutoModelForCausalLM.from_pretrained(str(path), **SAFE, dtype=torch.float32,
                                                          output_loading_info=True)
    missing = sorted(loading.get("missing_keys") or ())
    if missing:
        raise LoadFailure(f"weights lack {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, trust_remote_code=False)
    vocab = getattr(config, "vocab_size", None)
    if vocab and len(tokenizer) > vocab:
        raise LoadFailure(f"the tokenizer has {len(tokenizer)} tokens, the model's vocabulary only {vocab}")
    return model.to(device).eval(), tokenizer


def load_transformers(info: ModelInfo, device: str):
    """A transformers causal-LM folder as a planner; `[parameters]` go to TransformersPlanner."""
    from neuralos.planners.transformers_planner import TransformersPlanner

    params = _parameters(info, TransformersPlanner, exclude={"folder", "model", "tokenizer", "name", "sampler"})
    device = params.pop("device", device)
    model, tokenizer = load_causal_lm(info.path, device)
    return TransformersPlanner(model=model, tokenizer=tokenizer, name=info.name, device=device, **params)


def load_openai(info: ModelInfo, device: str):
    """An openai-compatible endpoint named by the manifest; `[parameters]` go to OpenAIPlanner."""
    from neuralos.planners.openai_planner import OpenAIPlanner

    params = _parameters(info, OpenAIPlanner, exclude={"url", "model", "api_key", "api_key_env", "name"})
    m = info.manifest
    return OpenAIPlanner(m.url, m.model, api_key_env=m.api_key_env, name=info.name, **params)
