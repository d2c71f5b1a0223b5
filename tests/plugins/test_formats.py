"""Formats from installed packages: entry points `neuralos.renderers` / `neuralos.planners`."""
import sys
import textwrap

import pytest

from neuralos.plugins import discover, find, load_planner, load_renderer, verify
from neuralos.plugins.formats import all_formats, builtin_formats
from neuralos.plugins.tiny import write_manifest
from neuralos.plugins.verify import tiny_scene

PACKAGE = '''
import numpy as np
from neuralos.planners.base import Planner, PlanStep


class SolidRenderer:
    """Paints the whole frame one colour: parameters.color, or grey."""
    def __init__(self, info):
        self.info = info
        self.color = info.parameters.get("color", 128)

    def render(self, scene, previous=None, regions=None):
        return np.full((scene.height, scene.width, 3), self.color, np.uint8)


class FloatRenderer(SolidRenderer):
    def render(self, scene, previous=None, regions=None):
        return np.zeros((scene.height, scene.width, 3), np.float32)


class EchoPlanner(Planner):
    name = "echo"
    def __init__(self, info):
        pass

    def plan(self, state, request, cancel=None):
        yield PlanStep(messages=[{"version": "v0.9", "createSurface": {"surfaceId": "echo",
                       "catalogId": "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"}}])


NOT_CALLABLE = 3
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    """An installed package `acme_plugins` (a module + dist-info with entry points) on sys.path."""
    site = tmp_path / "site"
    (site / "acme_plugins-1.0.dist-info").mkdir(parents=True)
    (site / "acme_plugins.py").write_text(PACKAGE)
    (site / "acme_plugins-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-plugins\nVersion: 1.0\n")
    (site / "acme_plugins-1.0.dist-info" / "entry_points.txt").write_text(textwrap.dedent("""
        [neuralos.renderers]
        acme-solid = acme_plugins:SolidRenderer
        acme-float = acme_plugins:FloatRenderer
        acme-none = acme_plugins:NOT_CALLABLE
        diffusers = acme_plugins:SolidRenderer

        [neuralos.planners]
        acme-echo = acme_plugins:EchoPlanner
        """))
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("acme_plugins", None)


def test_entry_points_are_listed_without_importing(package, models_dir):
    models = {m.name: m for m in discover() if m.source == "entry-point"}
    assert "acme_plugins" not in sys.modules
    solid = models["acme-solid"]
    assert (solid.kind, solid.format, solid.path, solid.status) == ("renderer", "acme-solid", None, "ok")
    assert "acme_plugins:SolidRenderer" in solid.description and "acme-plugins" in solid.description
    assert models["acme-echo"].kind == "planner"
    assert models["diffusers"].status == "broken" and "clashes" in models["diffusers"].reason
    assert all_formats()["diffusers"] is builtin_formats()["diffusers"]  # a package cannot replace one


def test_entry_point_models_load_and_verify(package, models_dir):
    frame = load_renderer("acme-solid").render(tiny_scene())
    assert frame.shape == (64, 64, 3) and (frame == 128).all()
    assert load_planner("acme-echo").name == "echo"
    models = discover()
    assert verify(find("acme-solid", models=models)).ok
    assert verify(find("acme-echo", models=models)).ok
    bad = verify(find("acme-float", models=models))
    assert bad.status == "broken" and "a renderer must return uint8 (64, 64, 3)" in bad.reason
    none = verify(find("acme-none", models=models))
    assert none.status == "broken" and "not callable" in none.reason


def test_a_folder_can_use_a_package_format(package, models_dir):
    write_manifest(models_dir / "red", name="red", kind="renderer", format="acme-solid", parameters={"color": 200})
    info = find("red", models=discover())
    assert info.ok and info.source == "env"
    renderer = load_renderer(info)
    assert renderer.info.path == models_dir / "red"
    assert (renderer.render(tiny_scene()) == 200).all()


def test_folder_manifests_shadow_entry_points(package, models_dir):
    write_manifest(models_dir / "mine", name="acme-echo", kind="planner", format="openai-compatible",
                   url="http://127.0.0.1:1/v1", model="m")
    info = find("acme-echo", models=discover())
    assert info.source == "env" and info.shadows == ("entry point acme_plugins:EchoPlanner (package acme-plugins)",)
