"""Coverage units: the sounds a recording prompt contains, so a wizard can cover them all.

A fine-tune learns the voice's version of every sound it hears, so prompts are chosen to
cover Mandarin initials, finals and tones and English phonemes. Units are plain strings
("zh-initial:zh", "zh-final:ang", "zh-tone:3", "en:AA") computed from the same phones the
models see, so a unit counts as covered only if the frontend really produces it.

Single sounds run out after a few dozen sentences, yet a voice also lives in how one sound
flows into the next. ``pair_units`` adds those transitions: adjacent phones inside one
phrase ("zh-pair:sh+ang", "en-pair:S+T") and, for Mandarin, adjacent tones ("zh-tones:3-4",
which carry the sandhi and pitch contours). Phrases end at punctuation, where a reader
pauses and no transition is heard.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from voicestudio.errors import UserInputError
from voicestudio.text.frontend import TextFrontend, default_frontend
from voicestudio.text.lexicon import ARPABET
from voicestudio.text.resources import load_json_resource
from voicestudio.text.symbols import PUNCTUATION

ZH_INITIALS = (
    "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
    "j", "q", "x", "zh", "ch", "sh", "r", "z", "c", "s",
)
ZH_TONES = ("1", "2", "3", "4", "5")
_ZH_INITIAL_SET = frozenset(ZH_INITIALS)


@cache
def zh_finals() -> tuple[str, ...]:
    """Every v2 Mandarin final (toneless), as the pinyin table spells them."""
    table: dict[str, list[str]] = load_json_resource("zh_pinyin_phones.json")
    return tuple(sorted({phones[1] for phones in table.values()}))


def inventory(lang: str) -> frozenset[str]:
    """All units a complete recording set of ``lang`` ('zh' or 'en') should contain."""
    if lang == "zh":
        return frozenset(
            [f"zh-initial:{i}" for i in ZH_INITIALS]
            + [f"zh-final:{f}" for f in zh_finals()]
            + [f"zh-tone:{t}" for t in ZH_TONES]
        )
    if lang == "en":
        return frozenset(f"en:{p}" for p in ARPABET)
    raise UserInputError(f"Coverage is available for 'zh' and 'en', not '{lang}'.")


ZH_TONE_PAIRS = tuple(f"{a}-{b}" for a in ZH_TONES for b in ZH_TONES)
PHONE_PREFIXES = ("zh-initial:", "zh-final:", "zh-tone:", "en:")
PAIR_PREFIXES = ("zh-pair:", "zh-tones:", "en-pair:")


def is_pair_unit(unit: str) -> bool:
    return unit.startswith(PAIR_PREFIXES)


def _phrases(phones: list[str]) -> list[list[str]]:
    """Split a phone sequence at punctuation: no sound flows across a pause."""
    phrases: list[list[str]] = [[]]
    for phone in phones:
        if phone in PUNCTUATION:
            phrases.append([])
        else:
            phrases[-1].append(phone)
    return [p for p in phrases if p]


def _zh_pair_units(phones: list[str]) -> set[str]:
    units: set[str] = set()
    for phrase in _phrases(phones):
        toneless = [p[:-1] if p[-1:].isdigit() else p for p in phrase]
        units |= {f"zh-pair:{a}+{b}" for a, b in zip(toneless, toneless[1:], strict=False)}
        tones = [p[-1] for p in phrase[1::2] if p[-1:].isdigit()]
        units |= {f"zh-tones:{a}-{b}" for a, b in zip(tones, tones[1:], strict=False)}
    return units


def _en_pair_units(phones: list[str]) -> set[str]:
    units: set[str] = set()
    for phrase in _phrases(phones):
        plain = [p.rstrip("012") for p in phrase if p.rstrip("012") in ARPABET]
        units |= {f"en-pair:{a}+{b}" for a, b in zip(plain, plain[1:], strict=False)}
    return units


def _zh_units(phones: list[str]) -> set[str]:
    units: set[str] = set()
    syllables = [p for p in phones if p not in PUNCTUATION]
    for initial, final in zip(syllables[::2], syllables[1::2], strict=False):
        if initial in _ZH_INITIAL_SET:
            units.add(f"zh-initial:{initial}")
        units.add(f"zh-final:{final[:-1]}")
        units.add(f"zh-tone:{final[-1]}")
    return units


def _en_units(phones: list[str]) -> set[str]:
    return {f"en:{p.rstrip('012')}" for p in phones if p.rstrip("012") in ARPABET}


def coverage_units(text: str, mode: str = "zh", frontend: TextFrontend | None = None
                   ) -> frozenset[str]:
    """The units one sentence covers when read in ``mode`` (mixed text gives both kinds)."""
    result = (frontend or default_frontend()).phonemize(text, mode, retry_short=False)
    units: set[str] = set()
    for segment in result.segments:
        units |= _zh_units(segment.phones) if segment.lang == "zh" else _en_units(segment.phones)
    return frozenset(units)


def prompt_units(text: str, mode: str = "zh", frontend: TextFrontend | None = None
                 ) -> frozenset[str]:
    """Single sounds and sound pairs of one sentence: what reading it aloud teaches a model."""
    result = (frontend or default_frontend()).phonemize(text, mode, retry_short=False)
    units: set[str] = set()
    for segment in result.segments:
        if segment.lang == "zh":
            units |= _zh_units(segment.phones) | _zh_pair_units(segment.phones)
        else:
            units |= _en_units(segment.phones) | _en_pair_units(segment.phones)
    return frozenset(units)


def missing_units(texts: Iterable[str], lang: str, mode: str | None = None) -> frozenset[str]:
    """Units of ``lang``'s inventory that none of ``texts`` covers yet."""
    covered: set[str] = set()
    for text in texts:
        covered |= coverage_units(text, mode or lang)
    return inventory(lang) - covered
