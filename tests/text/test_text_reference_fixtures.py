"""The frontend against upstream GPT-SoVITS v2 outputs (text_frontend.json, README §6).

Reports exact-match rates and every mismatch; deliberate differences from upstream are
listed in docs of ``en_normalize`` and ``lang_segment`` (Dr. read as Doctor, 5℃ kept in the
Chinese segment).
"""

from __future__ import annotations

import json

import pytest

from voicestudio.text.frontend import TextFrontend

pytestmark = pytest.mark.fixtures
MIN_RATE = 0.95


def _load_items(fixtures_dir):
    return json.loads((fixtures_dir / "text_frontend.json").read_text(encoding="utf-8"))["items"]


def _rate(name: str, matches: list[tuple[str, bool]]) -> tuple[float, str]:
    ok = sum(1 for _, good in matches if good)
    misses = [label for label, good in matches if not good]
    rate = ok / len(matches) if matches else 1.0
    return rate, f"{name}: {ok}/{len(matches)} = {rate:.1%}; mismatches: {misses}"


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
            phones.append((f"{label}[{lang}]", got.phones == expected["phones"]))
            word2ph.append((f"{label}[{lang}]", got.word2ph == expected["word2ph"]))
        for mode, bucket in (("zh", zh_mode), ("en", en_mode)):
            expected = item.get("inference_get_phones_and_bert", {}).get(mode)
            if not expected or "error" in expected:
                continue
            got = frontend.phones_and_bert(item["text"], mode, require_speech=False)
            same = got.phone_ids == expected["phone_ids"]
            same = same and list(got.bert.shape) == expected["bert_shape"]
            bucket.append((label, same))
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
