#!/usr/bin/env python3
"""Render the application icon's PNGs from its SVG source: assets/icons/neuralos-<N>.png.

    python packaging/render_icons.py          # rewrite the PNGs (they are committed)
    python packaging/render_icons.py --check  # exit 1 if a committed PNG differs from a fresh render

The SVG (assets/icons/neuralos.svg) is the one source; `neuralos desktop install` copies both into
the hicolor icon theme.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "assets" / "icons"
SIZES = (16, 32, 48, 64, 128, 256)


def render(size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ICONS / "neuralos.svg"))
    if not renderer.isValid():
        raise SystemExit(f"{ICONS / 'neuralos.svg'}: not a valid SVG")
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    app = QGuiApplication.instance() or QGuiApplication(["render_icons"])  # noqa: F841
    check = "--check" in argv
    stale = []
    for size in SIZES:
        path = ICONS / f"neuralos-{size}.png"
        image = render(size)
        if check:
            if QImage(str(path)).convertToFormat(QImage.Format_ARGB32) != image:
                stale.append(path.name)
        elif not image.save(str(path), "PNG"):
            raise SystemExit(f"{path}: could not write")
    if stale:
        print("stale icon PNGs (run packaging/render_icons.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
