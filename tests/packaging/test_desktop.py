"""Desktop integration: the .desktop entry, AppStream metainfo, icons, `neuralos desktop install|uninstall`."""
import shutil
import subprocess

import pytest

from neuralos.cli import main
from shell import APP_ID, integration

needs_dfv = pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-validate not installed")
needs_asc = pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstreamcli not installed")


def validate_desktop(path):
    p = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    # hints are advice; errors and warnings fail
    problems = [line for line in (p.stdout + p.stderr).splitlines() if ": hint:" not in line and line.strip()]
    assert p.returncode == 0 and not problems, problems


@needs_dfv
def test_packaged_desktop_entry_validates():
    validate_desktop(integration.DESKTOP_FILE)


@needs_asc
def test_packaged_metainfo_validates():
    p = subprocess.run(["appstreamcli", "validate", "--no-net", str(integration.METAINFO_FILE)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "E:" not in p.stdout and "W:" not in p.stdout, p.stdout


def test_ids_agree():
    text = integration.DESKTOP_FILE.read_text()
    assert f"Icon={APP_ID}\n" in text
    assert "StartupWMClass=neuralos\n" in text
    meta = integration.METAINFO_FILE.read_text()
    assert f"<id>{APP_ID}</id>" in meta and f"{APP_ID}.desktop</launchable>" in meta


def test_icons_are_rendered_at_every_size():
    from PySide6.QtGui import QImage

    from neuralos.widgets.app import ensure_app
    ensure_app()      # the project's QApplication: a bare QGuiApplication here would break later widget tests
    for n in integration.ICON_SIZES:
        img = QImage(str(integration.icon_png(n)))
        assert (img.width(), img.height()) == (n, n)
        assert img.hasAlphaChannel()
        colours = {img.pixel(x, y) for x in range(0, n, max(1, n // 16)) for y in range(0, n, max(1, n // 16))}
        assert len(colours) > 4, f"{n}px icon looks blank"
        assert img.pixelColor(0, 0).alpha() == 0          # rounded corner: transparent
        assert img.pixelColor(n // 2, n // 2).alpha() == 255


def test_install_and_uninstall_into_a_temp_xdg_dir(tmp_path, monkeypatch, capsys):
    data = tmp_path / "share"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    assert main(["desktop", "install"]) == 0
    out = capsys.readouterr().out
    paths = integration.installed_paths(data)
    for p in paths:
        assert p.is_file(), p
        assert f"installed {p}" in out
    desktop = data / "applications" / f"{APP_ID}.desktop"
    text = desktop.read_text()
    launcher = integration.launcher()[0]
    assert f"Exec={launcher} shell --open %F\n" in text
    assert f"TryExec={launcher}\n" in text
    assert (data / "icons/hicolor/48x48/apps" / f"{APP_ID}.png").read_bytes() == integration.icon_png(48).read_bytes()
    if shutil.which("desktop-file-validate"):
        validate_desktop(desktop)

    assert main(["desktop", "uninstall"]) == 0
    assert not any(p.exists() for p in paths)
    assert main(["desktop", "uninstall", "--data-dir", str(data)]) == 0
    assert "nothing to remove" in capsys.readouterr().out


@needs_dfv
def test_exec_quotes_a_launcher_path_with_spaces(tmp_path):
    entry = integration.desktop_entry(['/opt/my apps/neu"ral$os'])
    assert 'Exec="/opt/my apps/neu\\\\"ral\\\\$os" shell --open %F' in entry
    path = tmp_path / f"{APP_ID}.desktop"
    path.write_text(entry)
    validate_desktop(path)
