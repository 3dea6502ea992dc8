"""The synthesis pipeline end to end on the tiny base-model set."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from synth_signals import babble

from voicestudio.errors import JobCancelled, MissingModelError, UserInputError
from voicestudio.hub.status import require, require_file
from voicestudio.jobs import CancelToken
from voicestudio.models.s1 import DecodeResult, StopReason
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import ModelVersion
from voicestudio.synthesis import pipeline
from voicestudio.synthesis.pipeline import (
    ModelFiles,
    SynthesisRequest,
    get_synthesizer,
    implausibility,
)
from voicestudio.text.synthesis_text import SynthesisPiece, pieces_for_synthesis

SAMPLES_PER_TOKEN = 2 * 640  # 25 Hz tokens -> 50 Hz frames -> 640 samples each at 32 kHz
TEXT = "Hello there, my friend. How are you doing today?\n\nThe weather is very nice."


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "ref.wav"
    sf.write(path, babble(4.0), 32000)
    return path


@pytest.fixture(scope="module")
def synth(tiny_data_dir):
    return get_synthesizer(ModelFiles.base(tiny_data_dir), "cpu")


def _request(reference: Path, **changes) -> SynthesisRequest:
    fields = dict(text=TEXT, reference=reference, reference_text="One two three, four five.",
                  lang="en", seed=5)
    fields.update(changes)
    return SynthesisRequest(**fields)


def test_audio_length_follows_tokens_and_pauses_and_is_deterministic(synth, reference):
    progress = []
    result = synth.speak(_request(reference), progress=progress.append)
    assert result.sample_rate == 32000 and result.audio.dtype == np.float32
    assert result.audio.ndim == 1 and np.isfinite(result.audio).all()
    assert [s.text for s in result.sentences] == [
        "Hello there, my friend.", "How are you doing today?", "The weather is very nice."]
    for s in result.sentences:
        assert TEXT[s.start_char:s.end_char] == s.text
        assert s.end_sample - s.start_sample == s.n_tokens * SAMPLES_PER_TOKEN
        assert s.n_tokens >= 10 and s.attempts >= 1
    first, second, third = result.sentences
    assert first.start_sample == 0
    assert second.start_sample - first.end_sample == round(0.3 * 32000)  # sentence pause
    assert third.start_sample - second.end_sample == round(0.8 * 32000)  # paragraph pause
    assert result.audio.size == third.end_sample
    assert result.reference.text == "One two three, four five."
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    again = synth.speak(_request(reference))
    assert np.array_equal(again.audio, result.audio)
    other = synth.speak(_request(reference, seed=6))
    assert other.seed == 6 and not np.array_equal(other.audio, result.audio)


def test_chinese_with_bert_features_speed_and_no_transcript(synth, reference):
    result = synth.speak(_request(reference, text="你好，世界。今天天气很好！", lang="zh",
                                  reference_text="", speed=1.25))
    assert result.reference.text == ""  # no prompt: the voice's sound only
    for s in result.sentences:
        frames = int(2 * s.n_tokens / 1.25) + 1  # S2 stretches its latent to T / speed + 1
        assert s.end_sample - s.start_sample == frames * 640


def test_implausible_sentences_are_retried_then_reported(synth, reference, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_TOKENS_PER_PHONE", 0.0)
    monkeypatch.setattr(pipeline, "SLACK_TOKENS", 0)  # every length is now "too long"
    result = synth.speak(_request(reference, text="Hello there, my friend.", retries=1))
    (sentence,) = result.sentences
    assert sentence.attempts == 2 and "too long" in sentence.problem
    assert any("may be garbled" in w and "2 attempts" in w for w in result.warnings)


def test_a_callers_own_sentence_split_is_kept(synth, reference):
    text = "The weather is very nice. Hello there, my friend."
    assert len(pieces_for_synthesis(text, "en")) == 2
    request = _request(reference, text=text)
    with pytest.raises(ValueError):
        synth.speak_pieces(request, [SynthesisPiece(text, 0, len(text) + 1)])
    result = synth.speak_pieces(request, [SynthesisPiece(text, 0, len(text))])
    (sentence,) = result.sentences  # one piece as given, not the splitter's two
    assert (sentence.start_char, sentence.end_char, sentence.text) == (0, len(text), text)


def test_implausibility_rules():
    def decoded(n: int, stop: StopReason = StopReason.EOS) -> DecodeResult:
        return DecodeResult(torch.zeros(n, dtype=torch.long), stop, n, 500, 0)

    assert implausibility(decoded(50), 20) == ""
    assert "too short" in implausibility(decoded(10), 40)
    assert "too long" in implausibility(decoded(400), 20)
    assert "did not end" in implausibility(decoded(60, StopReason.LENGTH_CAP), 20)


def test_bad_requests_and_cancel(synth, reference):
    with pytest.raises(UserInputError, match="no text"):
        synth.speak(_request(reference, text="   "))
    with pytest.raises(UserInputError, match="Speed"):
        synth.speak(_request(reference, speed=3.0))
    with pytest.raises(UserInputError, match="Unknown language"):
        synth.speak(_request(reference, lang="fr"))
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        synth.speak(_request(reference), cancel=token)


def test_missing_base_models_say_how_to_install(tmp_path):
    with pytest.raises(MissingModelError, match="not installed.*models download"):
        ModelFiles.base(tmp_path)


def test_trained_voice_uses_its_latest_model_files(tiny_data_dir, tmp_path):
    library = VoiceLibrary(tmp_path)
    voice = library.create("Grandma Rose", ["zh"])
    with pytest.raises(MissingModelError, match="no trained model yet"):
        ModelFiles.for_voice(tiny_data_dir, voice)
    version = ModelVersion("v1", "2026-01-01T00:00:00+00:00", "fast", 60.0,
                           "models/v1/gpt.ckpt", "models/v1/sovits.pth")
    voice.add_model_version(version)
    with pytest.raises(MissingModelError, match="missing"):
        ModelFiles.for_voice(tiny_data_dir, voice)
    (voice.folder / "models/v1").mkdir(parents=True)
    shutil.copy(require_file(tiny_data_dir, "s1-v2"), voice.folder / version.s1_path)
    shutil.copy(require_file(tiny_data_dir, "s2g-v2"), voice.folder / version.s2_path)
    files = ModelFiles.for_voice(tiny_data_dir, library.find("grandma rose"))
    assert files.s1 == voice.folder / version.s1_path
    assert files.s2 == voice.folder / version.s2_path
    assert files.hubert == require(tiny_data_dir, "hubert")


@pytest.mark.fixtures
def test_speaks_with_checkpoints_written_by_upstream(fixtures_dir, tiny_data_dir, reference):
    """The small S1/S2 files upstream's own code wrote load and speak through the pipeline."""
    files = ModelFiles(fixtures_dir / "s1_small.ckpt", fixtures_dir / "s2G_small.pth",
                       require(tiny_data_dir, "hubert"),
                       require(tiny_data_dir, "bert"))
    result = get_synthesizer(files, "cpu").speak(_request(reference, text="你好，世界。",
                                                          lang="zh", retries=0))
    (sentence,) = result.sentences
    assert result.audio.size == sentence.n_tokens * SAMPLES_PER_TOKEN > 0
    assert np.isfinite(result.audio).all()


def test_the_reference_encoder_runs_once_per_reference_not_per_sentence(synth, reference):
    request = _request(reference, reference_text="Six seven eight.")  # a fresh prompt
    synth.load()
    generator = synth._s2.generator
    calls = []
    hook = generator.ref_enc.register_forward_hook(lambda *_: calls.append(1))
    try:
        first = synth.speak(request)  # three sentences
        assert len(calls) == 1  # the prompt's voice vectors, reused by every sentence
        prompt = synth.voice_prompt(reference, "Six seven eight.", "en")
        with torch.inference_mode():
            ge, ge_text = generator.voice(prompt.refer_spec, sv=prompt.sv)
        torch.testing.assert_close(prompt.voice[0], ge, rtol=0, atol=0)
        torch.testing.assert_close(prompt.voice[1], ge_text, rtol=0, atol=0)
    finally:
        hook.remove()
    np.testing.assert_array_equal(synth.speak(request).audio, first.audio)
