"""Choosing the next semantic token from S1 logits, in GPT-SoVITS's order.

The order matters and is part of how the public models were tuned (facts 1.4):
repetition penalty -> top-p on the un-tempered logits -> temperature -> top-k -> a sample drawn
with the exponential race (``argmax(p / Exp(1))``, equivalent to a multinomial draw without a
device sync). The penalty works in place on purpose: the decoder's EOS test looks at the
penalised logits, as upstream's does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from voicestudio.errors import UserInputError

UPSTREAM_MAX_NEW_TOKENS = 1500  # upstream's loop limit per sentence (60 s of audio)


@dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens and when to give up. Defaults are upstream's TTS / WebUI defaults."""

    top_k: int = 15
    top_p: float = 1.0  # 1.0 = nucleus filtering off
    temperature: float = 1.0
    repetition_penalty: float = 1.35  # 1.0 = off
    # Upstream's optional limit: stop once MORE than this many new tokens exist (-1 = off).
    early_stop_num: int = -1
    # Runaway guard: at most this many tokens per input phone (prompt phones included)...
    # Training data had >= 3 phones per second, i.e. <= 8.3 tokens per phone at 25 Hz.
    max_tokens_per_phone: float = 10.0
    # ...never fewer than this (short sentences still get room to finish)...
    min_token_cap: int = 50
    # ...and never more than upstream's own loop limit.
    max_new_tokens: int = UPSTREAM_MAX_NEW_TOKENS

    def validate(self) -> None:
        problems = []
        if self.top_k < 1:
            problems.append("top_k must be at least 1")
        if not 0.0 < self.top_p <= 1.0:
            problems.append("top_p must be in (0, 1]")
        if not self.temperature > 0.0:
            problems.append("temperature must be above 0")
        if not self.repetition_penalty > 0.0:
            problems.append("repetition_penalty must be above 0")
        if self.early_stop_num < -1:
            problems.append("early_stop_num must be -1 (off) or at least 0")
        if not self.max_tokens_per_phone > 0.0 or self.max_new_tokens < 1:
            problems.append("the length limits must be positive")
        if problems:
            raise UserInputError("Invalid generation settings: " + "; ".join(problems) + ".")

    def token_cap(self, n_phones: int) -> int:
        """How many tokens a sentence with ``n_phones`` input phones may produce at most."""
        by_phones = math.ceil(n_phones * self.max_tokens_per_phone)
        return max(1, min(self.max_new_tokens, max(self.min_token_cap, by_phones)))


def penalize_repeats(logits: torch.Tensor, history: torch.Tensor, penalty: float) -> None:
    """In place: every token id in ``history`` (B, P) has its logit divided by ``penalty`` when
    positive, multiplied when negative. Each id is penalised once however often it occurred.
    """
    if penalty == 1.0 or history.shape[1] == 0:
        return
    history = history.long()
    scores = logits.gather(1, history)  # (B, P)
    scores = torch.where(scores < 0, scores * penalty, scores / penalty)
    logits.scatter_(1, history, scores)


def keep_top_p(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Drop tokens once the cumulative probability (that token included) passes ``top_p``;
    the most likely token always stays. (Upstream does not shift the cut by one, neither do we.)
    """
    if top_p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, descending=True)
    cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    drop_sorted = cumulative > top_p
    drop_sorted[:, 0] = False
    drop = drop_sorted.scatter(1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def keep_top_k(logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """Keep every token whose logit reaches the k-th largest (ties at the pivot stay)."""
    kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]  # (B, 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def draw_tokens(
    penalized: torch.Tensor,
    params: SamplingParams,
    generator: torch.Generator | Sequence[torch.Generator],
) -> torch.Tensor:
    """(B, V) logits, already repetition-penalised -> (B,) sampled token ids.

    ``generator`` is one random stream for the whole batch, or one per row: with a stream per
    row a row's draws do not depend on which other rows share its batch.
    """
    logits = keep_top_p(penalized, params.top_p)
    logits = logits / max(params.temperature, 1e-5)
    logits = keep_top_k(logits, params.top_k)
    probs = torch.softmax(logits, dim=-1)
    if isinstance(generator, torch.Generator):
        race = torch.empty_like(probs).exponential_(1.0, generator=generator)
    else:
        race = torch.stack([torch.empty_like(row).exponential_(1.0, generator=stream)
                            for row, stream in zip(probs, generator, strict=True)])
    return torch.argmax(probs / race, dim=-1)
