"""S1 .ckpt reading and writing: round trips, the upstream layout, and every way a file is bad."""

from __future__ import annotations

import io
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from voicestudio.errors import CorruptFileError, NotFoundError, UserInputError
from voicestudio.models.s1 import (
    CHECKPOINT_PREFIX,
    inference_dtype,
    load_s1_checkpoint,
    random_s1_model,
    save_s1_checkpoint,
    tiny_s1_config,
)
from voicestudio.models.s1.checkpoint import checkpoint_weights
from voicestudio.models.s1.config import config_to_upstream


def _raw(path: Path):
    return torch.load(io.BytesIO(path.read_bytes()), map_location="cpu", weights_only=True)


@pytest.fixture()
def saved(tmp_path) -> Path:
    path = tmp_path / "voice-e3.ckpt"
    save_s1_checkpoint(path, random_s1_model(tiny_s1_config(), seed=5), info="GPT-e3")
    return path


def test_round_trip_is_exact_and_in_upstream_layout(saved):
    original = random_s1_model(tiny_s1_config(), seed=5)
    loaded = load_s1_checkpoint(saved, "cpu")
    assert loaded.info == "GPT-e3" and loaded.generation == "v2"
    assert loaded.config == original.config
    for (name, mine), (_, theirs) in zip(
        loaded.model.state_dict().items(), original.state_dict().items(), strict=True
    ):
        assert torch.equal(mine, theirs), name
    raw = _raw(saved)
    assert type(raw) is OrderedDict and list(raw) == ["weight", "config", "info"]
    assert all(key.startswith(CHECKPOINT_PREFIX) for key in raw["weight"])
    assert {tensor.dtype for tensor in raw["weight"].values()} == {torch.float16}
    model_section = raw["config"]["model"]
    assert (model_section["head"], model_section["n_layer"], model_section["EOS"]) == (4, 2, 1024)
    assert raw["config"]["data"]["max_sec"] == 54  # upstream inference reads this


def test_random_model_leaves_global_random_state_alone():
    before = torch.get_rng_state()
    random_s1_model(tiny_s1_config(), seed=9)
    assert torch.equal(before, torch.get_rng_state())


def test_saving_replaces_the_old_file_only_when_the_new_one_is_complete(saved, monkeypatch):
    before = saved.read_bytes()

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_s1_checkpoint(saved, random_s1_model(tiny_s1_config(), seed=6))
    assert saved.read_bytes() == before
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]


def _write_payload(path: Path, weight, config, info="GPT-e1") -> Path:
    buffer = io.BytesIO()
    torch.save(OrderedDict(weight=weight, config=config, info=info), buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_v1_and_unknown_vocabularies_are_refused_with_a_reason(tmp_path):
    for vocab, words in [(512, "v1"), (600, "unknown phoneme vocabulary")]:
        model = random_s1_model(tiny_s1_config(phoneme_vocab_size=vocab), seed=0)
        path = _write_payload(
            tmp_path / f"gpt{vocab}.ckpt",
            checkpoint_weights(model),
            config_to_upstream(model.config),
        )
        with pytest.raises(UserInputError, match=words):
            load_s1_checkpoint(path)


def test_weights_that_disagree_with_the_settings_are_corrupt(tmp_path):
    model = random_s1_model(tiny_s1_config(), seed=0)
    config = config_to_upstream(model.config)
    missing = checkpoint_weights(model)
    missing.pop("model.ar_predict_layer.weight")
    reshaped = checkpoint_weights(model)
    reshaped["model.bert_proj.bias"] = torch.zeros(7, dtype=torch.float16)
    integer = checkpoint_weights(model)
    integer["model.ar_text_position.alpha"] = torch.ones(1, dtype=torch.long)
    for name, weight in [("missing", missing), ("reshaped", reshaped), ("integer", integer)]:
        with pytest.raises(CorruptFileError):
            load_s1_checkpoint(_write_payload(tmp_path / f"{name}.ckpt", weight, config))
    broken_config = {"model": {"vocab_size": 1025}}
    with pytest.raises(CorruptFileError, match="incomplete model settings"):
        weight = checkpoint_weights(model)
        load_s1_checkpoint(_write_payload(tmp_path / "cfg.ckpt", weight, broken_config))


def test_a_sovits_file_is_named_as_such(tmp_path):
    path = _write_payload(tmp_path / "s2.pth", {"enc_p.proj.weight": torch.zeros(2)}, {})
    with pytest.raises(UserInputError, match="SoVITS"):
        load_s1_checkpoint(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, not a model", b"PK\x03\x04" + bytes(100)],
    ids=["empty", "text", "fake_zip"],
)
def test_unreadable_files_are_corrupt(tmp_path, content):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError):
        load_s1_checkpoint(path)


def test_truncated_and_non_checkpoint_files_are_corrupt(saved, tmp_path):
    truncated = tmp_path / "cut.ckpt"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    tensor_only = tmp_path / "tensor.ckpt"
    torch.save(torch.zeros(3), tensor_only)
    for path in (truncated, tensor_only):
        with pytest.raises(CorruptFileError):
            load_s1_checkpoint(path)


class _Payload:
    """Pickles as a call; loading it must never happen from an untrusted model file."""

    ran = False

    def __reduce__(self):
        return (_mark_ran, ())


def _mark_ran():
    _Payload.ran = True
    return {}


def test_files_with_pickled_code_are_refused_without_running_it(tmp_path):
    model = random_s1_model(tiny_s1_config(), seed=0)
    config = config_to_upstream(model.config)
    config["evil"] = _Payload()
    path = _write_payload(tmp_path / "evil.ckpt", checkpoint_weights(model), config)
    with pytest.raises(CorruptFileError, match="could run code"):
        load_s1_checkpoint(path)
    assert not _Payload.ran


def test_missing_file_and_unsaveable_config(tmp_path):
    with pytest.raises(NotFoundError):
        load_s1_checkpoint(tmp_path / "nope.ckpt")
    model = random_s1_model(tiny_s1_config(), seed=0)
    with pytest.raises(UserInputError, match="plain values"):
        save_s1_checkpoint(tmp_path / "x.ckpt", model, {"model": {}, "path": tmp_path})
    assert not (tmp_path / "x.ckpt").exists()


def test_cpu_inference_runs_in_fp32_and_dtype_can_be_forced(saved):
    assert inference_dtype(torch.device("cpu")) == torch.float32
    assert load_s1_checkpoint(saved, "cpu").model.ar_predict_layer.weight.dtype == torch.float32
    half = load_s1_checkpoint(saved, "cpu", dtype=torch.float16).model
    assert {p.dtype for p in half.parameters()} == {torch.float16}
    assert half.ar_text_position.table.dtype == torch.float16
