"""A fast stand-in renderer for the narration engine tests: speech-like audio whose length
follows the text and whose sound follows the text and the seed, and a record of every
sentence it was asked to render (the tests count renders)."""

from __future__ import annotations

import hashlib

import numpy as np
from synth_signals import babble

from voicestudio.synthesis.pipeline import RenderedSentence
from voicestudio.text.sentences import spoken_length


class CountingRenderer:
    sample_rate = 32000

    def __init__(self, identity: str = "fake-model") -> None:
        self.identity = identity
        self.calls: list[list[str]] = []  # the texts of each render call
        self.replace: dict[str, np.ndarray] = {}  # text -> audio to return instead

    @property
    def rendered(self) -> list[str]:
        return [text for call in self.calls for text in call]

    def parameters(self) -> dict:
        return {"fake": 1}

    def render(self, sentences, lexicon, progress=None, cancel=None):
        self.calls.append([s.text for s in sentences])
        out = []
        for spec in sentences:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if spec.text in self.replace:
                audio = self.replace[spec.text]
            else:
                digest = hashlib.sha256(f"{spec.text}|{spec.seed}".encode()).digest()
                seconds = 0.25 * max(spoken_length(spec.text), 2.0) / spec.speed
                audio = babble(seconds, self.sample_rate, seed=int.from_bytes(digest[:4], "big"))
            out.append(RenderedSentence(audio, 10, 10, spec.seed, 1, ""))
        return out
