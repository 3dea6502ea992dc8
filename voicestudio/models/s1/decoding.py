"""Turning phones into semantic tokens with S1: the autoregressive loop around the model.

One loop serves one sentence and a batch of sentences alike (a single sentence is a batch of
one). Text rows are left padded so every row ends at the same column, all rows advance one
token per step through the key/value cache, and a row leaves the batch as soon as it stops.

Stop rules, as upstream (facts 1.4, fixtures README section 2):
* EOS cannot be chosen in the first 11 steps (its column is dropped before sampling);
* a row stops when the sampled token or the arg-max of the penalised logits is EOS (the EOS
  itself is not kept);
* optional ``early_stop_num``: stop once more than that many new tokens exist (token kept);
* and, our addition, a hard cap relative to the phone count: a model that never says EOS
  stops there and the result says so (``stopped_by == LENGTH_CAP``), instead of droning on
  for upstream's fixed 1500 tokens.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import torch

from voicestudio.errors import UserInputError, VoiceStudioError
from voicestudio.jobs import CancelToken
from voicestudio.models.memory import release_freed_memory
from voicestudio.models.s1.model import KVCache, Text2SemanticModel
from voicestudio.models.s1.packed import PackedS1, WeightFormat, packed_for
from voicestudio.models.s1.sampling import SamplingParams, draw_tokens, penalize_repeats

NO_EOS_STEPS = 11  # upstream: at least 10 tokens (0.4 s) before a sentence may end


class StopReason(StrEnum):
    EOS = "eos"  # the model said the sentence is over
    EARLY_STOP = "early_stop"  # SamplingParams.early_stop_num reached
    LENGTH_CAP = "length_cap"  # runaway guard: too many tokens for the number of phones


class RunawayDecodeError(VoiceStudioError):
    """The model kept generating without ending the sentence."""


@dataclass
class DecodeResult:
    tokens: torch.Tensor  # (N,) new semantic tokens; prompt and EOS excluded
    stopped_by: StopReason
    final_step: int  # index of the last decoding step (upstream's ``idx``)
    token_cap: int  # the length cap this sentence ran under
    seed: int  # reproduces this exact result with the same inputs and settings

    @property
    def finished(self) -> bool:
        """True when the model ended the sentence itself."""
        return self.stopped_by is StopReason.EOS

    def raise_if_runaway(self) -> None:
        """For callers that treat a sentence without an ending as a failure."""
        if not self.finished:
            raise RunawayDecodeError(
                f"The voice model did not finish this sentence (it stopped at the limit of "
                f"{len(self.tokens)} sound tokens). Try generating it again, or shorten or "
                "rephrase the sentence."
            )


def decode(
    model: Text2SemanticModel,
    phone_ids: torch.Tensor,
    bert: torch.Tensor,
    prompt_tokens: torch.Tensor | None,
    params: SamplingParams | None = None,
    seed: int | None = None,
    cancel: CancelToken | None = None,
    weights: WeightFormat | str = WeightFormat.FP32,
) -> DecodeResult:
    """Semantic tokens for one sentence: ``phone_ids`` (T,), ``bert`` (bert_dim, T), the
    reference's semantic tokens ``prompt_tokens`` (P,) or None for reference-free synthesis.
    """
    return decode_batch(model, [phone_ids], [bert], prompt_tokens, params, seed, cancel,
                        weights)[0]


def decode_batch(
    model: Text2SemanticModel,
    phone_ids: Sequence[torch.Tensor],
    bert: Sequence[torch.Tensor],
    prompt_tokens: torch.Tensor | None,
    params: SamplingParams | None = None,
    seed: int | Sequence[int] | None = None,
    cancel: CancelToken | None = None,
    weights: WeightFormat | str = WeightFormat.FP32,
) -> list[DecodeResult]:
    """Several sentences at once, all continuing the same reference prompt (as in TTS use).

    Greedy results (top_k=1) equal decoding each sentence alone. With one ``seed`` the rows
    share one random stream, so sampled results depend on the batch; with one seed per row
    each row draws from its own stream and gets the tokens it gets decoded alone with that
    seed (what a narration needs: re-rendering one sentence reproduces its batched take).
    ``seed`` None picks a fresh one; the seed used is in every result.
    ``weights`` picks the decoder's weight format (``packed.py``): fp32 is the exact
    function, int8 a faster approximation.
    """
    params = params or SamplingParams()
    params.validate()
    if seed is None:
        seed = secrets.randbelow(2**62)
    if not isinstance(seed, int) and len(seed) != len(phone_ids):
        raise ValueError("give one seed per sentence, or one for the batch")
    release_freed_memory()  # what the last job (S2, features) freed: the cache goes there
    was_training = model.training
    model.eval()
    try:
        packed = packed_for(model, weights)
        return _decode_rows(packed, phone_ids, bert, prompt_tokens, params, seed, cancel)
    finally:
        model.train(was_training)
        release_freed_memory()  # the key/value cache: the next job must not start above it


@torch.inference_mode()
def _decode_rows(
    packed: PackedS1,
    phone_rows: Sequence[torch.Tensor],
    bert_rows: Sequence[torch.Tensor],
    prompt_tokens: torch.Tensor | None,
    params: SamplingParams,
    seed: int | Sequence[int],
    cancel: CancelToken | None,
) -> list[DecodeResult]:
    model = packed.model
    cfg = model.config
    weight = model.ar_predict_layer.weight
    device = weight.device
    prompt = _check_inputs(model, phone_rows, bert_rows, prompt_tokens)
    lengths = [row.numel() for row in phone_rows]
    caps = [params.token_cap(n) for n in lengths]
    n_rows, width = len(phone_rows), max(lengths)

    phone_ids = torch.zeros(n_rows, width, dtype=torch.long, device=device)  # left padded
    bert = torch.zeros(n_rows, cfg.bert_dim, width, dtype=weight.dtype, device=device)
    for row, (ids, feats) in enumerate(zip(phone_rows, bert_rows, strict=True)):
        phone_ids[row, width - ids.numel() :] = ids.to(device)
        bert[row, :, width - ids.numel() :] = feats.to(device=device, dtype=weight.dtype)
    pad = torch.tensor([width - n for n in lengths], device=device)
    text_ok = torch.arange(width, device=device) >= pad.unsqueeze(1)  # (B, Tx)

    prompt_len = 0 if prompt is None else prompt.numel()
    # Key mask for every step, built once: only the text's left padding is ever masked, so each
    # step uses the first Tx + P + new columns (a view) instead of concatenating a new mask.
    all_keys_ok = None
    if any(n != width for n in lengths):
        audio_ok = text_ok.new_ones(n_rows, prompt_len + max(caps))
        all_keys_ok = torch.cat([text_ok, audio_ok], dim=1)  # (B, Tx + P + max cap)
    # Every buffer that grows per step is allocated once at its final size: the history of
    # prompt + new tokens (a view of its first columns is used) and the key/value cache.
    tokens_so_far = torch.zeros(n_rows, prompt_len + max(caps), dtype=torch.long, device=device)
    if prompt is not None:
        tokens_so_far[:, :prompt_len] = prompt.to(device)
    seeds = [int(seed)] * n_rows if isinstance(seed, int) else [int(s) for s in seed]
    streams: torch.Generator | list[torch.Generator]
    if isinstance(seed, int):
        streams = torch.Generator(device=device).manual_seed(seeds[0])
    else:
        streams = [torch.Generator(device=device).manual_seed(s) for s in seeds]

    cache = KVCache(cfg.n_layer, capacity=width + prompt_len + max(caps))
    prompt_rows = tokens_so_far[:, :prompt_len] if prompt_len else None
    logits = packed.prefill(phone_ids, bert, text_ok, prompt_rows, cache)
    live = list(range(n_rows))  # original row of each batch row still decoding
    results: list[DecodeResult | None] = [None] * n_rows
    for step in range(max(caps)):
        if cancel is not None:
            cancel.raise_if_cancelled()
        logits = logits.float()
        if step < NO_EOS_STEPS:
            logits = logits[:, : cfg.eos]  # (B, V - 1): EOS cannot be chosen yet
        penalize_repeats(logits, tokens_so_far[:, : prompt_len + step], params.repetition_penalty)
        greedy = logits.argmax(dim=-1)
        tokens = draw_tokens(logits, params, streams)  # (B,)
        tokens_so_far[:, prompt_len + step] = tokens
        n_new = step + 1
        history = tokens_so_far[:, : prompt_len + n_new]

        said_eos = ((tokens == cfg.eos) | (greedy == cfg.eos)).tolist()
        keep = []
        for row, original in enumerate(live):
            reason = _stop_reason(said_eos[row], n_new, caps[original], params.early_stop_num)
            if reason is None:
                keep.append(row)
                continue
            end = history.shape[1] - (1 if reason is StopReason.EOS else 0)
            results[original] = DecodeResult(
                history[row, prompt_len:end].clone(), reason, step, caps[original],
                seeds[original],
            )
        if not keep:
            break
        if len(keep) < len(live):
            rows = torch.tensor(keep, device=device)
            tokens_so_far = tokens_so_far[rows]
            if all_keys_ok is not None:
                all_keys_ok = all_keys_ok[rows]
            cache.keep_rows(rows)
            live = [live[row] for row in keep]
            if isinstance(streams, list):
                streams = [streams[row] for row in keep]

        keys_ok = None if all_keys_ok is None else all_keys_ok[:, : width + prompt_len + n_new]
        newest = tokens_so_far[:, prompt_len + step : prompt_len + n_new]
        logits = packed.step(newest, prompt_len + step, keys_ok, cache)

    finished = [result for result in results if result is not None]
    assert len(finished) == n_rows, "every row stops by its length cap at the latest"
    return finished


def _stop_reason(said_eos: bool, n_new: int, cap: int, early_stop_num: int) -> StopReason | None:
    if said_eos:
        return StopReason.EOS
    if early_stop_num != -1 and n_new > early_stop_num:
        return StopReason.EARLY_STOP
    if n_new >= cap:
        return StopReason.LENGTH_CAP
    return None


def _check_inputs(
    model: Text2SemanticModel,
    phone_rows: Sequence[torch.Tensor],
    bert_rows: Sequence[torch.Tensor],
    prompt_tokens: torch.Tensor | None,
) -> torch.Tensor | None:
    """Reject inputs that would crash deep inside the model; return the prompt as (P,) or None."""
    cfg = model.config
    if not phone_rows or len(phone_rows) != len(bert_rows):
        raise UserInputError("Give one set of BERT features for each sentence to synthesise.")
    for index, (ids, feats) in enumerate(zip(phone_rows, bert_rows, strict=True)):
        where = f"sentence {index + 1}"
        if ids.dim() != 1 or ids.numel() == 0:
            raise UserInputError(f"There is nothing to say in {where}: it has no phonemes.")
        if int(ids.min()) < 0 or int(ids.max()) >= cfg.phoneme_vocab_size:
            raise UserInputError(
                f"{where.capitalize()} contains phoneme ids this voice model does not know "
                f"(valid: 0-{cfg.phoneme_vocab_size - 1}); the text frontend and model disagree."
            )
        if tuple(feats.shape) != (cfg.bert_dim, ids.numel()):
            raise UserInputError(
                f"The BERT features of {where} have shape {tuple(feats.shape)}, expected "
                f"({cfg.bert_dim}, {ids.numel()}): one feature column per phoneme."
            )
    if prompt_tokens is None or prompt_tokens.numel() == 0:
        return None
    if prompt_tokens.dim() == 2 and prompt_tokens.shape[0] == 1:
        prompt_tokens = prompt_tokens[0]
    if prompt_tokens.dim() != 1:
        raise UserInputError("Give the reference's sound tokens as one sequence (shared by all).")
    prompt = prompt_tokens.long()
    if int(prompt.min()) < 0 or int(prompt.max()) >= cfg.eos:
        raise UserInputError(
            f"The reference's sound tokens must lie in 0-{cfg.eos - 1}; extract them again."
        )
    return prompt
