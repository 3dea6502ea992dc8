"""Joining sentences with pauses."""

from __future__ import annotations

import numpy as np
import pytest

from voicestudio.errors import UserInputError
from voicestudio.synthesis.joining import Pauses, join_fragments

SR = 32000


def test_pauses_between_sentences_longer_after_a_paragraph():
    fragments = [np.full(1000, 0.5, np.float32), np.full(2000, -0.5, np.float32),
                 np.full(500, 0.25, np.float32)]
    joined = join_fragments(fragments, SR, [True, False, False],
                            Pauses(sentence_seconds=0.25, paragraph_seconds=0.5))
    assert joined.spans == [(0, 1000), (1000 + 16000, 3000 + 16000),
                            (3000 + 16000 + 8000, 3500 + 24000)]
    assert joined.audio.size == 3500 + 24000  # nothing after the last sentence
    assert not joined.audio[1000:17000].any()
    for (start, end), fragment in zip(joined.spans, fragments, strict=True):
        piece = joined.audio[start:end]
        assert abs(piece[0]) < 0.01 and abs(piece[-1]) < 0.01  # faded: no click at the join
        assert piece[end - start - 1 - 200] == fragment[0]  # untouched inside


def test_only_an_overshooting_fragment_is_scaled():
    loud = np.array([0.0, 3.0, -1.5, 0.0] * 100, np.float32)
    quiet = np.array([0.0, 0.5, -0.25, 0.0] * 100, np.float32)
    joined = join_fragments([loud, quiet], SR, pauses=Pauses(fade_seconds=0))
    (a, b), (c, d) = joined.spans
    assert np.abs(joined.audio[a:b]).max() == pytest.approx(1.0)
    assert np.abs(joined.audio[c:d]).max() == pytest.approx(0.5)


def test_bad_pauses_are_refused():
    with pytest.raises(UserInputError):
        join_fragments([np.ones(10)], SR, pauses=Pauses(sentence_seconds=-1))
