"""The frontend against upstream GPT-SoVITS v2 outputs (text_frontend.json, README §6).

Reports the raw exact-match rate against upstream and every mismatch. Where upstream reads
a sentence in a way a listener hears as broken we do not copy it: such a sentence counts
towards the 95 % only when every difference in its normalised text is one of the rules in
``upstream_departures`` (checked on the sentence's text, so any fixture folder of this
format is judged the same way) and our G2P gives upstream's phones for upstream's reading
(the phone stage itself never departs).
"""

from __future__ import annotations

import json

import pytest
from upstream_departures import explain

from voicestudio.text.frontend import TextFrontend

pytestmark = pytest.mark.fixtures
MIN_RATE = 0.95


def _load_items(fixtures_dir):
    return json.loads((fixtures_dir / "text_frontend.json").read_text(encoding="utf-8"))["items"]


def _rate(name: str, rows: list[tuple[str, bool, list[str] | None]]) -> tuple[float, str]:
    """(label, equals upstream, departure rules or None) rows -> accounted rate, report."""
    raw = sum(1 for _, same, _ in rows if same)
    departed = [(label, rules) for label, same, rules in rows if not same and rules]
    misses = [label for label, same, rules in rows if not same and not rules]
    n = len(rows) or 1
    accounted = raw + len(departed)
    return accounted / n, (
        f"{name}: upstream-exact {raw}/{len(rows)} = {raw / n:.1%}; with rule-explained "
        f"departures {accounted}/{len(rows)} = {accounted / n:.1%}; departures: {departed}; "
        f"unexplained mismatches: {misses}"
    )


def _departure_rules(frontend, text, upstream_segments, ours_norm, upstream_norm):
    """Rules explaining the difference, or None; also requires upstream's phones from our G2P
    on upstream's own normalised text, segment by segment."""
    for segment in upstream_segments:
        if "error" in segment or segment["lang"] not in ("zh", "en"):
            return None
        redone = frontend.cleaner.phonemize_normalized(segment["norm_text"], segment["lang"])
        if redone.phone_ids != segment["phone_ids"]:
            return None
    return explain(text, upstream_norm, ours_norm) or None


@pytest.fixture(scope="module")
def comparison(fixtures_dir):
    frontend = TextFrontend()
    phones, word2ph, zh_mode, en_mode = [], [], [], []
    for item in _load_items(fixtures_dir):
        label = f"#{item['index']} {item['text']!r}"
        for lang, expected in item.get("clean_text", {}).items():
            if "error" in expected:
                continue
            got = frontend.clean(item["text"], lang)
            upstream_segment = {**expected, "lang": lang}
            rules = _departure_rules(
                frontend, item["text"], [upstream_segment], got.norm_text, expected["norm_text"]
            )
            phones.append((f"{label}[{lang}]", got.phones == expected["phones"], rules))
            word2ph.append((f"{label}[{lang}]", got.word2ph == expected["word2ph"], rules))
        for mode, bucket in (("zh", zh_mode), ("en", en_mode)):
            expected = item.get("inference_get_phones_and_bert", {}).get(mode)
            if not expected or "error" in expected:
                continue
            got = frontend.phones_and_bert(item["text"], mode, require_speech=False)
            same = got.phone_ids == expected["phone_ids"]
            same = same and list(got.bert.shape) == expected["bert_shape"]
            rules = None if same else _departure_rules(
                frontend, item["text"], expected["segments"], got.norm_text,
                expected["norm_text"],
            )
            bucket.append((label, same, rules))
    return {
        "clean_text phones": phones,
        "clean_text word2ph": word2ph,
        "inference zh phone_ids": zh_mode,
        "inference en phone_ids": en_mode,
    }


@pytest.mark.parametrize(
    "measure",
    ["clean_text phones", "clean_text word2ph", "inference zh phone_ids", "inference en phone_ids"],
)
def test_exact_match_rate(comparison, measure):
    rate, report = _rate(measure, comparison[measure])
    print(report)
    assert comparison[measure], f"the fixture file has no cases for {measure}"
    assert rate >= MIN_RATE, report
