"""The shell on a real X server (Xvfb, xcb platform): its window maps with the right title and WM_CLASS,
opens a file given with --open, takes an intent typed with xdotool, and paints a non-blank screen."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from shell_helpers import LOGIN

from neuralos.journal import SNAPSHOT, default_dir

NEURALOS = str(Path(sys.executable).with_name("neuralos"))
TOOLS = ("Xvfb", "xdotool", "xprop")
pytestmark = [
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                       reason=f"needs {', '.join(TOOLS)} (apt install xvfb xdotool x11-utils)"),
    pytest.mark.slow,
]


@pytest.fixture
def xvfb(tmp_path):
    """A private X server; yields the environment for programs that should use it."""
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x1024x24", "-nolisten", "tcp",
                             "-auth", "/dev/null"], pass_fds=(w,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    os.close(w)
    with os.fdopen(r) as f:
        number = f.readline().strip()
    if not number:
        proc.kill()
        pytest.skip(f"Xvfb did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "XAUTHORITY")}
    env.update(DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb")
    yield env
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def x(env, *args, timeout=20):
    return subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=timeout)


def wait_for(predicate, timeout=60.0, what="condition", proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the shell exited ({proc.returncode}) before {what}: {proc.stderr.read()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def journal_text():
    d = default_dir()
    return "".join(p.read_text() for p in (d / "journal.jsonl", d / SNAPSHOT) if p.exists())


def screenshot(env, path):
    """The root window as PNG: ImageMagick `import`, else xwd (converted with Qt)."""
    if shutil.which("import"):
        r = x(env, "import", "-window", "root", str(path))
        if r.returncode == 0 and path.exists():
            return path
    if shutil.which("xwd"):
        raw = path.with_suffix(".xwd")
        r = x(env, "xwd", "-root", "-silent", "-out", str(raw))
        if r.returncode == 0 and shutil.which("convert"):
            x(env, "convert", str(raw), str(path))
            return path if path.exists() else None
    return None


def test_shell_window_on_a_real_x_server(xvfb, tmp_path):
    proc = subprocess.Popen([NEURALOS, "shell", "--renderer", "widgets", "--size", "900x640", "--open", str(LOGIN)],
                            env=xvfb, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        wid = wait_for(lambda: x(xvfb, "xdotool", "search", "--onlyvisible", "--name", "^NeuralOS$").stdout.split(),
                       what="the shell window to map", proc=proc)[0]
        assert x(xvfb, "xdotool", "getwindowname", wid).stdout.strip() == "NeuralOS"
        wm_class = x(xvfb, "xprop", "-id", wid, "WM_CLASS").stdout
        assert 'WM_CLASS(STRING) = "neuralos", "neuralos"' in wm_class, wm_class
        props = x(xvfb, "xprop", "-id", wid).stdout
        assert "_NET_WM_ICON(CARDINAL)" in props                  # the window icon reached the X server
        geometry = x(xvfb, "xdotool", "getwindowgeometry", wid).stdout
        assert "Geometry:" in geometry

        # --open: the file's window is on the desktop (journaled as applied)
        wait_for(lambda: "gallery-login-form" in journal_text(), what="the --open file", proc=proc)

        # a typed intent: the intent bar has the focus at start. Count before typing: the planner may
        # journal the new window before xdotool returns.
        before = journal_text().count('"op":"surface"')
        x(xvfb, "xdotool", "windowfocus", "--sync", wid)
        x(xvfb, "xdotool", "type", "--delay", "15", "--window", wid, "open a notes app")
        x(xvfb, "xdotool", "key", "--window", wid, "Return")
        wait_for(lambda: journal_text().count('"op":"surface"') > before, what="the intent's new window",
                 proc=proc)

        shot = screenshot(xvfb, tmp_path / "screen.png")
        if shot is None:
            pytest.skip("no screenshot tool (imagemagick or xwd+convert)")
        from PySide6.QtGui import QImage

        from neuralos.widgets.app import ensure_app
        ensure_app()
        img = QImage(str(shot))
        assert img.width() == 1280 and img.height() == 1024
        colours = {img.pixel(px, py) for px in range(0, 900, 7) for py in range(0, 640, 7)}
        assert len(colours) > 20, "the screen looks blank"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        finally:
            proc.kill()
    assert proc.returncode == 0, proc.stderr.read()


def test_time_to_first_frame_on_a_real_x_server(xvfb, capsys):
    from shell.bench import time_to_first_frame

    seconds = time_to_first_frame((1024, 768), "widgets", env=xvfb)
    assert 0 < seconds < 120
    with capsys.disabled():
        print(f"\ntime to first frame under Xvfb (xcb, 1024x768, widgets): {seconds * 1000:.0f} ms")
