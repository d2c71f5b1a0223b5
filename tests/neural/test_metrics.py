"""Metrics on images with known answers."""
import json
import math

import numpy as np
import pytest

from neuralos.neural import metrics as m
from neuralos.scene import Box, Scene, SceneNode


def _img(seed=0, shape=(64, 80, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_psnr_identical_is_inf_and_json_safe():
    a = _img()
    assert m.psnr(a, a) == math.inf
    assert json.loads(json.dumps(m.json_safe({"p": m.psnr(a, a), "n": float("nan")}))) == {"p": "inf", "n": "nan"}


def test_psnr_known_values():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = a.copy()
    b[..., 0] += 10                         # mse = 100 / 3
    assert m.psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 / (100 / 3)))
    # Gaussian noise of sigma 5 (no clipping near mid-grey): ~ 20 log10(255 / 5) = 34.15 dB
    rng = np.random.default_rng(1)
    a = np.full((256, 256, 3), 128, np.uint8)
    noisy = np.clip(np.round(a + rng.normal(0, 5, a.shape)), 0, 255).astype(np.uint8)
    assert m.psnr(a, noisy) == pytest.approx(20 * math.log10(255 / 5), abs=0.1)


def test_masked_psnr_only_counts_the_mask():
    a = np.zeros((20, 20, 3), np.uint8)
    b = a.copy()
    b[:, 10:] = 255                          # right half entirely wrong
    mask = np.zeros((20, 20), bool)
    mask[:, :10] = True
    assert m.psnr(a, b, mask) == math.inf
    assert m.psnr(a, b, ~mask) == pytest.approx(0.0)
    assert math.isnan(m.psnr(a, b, np.zeros((20, 20), bool)))
    with pytest.raises(ValueError):
        m.psnr(a, b, np.ones((3, 3), bool))


def test_ssim_identical_is_one_and_degrades_with_noise():
    a = _img(2, (64, 64, 3))
    assert m.ssim(a, a) == 1.0
    flat = np.full((64, 64, 3), 120, np.uint8)
    assert m.ssim(flat, flat.copy()) == 1.0
    rng = np.random.default_rng(3)
    smooth = np.tile(np.linspace(0, 255, 64, dtype=np.float64), (64, 1))[..., None].repeat(3, 2)
    s1 = m.ssim(smooth.astype(np.uint8), np.clip(smooth + rng.normal(0, 2, smooth.shape), 0, 255).astype(np.uint8))
    s2 = m.ssim(smooth.astype(np.uint8), np.clip(smooth + rng.normal(0, 20, smooth.shape), 0, 255).astype(np.uint8))
    assert 1.0 > s1 > s2 > 0.0
    assert m.ssim(a, 255 - a) < 0.0        # anti-correlated structure
    with pytest.raises(ValueError):
        m.ssim(a, a[:8, :8])


def test_ssim_matches_the_reference_formula_on_one_window():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (11, 11, 1)).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-30, 30, a.shape), 0, 255).astype(np.uint8)
    k = m.gaussian_kernel()
    w = np.outer(k, k)
    x, y = a[..., 0].astype(float), b[..., 0].astype(float)
    mx, my = (w * x).sum(), (w * y).sum()
    vx, vy, cxy = (w * x * x).sum() - mx ** 2, (w * y * y).sum() - my ** 2, (w * x * y).sum() - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ref = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    assert m.ssim(a, b) == pytest.approx(ref, rel=1e-9)


def _scene():
    nodes = [
        SceneNode("@desktop", "", "desktop", "desktop", Box(0, 0, 40, 30), Box(0, 0, 40, 30)),
        SceneNode("s/@window", "s", "window", "window", Box(5, 5, 20, 15), Box(5, 5, 20, 15), window="s"),
        SceneNode("s/b", "s", "b", "Button", Box(8, 8, 6, 4), Box(8, 8, 6, 4), interactive=True, window="s"),
        SceneNode("s/hidden", "s", "h", "Text", Box(30, 0, 5, 5), None, window="s"),
    ]
    return Scene(40, 30, {"name": "light"}, nodes)


def test_component_mask_excludes_desktop_and_hidden_nodes():
    sc = _scene()
    mask = m.component_mask(sc)
    assert mask.sum() == 20 * 15 and mask[5:20, 5:25].all()
    leaf = m.leaf_mask(sc)
    assert leaf.sum() == 6 * 4 and leaf[8:12, 8:14].all()


def test_frame_metrics_and_difference_image():
    sc = _scene()
    ref = np.zeros((30, 40, 3), np.uint8)
    neu = ref.copy()
    neu[0:3, 30:40] = 200                  # a desktop-only error
    fm = m.frame_metrics(ref, neu, sc)
    assert fm["psnr_components"] == math.inf and fm["psnr_leaf"] == math.inf
    assert fm["psnr"] < 30 and fm["ssim"] < 1.0
    d = m.difference_image(ref, neu)
    assert d.dtype == np.uint8 and d[0, 35].any() and not d[20, 5].any()


def test_error_regions_partition_the_canvas_and_place_the_error():
    sc = _scene()
    masks = m.error_regions(sc)
    assert list(masks) == list(m.ERROR_REGIONS)
    stacked = np.stack(list(masks.values()))
    assert (stacked.sum(0) == 1).all()                                  # disjoint and covering
    assert masks["window edges"][5, 10] and masks["window edges"][3, 10] and not masks["window edges"][10, 16]
    assert masks["component edges"][8, 10] and masks["flat"][15, 20] and masks["desktop"][0, 0]
    ref = np.zeros((30, 40, 3), np.uint8)
    neu = ref.copy()
    neu[5, 5:25] = 90                                                   # the window's top border only
    b = m.error_breakdown(ref, neu, sc)
    assert b["window edges"]["sse"] == 20 * 3 * 90 ** 2 and sum(v["sse"] for v in b.values()) == b["window edges"]["sse"]
    neu2 = ref.copy()
    neu2[0:2, 30:40] = 30                                               # desktop only
    pooled = m.pool_breakdowns([b, m.error_breakdown(ref, neu2, sc)])
    assert pooled["window edges"]["error_share"] == pytest.approx(90 ** 2 * 20 / (90 ** 2 * 20 + 30 ** 2 * 20))
    assert sum(v["pixel_share"] for v in pooled.values()) == pytest.approx(1.0)
    assert pooled["flat"]["psnr"] == math.inf and pooled["window edges"]["psnr"] < 30


def test_temporal_stability_counts_only_outside_dirty_regions():
    a = np.zeros((20, 20, 3), np.uint8)
    b = a.copy()
    b[2:4, 2:4] = 50                       # inside the dirty region: allowed
    r = m.temporal_stability(a, b, [Box(0, 0, 5, 5)])
    assert r["changed_fraction"] == 0.0 and r["max_change"] == 0.0 and r["outside_pixels"] == 400 - 25
    b[15, 15] = (0, 0, 7)                  # outside: counted
    r = m.temporal_stability(a, b, [Box(0, 0, 5, 5)])
    assert r["changed_fraction"] == pytest.approx(1 / 375) and r["max_change"] == 7
    assert m.temporal_stability(a, b, [Box(15, 15, 1, 1), Box(0, 0, 5, 5)])["changed_fraction"] == 0.0


def test_levenshtein_and_summary():
    assert m.levenshtein("kitten", "sitting") == 3
    assert m.levenshtein("", "abc") == 3
    s = m.summarize([30.0, 40.0, math.inf, float("nan")])
    assert s == {"count": 3, "infinite": 1, "mean": 35.0, "median": 35.0, "min": 30.0, "max": 40.0}


def _text_image(text: str, scale_noise: float = 0.0) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    from neuralos.resources import FONTS
    img = Image.new("RGB", (420, 60), (255, 255, 255))
    font = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 20)
    ImageDraw.Draw(img).text((10, 15), text, fill=(0, 0, 0), font=font)
    return np.asarray(img).copy()


@pytest.mark.skipif(not m.tesseract_status()[0], reason="tesseract not installed")
def test_ocr_finds_reference_words_and_flags_unreadable_frames():
    ref = _text_image("Save changes before Friday")
    same = m.ocr_compare(ref, ref.copy())
    assert same["available"] and same["reference_words"] >= 3
    assert same["word_recall"] == 1.0 and same["cer"] == 0.0
    blank = np.full_like(ref, 255)
    bad = m.ocr_compare(ref, blank)
    assert bad["word_recall"] == 0.0 and bad["cer"] == 1.0
    other = m.ocr_compare(ref, _text_image("Save changes before Monday"))
    assert 0.5 <= other["word_recall"] < 1.0 and 0 < other["cer"] < 0.5


@pytest.mark.skipif(not m.tesseract_status()[0], reason="tesseract not installed")
def test_ocr_text_recall_counts_only_the_words_the_ui_shows():
    ref = _text_image("Save changes before Friday")
    ui = {"Save", "changes", "before", "Friday"}
    neural = _text_image("Save changes before Monday")
    r = m.ocr_compare(ref, neural, words=ui - {"before"})     # a word the UI does not show is not counted
    assert r["text_words"] == 3 and r["text_found"] == 2 and r["text_recall"] == pytest.approx(2 / 3)
    assert r["text_missing"] == ["Friday"] and r["reference_words"] == 4
    assert "text_recall" not in m.ocr_compare(ref, neural)    # without the UI's words: all words only
    assert m.ocr_compare(ref, neural, words=set())["text_recall"] is None


def test_scene_words_are_the_words_of_every_text_run():
    from neuralos.scene import Box, Scene, SceneNode, TextRun
    run = TextRun("Buy  milk\ttoday", 0.0, 10.0, 12)
    node = SceneNode("s/t", "s", "t", "Text", Box(0, 0, 64, 32), Box(0, 0, 64, 32), text_runs=(run,))
    scene = Scene(64, 32, {}, [node])
    assert m.scene_words(scene) == {"Buy", "milk", "today"}


def test_ocr_reports_unavailable_without_tesseract(monkeypatch):
    import pytesseract
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    r = m.ocr_compare(_img(), _img())
    assert r["available"] is False and "tesseract" in r["reason"]
