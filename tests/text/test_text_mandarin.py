"""Mandarin normalisation, tone sandhi, erhua, polyphones and the polyphone plug-in point."""

from __future__ import annotations

import pytest

from voicestudio.errors import UserInputError
from voicestudio.text.zh_g2p import MandarinG2P, syllable_phones
from voicestudio.text.zh_normalize import normalize_zh
from voicestudio.text.zh_numbers import read_cardinal, read_digits, read_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年3月15日", "二零二四年三月十五日"),
        ("2023-05-01", "二零二三年五月一日"),
        ("下午3:45", "下午三点四十五分"),
        ("8:30", "八点半"),
        ("增长了12.5%", "增长了百分之十二点五"),
        ("3/4的人", "四分之三的人"),
        ("零下5℃", "零下五度"),
        ("-3度", "零下三度"),
        ("共199元", "共一百九十九元"),
        ("电话13800138000", "电话幺三八零零幺三八零零零"),
        ("体重65.5公斤", "体重六十五点五公斤"),
        ("长1.78米", "长一点七八米"),
        ("跑了5km", "跑了五千米"),
        ("1+1=2", "一加一等于二"),
        ("房間裡", "房间里"),
        ("《红楼梦》！！", "红楼梦!"),
        ("他说：“好”", "他说,好"),
        ("约200人", "约二百人"),
        ("3-5个", "三到五个"),
        ("￥100", "一百元"),  # a range before a measure word, not a subtraction
        ("1990-2000年", "一九九零年到二零零零年"),
        ("3-5", "三到五"),  # prose writes ranges with a dash
        ("8-5=3", "八减五等于三"),
        ("第2名", "第二名"),  # an ordinal never takes 两
    ],
)
def test_normalize_zh_reads_numbers_units_and_symbols(text, expected):
    assert normalize_zh(text) == expected


def test_number_helpers():
    assert read_cardinal("10") == "十"
    assert read_cardinal("100010") == "十万零一十"
    assert read_cardinal("0") == "零"
    assert read_digits("110", phone_style=True) == "幺幺零"
    assert read_number("3.20") == "三点二零"
    assert read_number(".5") == "零点五"
    with pytest.raises(UserInputError):
        read_number("1.2.3")


@pytest.mark.parametrize(
    ("text", "finals"),
    [
        ("不怕", ["u2", "a4"]),  # 不 before tone 4 rises
        ("不好", ["u4", "ao3"]),
        ("一天", ["i4", "ian1"]),  # 一 before other tones falls
        ("一段", ["i2", "uan4"]),
        ("第一", ["i4", "i1"]),  # ordinal keeps tone 1
        ("你好", ["i2", "ao3"]),  # third-tone pair: first rises
        ("看一看", ["an4", "i5", "an4"]),
        ("我们", ["o3", "en5"]),  # 们 is neutral
    ],
)
def test_tone_sandhi(text, finals):
    phones = MandarinG2P()(normalize_zh(text)).phones
    assert phones[1::2] == finals


def test_neutral_tone_and_erhua():
    phones = MandarinG2P()("妈妈在玩儿.").phones
    assert phones[:4] == ["m", "a1", "m", "a5"]  # reduplicated noun: second syllable neutral
    assert phones[6:10] == ["w", "an2", "EE", "er2"]  # 儿 takes the tone before it


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("银行", ["y", "in2", "h", "ang2"]),
        ("行走", ["x", "ing2", "z", "ou3"]),
        ("长江", ["ch", "ang2", "j", "iang1"]),
        ("长得", ["zh", "ang3", "d", "e5"]),
        ("重要", ["zh", "ong4", "y", "ao4"]),
        ("重新", ["ch", "ong2", "x", "in1"]),
    ],
)
def test_polyphones_resolved_by_phrase(text, phones):
    assert MandarinG2P()(text).phones == phones


class _AlwaysHang:
    """A stand-in polyphone model: reads every 行 as hang2."""

    def clause_pinyin(self, clause: str) -> list[str]:
        from pypinyin import Style, lazy_pinyin

        base = lazy_pinyin(clause, style=Style.TONE3, neutral_tone_with_five=True)
        return ["hang2" if char == "行" else py for char, py in zip(clause, base, strict=True)]


def test_polyphone_resolver_plugs_in():
    assert MandarinG2P()("行走").phones[:2] == ["x", "ing2"]
    assert MandarinG2P(resolver=_AlwaysHang())("行走").phones[:2] == ["h", "ang2"]


def test_builtin_phrase_fixes_apply():
    assert MandarinG2P()("湖泊").phones == ["h", "u2", "p", "o1"]  # pypinyin says po1 -> bo2


def test_word2ph_counts_every_character():
    norm = normalize_zh("第1名得了98分，还行吧……")
    result = MandarinG2P()(norm)
    assert len(result.word2ph) == len(norm)
    assert sum(result.word2ph) == len(result.phones)


def test_syllable_phones_rejects_non_syllables():
    assert syllable_phones("", "a1") == ["AA", "a1"]
    with pytest.raises(UserInputError):
        syllable_phones("b", "v3")
    with pytest.raises(UserInputError):
        syllable_phones("b", "a7")
