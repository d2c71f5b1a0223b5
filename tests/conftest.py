"""Test-wide settings: Qt offscreen, user dirs isolated in a temp folder, shared example paths, garbage collected
on the main thread only."""
import gc
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Tests build their own tiny models: the shipped default renderer must not leak into `auto` choices
# (subprocesses inherit this too).
os.environ.setdefault("NEURALOS_SHIPPED_MODELS", tempfile.mkdtemp(prefix="neuralos-no-shipped-models-"))

from neuralos.resources import A2UI_SPEC  # noqa: E402
from neuralos.widgets import collector  # noqa: E402
from neuralos.widgets.collector import collect_due  # noqa: E402

# A widget a test left behind, collected later on a worker thread (a model loader, the live renderer), deadlocks
# there (neuralos/widgets/collector.py). Tests collect at their teardown on the main thread instead, and the
# shell and playback collect from a timer on the GUI thread.
gc.disable()
# The tests share one process: the shell's freeze after a model load would keep one test's garbage for all the
# rest. Only tests/widgets/test_collector.py freezes (and unfreezes).
collector._Oldest.frozen = True

EXAMPLES = sorted((A2UI_SPEC / "catalogs" / "basic" / "examples").glob("*.json"))
MINIMAL_EXAMPLES = sorted((A2UI_SPEC / "catalogs" / "minimal" / "examples").glob("*.json"))
TEST_CASES = Path(__file__).parent / "a2ui" / "cases"  # official A2UI v0.9 schema test cases (Apache-2.0)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    """Never touch the real user's data/config: every test gets its own XDG folders."""
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("NEURALOS_MODELS", raising=False)
    yield
    collect_due()


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """An empty plugin folder that NEURALOS_MODELS points at (set before any window or command uses it)."""
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("NEURALOS_MODELS", str(d))
    return d
