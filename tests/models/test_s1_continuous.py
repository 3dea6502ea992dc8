"""Continuous batching gives every sentence the tokens it gets decoded alone."""

from __future__ import annotations

import pytest
import torch

from voicestudio.errors import UserInputError
from voicestudio.models.s1 import SamplingParams, decode, random_s1_model, tiny_s1_config
from voicestudio.models.s1.continuous import decode_continuous


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
