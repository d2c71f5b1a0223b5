"""The `play` fixture: write a script, play it with the real runner."""
import pytest


@pytest.fixture
def play(tmp_path):
    """play(script_text, **runner_kwargs) -> (PlaybackResult, out_dir) using the real runner."""
    from neuralos.playback.runner import PlaybackRunner
    from neuralos.playback.script import load

    counter = iter(range(1000))

    def _play(text, name="demo.yaml", **kw):
        n = next(counter)
        path = tmp_path / f"s{n}" / name
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        out = tmp_path / f"out{n}"
        kw.setdefault("renderer", "widgets")
        result = PlaybackRunner(load(path), out, **kw).run()
        return result, out

    return _play
