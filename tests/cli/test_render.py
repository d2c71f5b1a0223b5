"""`neuralos render`: PNG output, byte-identical runs, the three input forms, bad input exit 2."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import EXAMPLES
from neuralos.cli import main

EXAMPLE = EXAMPLES[8]   # 09_login-form
CLI = "import sys; from neuralos.cli import main; sys.exit(main())"


def test_render_example_png(tmp_path, capsys):
    out = tmp_path / "a.png"
    assert main(["render", str(EXAMPLE), "--out", str(out)]) == 0
    img = np.asarray(Image.open(out))
    assert img.shape == (768, 1024, 3) and len(np.unique(img.reshape(-1, 3), axis=0)) > 20


def test_render_is_byte_identical_and_matches_render_messages(tmp_path):
    from neuralos.widgets import render_messages
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["render", str(EXAMPLE), "--out", str(a), "--size", "640x480"]) == 0
    assert main(["render", str(EXAMPLE), "--out", str(b), "--size", "640x480"]) == 0
    assert a.read_bytes() == b.read_bytes()
    frame, _scene = render_messages(json.loads(EXAMPLE.read_text())["messages"], size=(640, 480))
    assert np.array_equal(np.asarray(Image.open(a)), frame)


def test_input_forms_and_theme(tmp_path):
    messages = json.loads(EXAMPLE.read_text())["messages"]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(m) for m in messages) + "\n")
    (tmp_path / "m.json").write_text(json.dumps(messages))
    outs = []
    for name in ("m.jsonl", "m.json"):
        out = tmp_path / f"{name}.png"
        assert main(["render", str(tmp_path / name), "--out", str(out)]) == 0
        outs.append(out.read_bytes())
    ref = tmp_path / "ref.png"
    main(["render", str(EXAMPLE), "--out", str(ref)])
    assert outs[0] == outs[1] == ref.read_bytes()
    dark = tmp_path / "dark.png"
    assert main(["render", str(EXAMPLE), "--out", str(dark), "--theme", "dark"]) == 0
    assert dark.read_bytes() != ref.read_bytes()


@pytest.mark.parametrize("content, needle", [
    ("{not json", "invalid JSON"),
    ('{"x": 1}', "messages"),
    ('[{"version": "v0.9", "createSurface": {"surfaceId": "s"}}]', "/0"),
    ('[{"version": "v0.9", "updateComponents": {"surfaceId": "nope", "components": '
     '[{"id": "root", "component": "Text", "text": "x"}]}}]', "nope"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, needle):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["render", str(bad), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("neuralos: ") and "\n" not in err and needle in err and "bad.json" in err
    assert not (tmp_path / "x.png").exists()


def test_missing_file_and_bad_size(tmp_path, capsys):
    assert main(["render", str(tmp_path / "none.json"), "--out", str(tmp_path / "x.png")]) == 2
    assert "none.json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["render", str(EXAMPLE), "--out", str(tmp_path / "x.png"), "--size", "big"])
    assert e.value.code == 2


def test_neural_renderer_without_model_is_a_clear_error(tmp_path, capsys, monkeypatch):
    from neuralos.neural import renderer as neural_renderer
    monkeypatch.setattr(neural_renderer, "default_renderer_path", lambda: tmp_path / "no-model")
    code = main(["render", str(EXAMPLE), "--out", str(tmp_path / "n.png"), "--renderer", "neural"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("neuralos: ") and "Traceback" not in err and "widget renderer" in err
    assert not (tmp_path / "n.png").exists()


def test_unknown_plugin_renderer_is_bad_input(tmp_path, capsys):
    code = main(["render", str(EXAMPLE), "--out", str(tmp_path / "n.png"), "--renderer", "no-such-model"])
    assert code == 2 and "no-such-model" in capsys.readouterr().err


def test_model_renderer_paints_from_the_scene(tmp_path, monkeypatch):
    """A renderer model gets the widget layout's scene and its frame is what is saved."""
    from neuralos.neural import renderer as neural_renderer
    seen = {}

    class Fake:
        def render(self, scene, previous, regions):
            seen["texts"] = scene.texts()
            return np.full((scene.height, scene.width, 3), 7, np.uint8)
    monkeypatch.setattr(neural_renderer, "load_default_renderer", lambda **k: Fake())
    out = tmp_path / "n.png"
    assert main(["render", str(EXAMPLE), "--out", str(out), "--renderer", "neural", "--size", "320x240"]) == 0
    assert "Welcome back" in seen["texts"]
    assert (np.asarray(Image.open(out)) == 7).all()


def test_subprocess_headless(tmp_path):
    out = tmp_path / "p.png"
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY",
                                                                          "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-c", CLI, "render", str(EXAMPLE), "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"version": "v0.9"}\n{oops\n')
    r = subprocess.run([sys.executable, "-c", CLI, "render", str(bad), "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "bad.jsonl" in r.stderr
