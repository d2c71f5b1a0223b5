"""The plugin folder (SPEC section 5): find, check, load and watch renderer and planner models.

    models = discover()                       # list[ModelInfo], search order, first name wins
    renderer = load_renderer("crisp-ui")      # or a ModelInfo; BrokenModel (a BadInput) if unusable
    planner = load_planner(find("qwen", "planner", models))
    ModelWatcher(callback).start()            # re-discovers within ~1 s of a folder changing
    verify(info)                              # load + one tiny inference -> ModelInfo ok/broken
    active = ActiveModel("renderer"); active.switch("crisp-ui")   # live swap; failures keep the old one

The Qt adapter (`QtModelWatcher`, a `changed(list)` signal) is in `neuralos.plugins.qtwatch`.
Plugin folders are data: nothing in them is ever imported or run. See docs/plugins.md.
"""
from neuralos.plugins.discovery import (ModelInfo, default_model, discover, find, inspect, search_dirs,
                                        user_models_dir)
from neuralos.plugins.live import ActiveModel
from neuralos.plugins.loading import BrokenModel, load_planner, load_renderer
from neuralos.plugins.manifest import Manifest, read_manifest
from neuralos.plugins.verify import verify
from neuralos.plugins.watch import ModelWatcher

__all__ = [
    "ActiveModel", "BrokenModel", "Manifest", "ModelInfo", "ModelWatcher", "default_model", "discover", "find", "inspect",
    "load_planner", "load_renderer", "read_manifest", "search_dirs", "user_models_dir", "verify",
]
