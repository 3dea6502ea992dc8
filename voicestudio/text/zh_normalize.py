"""Mandarin text normalisation: turn digits, dates, times, units and symbols into words.

The acoustic models were trained on text normalised by GPT-SoVITS' (PaddleSpeech-derived)
rules, so the order and coverage here follow what those rules produce: a checkpoint reads
"2024年" well only as 二零二四年, the way its training text spelled it. The output keeps
Chinese characters and the v2 punctuation only (see ``zh_punctuation``).

Where those rules make a listener hear a broken sentence we read as a careful narrator
does instead (each departure is a rule the fixture test checks, see
``tests/text/upstream_departures.py``): money in any currency sign (¥1,250 -> 一千二百五十元,
$3亿 -> 三亿美元), numbers with thousands separators as quantities, ranges with 到 on both
sides (100-200人 -> 一百到二百人), ordinals without 两 (第二名), 两点 for two o'clock, scores
with 比 (3:1 -> 三比一), decades (80年代 -> 八十年代) and °C/°F and units after a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from voicestudio.text.resources import load_json_resource
from voicestudio.text.zh_numbers import read_cardinal, read_digits, read_number
from voicestudio.text.zh_punctuation import collapse_repeated_punctuation, keep_spoken_characters

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

_SENTENCE_END = re.compile(r"([：、，；。？！,;?!][”’]?)")
# Decorations that carry no sound; stripped before the rules run.
_DECORATION = re.compile(r"[——《》【】<>{}()（）#&@“”^_|\\]")
_LEFTOVER_SYMBOLS = re.compile(r"[-——《》【】<=>{}()（）#&@“”^_|\\]")

_FULLWIDTH = {code + 0xFEE0: code for code in range(ord("!"), ord("~") + 1) if chr(code).isalnum()}
_FULLWIDTH[0x3000] = ord(" ")

# Quantifier words after which a number is a count (so 2 reads 两, 3个 reads 三个).
_QUANTIFIERS = (
    "处|台|架|枚|趟|幅|平|方|堵|间|床|株|批|项|例|列|篇|栋|注|亩|封|艘|把|目|套|段|人|所|朵|匹|张|座|"
    "回|场|尾|条|个|首|阙|阵|网|炮|顶|丘|棵|只|支|袭|辆|挑|担|颗|壳|窠|曲|墙|群|腔|砣|客|贯|扎|捆|刀|令|"
    "打|手|罗|坡|山|岭|江|溪|钟|队|单|双|对|出|口|头|脚|板|跳|枝|件|贴|针|线|管|名|位|身|堂|课|本|页|家|"
    "户|层|丝|毫|厘|分|钱|两|斤|铢|石|钧|锱|忽|(千|毫|微)克|(公)分|寸|尺|丈|里|寻|常|铺|程|"
    "(千|分|厘|毫|微)米|米|撮|勺|合|升|斗|盘|碗|碟|叠|桶|笼|盆|盒|杯|斛|锅|簋|篮|罐|瓶|壶|卮|盏|箩|"
    "箱|煲|啖|袋|钵|年|月|日|季|刻|时|周|天|秒|小时|旬|纪|岁|世|更|夜|春|夏|秋|冬|代|伏|辈|丸|泡|粒|"
    "幢|堆|根|道|面|片|块|元|次|遍|倍|种|样|份|(亿|千万|百万|万|千|百)|(亿|千万|百万|万|千|百|美|)元|"
    "(亿|千万|百万|万|千|百|十|)吨|(亿|千万|百万|万|千|百|)块|角|毛"
)
# Unit abbreviations as written after numbers; longer spellings are tried first by order.
_UNIT_WORDS = (
    ("cm2", "平方厘米"), ("cm²", "平方厘米"), ("cm3", "立方厘米"), ("cm³", "立方厘米"),
    ("cm", "厘米"), ("db", "分贝"), ("ds", "毫秒"), ("kg", "千克"), ("km", "千米"),
    ("m2", "平方米"), ("m²", "平方米"), ("m³", "立方米"), ("m3", "立方米"), ("ml", "毫升"),
    ("m", "米"), ("mm", "毫米"), ("s", "秒"),
)
_UNIT_PATTERN = "%|°C|℃|度|摄氏度|cm2|cm²|cm3|cm³|cm|db|ds|kg|km|m2|m²|m³|m3|ml|m|mm|s"
# Units read only right after a number, so that letters elsewhere are not touched.
_UNITS_AFTER_NUMBER = (
    ("km/h", "千米每小时"), ("m/s", "米每秒"), ("kWh", "千瓦时"), ("kW", "千瓦"), ("ms", "毫秒"),
    ("mg", "毫克"), ("mL", "毫升"), ("min", "分钟"), ("Hz", "赫兹"), ("g", "克"), ("L", "升"),
    ("h", "小时"),
)
_UNIT_AFTER_NUMBER = re.compile(
    r"(?<=\d)(" + "|".join(re.escape(u) for u, _ in _UNITS_AFTER_NUMBER) + r")(?![A-Za-z])"
)
# Every unit abbreviation the Mandarin reading covers (the language splitter keeps a number
# and such a unit together in Chinese text).
UNIT_ABBREVIATIONS = frozenset(u for u, _ in _UNIT_WORDS) | frozenset(
    u for u, _ in _UNITS_AFTER_NUMBER
)
_SYMBOL_WORDS = (
    ("/", "每"), ("①", "一"), ("②", "二"), ("③", "三"), ("④", "四"), ("⑤", "五"), ("⑥", "六"),
    ("⑦", "七"), ("⑧", "八"), ("⑨", "九"), ("⑩", "十"), ("α", "阿尔法"), ("β", "贝塔"),
    ("γ", "伽玛"), ("Γ", "伽玛"), ("δ", "德尔塔"), ("Δ", "德尔塔"), ("ε", "艾普西龙"),
    ("ζ", "捷塔"), ("η", "依塔"), ("θ", "西塔"), ("Θ", "西塔"), ("ι", "艾欧塔"), ("κ", "喀帕"),
    ("λ", "拉姆达"), ("Λ", "拉姆达"), ("μ", "缪"), ("ν", "拗"), ("ξ", "克西"), ("Ξ", "克西"),
    ("ο", "欧米克伦"), ("π", "派"), ("Π", "派"), ("ρ", "肉"), ("ς", "西格玛"), ("Σ", "西格玛"),
    ("σ", "西格玛"), ("τ", "套"), ("υ", "宇普西龙"), ("φ", "服艾"), ("Φ", "服艾"), ("χ", "器"),
    ("ψ", "普赛"), ("Ψ", "普赛"), ("ω", "欧米伽"), ("Ω", "欧米伽"),
    ("+", "加"), ("-", "减"), ("×", "乘"), ("÷", "除"), ("=", "等"),
)
_ARITHMETIC_WORDS = {"+": "加", "-": "减", "×": "乘", "÷": "除", "=": "等于"}
_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                 "⁷": "7", "⁸": "8", "⁹": "9", "ˣ": "x", "ʸ": "y", "ⁿ": "n"}
_OPERAND = (
    r"((-?)((\d+)(\.\d+)?[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)|(\.\d+[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*)|([A-Za-z][⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]*))"
)
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ARITHMETIC = re.compile(_OPERAND + r"([\+\-\×÷=])" + _OPERAND)
_NUMBER = re.compile(r"(-?)((\d+)(\.\d+)?)|(\.(\d+))")


@cache
def _traditional_to_simplified() -> dict[int, str]:
    table: dict[str, str] = load_json_resource("zh_traditional_to_simplified.json")
    return {ord(k): v for k, v in table.items()}


def to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones (the v2 models read simplified).

    Speech recognition often writes Mandarin in traditional characters; a transcript is
    converted before it is stored so what a person reviews is what the model will read.
    """
    return text.translate(_traditional_to_simplified())


def _time_part(digits: str) -> str:
    words = read_number(digits.lstrip("0"))
    return "零" + words if digits.startswith("0") else words


def _hour(digits: str) -> str:
    """Two o'clock is 两点, as every speaker says it; other hours read as numbers."""
    words = read_number(digits)
    return "两" if words == "二" else words


def _clock(hour: str, minute: str, second: str | None, half_check: str) -> str:
    words = f"{_hour(hour)}点"
    if minute.lstrip("0"):
        words += "半" if int(half_check) == 30 else f"{_time_part(minute)}分"
    if second and second.lstrip("0"):
        words += f"{_time_part(second)}秒"
    return words


def _time_range(m: re.Match[str]) -> str:
    # Upstream checks the first minute for 半 in both halves; kept so 8:30-9:30 reads alike.
    first = _clock(m.group(1), m.group(2), m.group(4), m.group(2))
    return first + "至" + _clock(m.group(6), m.group(7), m.group(9), m.group(2))


def _time(m: re.Match[str]) -> str:
    return _clock(m.group(1), m.group(2), m.group(4), m.group(2))


def _date(m: re.Match[str]) -> str:
    words = f"{read_digits(m.group(1))}年"
    if m.group(3):
        words += f"{read_cardinal(m.group(3))}月"
    if m.group(5):
        words += f"{read_cardinal(m.group(5))}{m.group(9)}"
    return words


def _month_day(m: re.Match[str]) -> str:
    words = f"{read_cardinal(m.group(1))}月"
    if m.group(2):
        words += f"{read_cardinal(m.group(2))}{m.group(3)}"
    return words


def _numeric_date(m: re.Match[str]) -> str:
    return (f"{read_digits(m.group(1))}年{read_cardinal(m.group(3))}月"
            f"{read_cardinal(m.group(4))}日")


_DEGREE_WORDS = {"摄氏度": "摄氏度", "°F": "华氏度"}


def _temperature(m: re.Match[str]) -> str:
    unit = _DEGREE_WORDS.get(m.group(4), "度")
    return f"{'零下' if m.group(1) else ''}{read_number(m.group(2))}{unit}"


def _temperature_range(m: re.Match[str]) -> str:
    """20-25℃ -> 二十到二十五度: the dash is a range, not a minus on the second number."""
    def one(value: str) -> str:
        return ("零下" if value.startswith("-") else "") + read_number(value.lstrip("-"))
    return f"{one(m.group(1))}到{one(m.group(2))}{_DEGREE_WORDS.get(m.group(3), '度')}"


def _arithmetic(m: re.Match[str]) -> str:
    """'1+1=2' is arithmetic; a dash between two numbers with no '=' in sight is a range
    ('价格是3-5' -> 三到五), which is how prose uses it."""
    first, operator, second = m.group(1), m.group(8), m.group(9)
    is_range = operator == "-" and "=" not in m.string
    if is_range and _PLAIN_NUMBER.fullmatch(first) and _PLAIN_NUMBER.fullmatch(second):
        return f"{read_number(first)}到{read_number(second)}"
    return first + _ARITHMETIC_WORDS[operator] + second


def _power(m: re.Match[str]) -> str:
    return "的" + "".join(_SUPERSCRIPTS[c] for c in m.group(0)) + "次方"


def _fraction(m: re.Match[str]) -> str:
    sign = "负" if m.group(1) else ""
    return f"{sign}{read_number(m.group(3))}分之{read_number(m.group(2))}"


def _percentage(m: re.Match[str]) -> str:
    per = "百分之" if m.group(4) == "%" else "千分之"
    return f"{'负' if m.group(1) else ''}{per}{read_number(m.group(2))}"


def _mobile(m: re.Match[str]) -> str:
    return "，".join(read_digits(part, phone_style=True) for part in m.group(0).strip("+").split())


def _landline(m: re.Match[str]) -> str:
    return "，".join(read_digits(part, phone_style=True) for part in m.group(0).split("-"))


def _plain_number(m: re.Match[str]) -> str:
    if m.group(5):
        return read_number(m.group(5))
    return f"{'负' if m.group(1) else ''}{read_number(m.group(2))}"


def _number_range(m: re.Match[str]) -> str:
    return f"{_NUMBER.sub(_plain_number, m.group(1))}到{_NUMBER.sub(_plain_number, m.group(6))}"


def _negative(m: re.Match[str]) -> str:
    return f"负{read_number(m.group(2))}"


def _version(m: re.Match[str]) -> str:
    return "".join("点" if c == "." else read_number(c) for c in m.group(1))


def _count(m: re.Match[str]) -> str:
    words = read_number(m.group(1))
    if m.group(3) not in _CALENDAR_COUNTERS and (words == "二" or _TWO_THOUSAND.match(words)):
        words = "两" + words[1:]  # 两个, 两千人: what every speaker says
    approx = "多" if m.group(2) == "+" else (m.group(2) or "")
    return f"{words}{approx}{m.group(3)}"


def _long_digit_run(m: re.Match[str]) -> str:
    return read_digits(m.group(0), phone_style=True)


def _unit_range(m: re.Match[str]) -> str:
    return m.group(0).replace("~", "至")


def _year_range(m: re.Match[str]) -> str:
    return f"{read_digits(m.group(1))}年到{read_digits(m.group(2))}年"


def _count_range(m: re.Match[str]) -> str:
    return f"{read_number(m.group(1))}到{read_number(m.group(2))}"


def _bare_year_range(m: re.Match[str]) -> str:
    return f"{read_digits(m.group(1))}到{read_digits(m.group(2))}"


def _money_words(amount: str) -> str:
    """'1,250.50' -> 一千二百五十点五: separators go, and so do trailing decimal zeros."""
    amount = amount.replace(",", "")
    if "." in amount:
        amount = amount.rstrip("0").rstrip(".")
    words = read_number(amount)
    return "两" + words[1:] if _TWO_THOUSAND.match(words) else words  # 两千, as said


def _money(m: re.Match[str]) -> str:
    sign, currency, first, second, scale, written = m.groups()
    words = ("负" if sign else "") + _money_words(first)
    if second:
        words += "到" + _money_words(second)
    return words + (scale or "") + (written or _CURRENCY_WORDS[currency])


def _grouped_number(m: re.Match[str]) -> str:
    return ("负" if m.group(1) else "") + _money_words(m.group(2))


def _grouped_range(m: re.Match[str]) -> str:
    return f"{_money_words(m.group(1))}到{_money_words(m.group(2))}"


def _score(m: re.Match[str]) -> str:
    return f"{read_cardinal(m.group(1))}比{read_cardinal(m.group(2))}"


def _ordinal(m: re.Match[str]) -> str:
    """第3 -> 第三; 第3-5 -> 第三到五 (never 两, never a subtraction)."""
    words = m.group(1) + read_number(m.group(2))
    return words + (f"到{read_cardinal(m.group(3))}" if m.group(3) else "")


def _clock_hour(m: re.Match[str]) -> str:
    return _hour(m.group(1))


# Counters after which 2 is 二, not 两: dates and ordinals (二月, 二日, 二世纪, 二年级).
_TWO_THOUSAND = re.compile("二[千万亿]")
_CALENDAR_COUNTERS = frozenset("月 日 世 代 号".split())
_CURRENCY_WORDS = {"¥": "元", "￥": "元", "$": "美元", "€": "欧元", "£": "英镑", "₩": "韩元"}
_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_GROUPED = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?"
# Rules on the whole text, before it is cut at commas: "1,400,000" must stay one number.
_TEXT_RULES: list[Rule] = [
    (re.compile(r"[−－﹣]"), lambda m: "-"),
    (re.compile(r"[#＃](?=\d)"), lambda m: "第"),  # 排名#1 -> 排名第一
    (re.compile(r"(?<=\d)\s?[–—]\s?(?=\d)"), lambda m: "~"),
    (re.compile(rf"(-?)([¥￥$€£₩])\s?({_AMOUNT})(?:\s?[-~～到至]\s?({_AMOUNT}))?"
                r"(万亿|亿|千万|百万|万|千|百)?(元|块|美元|欧元|英镑)?"), _money),
    (re.compile(rf"(?<![\d.])({_GROUPED})\s?[-~～]\s?({_AMOUNT})"), _grouped_range),
    (re.compile(rf"(?<![\d.])(?<![\d.]\d)({_AMOUNT})\s?[-~～]\s?({_GROUPED})"),
     _grouped_range),
    (re.compile(rf"(?<![\d.])(-?)({_GROUPED})"), _grouped_number),
]
_TIME = r"([0-1]?[0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9]))?"
# "￥100" is an amount of yuan. "1990-2000年", "3~5个": a dash or tilde between numbers
# before a date or measure word is a range (到), not a subtraction.
_RANGE_RULES: list[Rule] = [
    (re.compile(r"￥(\d+(?:\.\d+)?)"), lambda m: f"{read_number(m.group(1))}元"),
    (re.compile(r"(?<![\d.])(\d{4})[-~～](\d{4})年"), _year_range),
    (re.compile(r"(?<![\d.])(1\d{3}|20\d{2})~(1\d{3}|20\d{2})(?![\d.])"), _bare_year_range),
    (re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)[-~～](\d+(?:\.\d+)?)"
                r"(?=[多余几]?(?:" + _QUANTIFIERS + "))"), _count_range),
]
_NUMBER_RULES_BEFORE_UNITS: list[Rule] = [
    (re.compile(r"(第)(\d+(?:\.\d+)?)(?:[-~～](\d+))?"), _ordinal),
    (re.compile(r"(?<!\d)(\d0)(?=年代)"), lambda m: read_cardinal(m.group(1))),
    (re.compile(r"(\d{4}|\d{2})年((0?[1-9]|1[0-2])月)?(((0?[1-9])|((1|2)[0-9])|30|31)([日号]))?"),
     _date),
    (re.compile(r"(?<![\d.])(0?[1-9]|1[0-2])月(?:(0?[1-9]|[12][0-9]|3[01])([日号]))?"),
     _month_day),
    (re.compile(r"(?<![\d.])(\d+)(?=世纪|年级|届|期|楼|路)"), lambda m: read_cardinal(m.group(1))),
    (re.compile(r"(\d{4})([- /.])(0[1-9]|1[012])\2(0[1-9]|[12][0-9]|3[01])"), _numeric_date),
    (re.compile(_TIME + r"(~|-)" + _TIME), _time_range),
    (re.compile(_TIME), _time),
    (re.compile(r"(?<![\d.:])(\d+):(\d+)(?![\d:])"), _score),
    (re.compile(r"(?<![\d.])([01]?[0-9]|2[0-4])(?=点(?![\d]))"), _clock_hour),
    (re.compile(rf"((-?)((\d+)(\.\d+)?)|(\.(\d+)))({_UNIT_PATTERN})[~]"
                rf"((-?)((\d+)(\.\d+)?)|(\.(\d+)))({_UNIT_PATTERN})"), _unit_range),
    (re.compile(r"(?<![\d.])(-?\d+(?:\.\d+)?)[-~～](-?\d+(?:\.\d+)?)(°C|℃|°F|°|度|摄氏度)"),
     _temperature_range),
    (re.compile(r"((?<![\d.])-)?(\d+(\.\d+)?)(°C|℃|°F|°|度|摄氏度)"), _temperature),
]
# Phone numbers before arithmetic, so that the dash of "010-12345678" is not 减.
_PHONE_RULES: list[Rule] = [
    (re.compile(r"(?<!\d)((\+?86 ?)?1([38]\d|5[0-35-9]|7[678]|9[89])\d{8})(?!\d)"), _mobile),
    (re.compile(r"(?<!\d)((0(10|2[1-3]|[3-9]\d{2})-?)?[1-9]\d{6,7})(?!\d)"), _landline),
    (re.compile(r"(400)(-)?\d{3}(-)?\d{4}"), _landline),
]
_NUMBER_RULES_AFTER_UNITS: list[Rule] = [
    (re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹ˣʸⁿ]+"), _power),
    (re.compile(r"(-?)(\d+)/(\d+)"), _fraction),
    (re.compile(r"(-?)(\d+(\.\d+)?)([%‰])"), _percentage),
    (re.compile(r"(?<![\d\+\-\×÷=])((-?)((\d+)(\.\d+)?))[-~]((-?)((\d+)(\.\d+)?))(?![\d\+\-\×÷=])"),
     _number_range),
    (re.compile(r"(-)(\d+)"), _negative),
    (re.compile(r"((\d+)(\.\d+)(\.\d+)?(\.\d+)+)"), _version),
    (re.compile(r"(-?)((\d+)(\.\d+))|(\.(\d+))"), _plain_number),
    (re.compile(r"(\d+)([多余几\+])?(" + _QUANTIFIERS + ")"), _count),
    (re.compile(r"\d{3}\d*"), _long_digit_run),
    (_NUMBER, _plain_number),
]


def split_clauses(text: str) -> list[str]:
    """Clauses at Chinese/ASCII clause punctuation, with spaces and decorations removed."""
    text = _DECORATION.sub("", text.replace(" ", ""))
    text = _SENTENCE_END.sub("\\1\n", text).strip()
    return [clause.strip() for clause in re.split(r"\n+", text)]


def _replace_units(clause: str) -> str:
    units_after_number = dict(_UNITS_AFTER_NUMBER)
    clause = _UNIT_AFTER_NUMBER.sub(lambda m: units_after_number[m.group(1)], clause)
    for abbreviation, word in _UNIT_WORDS:
        clause = clause.replace(abbreviation, word)
    return clause


def _replace_symbols(clause: str) -> str:
    for symbol, word in _SYMBOL_WORDS:
        clause = clause.replace(symbol, word)
    return _LEFTOVER_SYMBOLS.sub("", clause)


def verbalize_clause(clause: str) -> str:
    """Digits, dates, times, units and symbols of one clause as Chinese words."""
    clause = to_simplified(clause).translate(_FULLWIDTH)
    for pattern, replace in _RANGE_RULES + _NUMBER_RULES_BEFORE_UNITS:
        clause = pattern.sub(replace, clause)
    clause = _replace_units(clause)
    for pattern, replace in _PHONE_RULES:
        clause = pattern.sub(replace, clause)
    while _ARITHMETIC.search(clause):
        clause = _ARITHMETIC.sub(_arithmetic, clause)
    for pattern, replace in _NUMBER_RULES_AFTER_UNITS:
        clause = pattern.sub(replace, clause)
    return _replace_symbols(clause)


def normalize_zh(text: str) -> str:
    """Text as the Mandarin G2P expects it: Chinese characters and v2 punctuation only."""
    text = to_simplified(text).translate(_FULLWIDTH)
    for pattern, replace in _TEXT_RULES:
        text = pattern.sub(replace, text)
    spoken = "".join(keep_spoken_characters(verbalize_clause(c)) for c in split_clauses(text))
    return collapse_repeated_punctuation(spoken)
