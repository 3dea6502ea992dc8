"""Language runs of mixed text and sentence chunks with offsets into the original."""

from __future__ import annotations

import pytest

from voicestudio.errors import UserInputError
from voicestudio.text.lang_segment import segments_for_mode, split_languages
from voicestudio.text.sentences import split_sentences


def _runs(text):
    return [(s.lang, s.text) for s in split_languages(text)]


def test_mixed_text_splits_at_script_changes():
    assert _runs("我用iPhone拍了一张照片。") == [
        ("zh", "我用"), ("en", "iPhone"), ("zh", "拍了一张照片。")
    ]
    assert _runs("Hello，你好，nice to meet you！") == [
        ("en", "Hello，"), ("zh", "你好，"), ("en", "nice to meet you！")
    ]


def test_digits_and_units_stay_with_their_sentence():
    assert _runs("气温零下5℃。") == [("zh", "气温零下5℃。")]
    assert _runs("2024年3月") == [("zh", "2024年3月")]
    assert _runs("——你好——world——") == [("zh", "——你好——"), ("en", "world——")]


def test_metric_units_after_numbers_stay_chinese():
    assert _runs("跑了5km，累了") == [("zh", "跑了5km，累了")]
    assert _runs("等了200ms。") == [("zh", "等了200ms。")]  # read 二百毫秒
    assert _runs("体温38.5°C，时速60 km/h") == [("zh", "体温38.5°C，时速60 km/h")]
    assert _runs("5G手机") == [("zh", "5"), ("en", "G"), ("zh", "手机")]  # 五G手机
    assert _runs("5 apples") == [("en", "5 apples")]  # English text keeps its numbers


def test_numbers_and_money_in_a_mandarin_sentence_are_read_in_mandarin():
    assert _runs("花了$5，很便宜") == [("zh", "花了$5，很便宜")]
    assert _runs("价格¥1,250。") == [("zh", "价格¥1,250。")]
    assert _runs("我用iPhone 15拍了照片。") == [
        ("zh", "我用"), ("en", "iPhone "), ("zh", "15拍了照片。")
    ]
    assert _runs("我买了Windows 10。") == [("zh", "我买了"), ("en", "Windows "), ("zh", "10。")]


def test_numbers_and_money_in_an_english_phrase_stay_english():
    assert _runs("他说I paid $5 for it就走了") == [
        ("zh", "他说"), ("en", "I paid $5 for it"), ("zh", "就走了")
    ]
    assert _runs("It cost $3.2 billion.") == [("en", "It cost $3.2 billion.")]
    assert _runs("I have 3 apples。") == [("en", "I have 3 apples。")]
    assert _runs("The year is 2024. 然后走了") == [
        ("en", "The year is 2024. "), ("zh", "然后走了")
    ]


def test_offsets_cover_the_text():
    text = "这个API的response time大约是200ms。"
    segments = split_languages(text)
    assert "".join(s.text for s in segments) == text
    assert all(text[s.start:s.end] == s.text for s in segments)


def test_modes():
    assert [s.lang for s in segments_for_mode("你好 world", "en")] == ["en"]
    assert [s.lang for s in segments_for_mode("你好 world", "all_zh")] == ["zh"]
    assert [s.lang for s in segments_for_mode("123", "zh")] == ["zh"]


def test_sentences_keep_numbers_and_abbreviations_whole():
    text = (
        "Dr. Smith paid $3.50 at 9:30 a.m. today. J. K. Rowling wrote it! "
        "他说：“还行吧……”真的吗？"
    )
    chunks = split_sentences(text)
    assert [c.text for c in chunks] == [
        "Dr. Smith paid $3.50 at 9:30 a.m. today.",
        "J. K. Rowling wrote it!",
        "他说：“还行吧……”",
        "真的吗？",
    ]
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_long_sentences_are_cut_at_clauses_under_the_limit():
    text = "这是一个相当长的分句，" * 10 + "最后结束了。"
    chunks = split_sentences(text, max_length=30)
    assert len(chunks) > 1
    assert all(len(c.text.replace("，", "").replace("。", "")) <= 30 for c in chunks)
    assert all(c.text.endswith(("，", "。")) for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_long_numbers_are_never_cut():
    text = "编号" + "1234567890" * 3 + "结束"
    chunks = split_sentences(text, max_length=10)
    assert any("1234567890" * 3 in c.text for c in chunks)


def test_short_sentences_join_the_next_and_newlines_break():
    chunks = split_sentences("嗯。好吧，我们走。\n第二段开始。")
    assert [c.text for c in chunks] == ["嗯。好吧，我们走。", "第二段开始。"]


def test_bad_limits_are_reported():
    with pytest.raises(UserInputError):
        split_sentences("你好", max_length=0)


def test_pieces_for_synthesis_follow_upstream_punctuation_rules():
    from voicestudio.text.synthesis_text import pieces_for_synthesis

    text = "你好吗？！我很好\n\n好。Hello there"
    pieces = pieces_for_synthesis(text, "zh")
    assert [p.text for p in pieces] == ["。你好吗？！", "。我很好。", "。好。Hello there。"]
    assert [text[p.start:p.end] for p in pieces] == ["你好吗？！", "我很好", "好。Hello there"]
    assert [p.text for p in pieces_for_synthesis("Wait... what?!", "en")] == ["Wait. what?"]
    assert pieces_for_synthesis("……", "zh") == []
