"""WebDataset-style tar shards of aligned samples, their manifest, and readers (plain and torch).

A data directory holds `shard-00000.tar`, `shard-00001.tar`, ... each with a small index next to it
(`shard-00000.tar.json`: keys, split, seeds, sha256 of the tar) and one `manifest.json` for the set.
Per sample, members are grouped by key in WebDataset order (`KEY.<field>`):

    KEY.frame.png      the widget-rendered frame, RGB
    KEY.previous.png   the previous frame (sequences only)
    KEY.scene.json     `Scene.to_json()` of the frame: the neural renderer's conditioning is rebuilt
                       from it (and the previous frame) at load time, so shards stay small
    KEY.state.json     the `UIState` (A2UI messages + interaction script) that reproduces the sample
    KEY.meta.json      size, theme, seed, split, kind, sha256 of the conditioning and of the frame pixels

Writes are atomic: a shard is written to a temporary name in the same folder, fsynced and renamed,
then its index is written the same way. A killed writer leaves finished shards intact and at most a
`*.tmp` file, which readers ignore and the next run overwrites; a shard without its index is not
finished and is rewritten on resume.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from neuralos.errors import BadInput, CheckFailed
from neuralos.neural.conditioning import FOCUS_RING, build_conditioning
from neuralos.scene import COMPONENT_ROLES, Box, Scene, SceneNode

SHARD_FORMAT = "neuralos-shards-1"
MANIFEST = "manifest.json"
FIELDS = ("frame.png", "previous.png", "scene.json", "state.json", "meta.json")
TRANSIENT_STATES = frozenset({"hovered", "pressed", "focused"})   # the pointer's and the focus's: few per frame
TRANSIENT_ODDS = 4.0       # how much likelier a state-biased crop holds a box, per one of them it is in (`_state_boxes`)


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.tar"


# ---------------------------------------------------------------------------------------------
# Encoding
def encode_png(frame: np.ndarray) -> bytes:
    from PIL import Image

    frame = np.ascontiguousarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame must be uint8 (H, W, 3), not {frame.dtype} {frame.shape}")
    buf = io.BytesIO()
    Image.fromarray(frame, "RGB").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def decode_png(data: bytes, where: str = "png") -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except Exception as e:  # PIL raises many kinds for corrupt data
        raise BadInput(f"unreadable PNG ({e})", where=where) from None


def pixels_hash(frame: np.ndarray) -> str:
    """sha256 of the raw pixels (shape included): PNG bytes may differ, pixels may not."""
    h = hashlib.sha256(f"{frame.shape}|{frame.dtype}|".encode())
    h.update(np.ascontiguousarray(frame).tobytes())
    return h.hexdigest()


def array_hash(a: np.ndarray) -> str:
    """sha256 of a float32 array's bytes and shape: used for the conditioning maps."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    h = hashlib.sha256(f"{a.shape}|float32|".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True).encode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` is either the old file or the complete new one."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True).encode())


# ---------------------------------------------------------------------------------------------
@dataclass
class Sample:
    """One aligned sample as written to / read from a shard."""

    key: str
    frame: np.ndarray                 # (H, W, 3) uint8
    previous: np.ndarray | None       # (H, W, 3) uint8 or None
    scene: Scene
    state: dict                       # UIState.to_dict() (+ "resolved": the replayed pointer positions)
    meta: dict
    shard: str = ""

    def as_dict(self) -> dict:
        return {"key": self.key, "frame": self.frame, "previous": self.previous, "scene": self.scene,
                "state": self.state, "meta": self.meta, "shard": self.shard}


def _encode_sample(s: Sample) -> list[tuple[str, bytes]]:
    members = [(f"{s.key}.frame.png", encode_png(s.frame))]
    if s.previous is not None:
        members.append((f"{s.key}.previous.png", encode_png(s.previous)))
    members += [(f"{s.key}.scene.json", s.scene.to_json().encode()),
                (f"{s.key}.state.json", _json_bytes(s.state)),
                (f"{s.key}.meta.json", _json_bytes(s.meta))]
    return members


def write_shard(folder: Path, index: int, samples: list[Sample], extra_index: dict | None = None) -> dict:
    """Write one shard (tar) and its index atomically; return the index dict."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    name = shard_name(index)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for s in samples:
            for member, data in _encode_sample(s):
                info = tarfile.TarInfo(member)
                info.size = len(data)
                info.mtime = 0          # reproducible bytes: same samples -> same shard
                info.mode = 0o644
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    atomic_write_bytes(folder / name, data)
    idx = {"format": SHARD_FORMAT, "shard": name, "count": len(samples), "bytes": len(data),
           "sha256": hashlib.sha256(data).hexdigest(), "keys": [s.key for s in samples],
           "splits": sorted({s.meta.get("split", "") for s in samples}),
           "sequences": sum(1 for s in samples if s.previous is not None),
           "seeds": [s.meta.get("seed") for s in samples], **(extra_index or {})}
    atomic_write_json(folder / f"{name}.json", idx)
    return idx


def shard_is_complete(folder: Path, index: int, verify_hash: bool = True) -> dict | None:
    """The shard's index if the shard and its index are both there (and the hash matches), else None."""
    folder = Path(folder)
    tar_path, idx_path = folder / shard_name(index), folder / f"{shard_name(index)}.json"
    if not tar_path.is_file() or not idx_path.is_file():
        return None
    try:
        idx = json.loads(idx_path.read_text())
    except (OSError, ValueError):
        return None
    if tar_path.stat().st_size != idx.get("bytes"):
        return None
    if verify_hash and _file_sha256(tar_path) != idx.get("sha256"):
        return None
    return idx


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clean_temporaries(folder: Path) -> int:
    """Remove leftovers of killed writers (`*.tmp`); return how many."""
    n = 0
    for p in Path(folder).glob("*.tmp"):
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n


# ---------------------------------------------------------------------------------------------
# Manifest
def write_manifest(folder: Path, shards: list[dict], info: dict) -> dict:
    """The set's manifest: shards (name, count, sha256), totals, and how it was made (`info`)."""
    shards = sorted(shards, key=lambda s: s["shard"])
    by_split: dict[str, int] = {}
    for s in shards:
        for sp in s.get("splits", []):
            by_split[sp] = by_split.get(sp, 0) + s["count"]
    manifest = {
        "format": SHARD_FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "samples": sum(s["count"] for s in shards),
        "sequences": sum(s.get("sequences", 0) for s in shards),
        "splits": by_split,
        "shards": [{k: s[k] for k in ("shard", "count", "sha256", "bytes", "sequences", "splits") if k in s}
                   for s in shards],
        **info,
    }
    atomic_write_json(Path(folder) / MANIFEST, manifest)
    return manifest


def read_manifest(folder: Path) -> dict:
    folder = Path(folder)
    path = folder / MANIFEST
    if not folder.is_dir():
        raise BadInput("no such data directory", where=str(folder))
    if not path.is_file():
        raise BadInput("no manifest.json: not a neuralos data directory (or generation has not finished; "
                       "run `neuralos data generate` again with the same arguments to resume)", where=str(folder))
    try:
        manifest = json.loads(path.read_text())
    except ValueError as e:
        raise BadInput(f"manifest is not JSON ({e})", where=str(path)) from None
    if manifest.get("format") != SHARD_FORMAT:
        raise BadInput(f"unknown shard format {manifest.get('format')!r} (expected {SHARD_FORMAT})", where=str(path))
    return manifest


# ---------------------------------------------------------------------------------------------
# Reading
def _group_members(tar: tarfile.TarFile, where: str) -> Iterator[tuple[str, dict[str, tarfile.TarInfo]]]:
    key, group = None, {}
    for m in tar:
        if not m.isfile():
            continue
        k, _, fld = m.name.partition(".")
        if fld not in FIELDS:
            raise BadInput(f"unexpected member {m.name!r}", where=where)
        if k != key and key is not None:
            yield key, group
            group = {}
        key = k
        group[fld] = m
    if key is not None:
        yield key, group


def _decode(key: str, raw: dict[str, bytes], where: str, shard: str) -> Sample:
    missing = {"frame.png", "scene.json", "state.json", "meta.json"} - set(raw)
    if missing:
        raise BadInput(f"sample {key!r} lacks {', '.join(sorted(missing))}", where=where)
    try:
        scene = Scene.from_dict(json.loads(raw["scene.json"]))
        state = json.loads(raw["state.json"])
        meta = json.loads(raw["meta.json"])
    except (ValueError, KeyError, TypeError) as e:
        raise BadInput(f"sample {key!r}: bad JSON ({type(e).__name__}: {e})", where=where) from None
    frame = decode_png(raw["frame.png"], f"{where}/{key}.frame.png")
    prev = decode_png(raw["previous.png"], f"{where}/{key}.previous.png") if "previous.png" in raw else None
    return Sample(key, frame, prev, scene, state, meta, shard)


def iter_shard(path: Path, split: str | None = None) -> Iterator[Sample]:
    """Samples of one shard, in order (optionally one split only)."""
    path = Path(path)
    where = str(path)
    try:
        tar = tarfile.open(path, mode="r:")
    except (OSError, tarfile.TarError) as e:
        raise BadInput(f"unreadable shard ({e})", where=where) from None
    with tar:
        try:
            for key, group in _group_members(tar, where):
                raw = {fld: tar.extractfile(m).read() for fld, m in group.items()}
                s = _decode(key, raw, where, path.name)
                if split is None or s.meta.get("split") == split:
                    yield s
        except tarfile.TarError as e:
            raise BadInput(f"corrupt shard ({e})", where=where) from None


def shard_paths(folder: Path) -> list[Path]:
    """Shards listed in the manifest, checked to exist."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    paths = []
    for s in manifest["shards"]:
        p = folder / s["shard"]
        if not p.is_file():
            raise BadInput(f"manifest lists {s['shard']}, which is missing", where=str(folder))
        paths.append(p)
    return paths


def iter_samples(folder: Path, split: str | None = None, shards: list[str] | None = None) -> Iterator[dict]:
    """Every sample of a data directory as a dict {key, frame, previous, scene, state, meta, shard}."""
    for p in shard_paths(folder):
        if shards is not None and p.name not in shards:
            continue
        for s in iter_shard(p, split):
            yield s.as_dict()


# ---------------------------------------------------------------------------------------------
# Crops (frame, previous and conditioning consistently)
def choose_crop(scene: Scene, crop: tuple[int, int], rng: np.random.Generator, content_bias: float = 0.8,
                state_bias: float = 0.0) -> Box:
    """A crop box (w, h) inside the canvas; with probability `content_bias` it is centred near a random
    visible component (not the bare desktop), so training sees mostly UI rather than background. With
    probability `state_bias` it holds a catalog component's box in some state (hovered, pressed, focused,
    checked ...) instead: those are few pixels of a frame, yet each must be drawn right. (Window chrome is not
    one: every frame has a focused window.) See `_state_boxes` for which boxes and how often."""
    cw, ch = min(crop[0], scene.width), min(crop[1], scene.height)
    nodes = [n for n in scene.nodes if n.clip is not None and n.role != "desktop"]
    boxes, odds = _state_boxes(nodes) if state_bias > 0 else ([], [])
    if boxes and rng.random() < state_bias:
        t = boxes[int(rng.choice(len(boxes), p=np.asarray(odds) / sum(odds)))]
        x = t.x - int(rng.random() * (cw - t.w)) if t.w <= cw else int(t.x + rng.random() * t.w - cw / 2)
        y = t.y - int(rng.random() * (ch - t.h)) if t.h <= ch else int(t.y + rng.random() * t.h - ch / 2)
    elif nodes and rng.random() < content_bias:
        n = nodes[int(rng.integers(len(nodes)))]
        cx = n.clip.x + rng.random() * n.clip.w
        cy = n.clip.y + rng.random() * n.clip.h
        x, y = int(cx - cw / 2), int(cy - ch / 2)
    else:
        x, y = int(rng.integers(0, scene.width - cw + 1)), int(rng.integers(0, scene.height - ch + 1))
    x = max(0, min(x, scene.width - cw))
    y = max(0, min(y, scene.height - ch))
    return Box(x, y, cw, ch)


def _state_boxes(nodes: list[SceneNode]) -> tuple[list[Box], list[float]]:
    """The visible boxes that carry a catalog component's states, and the odds of each as a state-biased crop.

    A component's states are drawn on the part that carries them (a check box's indicator, not its whole row,
    which may be 400 px wide: a crop centred anywhere on the row missed the indicator most of the time), so the
    box is that part, else the component. A frame has one pointer and one focus but may have many checked
    boxes and selected tabs, so a box is TRANSIENT_ODDS times as likely for each passing state (hovered, pressed,
    focused) it is in: each is rarer than the last (a held-down box is hovered and focused too, odds 64). v48 drew
    a held-down checked box at rest in 7 of 7 held-out frames, having seen it in few crops."""
    boxes, odds = [], []
    for n in nodes:
        if n.role not in COMPONENT_ROLES:
            continue
        carriers = [(b, p.states) for p in n.parts if p.states and (b := p.box.intersect(n.clip)) is not None]
        for box, states in carriers or ([(n.clip, n.states)] if n.states else []):
            boxes.append(box)
            odds.append(TRANSIENT_ODDS ** len(states & TRANSIENT_STATES))
    return boxes, odds


def state_mask(scene: Scene, box: Box) -> np.ndarray:
    """(box.h, box.w) float32: 1 on the catalog components in some state (hovered, pressed, focused, checked ...)
    and their parts in one, each visible box grown by FOCUS_RING (a check box's ring lies outside it); 0
    elsewhere. Window chrome is not one (a focused window's focus covers it whole). What `--state-weight` weighs
    in training: a pressed check box is a few hundred of a crop's 65,536 pixels, too few for a plain MSE to notice
    it is wrong."""
    mask = np.zeros((box.h, box.w), np.float32)
    for n in scene.nodes:
        if n.clip is None or n.role not in COMPONENT_ROLES:
            continue
        boxes = ([n.clip] if n.states else []) + [p.box.intersect(n.clip.grow(FOCUS_RING)) for p in n.parts
                                                   if p.states]
        _mark(mask, boxes, box)
    return mask


def component_mask(scene: Scene, box: Box) -> np.ndarray:
    """(box.h, box.w) float32: 1 on every interactive catalog component, in a state or at rest, each visible box
    grown by FOCUS_RING; 0 elsewhere. What `--component-weight` weighs in training: a borderless button's
    hover is a box tinted a tenth of the way to the primary colour, a few levels that a plain MSE (and the
    detail weighting, which is about edges and text) barely sees either way, so students drew it faintly on
    buttons at rest too."""
    mask = np.zeros((box.h, box.w), np.float32)
    _mark(mask, [n.clip for n in scene.nodes if n.clip is not None and n.interactive and n.role in COMPONENT_ROLES],
          box)
    return mask


def _mark(mask: np.ndarray, boxes: list, box: Box) -> None:
    for b in boxes:
        b = b.grow(FOCUS_RING).intersect(box) if b is not None else None
        if b is not None:
            mask[b.y - box.y:b.bottom - box.y, b.x - box.x:b.right - box.x] = 1


def crop_sample(sample: dict, box: Box) -> dict:
    """The sample restricted to `box`: frame/previous cropped, conditioning, `state_mask` and `component_mask`
    built for that region."""
    out = dict(sample)
    out["region"] = box
    out["conditioning"] = build_conditioning(sample["scene"], sample["previous"], region=box)
    out["state_mask"] = state_mask(sample["scene"], box)
    out["component_mask"] = component_mask(sample["scene"], box)
    out["frame"] = sample["frame"][box.y:box.bottom, box.x:box.right]
    if sample["previous"] is not None:
        out["previous"] = sample["previous"][box.y:box.bottom, box.x:box.right]
    return out


class _Index:
    """(shard path, key, {field: (offset, size)}) per sample, for random access without unpacking."""

    def __init__(self, folder: Path, split: str | None):
        self.entries: list[tuple[Path, str, dict[str, tuple[int, int]]]] = []
        for p in shard_paths(folder):
            with tarfile.open(p, mode="r:") as tar:
                groups = [(key, {f: (m.offset_data, m.size) for f, m in group.items()})
                          for key, group in _group_members(tar, str(p))]
            idx_path = p.with_name(p.name + ".json")
            known = None
            if idx_path.is_file():
                try:
                    known = json.loads(idx_path.read_text()).get("splits")
                except ValueError:
                    known = None
            for key, members in groups:
                if split is not None and known != [split]:   # mixed or unknown shard: read the meta
                    if json.loads(_read_range(p, *members["meta.json"])).get("split") != split:
                        continue
                self.entries.append((p, key, members))


def _read_range(path: Path, offset: int, size: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(size)


def load_sample(path: Path, key: str, members: dict[str, tuple[int, int]]) -> Sample:
    with open(path, "rb") as f:
        raw = {}
        for fld, (off, size) in members.items():
            f.seek(off)
            raw[fld] = f.read(size)
    return _decode(key, raw, str(path), path.name)


class ShardDataset:
    """Map-style dataset over a data directory, or several as one (torch's DataLoader takes it as is; torch
    is not imported here).

    Items are dicts {key, frame, previous, scene, state, meta, shard}; with `crop=(w, h)`, each item is
    a random crop (content-biased, reproducible from `seed`, the epoch and the index; the epoch is the one set
    by `set_epoch`, or comes with the index as `ds[epoch, i]`, as `train.EpochSampler` asks for it)
    with `region` (Box) and `conditioning` (C, h, w) float32 built for exactly that region. Use
    `collate` as the DataLoader's collate_fn to get batched tensors.
    """

    def __init__(self, folder: str | Path | list[str | Path], split: str | None = "train",
                 crop: tuple[int, int] | None = None, seed: int = 0, content_bias: float = 0.8,
                 state_bias: float = 0.0, conditioning: bool = True):
        self.folders = [Path(f) for f in (folder if isinstance(folder, (list, tuple)) else [folder])]
        self.split, self.crop, self.seed = split, crop, seed
        self.content_bias, self.state_bias, self.with_conditioning = content_bias, state_bias, conditioning
        self.epoch = 0
        self._entries = [e for f in self.folders for e in _Index(f, split).entries]   # several folders: their union
        if not self._entries:
            raise BadInput(f"no samples of split {split!r}", where=", ".join(map(str, self.folders)))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int | tuple[int, int]) -> dict:
        epoch, i = index if isinstance(index, tuple) else (self.epoch, index)
        path, key, members = self._entries[i]
        d = load_sample(path, key, members).as_dict()
        if self.crop is not None:
            rng = np.random.default_rng([self.seed, epoch, i])
            box = choose_crop(d["scene"], self.crop, rng, self.content_bias, self.state_bias)
            return crop_sample(d, box) if self.with_conditioning else {**d, "region": box,
                                                                         "frame": d["frame"][box.y:box.bottom, box.x:box.right]}
        if self.with_conditioning:
            d["conditioning"] = build_conditioning(d["scene"], d["previous"])
            d["region"] = Box(0, 0, d["scene"].width, d["scene"].height)
        return d


def collate(items: list[dict]) -> dict:
    """Batch: frame (B, 3, h, w) float32 in [-1, 1], conditioning (B, C, h, w), state_mask and component_mask
    (B, 1, h, w), has_previous (B,), keys.

    All items must have the same size (use a fixed `crop`)."""
    import torch

    shapes = {it["frame"].shape for it in items}
    if len(shapes) != 1:
        raise ValueError(f"cannot batch frames of different sizes {sorted(shapes)}: use a fixed crop")
    frames = np.stack([it["frame"] for it in items]).astype(np.float32).transpose(0, 3, 1, 2) * (2 / 255) - 1
    out = {"frame": torch.from_numpy(np.ascontiguousarray(frames)),
           "has_previous": torch.tensor([it["previous"] is not None for it in items]),
           "keys": [it["key"] for it in items]}
    if all("conditioning" in it for it in items):
        out["conditioning"] = torch.from_numpy(np.stack([it["conditioning"] for it in items]))
    for mask in ("state_mask", "component_mask"):
        if all(mask in it for it in items):
            out[mask] = torch.from_numpy(np.stack([it[mask] for it in items])[:, None])   # (B, 1, h, w)
    return out


def verify_shards(folder: Path) -> list[str]:
    """Cheap integrity check (sizes, sha256 against the manifest); returns problems, empty if fine."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = []
    for s in manifest["shards"]:
        p = folder / s["shard"]
        if not p.is_file():
            problems.append(f"{s['shard']}: missing")
        elif _file_sha256(p) != s.get("sha256"):
            problems.append(f"{s['shard']}: sha256 differs from the manifest (modified or corrupt)")
    return problems


def require_ok(problems: list[str], folder: Path) -> None:
    if problems:
        raise CheckFailed(f"{folder}: " + "; ".join(problems))
