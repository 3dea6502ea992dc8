"""Recording prompts: the shipped corpora, their annotations, and the coverage coaching."""

from __future__ import annotations

import random
import re
import statistics

import pytest

from voicestudio.text.coverage import inventory, prompt_units
from voicestudio.text.coverage_plan import CoverageSelector
from voicestudio.text.prompt_corpus import Prompt, annotate_prompt, load_corpus

LANGS = ("zh", "en")
RANDOM_ORDERS = 20
PHONE_TARGET = 0.9  # share of single sounds heard at least once
PAIR_TARGET = 0.5  # share of the corpus's sound pairs


@pytest.mark.parametrize("lang", LANGS)
def test_corpus_has_400_short_readable_prompts_with_questions_and_exclamations(lang):
    corpus = load_corpus(lang)
    texts = [p.text for p in corpus.prompts]
    assert len(texts) >= 400 and len(set(texts)) == len(texts)
    assert corpus.source
    assert all(p.reading_seconds < 8 for p in corpus.prompts), "prompts stay short"
    assert sum(re.search(r"[?？]$", t) is not None for t in texts) >= 20
    assert sum(re.search(r"[!！]$", t) is not None for t in texts) >= 20
    heard = set().union(*(p.units for p in corpus.prompts))
    assert inventory(lang) <= heard, "every single sound occurs in some prompt"


@pytest.mark.parametrize("lang", LANGS)
def test_stored_units_are_what_the_frontend_says(lang):
    # Every 20th prompt keeps the test quick; a frontend change shows up in any sample.
    for prompt in load_corpus(lang).prompts[::20]:
        stored = {"text": prompt.text, "phones": prompt.phones, "units": sorted(prompt.units)}
        assert annotate_prompt(prompt.text, lang) == stored, (
            f"{prompt.id}: run python -m voicestudio.text.prompt_corpus {lang}")


def test_pair_units_cover_transitions_and_tone_pairs():
    units = prompt_units("你好，老师。", "zh")
    assert {"zh-pair:n+i", "zh-pair:i+h", "zh-tones:2-3"} <= units  # 你好 sandhi: 2-3
    assert "zh-pair:ao+l" not in units, "no pair across a comma"
    assert {"en-pair:S+T", "en-pair:T+AA"} <= prompt_units("Stop.", "en")


def _prompts_until(order: list[Prompt], lang: str, target: float, pairs: bool) -> int:
    corpus = load_corpus(lang)
    wanted = corpus.pair_inventory if pairs else inventory(lang)
    heard: set[str] = set()
    for count, prompt in enumerate(order, start=1):
        heard |= prompt.units & wanted
        if len(heard) >= target * len(wanted):
            return count
    return len(order) + 1


@pytest.mark.parametrize("lang", LANGS)
def test_selector_reaches_coverage_with_clearly_fewer_sentences_than_random(lang):
    corpus = load_corpus(lang)
    greedy = CoverageSelector(corpus).plan(80)
    randoms = [random.Random(seed).sample(corpus.prompts, len(corpus.prompts))
               for seed in range(RANDOM_ORDERS)]
    for target, pairs, factor in ((PHONE_TARGET, False, 0.6), (PAIR_TARGET, True, 0.8)):
        ours = _prompts_until(greedy, lang, target, pairs)
        median = statistics.median(_prompts_until(r, lang, target, pairs) for r in randoms)
        assert ours <= factor * median, (lang, target, pairs, ours, median)


def test_selector_replans_from_what_was_recorded():
    corpus = load_corpus("zh")
    selector = CoverageSelector(corpus)
    first = selector.next_prompt()
    selector.skip(first.id)
    second = selector.next_prompt()
    assert second.id != first.id
    # The skipped prompt's sounds are still wanted: nothing was recorded.
    assert selector.report().missing and not selector.report().covered
    selector.record(second.units, second.id)
    report = selector.report()
    assert report.thin and set(report.thin) <= second.units
    assert selector.next_prompt().id not in (first.id, second.id)
    assert "still missing" in report.summary()


def test_report_names_sounds_in_plain_words():
    selector = CoverageSelector(load_corpus("zh"))
    for prompt in load_corpus("zh").prompts:
        if "zh-initial:zh" not in prompt.units and "zh-final:v" not in prompt.units:
            selector.record(prompt.units, prompt.id)
    text = selector.report().summary(limit=10)
    assert "“zh”" in text and "“ü”" in text and "still missing" in text
    full = CoverageSelector(load_corpus("en"))
    for prompt in load_corpus("en").prompts:
        full.record(prompt.units, prompt.id)
    assert full.report().sound_fraction == 1.0
    assert "Every sound has been recorded" in full.report().summary()
