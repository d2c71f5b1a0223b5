"""Desktop integration on XDG desktops: the .desktop entry, AppStream metainfo and hicolor icons.

`install()` writes them under the user's XDG data folder (`$XDG_DATA_HOME`, ~/.local/share) with the
launcher's absolute path in `Exec`, so the menu entry works without a PATH; `uninstall()` removes
exactly those files. The sources are `packaging/` and `assets/icons/` (or a frozen bundle's copies).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from neuralos.errors import NeuralosError
from neuralos.resources import ASSETS, ROOT
from shell import APP_ID

PACKAGING = ROOT / "packaging"
ICONS = ASSETS / "icons"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
DESKTOP_FILE = PACKAGING / f"{APP_ID}.desktop"
METAINFO_FILE = PACKAGING / f"{APP_ID}.metainfo.xml"


def icon_png(size: int) -> Path:
    return ICONS / f"neuralos-{size}.png"


def icon_svg() -> Path:
    return ICONS / "neuralos.svg"


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def launcher() -> list[str]:
    """The command that starts neuralos from this installation, as absolute paths."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    beside = Path(sys.executable).parent / ("neuralos.exe" if os.name == "nt" else "neuralos")
    found = str(beside) if beside.is_file() else shutil.which("neuralos")
    if not found:
        raise NeuralosError("cannot find the `neuralos` launcher of this installation; "
                            "install the package (pip install -e .) first")
    return [str(Path(found).absolute())]


def _exec_arg(arg: str) -> str:
    """Quote one Exec argument (Desktop Entry spec, "The Exec key")."""
    if arg and all(c.isalnum() or c in "/._-+,:=@" for c in arg):
        return arg
    quoted = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return '"' + quoted.replace("\\", "\\\\") + '"'   # string-level escaping of the backslashes


def desktop_entry(command: list[str]) -> str:
    """The packaged .desktop entry with Exec/TryExec pointing at `command`."""
    prog = " ".join(_exec_arg(a) for a in command)
    out = []
    for line in DESKTOP_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec=neuralos"):
            line = "Exec=" + prog + line[len("Exec=neuralos"):]
        elif line.startswith("TryExec="):
            line = "TryExec=" + command[0]
        out.append(line)
    return "\n".join(out) + "\n"


def installed_paths(data_home: Path) -> list[Path]:
    """Every file `install()` writes under `data_home`."""
    paths = [data_home / "applications" / f"{APP_ID}.desktop",
             data_home / "metainfo" / f"{APP_ID}.metainfo.xml",
             data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"]
    paths += [data_home / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES]
    return paths


def _check_platform() -> None:
    if sys.platform == "darwin" or os.name == "nt":
        raise NeuralosError("desktop integration writes XDG files (Linux and BSD desktops); "
                            "on this system use the standalone bundle (docs/packaging.md)")


def install(data_home: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the desktop entry, metainfo and icons; refresh the desktop's caches. Returns the files."""
    _check_platform()
    data_home = Path(data_home) if data_home else xdg_data_home()
    command = command or launcher()
    sources = [DESKTOP_FILE, METAINFO_FILE, icon_svg(), *(icon_png(n) for n in ICON_SIZES)]
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise NeuralosError(f"packaging files missing from this installation: {', '.join(missing)}")
    targets = installed_paths(data_home)
    desktop, metainfo, svg, *pngs = targets
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
    desktop.write_text(desktop_entry(command), encoding="utf-8")
    shutil.copyfile(METAINFO_FILE, metainfo)
    shutil.copyfile(icon_svg(), svg)
    for n, path in zip(ICON_SIZES, pngs):
        shutil.copyfile(icon_png(n), path)
    _refresh_caches(data_home)
    return targets


def uninstall(data_home: Path | None = None) -> list[Path]:
    """Remove what `install()` wrote; returns the files that were there."""
    _check_platform()
    data_home = Path(data_home) if data_home else xdg_data_home()
    removed = []
    for path in installed_paths(data_home):
        if path.exists():
            path.unlink()
            removed.append(path)
    if removed:
        _refresh_caches(data_home)
    return removed


def _refresh_caches(data_home: Path) -> None:
    """Best effort, as desktop environments expect; absent tools are fine (caches are optional)."""
    for tool, args in (("update-desktop-database", ["-q", str(data_home / "applications")]),
                       ("gtk-update-icon-cache", ["-q", "-t", "-f", str(data_home / "icons" / "hicolor")])):
        exe = shutil.which(tool)
        if exe and Path(args[-1]).is_dir():
            try:
                subprocess.run([exe, *args], capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.SubprocessError):
                pass
