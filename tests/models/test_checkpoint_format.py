"""Version detection for GPT-SoVITS files, and refusal of the versions we cannot run."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from voicestudio.errors import CorruptFileError
from voicestudio.models import checkpoint_format
from voicestudio.models.checkpoint_format import (
    CheckpointKind,
    UnsupportedModelError,
    WrongModelKindError,
    detect_checkpoint_version,
)
from voicestudio.models.s2 import (
    SoVITSGenerator,
    load_s2_checkpoint,
    random_s2_generator,
    save_s2_checkpoint,
    tiny_s2_config,
)
from voicestudio.models.safe_pickle import dump_checkpoint_bytes

# Written out again from upstream process_ckpt.head2version, independently of the code under test.
TAGS = {
    b"00": ("v1", False),
    b"01": ("v2", False),
    b"02": ("v3", False),
    b"03": ("v3", True),
    b"04": ("v4", True),
    b"05": ("v2Pro", False),
    b"06": ("v2ProPlus", False),
}


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pth"
    save_s2_checkpoint(path, random_s2_generator(seed=0))
    return path


@pytest.mark.fixtures
def test_fixture_files_are_recognised_by_content(fixtures_dir: Path) -> None:
    s2 = detect_checkpoint_version(fixtures_dir / "s2G_small.pth")
    assert s2 == CheckpointKind("s2", "v2", False, "content")
    assert s2.supported and s2.symbol_version == "v2"
    s1 = detect_checkpoint_version(fixtures_dir / "s1_small.ckpt")
    assert (s1.stage, s1.version, s1.supported) == ("s1", "v2", True)


@pytest.mark.fixtures
def test_s1_file_is_refused_where_s2_is_needed(fixtures_dir: Path) -> None:
    with pytest.raises(WrongModelKindError, match="SoVITS"):
        load_s2_checkpoint(fixtures_dir / "s1_small.ckpt")


@pytest.mark.parametrize("tag", sorted(TAGS))
def test_version_tags_replace_the_zip_magic(tag: bytes, tiny_file: Path, tmp_path: Path) -> None:
    version, is_lora = TAGS[tag]
    path = tmp_path / "tagged.pth"
    path.write_bytes(tag + tiny_file.read_bytes()[2:])
    kind = detect_checkpoint_version(path)
    assert (kind.stage, kind.version, kind.is_lora, kind.detected_by) == (
        "s2",
        version,
        is_lora,
        "tag",
    )
    if tag == b"01":
        assert load_s2_checkpoint(path).kind.version == "v2"  # tagged v2 still opens
    elif version in ("v2Pro", "v2ProPlus"):
        # a v2 file under a v2Pro marker: the weights and settings contradict the marker
        with pytest.raises(CorruptFileError, match=f"marked as {version}"):
            load_s2_checkpoint(path)
    else:
        with pytest.raises(UnsupportedModelError, match=version):
            load_s2_checkpoint(path)


def test_released_base_models_are_known_by_md5(
    tiny_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = hashlib.md5(tiny_file.read_bytes()[:8192]).hexdigest()
    monkeypatch.setitem(checkpoint_format.PRETRAINED_S2_MD5, digest, "v2ProPlus")
    kind = detect_checkpoint_version(tiny_file)
    assert (kind.version, kind.detected_by, kind.supported) == ("v2ProPlus", "md5", True)


def test_v1_generator_is_recognised_and_refused(tmp_path: Path) -> None:
    config = replace(tiny_s2_config(), version="v1", n_symbols=322, ref_enc_bins=1025)
    with torch.device("meta"):
        layout = SoVITSGenerator(config).state_dict()
    path = tmp_path / "v1.pth"
    save_s2_checkpoint(path, random_s2_generator(config))
    kind = detect_checkpoint_version(path)
    assert (kind.version, kind.symbol_version) == ("v1", "v1")
    assert layout["enc_p.text_embedding.weight"].shape[0] == 322
    with pytest.raises(UnsupportedModelError, match="v1"):
        load_s2_checkpoint(path)


@pytest.mark.parametrize(
    "extra_key, model_version, expected",
    [
        ("sv_emb.weight", "v2Pro", "v2Pro"),
        ("sv_emb.weight", "v2ProPlus", "v2ProPlus"),
        ("cfm.estimator.proj_out.weight", "v3", "v3"),
        ("cfm.estimator.proj_out.weight", "v4", "v4"),
    ],
)
def test_untagged_newer_generators_are_recognised_by_content(
    tmp_path: Path, extra_key: str, model_version: str, expected: str
) -> None:
    weights = {
        "enc_p.text_embedding.weight": torch.zeros(732, 2, dtype=torch.float16),
        extra_key: torch.zeros(2, 2, dtype=torch.float16),
    }
    payload = {"weight": weights, "config": {"model": {"version": model_version}}, "info": ""}
    path = tmp_path / "newer.pth"
    path.write_bytes(dump_checkpoint_bytes(payload))
    kind = detect_checkpoint_version(path)
    assert (kind.stage, kind.version) == ("s2", expected)
    if expected.startswith("v2Pro"):
        # supported, but without its marker upstream would drop the SV weights: refused
        assert kind.supported
        with pytest.raises(CorruptFileError, match="lacks the v2Pro marker"):
            load_s2_checkpoint(path)
    else:
        assert not kind.supported
        with pytest.raises(UnsupportedModelError):
            load_s2_checkpoint(path)
