"""Continuous batching gives every sentence the tokens it gets decoded alone."""

from __future__ import annotations

import pytest
import torch

from voicestudio.errors import UserInputError
from voicestudio.models.s1 import (
    KVCache,
    SamplingParams,
    decode,
    random_s1_model,
    tiny_s1_config,
)
from voicestudio.models.s1.continuous import _Slots, decode_continuous
from voicestudio.models.s1.packed import packed_for


@pytest.fixture(scope="module")
def model():
    return random_s1_model(tiny_s1_config(), seed=11).eval()


def _sentences(lengths: list[int], seed: int):
    gen = torch.Generator().manual_seed(seed)
    phones = [torch.randint(0, 732, (n,), generator=gen) for n in lengths]
    bert = [0.3 * torch.randn(1024, n, generator=gen) for n in lengths]
    return phones, bert


PROMPT = torch.arange(20, 28)


@pytest.mark.parametrize("weights", ["fp32", "bf16"])
@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize(
    "params",
    [SamplingParams(top_k=1, max_tokens_per_phone=3.0, min_token_cap=5),
     SamplingParams(top_k=20, temperature=0.9, max_tokens_per_phone=3.0, min_token_cap=5)],
    ids=["greedy", "sampled"],
)
def test_each_sentence_equals_its_decode_alone(model, params, batch_size, weights):
    """In every weight format: a narration re-renders one sentence alone and must get the
    take it heard in the chapter."""
    phones, bert = _sentences([7, 3, 9, 5, 4, 8], seed=batch_size)
    seeds = [100 + i for i in range(len(phones))]
    finished: list[int] = []
    got = decode_continuous(model, phones, bert, PROMPT, params, seeds, batch_size,
                            weights=weights, on_result=lambda index, _: finished.append(index))
    assert sorted(finished) == list(range(len(phones)))  # each reported once, as it ended
    for i, (ids, feats) in enumerate(zip(phones, bert, strict=True)):
        alone = decode(model, ids, feats, PROMPT, params, seed=seeds[i], weights=weights)
        assert got[i].tokens.tolist() == alone.tokens.tolist(), f"sentence {i}"
        assert got[i].stopped_by == alone.stopped_by
        assert got[i].final_step == alone.final_step and got[i].seed == seeds[i]


def test_reference_free_sentences_stream_too(model):
    phones, bert = _sentences([6, 4, 5], seed=9)
    params = SamplingParams(top_k=1, max_tokens_per_phone=3.0, min_token_cap=5)
    got = decode_continuous(model, phones, bert, None, params, [1, 2, 3], batch_size=2)
    for i in range(3):
        assert got[i].tokens.tolist() == decode(model, phones[i], bert[i], None, params,
                                                seed=i + 1).tokens.tolist()


def test_a_batch_of_no_rows_is_a_user_error(model):
    phones, bert = _sentences([4], seed=1)
    with pytest.raises(UserInputError, match="batch size"):
        decode_continuous(model, phones, bert, PROMPT, batch_size=0)


@torch.inference_mode()
def test_a_bf16_step_in_the_shared_buffer_is_its_step_alone(model):
    """A row whose keys sit after other rows' columns gets the logits it gets alone, up to
    the fp32 output layer's rounding at another batch size (1e-7): a different bf16 rounding
    inside (1e-3) changed 5 of 12 full-size sentences' tokens."""
    packed = packed_for(model, "bf16")
    phones, bert = _sentences([9, 4], seed=21)
    n_prompt = PROMPT.numel()

    def prefilled(i: int) -> KVCache:
        cache = KVCache(model.config.n_layer, capacity=phones[i].numel() + n_prompt + 1)
        text_ok = torch.ones(1, phones[i].numel(), dtype=torch.bool)
        packed.prefill(phones[i][None], bert[i][None], text_ok, PROMPT[None], cache)
        return cache

    slots = _Slots(packed, 2, capacity=9 + n_prompt + 4)
    slots.column = 9 + n_prompt
    slots.place(0, prefilled(0))
    slots.place(1, prefilled(1))  # its keys start 5 columns into the buffer
    newest = torch.tensor([[3], [7]])
    shared = packed.step(newest, torch.tensor([n_prompt, n_prompt]), slots.keys_ok(), slots)
    alone = packed.step(newest[1:], n_prompt, None, prefilled(1))
    torch.testing.assert_close(shared[1], alone[0], rtol=0, atol=1e-6)
