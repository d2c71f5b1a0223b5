"""`python -m neuralos` is the `neuralos` command (the form `accelerate launch -m neuralos` uses)."""
import subprocess
import sys


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "neuralos", "train", "teacher", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage: neuralos train teacher" in out.stdout


def test_python_dash_m_reports_user_mistakes_without_a_traceback():
    out = subprocess.run([sys.executable, "-m", "neuralos", "render", "/nonexistent/ui.json", "--out", "x.png"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "/nonexistent/ui.json" in out.stderr and "Traceback" not in out.stderr
