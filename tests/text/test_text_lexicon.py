"""User pronunciation lexicon: validation, atomic save/load, merging, and its effect."""

from __future__ import annotations

import json

import pytest

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.text.frontend import TextFrontend
from voicestudio.text.lexicon import (
    UserLexicon,
    load_lexicon,
    load_merged_lexicon,
    parse_entry,
    save_lexicon,
)


def test_entries_are_validated_with_clear_messages():
    assert parse_entry("行长", "hang2 zhang3") == ("zh", ["hang2", "zhang3"])
    assert parse_entry("绿", "lü4") == ("zh", ["lv4"])
    assert parse_entry("Nguyen", "n w ih1 n") == ("en", ["N", "W", "IH1", "N"])
    with pytest.raises(UserInputError, match="2 characters but 1"):
        parse_entry("行长", "hang2")
    with pytest.raises(UserInputError, match="tone number"):
        parse_entry("行", "hang")
    with pytest.raises(UserInputError, match="not a Mandarin syllable"):
        parse_entry("行", "bv2")
    with pytest.raises(UserInputError, match="stress digit"):
        parse_entry("Nguyen", "N W IH N")
    with pytest.raises(UserInputError, match="not an ARPAbet"):
        parse_entry("Nguyen", "N W XX1 N")
    with pytest.raises(UserInputError, match="cannot be a lexicon word"):
        parse_entry("iPhone15", "AY1")


def test_save_load_round_trip(tmp_path):
    lexicon = UserLexicon()
    lexicon.set("曾", "zeng1")
    lexicon.set("Siobhan", "SH IH0 V AO1 N")
    path = save_lexicon(tmp_path, lexicon)
    assert json.loads(path.read_text(encoding="utf-8"))["words"]["曾"] == "zeng1"
    loaded = load_lexicon(tmp_path)
    assert loaded.zh == {"曾": ["zeng1"]}
    assert loaded.en == {"siobhan": ["SH", "IH0", "V", "AO1", "N"]}
    assert [p.name for p in tmp_path.iterdir()] == ["lexicon.json"]  # no temp files left


def test_missing_file_is_empty_and_bad_file_is_reported(tmp_path):
    assert len(load_lexicon(tmp_path)) == 0
    (tmp_path / "lexicon.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorruptFileError, match="cannot be read"):
        load_lexicon(tmp_path)
    (tmp_path / "lexicon.json").write_text('{"words": {"行": "xx9"}}', encoding="utf-8")
    with pytest.raises(CorruptFileError, match="bad entry"):
        load_lexicon(tmp_path)


def test_narration_overrides_voice(tmp_path):
    voice, narration = tmp_path / "voice", tmp_path / "narration"
    save_lexicon(voice, UserLexicon.from_entries({"重庆": "chong2 qing4", "单": "shan4"}))
    save_lexicon(narration, UserLexicon.from_entries({"单": "dan1"}))
    merged = load_merged_lexicon(voice, narration)
    assert merged.zh == {"重庆": ["chong2", "qing4"], "单": ["dan1"]}


def test_frontend_reads_lexicon_words_as_written():
    plain = TextFrontend().phonemize("他姓单，住在McKay。", "zh")
    fixed = TextFrontend(
        UserLexicon.from_entries({"单": "shan4", "McKay": "M AH0 K AY1"})
    ).phonemize("他姓单，住在McKay。", "zh")
    assert ["d", "an1"] == plain.phones[4:6]
    assert ["sh", "an4"] == fixed.phones[4:6]
    assert fixed.segments[1].phones == ["M", "AH0", "K", "AY1", "."]
