"""Live model swap in a running shell (SPEC section 5, docs/plugins.md).

A real MainWindow with its real plugin watcher on a temporary NEURALOS_MODELS folder: tiny models
are built with the libraries' own `save_pretrained` (neuralos-ui and diffusers renderers, a
transformers planner), dropped into the plugin folder while the shell runs, listed in the Models
menu by the watcher without a restart, and switched to live; the desktop (surfaces, data models,
typed text, windows) stays as it was. Broken folders are listed as broken with their reason and
never hide the good ones; a failed switch leaves the previous model active and says why; a
vanished active renderer falls back visibly.
"""
import json
import shutil
import time

import numpy as np
import pytest

from neuralos.plugins import tiny
from shell_helpers import notes

SIZE = (320, 240)
WATCH_MS = 3000          # the watcher polls once a second: a dropped folder is listed within this
LOAD_MS = 30000          # loading + the first whole frame on a busy 2-core CPU


# --- tiny plugin folders, built once -------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Pristine tiny model folders by key (copy them, never modify them)."""
    root = tmp_path_factory.mktemp("live-swap-models")
    ui = tiny.write_tiny_ui_renderer(root / "crisp-ui")
    tiny.write_manifest(ui, name="crisp-ui", kind="renderer", format="neuralos-ui",
                        description="a tiny random UIRenderPipeline")
    folders = {
        "ui": ui,                                                                     # manifest, neuralos-ui
        "diffusers": tiny.write_tiny_renderer(root / "ddpm-ui"),                       # no manifest: diffusers
        "unconditioned": tiny.write_tiny_renderer(root / "plain-ddpm", conditioned=False),
        "planner": tiny.write_tiny_planner(root / "tiny-llm"),                         # no manifest: transformers
    }
    return folders


def drop(src, models_dir, name, spoil=None):
    """Copy a model folder into the plugin folder the way docs/plugins.md advises (copy to a dot
    folder, then rename), optionally spoiling the copy first. Returns the new folder."""
    staging = models_dir / f".incoming-{name}"
    shutil.copytree(src, staging)
    if spoil is not None:
        spoil(staging)
    dest = models_dir / name
    staging.rename(dest)
    return dest


def truncate(file):
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


@pytest.fixture
def shell(make_window, models_dir, qtbot):
    """A shown window (widgets, builtin planner) watching the plugin folder, with a notes app open
    and text typed into it."""
    from neuralos.widgets.input import InputRouter

    w = make_window(renderer="widgets", planner="builtin", size=SIZE)
    w.watch_models()
    assert w.model_watcher is not None and w.models == []
    w.frames.deadline_ms = w.frames.first_deadline_ms = 60_000   # a tiny CPU model: never "late" here
    w.session.apply(notes("notes", "Notes", "Hello"))
    qtbot.waitUntil(lambda: "notes" in w.taskbar.buttons)
    field = next(n for n in w.canvas.scene().nodes if n.role == "TextField" and n.surface == "notes")
    router = InputRouter(w.canvas)
    router.click(*field.box.center)
    router.type_text("typed before")
    assert w.session.surfaces["notes"].get_data("/note") == "typed before"
    w.router = router
    return w


def desktop(w) -> str:
    """Everything the user has on the desktop: surfaces, data models, windows, theme."""
    return json.dumps(w.session.snapshot(), sort_keys=True)


def renderer_actions(w) -> dict:
    return {a.data(): a for a in w.renderer_group.actions()}


def planner_actions(w) -> dict:
    return {a.data(): a for a in w.planner_group.actions()}


def listed(w, kind, name, qtbot, ok=True):
    """Wait until the Models menu lists `name` (enabled when ok); return the action and the wait."""
    actions = renderer_actions if kind == "renderer" else planner_actions
    t0 = time.perf_counter()
    qtbot.waitUntil(lambda: name in actions(w) and actions(w)[name].isEnabled() == ok, timeout=WATCH_MS)
    return actions(w)[name], time.perf_counter() - t0


def overlay_pixels(w):
    img = w.overlay.image.convertToFormat(w.overlay.image.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


def painted_by(w, model, qtbot):
    """Wait until `model` paints the canvas's current state on screen."""
    pump = w.frames
    qtbot.waitUntil(lambda: pump.model is model and pump.active == "neural" and not pump.loading
                    and pump._shown is not None and pump._shown_scene == w.canvas.scene() and not pump._busy,
                    timeout=LOAD_MS)


def wait_switched(w, name, qtbot):
    """Wait until the renderer request for `name` finished loading (ok or not); the model in use."""
    pump = w.frames
    qtbot.waitUntil(lambda: not pump.loading, timeout=LOAD_MS)
    return pump.model


# --- renderers -------------------------------------------------------------------------------------------

def test_dropped_renderer_is_listed_and_switched_to_live_keeping_the_desktop(shell, models_dir, built, qtbot):
    w, pump = shell, shell.frames
    before = desktop(w)
    assert pump.active == "widgets" and "renderer: widgets" in w.status.renderer.text()

    drop(built["ui"], models_dir, "crisp-ui")
    act, waited = listed(w, "renderer", "crisp-ui", qtbot)             # the watcher, no restart
    assert waited < WATCH_MS / 1000
    assert act.text() == "crisp-ui" and act.toolTip() == "a tiny random UIRenderPipeline"
    assert act in w.view_renderer_menu.actions() and act in w.models_renderer_menu.actions()
    assert not act.isChecked() and renderer_actions(w)["widgets"].isChecked()

    act.trigger()                                                       # Models > Renderers > crisp-ui
    assert pump.requested == "crisp-ui" and act.isChecked()
    model = wait_switched(w, "crisp-ui", qtbot)
    from neuralos.neural.renderer import NeuralRenderer
    assert isinstance(model, NeuralRenderer)
    painted_by(w, model, qtbot)
    assert w.overlay.isVisible() and pump.last.renderer == "neural" and pump.last.reason is None
    assert "renderer: neural (crisp-ui)" in w.status.renderer.text(), w.status.renderer.text()
    shown = overlay_pixels(w)
    widgets = w.canvas.grab_frame()
    assert shown.shape == widgets.shape == (SIZE[1], SIZE[0], 3)
    assert np.array_equal(shown, pump.last.frame)                      # what the user sees is the model's
    assert np.mean(np.any(shown != widgets, axis=2)) > 0.5             # a random model: nothing like the widgets
    assert desktop(w) == before                                        # the desktop did not change
    assert set(w.canvas.frames) == {"notes"} and set(w.taskbar.buttons) == {"notes"}

    n = pump.neural_frames                                              # input still reaches the widgets
    w.router.type_text(" and after")
    assert w.session.surfaces["notes"].get_data("/note") == "typed before and after"
    qtbot.waitUntil(lambda: pump.neural_frames > n and pump._shown_scene == w.canvas.scene() and not pump._busy,
                    timeout=LOAD_MS)
    assert pump.model is model and pump.last.renderer == "neural"

    # a second dropped renderer (format diffusers, no manifest): switch from one model to the other
    drop(built["diffusers"], models_dir, "ddpm-ui")
    act2, _ = listed(w, "renderer", "ddpm-ui", qtbot)
    assert renderer_actions(w)["crisp-ui"].isChecked()                 # a rescan keeps the check mark
    before = desktop(w)
    act2.trigger()
    other = wait_switched(w, "ddpm-ui", qtbot)
    from neuralos.plugins.pipeline_renderer import PipelineRenderer
    assert isinstance(other, PipelineRenderer)
    painted_by(w, other, qtbot)
    assert "renderer: neural (ddpm-ui)" in w.status.renderer.text(), w.status.renderer.text()
    assert act2.isChecked() and not renderer_actions(w)["crisp-ui"].isChecked()
    assert desktop(w) == before

    renderer_actions(w)["widgets"].trigger()                            # and back to the widgets
    assert pump.active == "widgets" and pump.model is None and not w.overlay.isVisible()
    assert w.status.renderer.text() == "renderer: widgets"
    assert desktop(w) == before


def test_broken_renderer_is_listed_disabled_and_a_failed_switch_keeps_the_previous_one(shell, models_dir, built,
                                                                                      qtbot):
    w, pump = shell, shell.frames
    drop(built["ui"], models_dir, "crisp-ui")
    listed(w, "renderer", "crisp-ui", qtbot)
    w.set_renderer("crisp-ui")
    model = wait_switched(w, "crisp-ui", qtbot)
    painted_by(w, model, qtbot)
    before = desktop(w)

    # a half-written weights file: listed broken with the reason, the good one stays usable
    def spoil(d):
        truncate(d / "model" / "diffusion_pytorch_model.safetensors")
        tiny.write_manifest(d, name="half-ui", kind="renderer", format="neuralos-ui")
    drop(built["ui"], models_dir, "half-ui", spoil)
    bad, _ = listed(w, "renderer", "half-ui", qtbot, ok=False)
    assert bad.text() == "half-ui (broken)" and not bad.isEnabled()
    assert "model/: diffusion_pytorch_model.safetensors: truncated" in bad.toolTip(), bad.toolTip()
    good = renderer_actions(w)["crisp-ui"]
    assert good.isEnabled() and good.isChecked()
    assert [m.status for m in w.models if m.name == "crisp-ui"] == ["ok"]

    bad.trigger()                                                       # a disabled menu item does nothing
    assert pump.requested == "crisp-ui" and pump.model is model

    w.set_renderer("half-ui")                                           # asked anyway (agent, second launch)
    qtbot.waitUntil(lambda: not pump.loading, timeout=LOAD_MS)
    assert pump.requested == "crisp-ui" and pump.model is model        # the previous model is still active
    assert w.status.error and "half-ui" in w.status.message.text() and "truncated" in w.status.message.text()
    assert renderer_actions(w)["crisp-ui"].isChecked() and not bad.isChecked()
    painted_by(w, model, qtbot)
    assert "renderer: neural (crisp-ui)" in w.status.renderer.text()

    # listed ok (a complete diffusers folder), but its pipeline cannot take the scene conditioning:
    # the failure shows only when it loads, and the previous model stays
    drop(built["unconditioned"], models_dir, "plain-ddpm")
    plain, _ = listed(w, "renderer", "plain-ddpm", qtbot)
    plain.trigger()
    qtbot.waitUntil(lambda: not pump.loading, timeout=LOAD_MS)
    assert pump.requested == "crisp-ui" and pump.model is model
    message = w.status.message.text()
    assert w.status.error and "plain-ddpm" in message and "does not take the scene conditioning" in message
    assert renderer_actions(w)["crisp-ui"].isChecked()
    painted_by(w, model, qtbot)
    assert desktop(w) == before


def test_failed_switch_from_the_widgets_stays_on_the_widgets(shell, models_dir, built, qtbot):
    w, pump = shell, shell.frames
    before = desktop(w)
    drop(built["unconditioned"], models_dir, "plain-ddpm")
    listed(w, "renderer", "plain-ddpm", qtbot)
    w.set_renderer("plain-ddpm")
    qtbot.waitUntil(lambda: not pump.loading, timeout=LOAD_MS)
    assert pump.requested == "widgets" and pump.active == "widgets"
    assert w.status.renderer.text() == "renderer: widgets"
    assert w.status.error and "does not take the scene conditioning" in w.status.message.text()
    assert renderer_actions(w)["widgets"].isChecked()
    assert desktop(w) == before


def test_removing_the_active_renderer_folder_falls_back_visibly(shell, models_dir, built, qtbot):
    w, pump = shell, shell.frames
    folder = drop(built["ui"], models_dir, "crisp-ui")
    listed(w, "renderer", "crisp-ui", qtbot)
    w.set_renderer("crisp-ui")
    painted_by(w, wait_switched(w, "crisp-ui", qtbot), qtbot)
    before = desktop(w)

    shutil.rmtree(folder)
    qtbot.waitUntil(lambda: "crisp-ui" not in renderer_actions(w), timeout=WATCH_MS)
    assert pump.requested == "auto"
    assert w.status.error and "'crisp-ui' is gone from the plugin folder" in w.status.message.text()
    qtbot.waitUntil(lambda: not pump.loading, timeout=LOAD_MS)
    assert pump.active == "widgets" and pump.model is None and not w.overlay.isVisible()
    assert "renderer: widgets (fallback: no usable neural renderer model" in w.status.renderer.text()
    assert renderer_actions(w)["auto"].isChecked()
    assert desktop(w) == before
    w.router.type_text("!")                                             # still running, still typing
    assert w.session.surfaces["notes"].get_data("/note") == "typed before!"


# --- planners ---------------------------------------------------------------------------------------------

def test_planner_swap_live_and_a_failed_switch_keeps_the_previous_planner(shell, models_dir, built, qtbot):
    from neuralos.planners.builtin import BuiltinPlanner
    from neuralos.planners.transformers_planner import TransformersPlanner

    w = shell
    assert isinstance(w.planner.planner, BuiltinPlanner) and w.status.planner.text() == "planner: builtin"
    assert w.submit_intent("open a timer")                              # more desktop state, from the planner
    qtbot.waitUntil(lambda: len(w.session.surfaces) == 2 and not w.planner.busy, timeout=30000)
    qtbot.waitUntil(lambda: not w.intent_bar.cancel.isVisible())
    before = desktop(w)

    drop(built["planner"], models_dir, "tiny-llm")
    act, waited = listed(w, "planner", "tiny-llm", qtbot)
    assert waited < WATCH_MS / 1000 and act in w.models_planner_menu.actions()
    act.trigger()                                                       # Models > Planners > tiny-llm
    qtbot.waitUntil(lambda: w.planner.name == "tiny-llm" and w.planner.available, timeout=LOAD_MS)
    assert isinstance(w.planner.planner, TransformersPlanner)
    assert w.status.planner.text() == "planner: tiny-llm"
    assert act.isChecked() and not planner_actions(w)["builtin"].isChecked()
    assert desktop(w) == before
    current = w.planner

    # broken on disk: listed broken (disabled, with the reason); asked anyway, the previous one stays
    drop(built["planner"], models_dir, "half-llm", lambda d: truncate(d / "model.safetensors"))
    bad, _ = listed(w, "planner", "half-llm", qtbot, ok=False)
    assert bad.text() == "half-llm (broken)" and "model.safetensors: truncated" in bad.toolTip()
    assert planner_actions(w)["tiny-llm"].isEnabled()
    w.set_planner("half-llm")
    qtbot.waitUntil(lambda: w.pending_planner is None, timeout=LOAD_MS)
    assert w.planner is current and w.planner.available and w.planner.name == "tiny-llm"
    message = w.status.message.text()
    assert w.status.error and "half-llm" in message and "truncated" in message and "tiny-llm" in message
    assert w.status.planner.text() == "planner: tiny-llm"
    assert planner_actions(w)["tiny-llm"].isChecked() and not bad.isChecked()

    # listed ok, fails when it loads (a parameter the planner does not take): the previous one stays
    def typo(d):
        tiny.write_manifest(d, name="typo-llm", kind="planner", format="transformers",
                            parameters={"max_new_tokenz": 64})
    drop(built["planner"], models_dir, "typo-llm", typo)
    typo_act, _ = listed(w, "planner", "typo-llm", qtbot)
    typo_act.trigger()
    qtbot.waitUntil(lambda: w.pending_planner is None, timeout=LOAD_MS)
    assert w.planner is current and w.planner.available
    assert w.status.error and "typo-llm" in w.status.message.text() and "max_new_tokenz" in w.status.message.text()
    assert w.status.planner.text() == "planner: tiny-llm"
    assert planner_actions(w)["tiny-llm"].isChecked()

    planner_actions(w)["builtin"].trigger()                             # and back
    qtbot.waitUntil(lambda: w.planner.name == "builtin" and w.planner.available, timeout=LOAD_MS)
    assert w.status.planner.text() == "planner: builtin"
    assert desktop(w) == before
    assert w.submit_intent("open notes")                                # the builtin planner works again
    qtbot.waitUntil(lambda: not w.planner.busy and not w.intent_bar.cancel.isVisible(), timeout=30000)
    assert not w.status.error, w.status.message.text()


def test_a_second_switch_before_the_first_loaded_wins(shell, models_dir, built, qtbot):
    from neuralos.plugins.pipeline_renderer import PipelineRenderer

    w, pump = shell, shell.frames
    drop(built["ui"], models_dir, "crisp-ui")
    drop(built["diffusers"], models_dir, "ddpm-ui")
    drop(built["planner"], models_dir, "tiny-llm")
    listed(w, "renderer", "crisp-ui", qtbot)
    listed(w, "renderer", "ddpm-ui", qtbot)
    listed(w, "planner", "tiny-llm", qtbot)
    before = desktop(w)

    w.set_renderer("crisp-ui")
    w.set_renderer("ddpm-ui")                                           # before crisp-ui is on screen
    model = wait_switched(w, "ddpm-ui", qtbot)
    assert isinstance(model, PipelineRenderer) and pump.requested == "ddpm-ui"
    painted_by(w, model, qtbot)
    qtbot.wait(300)                                                     # crisp-ui's late result is dropped
    assert pump.model is model and "renderer: neural (ddpm-ui)" in w.status.renderer.text()

    w.set_planner("tiny-llm")
    assert w.status.planner.text() == "planner: builtin (loading tiny-llm…)"
    assert planner_actions(w)["tiny-llm"].isChecked()
    w.set_planner("builtin")                                            # changed my mind: keep the builtin
    assert w.pending_planner is None and w.status.planner.text() == "planner: builtin"
    assert planner_actions(w)["builtin"].isChecked()
    qtbot.wait(1000)                                                    # tiny-llm finishes loading, unused
    assert w.planner.name == "builtin" and w.planner.available
    assert w.status.planner.text() == "planner: builtin"
    assert desktop(w) == before


def test_renderer_and_planner_plugins_load_side_by_side(make_window, models_dir, built, qtbot):
    """`neuralos shell --renderer crisp-ui --planner tiny-llm`: both load at once, on their own threads
    (the libraries build models under process-wide patches, so loads must not interleave)."""
    from neuralos.neural.renderer import NeuralRenderer
    from neuralos.planners.transformers_planner import TransformersPlanner

    drop(built["ui"], models_dir, "crisp-ui")
    drop(built["planner"], models_dir, "tiny-llm")
    w = make_window(renderer="crisp-ui", planner="tiny-llm", size=SIZE)
    assert w.planner.available, w.planner.reason
    assert isinstance(w.planner.planner, TransformersPlanner) and w.status.planner.text() == "planner: tiny-llm"
    qtbot.waitUntil(lambda: not w.frames.loading, timeout=LOAD_MS)
    assert isinstance(w.frames.model, NeuralRenderer), w.frames.reason
    painted_by(w, w.frames.model, qtbot)
    assert "renderer: neural (crisp-ui)" in w.status.renderer.text()
