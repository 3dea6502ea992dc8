"""The departure rules accept only the differences they name, on any sentence."""

from __future__ import annotations

import pytest
from upstream_departures import explain


@pytest.mark.parametrize(
    ("text", "upstream", "ours"),
    [
        ("Meet at 9:30 a.m.", "Meet at nine thirty a.m. a.m.", "Meet at nine thirty A M."),
        ("It was $2.5 million.", "It was two dollars and fifty cents million.",
         "It was two point five million dollars."),
        ("The 1960s.", "The nineteen sixty seconds.", "The nineteen sixties."),
        ("Louis XIV.", "Louis X I V.", "Louis the fourteenth."),
        ("Call 555-1234.", "Call five hundred fifty-five-twelve thirty-four.",
         "Call five five five, one two three four."),
        ("第2名", "第两名", "第二名"),
        ("比分3:2", "比分三二", "比分三比二"),
        ("价格¥100～200元", "价格幺零零…二百元", "价格一百到二百元"),
    ],
)
def test_named_departures_are_explained(text, upstream, ours):
    assert explain(text, upstream, ours)


@pytest.mark.parametrize(
    ("text", "upstream", "ours"),
    [
        # a lost word, a wrong number and a wrong unit are regressions, not departures
        ("I paid $3.50.", "I paid three dollars and fifty cents.", "I paid three dollars."),
        ("I have 12 cats.", "I have twelve cats.", "I have twenty cats."),
        ("跑了5km", "跑了五千米", "跑了五米"),
        # a rule only applies to the kind of text it is about
        ("The 1960s.", "The nineteen sixty seconds.", "The nineteen sixty."),
        ("第2名", "第两名", "第三名"),
        ("Dr. Smith", "Dr. Smith", "Mister Smith"),
    ],
)
def test_other_differences_are_not(text, upstream, ours):
    assert explain(text, upstream, ours) is None
