"""The narration renderer on the real pipeline (tiny base models): a sentence's audio does not
depend on the batch it was rendered in, and the engine's cache holds exactly that audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from synth_signals import babble

from voicestudio.project.library import VoiceLibrary
from voicestudio.project.narration import create_narration
from voicestudio.synthesis.narration import NarrationEngine, SynthesizerRenderer
from voicestudio.synthesis.narration_checks import SentenceChecker
from voicestudio.synthesis.pipeline import (
    ModelFiles,
    SentenceSpec,
    SynthesisRequest,
    get_synthesizer,
)
from voicestudio.text.lexicon import UserLexicon


@pytest.fixture(scope="module")
def renderer(tiny_data_dir, tmp_path_factory) -> SynthesizerRenderer:
    reference = tmp_path_factory.mktemp("ref") / "ref.wav"
    sf.write(reference, babble(4.0), 32000)
    settings = SynthesisRequest(text="-", reference=reference,
                                reference_text="One two three, four five.", lang="en")
    return SynthesizerRenderer(get_synthesizer(ModelFiles.base(tiny_data_dir), "cpu"), settings)


def test_one_sentence_alone_equals_its_batched_rendering(renderer):
    specs = [SentenceSpec("Hello there, my friend.", 11),
             SentenceSpec("How are you doing today, my dear friend?", 12),
             SentenceSpec("Fine, thanks.", 13, speed=1.2)]
    batched = renderer.render(specs, UserLexicon())
    assert all(item.audio.size > 0 for item in batched)
    for spec, together in zip(specs, batched, strict=True):
        (alone,) = renderer.render([spec], UserLexicon())
        assert alone.n_tokens == together.n_tokens
        assert np.array_equal(alone.audio, together.audio)
    other = renderer.render([SentenceSpec(specs[0].text, 99)], UserLexicon())[0]
    assert not np.array_equal(other.audio, batched[0].audio)


def test_engine_caches_exactly_what_the_pipeline_rendered(renderer, tmp_path: Path):
    voice = VoiceLibrary(tmp_path).create("Reader", ["en"])
    project = create_narration(voice, "Short")
    chapter = project.add_chapter("One", "The sun rose. It was warm.")
    engine = NarrationEngine(project, renderer, checker=SentenceChecker())
    report = engine.render_chapter(chapter.id)
    assert report.sentences == 3 and report.rendered >= 3
    plan = engine.plan(chapter.id)
    spec = SentenceSpec(plan.sentences[1].text, plan.records[1].take.seed)
    (fresh,) = renderer.render([spec], UserLexicon())
    assert np.array_equal(engine.sentence_audio(plan, 1), fresh.audio)
    assert engine.chapter_audio(chapter.id).audio.size > fresh.audio.size
