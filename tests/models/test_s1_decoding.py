"""S1 decoding on tiny random models: cache vs recompute, batch vs single, stop rules, sampling."""

from __future__ import annotations

import pytest
import torch

from voicestudio.errors import JobCancelled, UserInputError
from voicestudio.jobs import CancelToken
from voicestudio.models.s1 import (
    KVCache,
    RunawayDecodeError,
    SamplingParams,
    StopReason,
    Text2SemanticModel,
    decode,
    decode_batch,
    random_s1_model,
    tiny_s1_config,
)
from voicestudio.models.s1.decoding import NO_EOS_STEPS
from voicestudio.models.s1.model import text_audio_mask
from voicestudio.models.s1.sampling import draw_tokens, keep_top_k, keep_top_p, penalize_repeats

GREEDY = SamplingParams(top_k=1, repetition_penalty=1.35)


@pytest.fixture(scope="module")
def model() -> Text2SemanticModel:
    return random_s1_model(tiny_s1_config(), seed=3)


def _sentence(seed: int, n_phones: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    phones = torch.randint(0, 732, (n_phones,), generator=gen)
    bert = 0.3 * torch.randn(1024, n_phones, generator=gen)
    return phones, bert


def _prompt(seed: int, n: int = 6) -> torch.Tensor:
    return torch.randint(0, 1024, (n,), generator=torch.Generator().manual_seed(seed))


def _full_recompute_logits(model, phones, bert, audio_tokens) -> torch.Tensor:
    """Logits after the last of ``audio_tokens`` by running the whole sequence again."""
    text = model.embed_text(phones[None], bert[None])  # (1, Tx, C)
    audio = model.embed_audio(audio_tokens[None])  # (1, Ty, C)
    mask = text_audio_mask(
        torch.ones(1, phones.numel(), dtype=torch.bool),
        torch.ones(1, audio_tokens.numel(), dtype=torch.bool),
    )
    hidden = model.hidden_states(torch.cat([text, audio], dim=1), mask)
    return model.ar_predict_layer(hidden[:, -1])[0]


@torch.no_grad()
def test_cached_steps_equal_full_recompute_with_left_padding(model):
    rows = [_sentence(1, 9), _sentence(2, 5)]
    prompt = _prompt(7)
    continuation = _prompt(8, n=12)
    width = 9
    phone_ids = torch.zeros(2, width, dtype=torch.long)
    bert = torch.zeros(2, 1024, width)
    for i, (ids, feats) in enumerate(rows):
        phone_ids[i, width - ids.numel() :] = ids
        bert[i, :, width - ids.numel() :] = feats
    text_ok = torch.tensor([[True] * 9, [False] * 4 + [True] * 5])
    cache = KVCache(model.config.n_layer)
    history = prompt.expand(2, -1)
    logits = model.prefill(phone_ids, bert, text_ok, history, cache)
    for step, token in enumerate([*continuation, None]):
        for row, (ids, feats) in enumerate(rows):
            expected = _full_recompute_logits(model, ids, feats, history[row])
            torch.testing.assert_close(logits[row], expected, atol=1e-5, rtol=1e-5)
        if token is None:
            break
        history = torch.cat([history, token.expand(2, 1)], dim=1)
        keys_ok = torch.cat([text_ok, torch.ones(2, history.shape[1], dtype=torch.bool)], dim=1)
        logits = model.step(history[:, -1:], prompt.numel() + step, keys_ok, cache)
    assert cache.length == width + history.shape[1]  # the prefix was never recomputed


def _naive_decode(model, phones, bert, prompt, params, seed) -> list[int]:
    """Reference loop without a cache: every step recomputes the whole sequence."""
    generator = torch.Generator().manual_seed(seed)
    history = prompt.clone()
    new: list[int] = []
    for step in range(params.token_cap(phones.numel())):
        logits = _full_recompute_logits(model, phones, bert, history)[None].float()
        if step < NO_EOS_STEPS:
            logits = logits[:, :-1]
        penalize_repeats(logits, history[None], params.repetition_penalty)
        token = int(draw_tokens(logits, params, generator))
        if token == 1024 or int(logits.argmax()) == 1024:
            break
        new.append(token)
        history = torch.cat([history, torch.tensor([token])])
    return new


@pytest.mark.parametrize(
    "params",
    [
        SamplingParams(top_k=1, repetition_penalty=1.35, max_new_tokens=30),
        SamplingParams(top_k=20, top_p=0.9, temperature=0.8, max_new_tokens=30),
    ],
    ids=["greedy", "sampled"],
)
@torch.no_grad()
def test_decode_with_cache_equals_naive_recompute(model, params):
    phones, bert = _sentence(4, 7)
    prompt = _prompt(5)
    expected = _naive_decode(model, phones, bert, prompt, params, seed=11)
    result = decode(model, phones, bert, prompt, params, seed=11)
    assert result.tokens.tolist() == expected
    assert result.seed == 11


@pytest.mark.parametrize("with_prompt", [True, False], ids=["prompt", "ref_free"])
def test_batched_greedy_decode_equals_one_by_one(model, with_prompt):
    # A short per-phone cap makes the rows stop at different steps, so rows leave mid-batch.
    params = SamplingParams(top_k=1, max_tokens_per_phone=2.0, min_token_cap=1)
    sentences = [_sentence(10, 8), _sentence(11, 14), _sentence(12, 5)]
    prompt = _prompt(13) if with_prompt else None
    phones_list, bert_list = [s[0] for s in sentences], [s[1] for s in sentences]
    batch = decode_batch(model, phones_list, bert_list, prompt, params)
    for (phones, bert), together in zip(sentences, batch, strict=True):
        alone = decode(model, phones, bert, prompt, params)
        assert together.tokens.tolist() == alone.tokens.tolist()
        assert (together.stopped_by, together.final_step) == (alone.stopped_by, alone.final_step)
    assert len({len(r.tokens) for r in batch}) == 3


def _force_constant_output(model: Text2SemanticModel, eos_logit_sign: float) -> Text2SemanticModel:
    """A copy whose last layer always outputs ones, with the EOS logit far below (-1) or far
    above (+1) every other logit: a model that never / always wants to stop.
    """
    forced = random_s1_model(model.config, seed=3)
    with torch.no_grad():
        last = forced.h.layers[-1].norm2
        last.weight.zero_()
        last.bias.fill_(1.0)
        forced.ar_predict_layer.weight[1024] = eos_logit_sign * 1e3
    return forced


def test_length_cap_stops_a_model_that_never_says_eos_and_reports_it(model):
    never = _force_constant_output(model, -1.0)
    phones, bert = _sentence(20, 6)
    params = SamplingParams(top_k=5, max_tokens_per_phone=4.0, min_token_cap=1)
    result = decode(never, phones, bert, _prompt(21), params, seed=1)
    assert result.stopped_by is StopReason.LENGTH_CAP
    assert len(result.tokens) == result.token_cap == 24 == params.token_cap(6)
    assert not result.finished
    with pytest.raises(RunawayDecodeError):
        result.raise_if_runaway()


def test_length_cap_is_relative_to_phones_and_bounded():
    params = SamplingParams()
    assert params.token_cap(3) == params.min_token_cap
    assert params.token_cap(20) == 200
    assert params.token_cap(10_000) == params.max_new_tokens == 1500


def test_eos_is_refused_during_the_first_eleven_steps(model):
    always = _force_constant_output(model, +1.0)
    phones, bert = _sentence(22, 6)
    result = decode(always, phones, bert, _prompt(23), GREEDY, seed=0)
    assert result.stopped_by is StopReason.EOS and result.finished
    assert result.final_step == NO_EOS_STEPS
    assert len(result.tokens) == NO_EOS_STEPS and 1024 not in result.tokens.tolist()
    result.raise_if_runaway()  # a finished sentence is not a runaway


def test_early_stop_keeps_the_last_token(model):
    params = SamplingParams(top_k=1, early_stop_num=5)
    phones, bert = _sentence(24, 6)
    result = decode(model, phones, bert, _prompt(25), params)
    # EOS cannot come this early (first 11 steps), so early_stop_num decides.
    assert result.stopped_by is StopReason.EARLY_STOP
    assert len(result.tokens) == 6 and result.final_step == 5


def test_seed_reproduces_a_sampled_result(model):
    params = SamplingParams(top_k=50, temperature=1.0, max_new_tokens=30)
    phones, bert = _sentence(26, 6)
    first = decode(model, phones, bert, _prompt(27), params)
    again = decode(model, phones, bert, _prompt(27), params, seed=first.seed)
    other = decode(model, phones, bert, _prompt(27), params, seed=first.seed + 1)
    assert again.tokens.tolist() == first.tokens.tolist()
    assert other.tokens.tolist() != first.tokens.tolist()


def test_decode_leaves_training_mode_as_it_was(model):
    phones, bert = _sentence(28, 4)
    model.train()
    try:
        decode(model, phones, bert, None, SamplingParams(top_k=1, max_new_tokens=3))
        assert model.training
    finally:
        model.eval()


def test_cancel_stops_decoding(model):
    token = CancelToken()
    token.cancel()
    phones, bert = _sentence(29, 4)
    with pytest.raises(JobCancelled):
        decode(model, phones, bert, None, GREEDY, cancel=token)


@pytest.mark.parametrize(
    "change",
    [
        lambda p, b, q: (p[:0], b[:, :0], q),
        lambda p, b, q: (p + 800, b, q),
        lambda p, b, q: (p, b[:, 1:], q),
        lambda p, b, q: (p, b, torch.tensor([1, 1024])),
        lambda p, b, q: (p, b, q.expand(2, -1)),
    ],
    ids=["no_phones", "unknown_phone", "bert_width", "eos_in_prompt", "two_prompts"],
)
def test_bad_inputs_are_user_errors(model, change):
    phones, bert, prompt = change(*_sentence(30, 5), _prompt(31))
    with pytest.raises(UserInputError):
        decode(model, phones, bert, prompt, GREEDY)


@pytest.mark.parametrize(
    "params",
    [
        SamplingParams(top_k=0),
        SamplingParams(top_p=0.0),
        SamplingParams(temperature=0.0),
        SamplingParams(repetition_penalty=0.0),
        SamplingParams(early_stop_num=-2),
        SamplingParams(max_new_tokens=0),
    ],
)
def test_invalid_sampling_settings_are_user_errors(params):
    with pytest.raises(UserInputError):
        params.validate()


def test_repetition_penalty_divides_positive_multiplies_negative_once_per_token():
    logits = torch.tensor([[2.0, -2.0, 3.0, 1.0]])
    penalize_repeats(logits, torch.tensor([[0, 1, 0, 0]]), 2.0)
    assert logits.tolist() == [[1.0, -4.0, 3.0, 1.0]]


def test_top_p_cuts_where_the_running_total_passes_p_keeping_the_first():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    kept = torch.isfinite(keep_top_p(logits, 0.7)).tolist()
    assert kept == [[True, False, False]]  # 0.5 + 0.3 > 0.7: token 1 goes too (no shift)
    assert torch.isfinite(keep_top_p(logits, 0.4)).tolist() == [[True, False, False]]
    assert torch.equal(keep_top_p(logits, 1.0), logits)


def test_top_k_keeps_ties_at_the_pivot():
    logits = torch.tensor([[1.0, 3.0, 2.0, 2.0, 0.0]])
    assert torch.isfinite(keep_top_k(logits, 2)).tolist() == [[False, True, True, True, False]]


def test_top_p_is_applied_before_temperature():
    # Tempered at 10 the three tokens look alike and p=0.7 would keep two; upstream filters
    # the un-tempered distribution, which keeps only the most likely token.
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    params = SamplingParams(top_k=3, top_p=0.7, temperature=10.0)
    draws = {
        int(draw_tokens(logits.clone(), params, torch.Generator().manual_seed(seed)))
        for seed in range(40)
    }
    assert draws == {0}


def _devices() -> list[str]:
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    backend = getattr(torch.backends, "mps", None)
    if backend is not None and backend.is_available():
        found.append("mps")
    return found


@pytest.mark.skipif(not _devices(), reason="no GPU (CUDA or MPS) on this machine")
@pytest.mark.parametrize("device", _devices())
def test_decode_on_accelerator_matches_cpu(model, device):
    phones, bert = _sentence(40, 9)
    params = SamplingParams(top_k=1, max_new_tokens=40)
    on_cpu = decode(model, phones, bert, _prompt(41), params, seed=2)
    moved = random_s1_model(model.config, seed=3).to(device)
    on_device = decode(moved, phones, bert, _prompt(41), params, seed=2)
    assert on_device.tokens.device.type == device
    assert on_device.tokens.tolist() == on_cpu.tokens.tolist()
    if device == "cuda":  # upstream's inference precision there
        half = decode(moved.half(), phones, bert, _prompt(41), params, seed=2)
        assert half.tokens.device.type == "cuda" and len(half.tokens) > 0
