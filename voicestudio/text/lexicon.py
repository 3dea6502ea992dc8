"""The user's pronunciation lexicon: how a narrator fixes a name the frontend gets wrong.

A lexicon maps a word to its pronunciation and overrides everything the frontend would do:
Chinese words take tone-numbered pinyin, one syllable per character ("行长": "hang2 zhang3"),
English words take ARPAbet with stress digits ("Nguyen": "N W IH1 N"). A voice folder and a
narration folder may each hold a ``lexicon.json``; the narration's entries win over the
voice's. Entries are checked on load and on edit so a typo is reported, not spoken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.project.atomic import atomic_write_json
from voicestudio.text.zh_g2p import syllable_phones
from voicestudio.text.zh_polyphones import split_pinyin

LEXICON_FILE = "lexicon.json"
FORMAT_VERSION = 1
ARPABET = frozenset(
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH "
    "UH UW V W Y Z ZH".split()
)
_VOWELS_WITH_STRESS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_LATIN_WORD = re.compile(r"^[A-Za-z][A-Za-z'\-]*$")


def _check_pinyin(word: str, syllables: list[str]) -> None:
    if len(syllables) != len(word):
        raise UserInputError(
            f"'{word}' has {len(word)} characters but {len(syllables)} pinyin syllables were "
            "given; write one syllable with a tone number per character, e.g. 'hang2 zhang3'."
        )
    for syllable in syllables:
        if not re.fullmatch(r"[a-z]+[1-5]", syllable):
            raise UserInputError(
                f"'{syllable}' (for '{word}') is not pinyin with a tone number 1-5, e.g. 'zhang3'."
            )
        syllable_phones(*split_pinyin(syllable))


def _check_arpabet(word: str, phones: list[str]) -> None:
    for phone in phones:
        base, stress = (phone[:-1], phone[-1]) if phone[-1:].isdigit() else (phone, "")
        if base not in ARPABET or (stress and (base not in _VOWELS_WITH_STRESS or stress > "2")):
            raise UserInputError(
                f"'{phone}' (for '{word}') is not an ARPAbet phone; use phones such as "
                "'N W IH1 N' (vowels carry stress 0, 1 or 2)."
            )
        if base in _VOWELS_WITH_STRESS and not stress:
            raise UserInputError(
                f"The vowel '{phone}' (for '{word}') needs a stress digit: {phone}0, {phone}1 "
                f"or {phone}2."
            )


def parse_entry(word: str, pronunciation: str) -> tuple[str, list[str]]:
    """Validate one entry; returns ('zh' or 'en', pronunciation units)."""
    word = word.strip()
    units = pronunciation.split()
    if not word or not units:
        raise UserInputError("A lexicon entry needs both a word and its pronunciation.")
    if _HAN.match(word):
        units = [u.lower().replace("ü", "v") for u in units]  # lü4 and lv4 both mean 绿
        _check_pinyin(word, units)
        return "zh", units
    if _LATIN_WORD.match(word):
        units = [u.upper() for u in units]
        _check_arpabet(word, units)
        return "en", units
    raise UserInputError(
        f"'{word}' cannot be a lexicon word: use only Chinese characters (with pinyin) or only "
        "English letters (with ARPAbet)."
    )


@dataclass
class UserLexicon:
    """Word -> pronunciation overrides, split by language for the two G2P engines."""

    zh: dict[str, list[str]] = field(default_factory=dict)
    en: dict[str, list[str]] = field(default_factory=dict)
    # The entries as the user wrote them (word -> pronunciation string), for saving back.
    entries: dict[str, str] = field(default_factory=dict)

    def set(self, word: str, pronunciation: str) -> None:
        """Add or replace an entry after validating it."""
        lang, units = parse_entry(word, pronunciation)
        word = word.strip()
        self.remove(word)
        target = self.zh if lang == "zh" else self.en
        target[word if lang == "zh" else word.lower()] = units
        self.entries[word] = " ".join(units)

    def remove(self, word: str) -> None:
        """Forget an entry (no error if it is absent)."""
        word = word.strip()
        self.entries.pop(word, None)
        self.zh.pop(word, None)
        self.en.pop(word.lower(), None)

    def merged_with(self, override: UserLexicon) -> UserLexicon:
        """A new lexicon: this one's entries, then ``override``'s (which win)."""
        merged = UserLexicon()
        for source in (self, override):
            for word, pronunciation in source.entries.items():
                merged.set(word, pronunciation)
        return merged

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_entries(cls, entries: Mapping[str, str]) -> UserLexicon:
        lexicon = cls()
        for word, pronunciation in entries.items():
            if not isinstance(pronunciation, str):
                raise UserInputError(f"The pronunciation of '{word}' must be text.")
            lexicon.set(word, pronunciation)
        return lexicon


def lexicon_path(folder: Path) -> Path:
    """Where a voice or narration folder keeps its lexicon."""
    return Path(folder) / LEXICON_FILE


def load_lexicon(folder: Path) -> UserLexicon:
    """The lexicon of a voice/narration folder; empty when the folder has none yet."""
    path = lexicon_path(folder)
    if not path.exists():
        return UserLexicon()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorruptFileError(
            f"The pronunciation lexicon {path} cannot be read ({exc}). Fix or delete the file."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("words"), dict):
        raise CorruptFileError(
            f"The pronunciation lexicon {path} has no 'words' table. Fix or delete the file."
        )
    try:
        return UserLexicon.from_entries(data["words"])
    except UserInputError as exc:
        raise CorruptFileError(f"The pronunciation lexicon {path} has a bad entry: {exc}") from exc


def save_lexicon(folder: Path, lexicon: UserLexicon) -> Path:
    """Write the lexicon atomically (a crash leaves the old or the new file, never half)."""
    path = lexicon_path(folder)
    words = dict(sorted(lexicon.entries.items()))
    atomic_write_json(path, {"version": FORMAT_VERSION, "words": words})
    return path


def load_merged_lexicon(*folders: Path | None) -> UserLexicon:
    """The folders' lexicons, each overriding those before it: ``(voice, narration)`` gives
    what a narration is rendered with. ``None`` folders are skipped."""
    merged = UserLexicon()
    for folder in folders:
        if folder is not None:
            merged = merged.merged_with(load_lexicon(folder))
    return merged
