"""S1 model pieces: the attention mask, the sine tables, the cache, the training forward."""

from __future__ import annotations

import math

import pytest
import torch

from voicestudio.errors import UserInputError
from voicestudio.models.s1 import S1Config, random_s1_model, tiny_s1_config
from voicestudio.models.s1.model import LayerCache, sine_table, text_audio_mask


def test_mask_text_sees_text_audio_sees_text_and_its_past_padding_is_hidden():
    text_ok = torch.tensor([[False, True, True]])  # one left-padded phone
    audio_ok = torch.tensor([[True, True, False]])  # one right-padded token
    allowed = text_audio_mask(text_ok, audio_ok)[0, 0].int().tolist()
    assert allowed == [
        [0, 1, 1, 0, 0, 0],
        [0, 1, 1, 0, 0, 0],
        [0, 1, 1, 0, 0, 0],
        [0, 1, 1, 1, 0, 0],
        [0, 1, 1, 1, 1, 0],
        [0, 1, 1, 1, 1, 0],
    ]


def test_sine_table_layout_and_growth_past_the_precomputed_length():
    table = sine_table(5000, 8)
    assert table[0].tolist() == [0.0, 1.0] * 4
    assert table[3, 0].item() == pytest.approx(math.sin(3.0))
    assert table[3, 3].item() == pytest.approx(math.cos(3.0 * 10000 ** (-2 / 8)))
    model = random_s1_model(tiny_s1_config(), seed=0)
    x = torch.zeros(1, 2, model.config.hidden_dim)
    with torch.inference_mode():  # grown while decoding...
        out = model.ar_audio_position(x, offset=4999)  # beyond the 4000 precomputed positions
    expected = sine_table(5001, model.config.hidden_dim)[4999:5001]
    torch.testing.assert_close(out[0], expected)
    model.ar_audio_position(x, offset=4999).sum().backward()  # ...and still usable in training
    assert model.ar_audio_position.alpha.grad is not None


def test_layer_cache_grows_in_blocks_and_keeps_everything():
    cache = LayerCache()
    steps = [torch.randn(2, 3, 1, 4) for _ in range(LayerCache.GROW_BY + 5)]
    for k in steps:
        keys, values = cache.extend(k, -k)
    torch.testing.assert_close(keys, torch.cat(steps, dim=2))
    torch.testing.assert_close(values, -torch.cat(steps, dim=2))
    cache.keep_rows(torch.tensor([1]))
    assert cache.keys is not None and cache.keys.shape[0] == 1


def _batch(seed: int):
    gen = torch.Generator().manual_seed(seed)
    phone_lens = torch.tensor([7, 4])
    phones = torch.randint(0, 732, (2, 7), generator=gen)
    phones[1, :3] = 0  # left padding
    bert = torch.randn(2, 1024, 7, generator=gen)
    bert[1, :, :3] = 0
    semantic_lens = torch.tensor([6, 9])
    semantic = torch.randint(0, 1024, (2, 9), generator=gen)
    semantic[0, 6:] = 0  # right padding
    return phones, phone_lens, semantic, semantic_lens, bert


def test_teacher_forced_shapes_targets_and_gradients():
    model = random_s1_model(tiny_s1_config(), seed=1)
    out = model.teacher_forced(*_batch(2))
    assert out.logits.shape == (2, 10, 1025)
    assert out.loss.ndim == 0 and out.loss.item() > 0
    assert 0.0 <= out.accuracy <= 1.0
    out.loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []


def test_teacher_forced_dropout_is_active_only_in_train_mode():
    model = random_s1_model(tiny_s1_config(), seed=1)
    batch = _batch(3)
    with torch.no_grad():
        first, second = model.teacher_forced(*batch), model.teacher_forced(*batch)
        torch.testing.assert_close(first.logits, second.logits, rtol=0, atol=0)
        model.train()
        third, fourth = model.teacher_forced(*batch), model.teacher_forced(*batch)
    assert not torch.allclose(third.logits, fourth.logits)
    cfg = model.config
    assert (cfg.attention_dropout, cfg.positional_dropout, cfg.token_dropout) == (0.1, 0.1, 0.0)


def test_malformed_training_batch_is_a_user_error():
    model = random_s1_model(tiny_s1_config(), seed=1)
    phones, phone_lens, semantic, semantic_lens, bert = _batch(4)
    with pytest.raises(UserInputError, match="BERT"):
        model.teacher_forced(phones, phone_lens, semantic, semantic_lens, bert[:, :, 1:])
    with pytest.raises(UserInputError, match="padded width"):
        model.teacher_forced(phones, phone_lens - 1, semantic, semantic_lens, bert)


@pytest.mark.parametrize(
    "sizes",
    [{"embedding_dim": 48}, {"n_head": 5}, {"eos": 7}, {"n_layer": 0}],
)
def test_impossible_sizes_are_rejected(sizes):
    with pytest.raises(UserInputError):
        S1Config(**{"embedding_dim": 32, "hidden_dim": 32, "n_head": 4, **sizes}).validate()
