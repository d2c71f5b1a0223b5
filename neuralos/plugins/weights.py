"""Cheap checks of weight files, by reading headers only: never a pickle, never the tensor data.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON describing every
tensor (dtype, shape, data_offsets), then the tensor bytes. Reading the header is enough to catch
a truncated or half-copied file (declared sizes vs. file size) and to learn every tensor's shape,
which `neuralos.plugins.loading` compares with what the model's config expects.
"""
from __future__ import annotations

import json
import math
import struct
from pathlib import Path

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
PICKLE_REFUSED = "pickle weights are refused; convert to safetensors"
_MAX_HEADER = 100 * 1024 * 1024
_ITEMSIZE = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
    "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8, "C64": 8,
}


class WeightError(Exception):
    """A weight file is unusable; the message says why (without the path: callers add it)."""


def read_header(file: Path) -> dict[str, dict]:
    """The tensor table of a safetensors file ({name: {dtype, shape, data_offsets}}), checked.

    Raises WeightError when the file is not safetensors, is truncated, or its header lies about
    sizes. `__metadata__` is dropped.
    """
    file = Path(file)
    try:
        size = file.stat().st_size
        with file.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise WeightError(f"truncated: {size} bytes, not even a header")
            (n,) = struct.unpack("<Q", head)
            if n < 2 or n > _MAX_HEADER or f.read(1) not in (b"{", b""):
                raise WeightError("not a safetensors file (invalid header)")
            if 8 + n > size:
                raise WeightError(f"truncated: the header alone needs {8 + n} bytes, the file has {size}")
            raw = b"{" + f.read(n - 1)
    except OSError as e:
        raise WeightError(f"cannot read: {e.strerror or e}") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeightError("not a safetensors file (the header is not JSON)") from None
    if not isinstance(header, dict):
        raise WeightError("not a safetensors file (the header is not a JSON object)")
    header.pop("__metadata__", None)
    end = 0
    for name, entry in header.items():
        try:
            dtype, shape, (begin, stop) = entry["dtype"], entry["shape"], entry["data_offsets"]
            if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
                    and isinstance(begin, int) and isinstance(stop, int) and 0 <= begin <= stop):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise WeightError(f"corrupt header entry for tensor {name!r}") from None
        item = _ITEMSIZE.get(dtype)
        if item is not None and stop - begin != math.prod(shape) * item:
            raise WeightError(f"tensor {name!r}: {dtype} {shape} needs {math.prod(shape) * item} bytes, "
                              f"the header gives it {stop - begin}")
        end = max(end, stop)
    expected = 8 + n + end
    if size < expected:
        raise WeightError(f"truncated: {size} of {expected} bytes (copy incomplete?)")
    if size > expected:
        raise WeightError(f"{size - expected} unexpected bytes after the tensor data")
    return header


def weight_files(folder: Path, stem: str) -> list[Path]:
    """The safetensors files holding `stem` weights in `folder`: one file, or the shards named by
    `STEM.safetensors.index.json`. Raises WeightError when they are missing, pickle-only or broken."""
    folder = Path(folder)
    single = folder / f"{stem}.safetensors"
    index = folder / f"{stem}.safetensors.index.json"
    if single.is_file():
        files = [single]
    elif index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            shards = sorted(set(weight_map.values()))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise WeightError(f"{index.name} is not a valid shard index") from None
        files = [folder / s for s in shards]
        missing = [f.name for f in files if not f.is_file()]
        if missing or any(Path(s).name != s for s in shards):
            raise WeightError(f"{index.name} names missing shards: {', '.join(missing or shards)}")
    else:
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES) \
            if folder.is_dir() else []
        others = sorted(p.name for p in folder.glob("*.safetensors"))
        if others:  # a differently named or variant file: not what the loaders will look for
            raise WeightError(f"no {single.name} (found {', '.join(others)})")
        if pickles:
            raise WeightError(f"{PICKLE_REFUSED} ({', '.join(pickles)})")
        raise WeightError(f"no weights ({single.name} is missing)")
    for f in files:
        try:
            read_header(f)
        except WeightError as e:
            raise WeightError(f"{f.name}: {e}") from None
    return files


def tensor_shapes(files: list[Path]) -> dict[str, tuple[int, ...]]:
    """Every tensor's shape across the given (already checked) safetensors files."""
    shapes: dict[str, tuple[int, ...]] = {}
    for f in files:
        shapes.update({k: tuple(v["shape"]) for k, v in read_header(f).items()})
    return shapes
