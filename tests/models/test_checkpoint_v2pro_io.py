"""v2Pro / v2ProPlus SoVITS files: written as upstream's my_save2 does, read back safely, and
a marker that contradicts the contents is reported instead of dropping the SV weights."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch

from voicestudio.errors import CorruptFileError
from voicestudio.models.checkpoint_format import detect_checkpoint_version
from voicestudio.models.s2 import load_s2_checkpoint, random_s2_generator, save_s2_checkpoint
from voicestudio.models.s2.config import tiny_s2_config
from voicestudio.models.s2.pro_generator import SoVITSProGenerator
from voicestudio.models.safe_pickle import (
    HParams,
    UnsafeModelFileError,
    dump_checkpoint_bytes,
    restore_zip_magic,
    safe_load,
)

MARKERS = {"v2Pro": b"05", "v2ProPlus": b"06"}  # upstream process_ckpt.model_version2byte


def _tiny(version: str, seed: int = 0) -> SoVITSProGenerator:
    generator = random_s2_generator(tiny_s2_config(version=version), seed=seed)
    assert isinstance(generator, SoVITSProGenerator)
    return generator


def _decode(generator, sv: torch.Tensor) -> torch.Tensor:
    codes = torch.arange(6).view(1, 1, 6)
    text = torch.arange(1, 9).view(1, 8)
    refer = torch.rand(1, 1025, 30)
    return generator.decode(codes, text, refer, noise_scale=0.0, sv=sv)


@pytest.mark.parametrize("version", sorted(MARKERS))
def test_export_has_marker_fp16_weights_no_enc_q_and_round_trips(
    version: str, tmp_path: Path
) -> None:
    generator = _tiny(version)
    path = tmp_path / "voice.pth"
    save_s2_checkpoint(path, generator, info="3epoch_120iteration")
    data = path.read_bytes()
    assert data[:2] == MARKERS[version]
    with zipfile.ZipFile(io.BytesIO(restore_zip_magic(data))) as archive:
        assert archive.namelist()[0].startswith("archive/")  # torch.save into memory
    raw = safe_load(path)
    assert isinstance(raw["config"], HParams)
    assert raw["config"]["model"]["version"] == version and raw["config"]["version"] == version
    assert raw["info"] == "3epoch_120iteration"
    assert all(t.dtype == torch.float16 for t in raw["weight"].values())
    assert not any("enc_q" in k for k in raw["weight"])
    assert {"sv_emb.weight", "ge_to512.weight", "prelu.weight"} <= set(raw["weight"])

    kind = detect_checkpoint_version(path)
    assert (kind.version, kind.detected_by) == (version, "tag")
    loaded = load_s2_checkpoint(path)
    assert loaded.config.version == version and isinstance(loaded.generator, SoVITSProGenerator)
    sv = torch.rand(1, generator.config.sv_dim)
    want = _decode(generator.half().float(), sv)  # the file holds fp16-rounded weights
    torch.testing.assert_close(_decode(loaded.generator, sv), want, atol=1e-5, rtol=1e-4)


@pytest.mark.fixtures
def test_fixture_file_resaved_keeps_upstream_layout(v2pro_fixtures_dir: Path, tmp_path) -> None:
    meta = json.loads((v2pro_fixtures_dir / "model_fixtures_meta.json").read_text())["s2"]
    for version, entry in meta.items():
        original = v2pro_fixtures_dir / entry["file"]
        loaded = load_s2_checkpoint(original)
        copy = tmp_path / entry["file"]
        save_s2_checkpoint(copy, loaded.generator, loaded.hparams, info=loaded.info)
        assert copy.read_bytes()[:2] == entry["header_bytes"].encode("ascii")
        theirs, ours = safe_load(original), safe_load(copy)
        assert list(ours) == list(theirs)  # weight, config, info
        assert list(ours["weight"]) == list(theirs["weight"])
        for key, tensor in theirs["weight"].items():
            assert ours["weight"][key].dtype == tensor.dtype, key
            assert torch.equal(ours["weight"][key], tensor), key
        assert ours["config"].to_dict() == theirs["config"].to_dict(), version


def test_v2pro_file_without_its_marker_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "voice.pth"
    save_s2_checkpoint(path, _tiny("v2Pro"))
    unmarked = tmp_path / "unmarked.pth"
    unmarked.write_bytes(b"PK" + path.read_bytes()[2:])
    with pytest.raises(CorruptFileError, match="speaker-verification weights"):
        load_s2_checkpoint(unmarked)


def test_marker_and_settings_that_disagree_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "voice.pth"
    save_s2_checkpoint(path, _tiny("v2ProPlus"))
    relabelled = tmp_path / "relabelled.pth"
    relabelled.write_bytes(b"05" + path.read_bytes()[2:])  # v2Pro marker on a Plus file
    with pytest.raises(CorruptFileError, match="marked as v2Pro but its settings say v2ProPlus"):
        load_s2_checkpoint(relabelled)


class _Trap:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def test_trap_behind_a_v2pro_marker_is_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = dump_checkpoint_bytes({"weight": {}, "config": _Trap(marker), "info": ""})
    path = tmp_path / "trap.pth"
    path.write_bytes(b"05" + data[2:])
    with pytest.raises(UnsafeModelFileError):
        load_s2_checkpoint(path)
    assert not marker.exists()
