"""Which classes a pipeline folder may name, and how they are resolved.

A diffusers `model_index.json` names a pipeline class and, per component, a (library, class)
pair; diffusers would import whatever module is named there, or run a `.py` file shipped in the
folder. We never let a folder choose code: a name resolves only to a class of diffusers,
transformers or neuralos itself, or to one registered with `register_class` by installed code,
and it must be a model, scheduler, tokenizer/processor or pipeline class.
"""
from __future__ import annotations

import importlib

TRUSTED_LIBRARIES = ("diffusers", "transformers", "neuralos")
# Our own pipeline, known by name (the folder's `_class_name`), imported only when it is loaded.
PIPELINES = {"UIRenderPipeline": ("neuralos.neural.pipeline", "UIRenderPipeline")}
_REGISTERED: dict[tuple[str, str], type] = {}


def register_class(cls: type) -> None:
    """Allow pipeline folders to name `cls` (as `[cls.__module__, cls.__name__]`).

    For installed packages that ship their own diffusers components; call it at import time of the
    package's entry point.
    """
    _REGISTERED[(cls.__module__, cls.__name__)] = cls
    if _is_pipeline(cls):
        PIPELINES.setdefault(cls.__name__, (cls.__module__, cls.__name__))


def library_allowed(library: str) -> bool:
    """Cheap test (no import) of a component's library name."""
    top = library.split(".")[0]
    return top in TRUSTED_LIBRARIES or any(lib == library for lib, _ in _REGISTERED)


def pipeline_class(class_name: str) -> type:
    """The pipeline class named by `_class_name`: ours, a registered one, or a diffusers built-in."""
    if class_name in PIPELINES:
        module, attr = PIPELINES[class_name]
        cls = _REGISTERED.get((module, attr)) or getattr(importlib.import_module(module), attr)
    else:
        import diffusers
        cls = getattr(diffusers, class_name, None)
    if not (isinstance(cls, type) and _is_pipeline(cls)):
        raise LookupError(f"pipeline class {class_name!r} is neither a diffusers pipeline nor a "
                          "registered one (plugin folders never bring their own code)")
    return cls


def component_class(library: str, class_name: str) -> type:
    """The class of one pipeline component, checked to be a loadable kind of class."""
    cls = _REGISTERED.get((library, class_name))
    if cls is None:
        if not library_allowed(library):
            raise LookupError(f"library {library!r} is not trusted (only diffusers, transformers, "
                              "neuralos and registered classes load)")
        module = importlib.import_module(library)
        cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and _is_component(cls)):
        raise LookupError(f"{library}.{class_name} is not a model, scheduler or tokenizer class")
    return cls


def _is_pipeline(cls: type) -> bool:
    from diffusers import DiffusionPipeline
    return issubclass(cls, DiffusionPipeline)


def _is_component(cls: type) -> bool:
    from diffusers import ModelMixin, SchedulerMixin
    from diffusers.configuration_utils import ConfigMixin
    bases: tuple[type, ...] = (ModelMixin, SchedulerMixin, ConfigMixin)
    try:
        import transformers
        bases += (transformers.PreTrainedModel, transformers.PreTrainedTokenizerBase,
                  transformers.ProcessorMixin, transformers.ImageProcessingMixin,
                  transformers.FeatureExtractionMixin)
    except ImportError:
        pass
    return issubclass(cls, bases)
