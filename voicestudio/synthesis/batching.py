"""Grouping sentences into S1 decoding batches.

S1 decodes a batch in lock step: every row pays for the longest text in its prefill, and the
batch runs until its slowest row says EOS. Sentences of similar length therefore go together
(upstream's "split bucket"): sort by phone count, then fill batches in that order while the
shortest row keeps at least ``min_length_ratio`` of the longest. Results go back to the
original order, so batching never changes which audio belongs to which sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from voicestudio.errors import UserInputError

DEFAULT_BATCH_SIZE = 8
DEFAULT_MIN_LENGTH_RATIO = 0.5


def plan_batches(
    lengths: Sequence[int],
    batch_size: int = DEFAULT_BATCH_SIZE,
    min_length_ratio: float = DEFAULT_MIN_LENGTH_RATIO,
) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches; every index appears exactly once.

    The order is deterministic (ties keep text order), so the same text and settings give the
    same batches and therefore, with a seed, the same audio.
    """
    if batch_size < 1:
        raise UserInputError("The batch size must be at least 1.")
    if not 0.0 <= min_length_ratio <= 1.0:
        raise UserInputError("The batch length ratio must lie between 0 and 1.")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    for index in order:
        current = batches[-1] if batches else None
        fits = (
            current is not None
            and len(current) < batch_size
            and lengths[current[0]] >= min_length_ratio * lengths[index]
        )
        if fits:
            current.append(index)
        else:
            batches.append([index])
    return batches
