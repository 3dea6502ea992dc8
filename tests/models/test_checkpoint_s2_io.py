"""SoVITS `.pth` files we write are laid out as GPT-SoVITS writes them and load in upstream."""

from __future__ import annotations

import io
import pickletools
import re
import sys
import types
import zipfile
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from voicestudio.errors import UserInputError
from voicestudio.models.s2 import (
    SoVITSGenerator,
    load_s2_checkpoint,
    random_s2_generator,
    save_s2_checkpoint,
    tiny_s2_config,
    write_tiny_s2_base_model,
)


def _archive_records(path: Path) -> dict[str, bytes]:
    """Zip records keyed without the archive's root folder (upstream names it after a temp file)."""
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def _pickle_globals(pickle_bytes: bytes) -> set[str]:
    listing = io.StringIO()
    pickletools.dis(pickle_bytes, listing)
    return set(re.findall(r"GLOBAL\s+'([^']+)'", listing.getvalue()))


class _UpstreamHParams:
    """Upstream's utils.HParams as far as its loader uses it (attribute, item and ** access)."""

    def keys(self):
        return self.__dict__.keys()

    def __getitem__(self, key):
        return getattr(self, key)

    def __contains__(self, key):
        return key in self.__dict__


def load_like_upstream(path: Path, monkeypatch: pytest.MonkeyPatch):
    """Read a file the way GPT-SoVITS does: plain unpickling with GPT_SoVITS/utils.py importable.

    Only ever used on files this test suite wrote itself or on the shared fixture.
    """
    fake_utils = types.ModuleType("utils")
    _UpstreamHParams.__module__ = "utils"
    _UpstreamHParams.__qualname__ = "HParams"
    fake_utils.HParams = _UpstreamHParams
    monkeypatch.setitem(sys.modules, "utils", fake_utils)
    data = path.read_bytes()
    if data[:2] != b"PK":  # load_sovits_new
        data = b"PK" + data[2:]
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)


def _hparams_tree(value):
    if isinstance(value, _UpstreamHParams):
        return {k: _hparams_tree(v) for k, v in value.__dict__.items()}
    return value


@pytest.mark.fixtures
def test_resaving_the_fixture_reproduces_its_pickle_and_tensors(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    source = fixtures_dir / "s2G_small.pth"
    loaded = load_s2_checkpoint(source)
    target = tmp_path / "resaved.pth"
    save_s2_checkpoint(target, loaded.generator, loaded.hparams, loaded.info)

    ours, theirs = _archive_records(target), _archive_records(source)
    assert target.read_bytes()[:2] == b"PK"  # v2 files carry no version tag
    assert ours.keys() == theirs.keys()
    assert ours["data.pkl"] == theirs["data.pkl"]
    for name in theirs:
        if name.startswith("data/"):
            assert ours[name] == theirs[name], name


@pytest.mark.fixtures
def test_written_file_loads_in_upstream_like_the_fixture(
    fixtures_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sizes come from the fixture's own config, so any folder of this format is judged alike.
    fixture_config = load_s2_checkpoint(fixtures_dir / "s2G_small.pth").config
    target = tmp_path / "voice_e4_s100.pth"
    generator = random_s2_generator(fixture_config, seed=3)
    save_s2_checkpoint(target, generator, info="4epoch_100iteration")
    with zipfile.ZipFile(target) as archive:
        pickle_bytes = archive.read(next(n for n in archive.namelist() if n.endswith("data.pkl")))
    with zipfile.ZipFile(fixtures_dir / "s2G_small.pth") as archive:
        fixture_pickle = archive.read(
            next(n for n in archive.namelist() if n.endswith("data.pkl"))
        )
    assert _pickle_globals(pickle_bytes) == _pickle_globals(fixture_pickle)

    ours = load_like_upstream(target, monkeypatch)
    theirs = load_like_upstream(fixtures_dir / "s2G_small.pth", monkeypatch)
    read_sizes = []
    for payload in (ours, theirs):
        assert type(payload) is OrderedDict
        assert list(payload) == ["weight", "config", "info"]
        assert type(payload["weight"]) is dict
        assert all(t.dtype == torch.float16 for t in payload["weight"].values())
        assert not any("enc_q" in k for k in payload["weight"])
        hps = payload["config"]
        assert isinstance(hps, _UpstreamHParams)
        assert isinstance(hps.model, _UpstreamHParams)
        # what upstream's TTS.init_vits_weights reads
        spec_channels = hps.data.filter_length // 2 + 1
        segment = hps.train.segment_size // hps.data.hop_length
        read_sizes.append((spec_channels, segment, dict(**hps.model)))
        assert dict(**hps.model)["version"] == "v2"
    config = generator.config
    assert read_sizes[0][:2] == read_sizes[1][:2] == (
        config.filter_length // 2 + 1, config.segment_size // config.hop_length
    )
    for size in ("hidden_channels", "inter_channels", "filter_channels", "gin_channels"):
        assert read_sizes[0][2][size] == read_sizes[1][2][size], size
    assert ours["info"] == "4epoch_100iteration"
    assert list(ours["weight"]) == list(theirs["weight"])
    ours_tree, theirs_tree = _hparams_tree(ours["config"]), _hparams_tree(theirs["config"])
    assert ours_tree.keys() == theirs_tree.keys()
    for section in ("train", "data", "model"):
        assert set(ours_tree[section]) >= set(theirs_tree[section]) - {"lora_rank"}, section


def test_tiny_round_trip_keeps_weights_and_behaviour(tmp_path: Path) -> None:
    generator = random_s2_generator(seed=1)
    with torch.no_grad():  # make every weight fp16-exact so the fp16 file is lossless
        for tensor in generator.state_dict().values():
            tensor.copy_(tensor.half().float())
    path = tmp_path / "tiny.pth"
    save_s2_checkpoint(path, generator, info="1epoch_2iteration")
    loaded = load_s2_checkpoint(path)
    assert loaded.info == "1epoch_2iteration"
    assert loaded.config == generator.config
    assert not loaded.has_posterior and loaded.generator.enc_q is None
    for key, tensor in loaded.generator.state_dict().items():
        assert torch.equal(tensor, generator.state_dict()[key]), key

    codes = torch.randint(0, 1024, (1, 1, 6))
    text = torch.randint(0, 732, (1, 5))
    refer = torch.rand(1, 1025, 9)
    want = generator.decode(codes, text, refer, noise_scale=0.0)
    got = loaded.generator.decode(codes, text, refer, noise_scale=0.0)
    torch.testing.assert_close(got, want)


def test_base_model_keeps_the_posterior_encoder(tmp_path: Path) -> None:
    path = tmp_path / "s2G_tiny.pth"
    write_tiny_s2_base_model(path, seed=2)
    loaded = load_s2_checkpoint(path)
    assert loaded.has_posterior and loaded.generator.enc_q is not None
    assert loaded.config == tiny_s2_config()


def test_save_replaces_atomically_and_refuses_other_versions(tmp_path: Path) -> None:
    path = tmp_path / "voice.pth"
    generator = random_s2_generator(seed=0)
    save_s2_checkpoint(path, generator, info="first")
    before = path.read_bytes()
    with pytest.raises(UserInputError, match="v2Pro"):
        save_s2_checkpoint(path, generator, info="second", version="v2Pro")
    assert path.read_bytes() == before  # a refused save leaves the old file alone
    save_s2_checkpoint(path, generator, info="second")
    assert load_s2_checkpoint(path).info == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.pth"]  # no temp files left


def test_inference_export_can_train_after_attaching_an_encoder(tmp_path: Path) -> None:
    path = tmp_path / "export.pth"
    save_s2_checkpoint(path, random_s2_generator(seed=4))
    generator: SoVITSGenerator = load_s2_checkpoint(path).generator
    generator.attach_posterior_encoder()
    assert generator.enc_q is not None
    full_order = list(SoVITSGenerator(generator.config).state_dict())
    assert list(generator.state_dict()) == full_order  # enc_q sits where upstream puts it
