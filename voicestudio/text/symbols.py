"""The GPT-SoVITS v2 phone symbol table: a phone's index in this list is its model id.

Checkpoints embed phones by these ids, so the table is shipped verbatim as data and never
re-derived from code.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from voicestudio.text.resources import load_json_resource

UNKNOWN_PHONE = "UNK"
PUNCTUATION = ("!", "?", "…", ",", ".", "-")


@cache
def symbols_v2() -> tuple[str, ...]:
    """The 732 v2 symbols in id order."""
    return tuple(load_json_resource("symbols_v2.json"))


@cache
def _symbol_ids() -> dict[str, int]:
    return {symbol: index for index, symbol in enumerate(symbols_v2())}


def is_symbol(phone: str) -> bool:
    """Whether the v2 models know this phone."""
    return phone in _symbol_ids()


def phones_to_ids(phones: Sequence[str]) -> list[int]:
    """Model ids for phones; a phone outside the table maps to UNK, as the models expect."""
    ids = _symbol_ids()
    unknown = ids[UNKNOWN_PHONE]
    return [ids.get(phone, unknown) for phone in phones]
