"""Mandarin tone sandhi: how tones change in connected speech.

Dictionary pinyin gives citation tones; speakers change them in context (不怕 bú pà, 一天
yì tiān, 你好 ní hǎo, 妈妈 mā ma). The models were trained on text with these rules applied
to jieba words, so the same word grouping and rules are used here. Finals carry the tone as
their last character (``ao3``); tone 5 is neutral.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import jieba
from pypinyin import Style, lazy_pinyin

from voicestudio.text.resources import load_json_resource

Word = list[str]  # [word, part-of-speech tag]

_SENTENCE_MARKS = "：，；。？！“”‘’':,;.?!"
_NEUTRAL_PARTICLES = "吧呢哈啊呐噻嘛吖嗨呐哦哒额滴哩哟喽啰耶喔诶"
_COUNTING = "几有两半多各整每做是"


@cache
def _neutral_words() -> tuple[frozenset[str], frozenset[str]]:
    data = load_json_resource("zh_neutral_tone_words.json")
    return frozenset(data["must_neutral"]), frozenset(data["never_neutral"])


def _with_tone(final: str, tone: str) -> str:
    return final[:-1] + tone


def _all_third(finals: list[str]) -> bool:
    return all(final[-1] == "3" for final in finals)


def _citation_finals(word: str) -> list[str]:
    return lazy_pinyin(word, neutral_tone_with_five=True, style=Style.FINALS_TONE3)


def split_in_two(word: str) -> list[str]:
    """A word cut into its two sub-words (蒙古包 -> 蒙古/包), the unit third-tone rules use."""
    parts = sorted(jieba.cut_for_search(word), key=len)
    first = parts[0]
    if word.find(first) == 0:
        return [first, word[len(first):]]
    return [word[: -len(first)], first]


def _bu_sandhi(word: str, finals: list[str]) -> list[str]:
    if len(word) == 3 and word[1] == "不":  # 看不懂: 不 is neutral between verb and result
        finals[1] = _with_tone(finals[1], "5")
        return finals
    for i, char in enumerate(word):
        if char == "不" and i + 1 < len(word) and finals[i + 1][-1] == "4":
            finals[i] = _with_tone(finals[i], "2")
    return finals


def _yi_sandhi(word: str, finals: list[str]) -> list[str]:
    if "一" in word and all(c.isnumeric() for c in word if c != "一"):
        return finals  # a digit string (一零零) keeps yi1
    if len(word) == 3 and word[1] == "一" and word[0] == word[-1]:
        finals[1] = _with_tone(finals[1], "5")  # 看一看
    elif word.startswith("第一"):
        finals[1] = _with_tone(finals[1], "1")  # ordinal
    else:
        for i, char in enumerate(word):
            if char != "一" or i + 1 >= len(word):
                continue
            if finals[i + 1][-1] == "4":
                finals[i] = _with_tone(finals[i], "2")
            elif word[i + 1] not in _SENTENCE_MARKS:
                finals[i] = _with_tone(finals[i], "4")
    return finals


def _neutral_sandhi(word: str, pos: str, finals: list[str]) -> list[str]:
    must, never = _neutral_words()
    for j in range(1, len(word)):
        if word[j] == word[j - 1] and pos[0] in "nva" and word not in never:
            finals[j] = _with_tone(finals[j], "5")  # 奶奶, 试试
    ge = word.find("个")
    if word[-1] in _NEUTRAL_PARTICLES or word[-1] in "的地得":
        finals[-1] = _with_tone(finals[-1], "5")
    elif len(word) == 1 and word in "了着过" and pos in {"ul", "uz", "ug"}:
        finals[-1] = _with_tone(finals[-1], "5")
    elif len(word) > 1 and word[-1] in "们子" and pos in {"r", "n"} and word not in never:
        finals[-1] = _with_tone(finals[-1], "5")
    elif len(word) > 1 and word[-1] in "上下里" and pos in {"s", "l", "f"}:
        finals[-1] = _with_tone(finals[-1], "5")  # 桌上, 家里
    elif len(word) > 1 and word[-1] in "来去" and word[-2] in "上下进出回过起开":
        finals[-1] = _with_tone(finals[-1], "5")  # 上来, 出去
    elif word == "个" or (ge >= 1 and (word[ge - 1].isnumeric() or word[ge - 1] in _COUNTING)):
        finals[ge] = _with_tone(finals[ge], "5")
    elif word in must or word[-2:] in must:
        finals[-1] = _with_tone(finals[-1], "5")
    parts = split_in_two(word)
    head = len(parts[0])
    pieces = [finals[:head], finals[head:]]
    for part, piece in zip(parts, pieces, strict=True):
        if part in must or part[-2:] in must:
            piece[-1] = _with_tone(piece[-1], "5")
    return pieces[0] + pieces[1]


def _third_sandhi(word: str, finals: list[str]) -> list[str]:
    if len(word) == 2 and _all_third(finals):
        finals[0] = _with_tone(finals[0], "2")
    elif len(word) == 3:
        parts = split_in_two(word)
        if _all_third(finals):
            if len(parts[0]) == 2:  # 蒙古/包
                finals[0] = _with_tone(finals[0], "2")
                finals[1] = _with_tone(finals[1], "2")
            elif len(parts[0]) == 1:  # 纸/老虎
                finals[1] = _with_tone(finals[1], "2")
        else:
            pieces = [finals[: len(parts[0])], finals[len(parts[0]):]]
            for i, piece in enumerate(pieces):
                if _all_third(piece) and len(piece) == 2:  # 所有/人
                    piece[0] = _with_tone(piece[0], "2")
                elif i == 1 and not _all_third(piece) and piece[0][-1] == "3" \
                        and pieces[0][-1][-1] == "3":  # 好/喜欢
                    pieces[0][-1] = _with_tone(pieces[0][-1], "2")
            finals = pieces[0] + pieces[1]
    elif len(word) == 4:  # idioms read as two pairs
        pairs = [finals[:2], finals[2:]]
        for pair in pairs:
            if _all_third(pair):
                pair[0] = _with_tone(pair[0], "2")
        finals = pairs[0] + pairs[1]
    return finals


def apply_tone_sandhi(word: str, pos: str, finals: list[str]) -> list[str]:
    """Finals of one (merged) word with 不, 一, neutral-tone and third-tone rules applied."""
    finals = list(finals)
    finals = _bu_sandhi(word, finals)
    finals = _yi_sandhi(word, finals)
    finals = _neutral_sandhi(word, pos, finals)
    return _third_sandhi(word, finals)


def _merge_bu(words: list[Word]) -> list[Word]:
    merged: list[Word] = []
    previous = ""
    for word, pos in words:
        if previous == "不":
            word = previous + word
        if word != "不":
            merged.append([word, pos])
        previous = word
    if previous == "不":
        merged.append([previous, "d"])
    return merged


def _merge_yi(words: list[Word]) -> list[Word]:
    merged: list[Word] = []
    i = 0
    while i < len(words):  # 听 一 听 -> 听一听
        word, pos = words[i]
        if 0 < i < len(words) - 1 and word == "一":
            last = merged[-1] if merged else words[i - 1]
            following = words[i + 1]
            if last[0] == following[0] and last[1] == "v" and following[1] == "v":
                merged[-1] = [last[0] + "一" + following[0], last[1]]
                i += 2
                continue
        merged.append([word, pos])
        i += 1
    result: list[Word] = []
    for word, pos in merged:  # a lone 一 joins the next word so its tone can follow it
        if result and result[-1][0] == "一":
            result[-1][0] += word
        else:
            result.append([word, pos])
    return result


def _merge_reduplication(words: list[Word]) -> list[Word]:
    merged: list[Word] = []
    for word, pos in words:
        if merged and word == merged[-1][0]:
            merged[-1][0] += word
        else:
            merged.append([word, pos])
    return merged


def _is_reduplication(word: str) -> bool:
    return len(word) == 2 and word[0] == word[1]


def _merge_third_tones(
    words: list[Word], joins: Callable[[list[str], list[str]], bool]
) -> list[Word]:
    finals = [_citation_finals(word) for word, _ in words]
    if any(not f for f in finals):
        return words  # a word without pinyin (an empty token) cannot take part in a chain
    merged: list[Word] = []
    joined_last = [False] * len(words)
    for i, (word, pos) in enumerate(words):
        if i > 0 and not joined_last[i - 1] and joins(finals[i - 1], finals[i]) \
                and not _is_reduplication(words[i - 1][0]) \
                and len(words[i - 1][0]) + len(word) <= 3:
            merged[-1][0] += word
            joined_last[i] = True
        else:
            merged.append([word, pos])
    return merged


def _both_all_third(left: list[str], right: list[str]) -> bool:
    return _all_third(left) and _all_third(right)


def _third_meets_third(left: list[str], right: list[str]) -> bool:
    return left[-1][-1] == "3" and right[0][-1] == "3"


def _merge_er(words: list[Word]) -> list[Word]:
    merged: list[Word] = []
    for i, (word, pos) in enumerate(words):
        if i > 0 and word == "儿" and words[i - 1][0] != "#":
            merged[-1][0] += word
        else:
            merged.append([word, pos])
    return merged


def merge_for_sandhi(words: list[tuple[str, str]]) -> list[Word]:
    """Regroup jieba words so sandhi sees whole units (不+verb, 听一听, 3rd-tone chains, 儿)."""
    grouped = _merge_bu([[w, p] for w, p in words])
    grouped = _merge_yi(grouped)
    grouped = _merge_reduplication(grouped)
    grouped = _merge_third_tones(grouped, _both_all_third)
    grouped = _merge_third_tones(grouped, _third_meets_third)
    return _merge_er(grouped)
