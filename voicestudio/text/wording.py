"""Counted nouns as people write them: "1 segment", "2 segments", "0 models"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one (English messages and labels)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
