"""`neuralos models list|info|verify`: table and JSON output, exit codes."""
import json
import shutil

import pytest

from neuralos.cli import main
from neuralos.plugins import tiny


@pytest.fixture(scope="module")
def tiny_renderer(tmp_path_factory):
    return tiny.write_tiny_renderer(tmp_path_factory.mktemp("tiny") / "renderer")


@pytest.fixture
def populated(models_dir, tiny_renderer):
    shutil.copytree(tiny_renderer, models_dir / "good-ui")
    broken = shutil.copytree(tiny_renderer, models_dir / "half-copied")
    w = broken / "unet" / "diffusion_pytorch_model.safetensors"
    w.write_bytes(w.read_bytes()[:500])
    tiny.write_manifest(models_dir / "llama-server", name="llama-server", kind="planner", format="openai-compatible",
                        url="http://127.0.0.1:8080/v1", model="qwen", description="local llama.cpp")
    return models_dir


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_table(capsys, populated):
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "FORMAT", "STATUS", "SOURCE", "PATH"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if not line.startswith(" ")}
    assert rows["good-ui"][1:5] == ["renderer", "diffusers", "ok", "env"]
    assert rows["half-copied"][3] == "broken"
    assert rows["llama-server"][1:3] == ["planner", "openai-compatible"]
    reason = lines[lines.index(next(line for line in lines if line.startswith("half-copied"))) + 1]
    assert "unet/: diffusion_pytorch_model.safetensors: truncated" in reason


def test_list_json(capsys, populated):
    code, out, _ = run(capsys, "models", "list", "--json")
    assert code == 0
    data = json.loads(out)
    rows = {r["name"]: r for r in data["models"]}
    assert set(rows) >= {"good-ui", "half-copied", "llama-server"}
    for r in rows.values():
        assert {"name", "kind", "format", "path", "status", "reason"} <= set(r)
    assert rows["good-ui"]["path"] == str(populated / "good-ui") and rows["good-ui"]["reason"] == ""
    assert rows["half-copied"]["status"] == "broken" and "truncated" in rows["half-copied"]["reason"]
    assert [s["source"] for s in data["searched"]] == ["env", "user", "shipped"]


def test_list_empty(capsys, models_dir, monkeypatch):
    monkeypatch.setattr("neuralos.plugins.discovery.SHIPPED_MODELS", models_dir / "none")
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and out.startswith("no models found; searched:") and str(models_dir) in out


def test_info(capsys, populated):
    code, out, _ = run(capsys, "models", "info", "llama-server")
    assert code == 0
    assert "url:          http://127.0.0.1:8080/v1" in out and "description:  local llama.cpp" in out
    code, out, _ = run(capsys, "models", "info", "good-ui", "--json")
    assert code == 0 and json.loads(out)["format"] == "diffusers"
    code, out, _ = run(capsys, "models", "info", "good-ui")
    assert "unet/diffusion_pytorch_model.safetensors (" in out


def test_info_unknown_name_is_bad_input(capsys, populated):
    code, out, err = run(capsys, "models", "info", "nope")
    assert code == 2 and "no model named 'nope'" in err and "good-ui" in err and "Traceback" not in err


def test_verify_one_ok(capsys, populated):
    code, out, _ = run(capsys, "models", "verify", "good-ui")
    assert code == 0
    assert out.splitlines()[0].startswith("ok      good-ui  (") and out.splitlines()[-1] == "1 ok, 0 broken"


def test_verify_broken_exits_1(capsys, populated):
    code, out, _ = run(capsys, "models", "verify", "half-copied")
    assert code == 1 and "broken  half-copied: unet/: diffusion_pytorch_model.safetensors: truncated" in out


def test_verify_all_json(capsys, populated, tmp_path):
    tiny.write_manifest(populated / "llama-server", name="llama-server", kind="planner", format="openai-compatible",
                        url="http://127.0.0.1:8080/v1", model="qwen", api_key_env="NEURALOS_NO_SUCH_KEY")
    code, out, _ = run(capsys, "models", "verify", "--json")
    rows = {r["name"]: r for r in json.loads(out)["models"]}
    assert code == 1
    assert rows["good-ui"]["status"] == "ok" and rows["good-ui"]["seconds"] > 0
    assert rows["half-copied"]["status"] == "broken"
    assert "NEURALOS_NO_SUCH_KEY" in rows["llama-server"]["reason"]


def test_verify_unknown_name(capsys, populated):
    code, _, err = run(capsys, "models", "verify", "nope")
    assert code == 2 and "no model named 'nope'" in err


def test_help_lists_actions(capsys):
    with pytest.raises(SystemExit) as e:
        main(["models", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert all(a in out for a in ("list", "info", "verify"))


def test_verify_reports_wrong_shapes_and_keeps_checking_the_rest(capsys, populated):
    wrong = populated / "wrong-shapes"
    shutil.copytree(populated / "good-ui", wrong)
    config = json.loads((wrong / "unet" / "config.json").read_text())
    config["out_channels"] = 4
    (wrong / "unet" / "config.json").write_text(json.dumps(config))
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and any(line.startswith("wrong-shapes") and " ok " in line for line in out.splitlines())
    code, out, _ = run(capsys, "models", "verify")
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("ok      good-ui") for line in lines)
    assert ("broken  wrong-shapes: unet/: weights do not match the config: conv_out.weight is [3, 8, 3, 3] in the "
            "weights, the config makes [4, 8, 3, 3] (and 1 more)") in lines
