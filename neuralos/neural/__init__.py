"""Neural renderer: conditioning maps from the scene, the diffusion model, sampling, training, data and eval.

Light to import: torch and Qt load only when a submodule that needs them is imported.
- `conditioning`: `build_conditioning(scene, previous)` -> (C, H, W) float32 maps, `CONDITIONING_CHANNEL_NAMES`
- `model`: `UIRendererModel`, the x0-predicting conditional denoiser (diffusers ModelMixin)
- `pipeline`: `UIRenderPipeline`, a diffusers pipeline folder (model + scheduler)
- `renderer`: `NeuralRenderer`, `load_renderer(path)`, `load_default_renderer()`
- `train`: teacher training and step distillation (`neuralos train teacher|distill`)
"""
