"""Labelled picture sheets for people to look at: rows of tiles under a one-line caption."""
from __future__ import annotations

from pathlib import Path

import numpy as np

CAPTION_PX = 18
TILE_GAP = 5
ROW_GAP = 6
FRAME_GREY = 160


def save_sheet(rows: list[tuple[str, list[np.ndarray]]], out: str | Path) -> Path:
    """Write a PNG: per row its caption, then its (H, W, 3) uint8 tiles side by side, each in a thin grey frame;
    rows stacked."""
    from PIL import Image, ImageDraw

    if not rows:
        raise ValueError("a sheet needs at least one row")
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    images = []
    for caption, tiles in rows:
        tiles = [np.pad(t, ((1, 1), (1, 1), (0, 0)), constant_values=FRAME_GREY) for t in tiles]  # tell tiles apart
        w = sum(t.shape[1] for t in tiles) + TILE_GAP * (len(tiles) - 1)
        w = max(w, int(measure.textlength(caption)) + 4)
        row = Image.new("RGB", (w, max(t.shape[0] for t in tiles) + CAPTION_PX), (255, 255, 255))
        x = 0
        for t in tiles:
            row.paste(Image.fromarray(t), (x, CAPTION_PX))
            x += t.shape[1] + TILE_GAP
        ImageDraw.Draw(row).text((2, 2), caption, fill=(0, 0, 0))
        images.append(row)
    sheet = Image.new("RGB", (max(r.width for r in images), sum(r.height + ROW_GAP for r in images)), (255, 255, 255))
    y = 0
    for r in images:
        sheet.paste(r, (0, y))
        y += r.height + ROW_GAP
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out
