"""ModelWatcher: folders appearing, growing (half-copied) and disappearing are noticed."""
import shutil
import threading
import time

from neuralos.plugins.watch import ModelWatcher, fingerprint


def names(models):
    return {m.name: m.status for m in models}


def test_dropping_a_folder_in_is_noticed_within_two_seconds(models_dir, built):
    seen = []
    arrived = threading.Event()

    def on_change(models):
        seen.append(names(models))
        if "dropped" in names(models):
            arrived.set()

    with ModelWatcher(on_change, packages=False) as watcher:   # default 1 s polling
        assert seen == [{}] and watcher.models == []           # start() reports at once
        shutil.copytree(built("renderer"), models_dir / ".incoming")
        (models_dir / ".incoming").rename(models_dir / "dropped")   # an atomic drop
        t0 = time.monotonic()
        assert arrived.wait(3.0), seen
        assert time.monotonic() - t0 < 2.5
        assert seen[-1] == {"dropped": "ok"}
        shutil.rmtree(models_dir / "dropped")
        deadline = time.monotonic() + 3
        while seen[-1] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen[-1] == {}


def test_half_copied_folder_is_broken_then_ok(models_dir, built):
    src, dst = built("planner"), models_dir / "copying"
    watcher = ModelWatcher(packages=False)
    assert watcher.poll() and watcher.models == []
    assert not watcher.poll()                                  # nothing changed, nothing reported
    dst.mkdir()
    assert watcher.poll() and names(watcher.models) == {"copying": "broken"}
    steps = []
    for f in ["config.json", "generation_config.json", "tokenizer_config.json", "tokenizer.json"]:
        shutil.copy2(src / f, dst / f)
    weights = (src / "model.safetensors").read_bytes()
    (dst / "model.safetensors").write_bytes(weights[: len(weights) // 3])      # the copy is under way
    assert watcher.poll()
    steps.append(watcher.models[0])
    with (dst / "model.safetensors").open("ab") as f:
        f.write(weights[len(weights) // 3:])                                   # ... and completes
    assert watcher.poll()
    steps.append(watcher.models[0])
    assert steps[0].status == "broken" and "model.safetensors: truncated" in steps[0].reason
    assert steps[1].status == "ok"


def test_fingerprint_sees_changes_two_levels_down(models_dir, built):
    shutil.copytree(built("renderer"), models_dir / "r")
    before = fingerprint()
    assert fingerprint() == before
    with (models_dir / "r" / "unet" / "config.json").open("a") as f:
        f.write(" ")
    assert fingerprint() != before


def test_callback_errors_do_not_stop_the_watcher(models_dir):
    calls = []

    def bad(models):
        calls.append(models)
        raise RuntimeError("boom")

    watcher = ModelWatcher(bad, packages=False)
    assert watcher.poll()
    (models_dir / "x").mkdir()
    assert watcher.poll() and len(calls) == 2
