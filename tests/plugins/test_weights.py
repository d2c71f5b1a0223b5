"""Safetensors header checks: truncation, corrupt headers, shards, pickle-only folders."""
import json
import struct

import numpy as np
import pytest
from safetensors.numpy import save_file

from neuralos.plugins.weights import WeightError, read_header, tensor_shapes, weight_files


@pytest.fixture
def good(tmp_path):
    f = tmp_path / "model.safetensors"
    save_file({"a": np.zeros((4, 3), np.float32), "b": np.ones(5, np.int64)}, str(f))
    return f


def test_good_header(good):
    header = read_header(good)
    assert {k: v["shape"] for k, v in header.items()} == {"a": [4, 3], "b": [5]}
    assert tensor_shapes([good]) == {"a": (4, 3), "b": (5,)}


@pytest.mark.parametrize("cut", [3, 20, 60])
def test_truncated(good, cut):
    data = good.read_bytes()
    good.write_bytes(data[:len(data) - cut] if cut < 60 else data[:cut])
    with pytest.raises(WeightError, match="truncated"):
        read_header(good)


def test_trailing_bytes(good):
    good.write_bytes(good.read_bytes() + b"xx")
    with pytest.raises(WeightError, match="2 unexpected bytes"):
        read_header(good)


def test_not_safetensors(tmp_path):
    f = tmp_path / "model.safetensors"
    f.write_bytes(b"PK\x03\x04" + b"\0" * 100)  # a zip (torch.save) renamed
    with pytest.raises(WeightError, match="not a safetensors file"):
        read_header(f)
    f.write_bytes(struct.pack("<Q", 10) + b"{not json}")
    with pytest.raises(WeightError, match="not JSON"):
        read_header(f)


def test_header_lies_about_sizes(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    f = tmp_path / "model.safetensors"
    f.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    with pytest.raises(WeightError, match="needs 16 bytes"):
        read_header(f)


def test_weight_files_single_and_missing(tmp_path, good):
    assert weight_files(tmp_path, "model") == [good]
    (tmp_path / "unet").mkdir()
    with pytest.raises(WeightError, match=r"no weights \(diffusion_pytorch_model.safetensors is missing\)"):
        weight_files(tmp_path / "unet", "diffusion_pytorch_model")


def test_pickle_only_refused(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(WeightError, match="pickle weights are refused; convert to safetensors"):
        weight_files(tmp_path, "model")


def test_wrongly_named_safetensors(tmp_path):
    save_file({"a": np.zeros(2, np.float32)}, str(tmp_path / "weights.safetensors"))
    with pytest.raises(WeightError, match=r"no model.safetensors \(found weights.safetensors\)"):
        weight_files(tmp_path, "model")


def test_shards(tmp_path):
    save_file({"a": np.zeros(2, np.float32)}, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file({"b": np.zeros((1, 2), np.float16)}, str(tmp_path / "model-00002-of-00002.safetensors"))
    index = {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    files = weight_files(tmp_path, "model")
    assert tensor_shapes(files) == {"a": (2,), "b": (1, 2)}
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(WeightError, match="missing shards: model-00002-of-00002.safetensors"):
        weight_files(tmp_path, "model")
