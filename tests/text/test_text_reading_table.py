"""What a careful narrator says for numbers, units, dates, money and abbreviations.

Each row is a sentence as a user types it and the normalised text the frontend reads
(``voicestudio phonemes`` shows the same). Sentences mix both languages the way books and
messages do; a number or an amount in a Mandarin sentence is read in Mandarin, an English
phrase inside Mandarin stays English. Nothing raw (a digit, %, $, °, /) may reach the
phoneme stage, which would drop it silently or spell it letter by letter.
"""

from __future__ import annotations

import re

import pytest

from voicestudio.text.frontend import TextFrontend
from voicestudio.text.symbols import UNKNOWN_PHONE

READINGS: list[tuple[str, str]] = [
    # English money
    ('The deal was worth $3.2 billion.', 'The deal was worth three point two billion dollars.'),
    ('They raised $2.5 million.', 'They raised two point five million dollars.'),
    ('A coffee costs €4.50 here.', 'A coffee costs four euros and fifty cents here.'),
    ('The ticket was ¥1,250.', 'The ticket was one thousand two hundred fifty yen.'),
    ('She paid £2.50 for the tea.', 'She paid two pounds and fifty pence for the tea.'),
    ('It only costs $0.99.', 'It only costs ninety-nine cents.'),
    ('It sold for $1,250,000.', 'It sold for one million two hundred fifty thousand dollars.'),
    ('The company lost $10k in a week.', 'The company lost ten thousand dollars in a week.'),
    ('He owes me $1.', 'He owes me one dollar.'),
    ('The budget is $5m.', 'The budget is five million dollars.'),
    # English numbers: separators, negatives, ranges, decimals
    ('The population is 1,000,000.', 'The population is one million.'),
    ('The temperature fell to -3 degrees.', 'The temperature fell to minus three degrees.'),
    ('It was a 10–20 minute walk.', 'It was a ten to twenty minute walk.'),
    ('Pages 3-5 are missing.', 'Pages three to five are missing.'),
    ('There are 1,250 shares left.', 'There are one thousand two hundred fifty shares left.'),
    ('Pi is about 3.14.', 'Pi is about three point one four.'),
    # English ordinals
    ('The 2nd and the 21st runners fell.', 'The second and the twenty-first runners fell.'),
    ('She came 3rd in the 100th race.', 'She came third in the one hundredth race.'),
    # English years, decades, centuries
    ('The 1960s were loud.', 'The nineteen sixties were loud.'),
    ("He grew up in the '80s.", 'He grew up in the eighties.'),
    ('It happened in 1984.', 'It happened in nineteen eighty-four.'),
    ('The year 2010 was good.', 'The year twenty ten was good.'),
    ('The 1900s saw two wars.', 'The nineteen hundreds saw two wars.'),
    ('In 2000 we moved.', 'In two thousand we moved.'),
    ('Born in 1905, he lived long.', 'Born in nineteen oh five, he lived long.'),
    ('The war lasted 1914–1918.', 'The war lasted nineteen fourteen to nineteen eighteen.'),
    ('The fifth century began in 401.', 'The fifth century began in four hundred one.'),
    # English dates and times
    ('He was born on July 4, 1776.', 'He was born on July fourth, seventeen seventy-six.'),
    ('The shop opens at 6 a.m.', 'The shop opens at six A M.'),
    ('The train leaves at 14:05.', 'The train leaves at fourteen oh five.'),
    ('Meet me at 5:30.', 'Meet me at five thirty.'),
    ('Lunch is at 12:00.', "Lunch is at twelve o'clock."),
    ('The show starts at 9:30 pm.', 'The show starts at nine thirty P M.'),
    ('The deadline is 2024-03-05.', 'The deadline is March fifth, twenty twenty-four.'),
    ('We met on 4 July 2020.', 'We met on the fourth of July twenty twenty.'),
    # English units and temperatures
    ('It is a 5 km walk.', 'It is a five kilometer walk.'),
    ('The bag weighs 3.2kg.', 'The bag weighs three point two kilograms.'),
    ('He ran 100 m in ten seconds.', 'He ran one hundred meters in ten seconds.'),
    ('The limit is 60 km/h.', 'The limit is sixty kilometers per hour.'),
    ('It was 25°C yesterday.', 'It was twenty-five degrees Celsius yesterday.'),
    ('It fell to −10 °C at night.', 'It fell to minus ten degrees Celsius at night.'),
    ('Water boils at 212°F.', 'Water boils at two hundred twelve degrees Fahrenheit.'),
    ('The file is 16 GB.', 'The file is sixteen gigabytes.'),
    ('The delay was 200 ms.', 'The delay was two hundred milliseconds.'),
    ('Add 1 km to the route.', 'Add one kilometer to the route.'),
    # English percentages
    ('Prices rose 12% this year.', 'Prices rose twelve percent this year.'),
    ('Only 0.3% of them failed.', 'Only zero point three percent of them failed.'),
    ('A 10-20% discount applies.', 'A ten to twenty percent discount applies.'),
    # English fractions
    ('Use 3/4 of the flour.', 'Use three quarters of the flour.'),
    ('About 1/3 of the class came.', 'About one third of the class came.'),
    ('Add 1/2 cup of milk.', 'Add one half cup of milk.'),
    # Roman numerals
    ('Chapter XII begins here.', 'Chapter twelve begins here.'),
    ('Louis XIV built Versailles.', 'Louis the fourteenth built Versailles.'),
    ('World War I ended in 1918.', 'World War one ended in nineteen eighteen.'),
    ('Henry V was a king.', 'Henry the fifth was a king.'),
    ('Queen Elizabeth II reigned long.', 'Queen Elizabeth the second reigned long.'),
    ('Read Part II first.', 'Read Part two first.'),
    # English abbreviations
    ('Mr. Brown met Mrs. Green.', 'Mister Brown met Missus Green.'),
    ('Dr. Smith is here.', 'Doctor Smith is here.'),
    ('St. Paul is a saint.', 'Saint Paul is a saint.'),
    ('She lives at 12 Baker St.', 'She lives at twelve Baker Street.'),
    ('We climbed Mt. Everest.', 'We climbed Mount Everest.'),
    ('It was Kennedy vs. Nixon.', 'It was Kennedy versus Nixon.'),
    ('Bring pens, paper, etc.', 'Bring pens, paper, et cetera.'),
    ('Use a fruit, e.g. an apple.', 'Use a fruit, for example an apple.'),
    ('The U.S.A. is large.', 'The U S A is large.'),
    # English phone numbers
    ('Call 555-123-4567 now.', 'Call five five five, one two three, four five six seven now.'),
    ('My number is 555-1234.', 'My number is five five five, one two three four.'),
    # English scores and ratios
    ('They won 3:1.', 'They won three to one.'),
    ('The ratio is 16:9.', 'The ratio is sixteen to nine.'),
    ('The score was 3-1.', 'The score was three to one.'),
    # English symbols and abbreviations
    ('Room No. 5 is free.', 'Room number five is free.'),
    ('COVID-19 changed everything.', 'C O V I D-nineteen changed everything.'),
    ('R&D costs rose.', 'R and D costs rose.'),
    ('Prof. Lee teaches here.', 'Professor Lee teaches here.'),
    ('The 3 + 4 = 7 sum is easy.', 'The three plus four equals seven sum is easy.'),
    ('I have 2 cats and 10 dogs.', 'I have two cats and ten dogs.'),
    ('Smith Jr. arrived late.', 'Smith Junior arrived late.'),
    ('Apple Inc. makes phones.', 'Apple Incorporated makes phones.'),
    ('The meeting is on Jan. 5th.', 'The meeting is on January fifth.'),
    # Mandarin percentages
    ('今年的增长率达到了12.5%。', '今年的增长率达到了百分之十二点五.'),
    # Mandarin money
    ('价格是3.5亿元。', '价格是三点五亿元.'),
    ('公司市值达到¥1,250。', '公司市值达到一千二百五十元.'),
    ('门票100-200元。', '门票一百到二百元.'),
    # Mandarin numbers: separators, negatives, ranges
    ('人口超过1,400,000人。', '人口超过一百四十万人.'),
    ('气温降到-3度。', '气温降到零下三度.'),
    ('休息3-5天。', '休息三到五天.'),
    ('比赛有10–20个队参加。', '比赛有十到二十个队参加.'),
    # Mandarin ordinals and measure words
    ('他得了第3名。', '他得了第三名.'),
    ('他是第2名。', '他是第二名.'),
    ('我买了2个苹果。', '我买了两个苹果.'),
    # Mandarin years and dates
    ('20世纪80年代很热闹。', '二十世纪八十年代很热闹.'),
    ('2020年是特别的一年。', '二零二零年是特别的一年.'),
    ('会议在2024年3月5日举行。', '会议在二零二四年三月五日举行.'),
    ('2月14日是情人节。', '二月十四日是情人节.'),
    # Mandarin times
    ('现在是下午2:30。', '现在是下午两点半.'),
    ('我们8:30出发。', '我们八点半出发.'),
    ('我下午2点到。', '我下午两点到.'),
    # Mandarin scores
    ('比分是3:1。', '比分是三比一.'),
    ('比分3:2，主队赢了。', '比分三比二,主队赢了.'),
    # Mandarin temperatures
    ('他的体温是38.5°C。', '他的体温是三十八点五度.'),
    ('气温是−10℃。', '气温是零下十度.'),
    ('他发烧到37.5度。', '他发烧到三十七点五度.'),
    ('今天最高25°C。', '今天最高二十五度.'),
    # Mandarin units
    ('我跑了5km。', '我跑了五千米.'),
    ('时速60km/h。', '时速六十千米每小时.'),
    ('延迟200ms。', '延迟二百毫秒.'),
    ('他重3.2kg。', '他重三点二千克.'),
    # Mandarin percentages and fractions
    ('百分之五十的人同意。', '百分之五十的人同意.'),
    ('有0.3%的误差。', '有百分之零点三的误差.'),
    ('1/3的人没来。', '三分之一的人没来.'),
    # Mandarin phone numbers
    ('电话号码是13800138000。', '电话号码是幺三八零零幺三八零零零.'),
    ('请拨打010-12345678。', '请拨打零幺零,幺二三四五六七八.'),
    # Mandarin money
    ('他花了$5。', '他花了五美元.'),
    ('这本书€20。', '这本书二十欧元.'),
    ('一共¥100.50。', '一共一百点五元.'),
    ('价格：¥100～200元。', '价格,一百到二百元.'),
    ('这部手机2,999元。', '这部手机两千九百九十九元.'),
    ('我有3本书。', '我有三本书.'),
    # Mandarin numbers
    ('他22岁。', '他二十二岁.'),
    ('全长1,000米。', '全长一千米.'),
    ('第1章讲了很多。', '第一章讲了很多.'),
    ('这是1990-2000年的数据。', '这是一九九零年到二零零零年的数据.'),
    ('负数是-5。', '负数是负五.'),
    ('他考了98分。', '他考了九十八分.'),
    # Mixed Mandarin and English
    ('我们用iPhone 15拍的。', '我们用i Phone十五拍的.'),
    ('我在学Python 3编程。', '我在学Python三编程.'),
    ('这个API的延迟是200ms。', '这个A P I的延迟是二百毫秒.'),
    ('GPT模型有1750亿个参数。', 'G P T模型有一千七百五十亿个参数.'),
    ('明天的meeting改到下午3点。', '明天的meeting改到下午三点.'),
    ('他说了一句Thank you就走了。', '他说了一句Thank you就走了.'),
    ('我今天花了$20买书。', '我今天花了二十美元买书.'),
    ('I paid ¥500 for it.', 'I paid five hundred yen for it.'),
    ('他在World War II时期出生。', '他在World War two时期出生.'),
    ('Windows 10系统很好用。', 'Windows十系统很好用.'),
    ('我的email是test。', '我的email是test.'),
    # More Mandarin
    ('这次涨了12%。', '这次涨了百分之十二.'),
    ('这台电脑有16GB内存。', '这台电脑有十六G B内存.'),
    ('第2名得了95分。', '第二名得了九十五分.'),
    ('从1914–1918年。', '从一九一四年到一九一八年.'),
    ('我们去了2次。', '我们去了两次.'),
    ('这是2世纪的事。', '这是二世纪的事.'),
    ('一年级有2个班。', '一年级有两个班.'),
    # More English
    ('The 19th century was long.', 'The nineteenth century was long.'),
    ('Read Chapter 12 tonight.', 'Read Chapter twelve tonight.'),
    ('We land at 2 p.m.', 'We land at two P M.'),
    ('The 3rd of May was sunny.', 'The third of May was sunny.'),
    ('The museum opened in Sept. 2019.', 'The museum opened in September twenty nineteen.'),
    ('He scored 15 points in 2 games.', 'He scored fifteen points in two games.'),
    ('About 2,500 people came.', 'About two thousand five hundred people came.'),
    ('Chapter IV starts on page 40.', 'Chapter four starts on page forty.'),
    ('Pope John Paul II visited.', 'Pope John Paul the second visited.'),
    ('Malcolm X spoke here.', 'Malcolm X spoke here.'),
    ('The bill was $1,000 and £500.', 'The bill was one thousand dollars and five hundred pounds.'),
    ('It was -5 °C outside.', 'It was minus five degrees Celsius outside.'),
    ('There are 24 h in a day.', 'There are twenty-four hours in a day.'),
    ('The jar holds 500 ml.', 'The jar holds five hundred milliliters.'),
    ('He lifted 80 kg.', 'He lifted eighty kilograms.'),
    ('It weighs 1.5 lbs.', 'It weighs one point five pounds.'),
    ('Volume III is out.', 'Volume three is out.'),
    ('It is 50‰ salt.', 'It is fifty per mille salt.'),
    ('Solve x² + y² = 1.', 'Solve x squared plus y squared equals one.'),
    ('Call +86 138 0013 8000.',
     'Call plus eight six, one three eight, zero zero one three, eight zero zero zero.'),
    ('Mrs Smith met Mr Jones.', 'Missus Smith met Mister Jones.'),
    ('He is 5\'11" tall.', 'He is five feet eleven inches tall.'),
    ('Call 911 now.', 'Call nine one one now.'),
    ('See www.example.com now.', 'See www dot example dot com now.'),
    ('He was born c. 1450.', 'He was born circa fourteen fifty.'),
    # More Mandarin
    ('他跳了2米高。', '他跳了两米高.'),
    ('我有2000元。', '我有两千元.'),
    ('5G手机很快。', '五G手机很快.'),
    ('浓度是50‰。', '浓度是千分之五十.'),
    ('他排名#1。', '他排名第一.'),
    ('第3-5章很精彩。', '第三到五章很精彩.'),
    ('温度在20-25℃之间。', '温度在二十到二十五度之间.'),
    ('价格是100-200。', '价格是一百到二百.'),
    ('他排在第22位。', '他排在第二十二位.'),
    ('上午10:15开会。', '上午十点十五分开会.'),
    ('他跑了1,500米。', '他跑了一千五百米.'),
]
# Characters the phoneme stage cannot read aloud: they must have become words before it.
_RAW = re.compile(r"[0-9%‰$€£¥￥°℃/&+=#@:~～×÷−–—]")


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    return TextFrontend()


@pytest.mark.parametrize(("text", "reading"), READINGS, ids=[t for t, _ in READINGS])
def test_reads_like_a_narrator(frontend: TextFrontend, text: str, reading: str) -> None:
    result = frontend.phonemize(text, "zh", retry_short=False)
    assert result.norm_text == reading
    assert _RAW.search(result.norm_text) is None
    assert UNKNOWN_PHONE not in result.phones


def test_english_mode_reads_the_same_english(frontend: TextFrontend) -> None:
    english = [(t, r) for t, r in READINGS if not re.search(r"[\u4e00-\u9fff]", t)]
    assert len(english) > 50
    for text, reading in english:
        assert frontend.phonemize(text, "en", retry_short=False).norm_text == reading, text
