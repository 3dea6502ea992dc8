"""One language's text -> normalised text, phones, phones-per-character and model ids.

This is the per-segment step of the frontend (upstream's ``clean_text``). Mixed text is
first split by ``lang_segment``; ``frontend`` strings the segments together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voicestudio.errors import UserInputError
from voicestudio.text.en_g2p import EnglishG2P
from voicestudio.text.en_normalize import normalize_en
from voicestudio.text.symbols import phones_to_ids
from voicestudio.text.zh_g2p import MandarinG2P
from voicestudio.text.zh_normalize import normalize_zh
from voicestudio.text.zh_polyphones import PolyphoneResolver

LANGUAGES = ("zh", "en")
# The English models need a few phones to start speaking; shorter results get a lead pause.
_MIN_EN_PHONES = 4


@dataclass(frozen=True)
class CleanedText:
    """Phones for one language segment; ``word2ph`` is per character of ``norm_text`` (zh)."""

    lang: str
    norm_text: str
    phones: list[str]
    word2ph: list[int] | None
    phone_ids: list[int]


class LanguageCleaner:
    """Normalise and phonemise zh or en text, honouring a user lexicon and polyphone model."""

    def __init__(
        self,
        zh_lexicon: Mapping[str, Sequence[str]] | None = None,
        en_lexicon: Mapping[str, Sequence[str]] | None = None,
        polyphones: PolyphoneResolver | None = None,
    ) -> None:
        self._zh = MandarinG2P(resolver=polyphones, lexicon=zh_lexicon)
        self._en = EnglishG2P(lexicon=en_lexicon)
        self._en_words = sorted(self._en.lexicon, key=len, reverse=True)

    def clean(self, text: str, lang: str) -> CleanedText:
        """Normalised text and phones of ``text`` read as ``lang`` ('zh' or 'en')."""
        if lang == "zh":
            return self.phonemize_normalized(normalize_zh(text), lang)
        if lang == "en":
            return self.phonemize_normalized(
                normalize_en(self._protect_lexicon_words(text)), lang
            )
        raise UserInputError(f"Language '{lang}' is not supported; use one of: zh, en.")

    def phonemize_normalized(self, norm_text: str, lang: str) -> CleanedText:
        """Phones of text that is already normalised (the G2P stage alone)."""
        if lang == "zh":
            result = self._zh(norm_text)
            phones, word2ph = result.phones, result.word2ph
        elif lang == "en":
            phones = self._en(norm_text)
            if len(phones) < _MIN_EN_PHONES:
                phones = [","] + phones
            word2ph = None
        else:
            raise UserInputError(f"Language '{lang}' is not supported; use one of: zh, en.")
        return CleanedText(lang, norm_text, phones, word2ph, phones_to_ids(phones))

    def _protect_lexicon_words(self, text: str) -> str:
        """Lower-case the user's words so capital-splitting ('McKay' -> 'Mc Kay') spares them."""
        for word in self._en_words:
            text = re.sub(rf"(?i)(?<![A-Za-z']){re.escape(word)}(?![A-Za-z'])", word, text)
        return text
