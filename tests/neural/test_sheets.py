"""Labelled sheets: tiles land where the layout says, framed, under their captions."""
import numpy as np
import pytest
from PIL import Image

from neuralos.neural import sheets


def test_rows_of_framed_tiles_under_captions(tmp_path):
    red = np.full((10, 20, 3), (255, 0, 0), np.uint8)
    blue = np.full((30, 5, 3), (0, 0, 255), np.uint8)
    out = sheets.save_sheet([("first", [red, blue]), ("second", [blue])], tmp_path / "deep" / "sheet.png")
    img = np.asarray(Image.open(out).convert("RGB"))
    top = sheets.CAPTION_PX
    assert (img[top + 1:top + 11, 1:21] == (255, 0, 0)).all()                   # red inside its frame
    assert (img[top, 0:22] == sheets.FRAME_GREY).all()                           # the frame's top edge
    x_blue = 22 + sheets.TILE_GAP + 1
    assert (img[top + 1:top + 31, x_blue:x_blue + 5] == (0, 0, 255)).all()       # beside it, after the gap
    row2 = top + 32 + sheets.ROW_GAP + top
    assert (img[row2 + 1:row2 + 31, 1:6] == (0, 0, 255)).all()                   # the second row below
    assert (img[2:top - 2, :40] < 128).any()                                     # the caption's ink
    with pytest.raises(ValueError, match="at least one row"):
        sheets.save_sheet([], tmp_path / "empty.png")
