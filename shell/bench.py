"""Time to first frame: from launching the shell process to its first painted frame on screen.

    python -m shell.bench [--size 1024x768] [--renderer widgets] [--runs 3]

prints one line per run and the median. `time_to_first_frame()` is what `neuralos bench` calls. The
shell runs in a fresh process (interpreter start, imports, QApplication, window, first paint all
count) with a temporary data folder, so it never touches or meets the user's own desktop.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD_FLAG = "--child"
READY = "first-frame"


def time_to_first_frame(size: tuple[int, int] = (1024, 768), renderer: str = "widgets",
                        env: dict | None = None, timeout: float = 120.0) -> float:
    """Seconds from starting a shell process until it reports its first painted, exposed frame.

    Headless (offscreen) unless `env` names a display (e.g. `{"DISPLAY": ":99", "QT_QPA_PLATFORM": "xcb"}`).
    Raises RuntimeError with the child's stderr if it exits or times out first.
    """
    env = dict(os.environ if env is None else {**os.environ, **env})
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="neuralos-bench-") as tmp:
        env["XDG_DATA_HOME"] = os.path.join(tmp, "data")
        env["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
        cmd = [sys.executable, "-m", "shell.bench", CHILD_FLAG, f"{size[0]}x{size[1]}", renderer]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                text=True, env=env)
        try:
            deadline = t0 + timeout
            line = ""
            while time.perf_counter() < deadline:
                line = proc.stdout.readline()
                if not line or line.startswith(READY):
                    break
            elapsed = time.perf_counter() - t0
            if not line.startswith(READY):
                proc.kill()
                raise RuntimeError(f"the shell did not paint a frame: {proc.stderr.read().strip()[-2000:]}")
            proc.wait(timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return elapsed


def _child(size_text: str, renderer: str) -> int:
    """Run the shell until its first frame is painted on an exposed window, say so, quit."""
    from PySide6.QtCore import QCoreApplication, QTimer

    from neuralos.cli._common import size_arg
    from shell.app import ShellOptions, run

    def on_window(window) -> None:
        def check() -> None:
            if window.frames.frames > 0:
                print(f"{READY} {window.frames.frame_ms:.3f}", flush=True)
                window.frames.changed.disconnect(check)
                QTimer.singleShot(0, QCoreApplication.quit)

        window.frames.changed.connect(check)
        check()

    return run(ShellOptions(renderer=renderer, size=size_arg(size_text), stdin=False), on_window=on_window)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == CHILD_FLAG:
        return _child(argv[1], argv[2])
    from neuralos.cli._common import size_arg

    p = argparse.ArgumentParser(prog="python -m shell.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=size_arg, default=(1024, 768))
    p.add_argument("--renderer", default="widgets")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    times = []
    for i in range(args.runs):
        t = time_to_first_frame(args.size, args.renderer)
        times.append(t)
        print(f"run {i + 1}: time to first frame {t * 1000:.0f} ms")
    shown = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    platform = os.environ.get("QT_QPA_PLATFORM") or ("default" if shown else "offscreen")
    print(f"median time to first frame: {statistics.median(times) * 1000:.0f} ms "
          f"({args.size[0]}x{args.size[1]}, renderer {args.renderer}, {platform} platform)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
