"""The text frontend as synthesis and training use it: text -> phone ids + BERT features.

``TextFrontend.phones_and_bert`` follows GPT-SoVITS v2's inference rules so a checkpoint
hears what it was trained on: runs of 2+ spaces collapse to one, mixed text is split into
Chinese and English segments, each segment is cleaned on its own, Chinese segments get BERT
features and others zeros, and a result shorter than 6 phones is redone with a leading "."
(very short inputs otherwise make S1 stop or babble).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from voicestudio.errors import UserInputError
from voicestudio.text.cleaner import CleanedText, LanguageCleaner
from voicestudio.text.en_normalize import expand_titles
from voicestudio.text.lang_segment import segments_for_mode
from voicestudio.text.lexicon import UserLexicon
from voicestudio.text.symbols import PUNCTUATION
from voicestudio.text.zh_polyphones import PolyphoneResolver

MODES = ("zh", "en", "auto", "all_zh")
BERT_DIM = 1024  # chinese-roberta-wwm-ext-large hidden size; S1's bert_proj input
_MIN_PHONES = 6


class PhoneFeatureSource(Protocol):
    """What the frontend needs from a BERT extractor (see ``bert_features``)."""

    hidden_size: int

    def phone_features(self, norm_text: str, word2ph: list[int]) -> Any: ...


@dataclass(frozen=True)
class Phonemized:
    """Everything the frontend decided for a text, segment by segment."""

    norm_text: str
    segments: list[CleanedText]

    @property
    def phones(self) -> list[str]:
        return [p for s in self.segments for p in s.phones]

    @property
    def has_speech(self) -> bool:
        """Whether any phone is a sound rather than a pause."""
        return any(p not in PUNCTUATION for p in self.phones)

    @property
    def phone_ids(self) -> list[int]:
        return [i for s in self.segments for i in s.phone_ids]

    @property
    def word2ph(self) -> list[int] | None:
        """Phones per normalised character, or None when an English segment has no such count."""
        if any(s.word2ph is None for s in self.segments):
            return None
        return [n for s in self.segments for n in s.word2ph or []]


@dataclass(frozen=True)
class PhonesAndBert:
    """S1's text inputs: phone ids, a (hidden, n_phones) feature tensor, and what was read."""

    phone_ids: list[int]
    bert: Any
    norm_text: str
    segments: list[CleanedText]


class TextFrontend:
    """Text in any supported mode -> phones, honouring a user lexicon and polyphone model."""

    def __init__(
        self, lexicon: UserLexicon | None = None, polyphones: PolyphoneResolver | None = None
    ) -> None:
        lexicon = lexicon or UserLexicon()
        self.cleaner = LanguageCleaner(lexicon.zh, lexicon.en, polyphones)

    def clean(self, text: str, lang: str) -> CleanedText:
        """One language's cleaner on the whole text (no language splitting)."""
        return self.cleaner.clean(text, lang)

    def phonemize(self, text: str, mode: str = "zh", retry_short: bool = True) -> Phonemized:
        """Split by language per ``mode`` and clean each segment (upstream inference rules)."""
        if mode not in MODES:
            raise UserInputError(f"Unknown language mode '{mode}'; use one of: {', '.join(MODES)}.")
        # Titles first: in "Dr. 张" the title and the name end up in different segments.
        text = re.sub(r" {2,}", " ", expand_titles(text))
        segments = [self.cleaner.clean(s.text, s.lang) for s in segments_for_mode(text, mode)]
        result = Phonemized("".join(s.norm_text for s in segments), segments)
        if retry_short and len(result.phone_ids) < _MIN_PHONES:
            return self.phonemize("." + text, mode, retry_short=False)
        return result

    def phones_and_bert(
        self,
        text: str,
        mode: str = "zh",
        bert: PhoneFeatureSource | None = None,
        require_speech: bool = True,
    ) -> PhonesAndBert:
        """Phone ids and per-phone BERT features; zeros where there is no Chinese or no model.

        With ``require_speech`` a text that yields only pauses (emoji, Japanese, symbols)
        is refused instead of being sent to S1, which would babble.
        """
        import torch

        result = self.phonemize(text, mode)
        if require_speech and not result.has_speech:
            raise UserInputError(
                "Nothing in this text can be read aloud. VoiceStudio reads Chinese and English."
            )
        dim = bert.hidden_size if bert is not None else BERT_DIM
        blocks = []
        for segment in result.segments:
            if segment.lang == "zh" and bert is not None and segment.word2ph:
                blocks.append(bert.phone_features(segment.norm_text, segment.word2ph))
            else:
                blocks.append(torch.zeros(dim, len(segment.phone_ids), dtype=torch.float32))
        features = torch.cat(blocks, dim=1)
        return PhonesAndBert(result.phone_ids, features, result.norm_text, result.segments)


@cache
def default_frontend() -> TextFrontend:
    """A shared frontend without user lexicon (loading the English model takes seconds)."""
    return TextFrontend()


def get_phones_and_bert(
    text: str, mode: str = "zh", bert: PhoneFeatureSource | None = None
) -> PhonesAndBert:
    """Entry point for the synthesis pipeline (no user lexicon: with one, build a
    ``TextFrontend(lexicon)`` once and call its ``phones_and_bert`` per sentence)."""
    return default_frontend().phones_and_bert(text, mode, bert)
