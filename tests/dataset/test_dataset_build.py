"""``build_dataset``: GPT-SoVITS 1A features per kept segment, recomputed only when it changed."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from voicestudio.errors import UserInputError
from voicestudio.hub.install import staged_install
from voicestudio.hub.status import model_state
from voicestudio.project.voice import Voice
from voicestudio.services.dataset import add_recordings, build_dataset, open_dataset
from voicestudio.text.cleaner import LanguageCleaner
from voicestudio.training.feature_store import FeatureStore
from voicestudio.training.features import FeatureModels, segment_fingerprint


@pytest.fixture
def story_voice(models_dir, make_voice, recordings, scripted) -> Voice:
    voice = make_voice()
    add_recordings(models_dir, voice.name, [recordings["story"]], transcriber=scripted)
    return voice


@pytest.fixture(scope="session")
def with_bert(models_dir) -> None:
    """Add a tiny BERT to the shared data folder (only Mandarin segments need one)."""
    import voicestudio.synthesis.tiny_models as tiny_models
    if model_state(models_dir, "bert").state != "tiny":
        with staged_install(models_dir, "bert", "tiny") as folder:
            tiny_models.write_tiny_bert(folder)


def _check_features(voice: Voice, segment_id: str) -> None:
    """Shapes and alignment the trainers rely on, and upstream's loudness mix."""
    dataset = open_dataset(voice.folder.parents[1], voice.name)
    segment = dataset.segment(segment_id)
    features = FeatureStore(voice.folder).load(segment_id)
    cleaned = LanguageCleaner().clean(segment.text, segment.lang)
    assert features.phone_ids.tolist() == cleaned.phone_ids
    assert features.bert.shape == (1024, len(cleaned.phone_ids))
    wav, rate = sf.read(voice.folder / features.audio_path, dtype="int16")
    assert rate == 32000 and wav.size == segment.end_sample - segment.start_sample
    peak = np.abs(wav.astype(np.int32)).max()
    # x/peak*(0.95*0.5*32768) + 0.5*32768*x: the peak lands between 0.475 and 0.95 of scale.
    assert 0.475 * 32768 < peak <= 0.95 * 32768 + 1
    frames50 = wav.size // 640  # HuBERT at 50 Hz on the 16 kHz copy
    assert abs(features.ssl.shape[1] - frames50) <= 1
    assert features.semantic.shape == (features.ssl.shape[1] // 2,)
    assert features.semantic.min() >= 0 and features.semantic.max() < 1024


def test_features_are_recomputed_only_for_a_changed_segment(models_dir, story_voice):
    name = story_voice.name
    progress = []
    first = build_dataset(models_dir, name, "cpu", progress=progress.append)
    dataset = open_dataset(models_dir, name)
    ids = [s.id for s in dataset.segments]
    assert len(ids) >= 2 and sorted(first.computed) == sorted(ids)
    for segment_id in ids:
        _check_features(story_voice, segment_id)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    again = build_dataset(models_dir, name, "cpu")
    assert again.computed == [] and sorted(again.unchanged) == sorted(ids)

    untouched = FeatureStore(story_voice.folder).path(ids[1]).read_bytes()
    dataset.update_text(ids[0], "My grandfather caught a very large fish.")
    report = build_dataset(models_dir, name, "cpu")
    assert report.computed == [ids[0]] and sorted(report.unchanged) == sorted(ids[1:])
    assert FeatureStore(story_voice.folder).load(ids[0]).text.startswith("My grandfather")
    assert FeatureStore(story_voice.folder).path(ids[1]).read_bytes() == untouched

    segment = open_dataset(models_dir, name).segment(ids[1])
    before = segment.duration_seconds
    moved = dataset.update_bounds(ids[1], segment.start_seconds + 0.2, segment.end_seconds - 0.2)
    (after,) = moved.after
    assert after.duration_seconds == pytest.approx(before - 0.4, abs=1e-3)
    report = build_dataset(models_dir, name, "cpu")
    assert report.computed == [ids[1]]
    _check_features(story_voice, ids[1])

    dataset.set_kept(ids[0], False)
    report = build_dataset(models_dir, name, "cpu")
    assert report.removed == [ids[0]] and report.computed == []
    assert FeatureStore(story_voice.folder).segment_ids() == sorted(ids[1:])
    assert not (story_voice.folder / "segments" / "features" / f"{ids[0]}.wav").exists()
    summary = Voice.open(story_voice.folder).manifest.dataset
    assert summary.segments == len(ids) - 1


def test_mandarin_text_gets_bert_features(models_dir, story_voice, with_bert):
    dataset = open_dataset(models_dir, story_voice.name)
    first = dataset.segments[0].id
    dataset.update_text(first, "今天天气很好，我们去湖边钓鱼。", lang="zh")
    report = build_dataset(models_dir, story_voice.name, "cpu")
    assert first in report.computed and not report.failed
    features = FeatureStore(story_voice.folder).load(first)
    assert features.lang == "zh" and np.abs(features.bert.astype(np.float32)).sum() > 0
    _check_features(story_voice, first)


def test_fingerprint_follows_inputs_and_base_models(models_dir, story_voice):
    segment = open_dataset(models_dir, story_voice.name).segments[0]
    models = FeatureModels(models_dir)
    base = segment_fingerprint(segment, models, "lexicon")
    assert segment_fingerprint(segment, models, "lexicon") == base
    assert segment_fingerprint(segment, models, "other lexicon") != base
    other_models = FeatureModels(models_dir, identities=dict(models.identities))
    other_models.identities["hubert"] += "-replaced"
    assert segment_fingerprint(segment, other_models, "lexicon") != base
    segment.audio_sha256 = "0" * 64
    assert segment_fingerprint(segment, models, "lexicon") != base


def test_edits_are_checked_and_saved(models_dir, story_voice):
    dataset = open_dataset(models_dir, story_voice.name)
    segment = dataset.segments[0]
    with pytest.raises(UserInputError):
        dataset.update_bounds(segment.id, -1.0, 2.0)
    with pytest.raises(UserInputError):
        dataset.update_bounds(segment.id, 1.0, 1.05)
    with pytest.raises(UserInputError):
        dataset.update_text(segment.id, "hello", lang="fr")
    dataset.update_text(segment.id, "  Corrected   text. ")
    reread = open_dataset(models_dir, story_voice.name).segment(segment.id)
    assert reread.text == "Corrected text." and reread.text_checked and reread.words == []
    dataset.set_deleted(segment.id, True)
    reread = open_dataset(models_dir, story_voice.name)
    assert segment.id not in [s.id for s in reread.segments]
    assert segment.id in [s.id for s in reread.deleted_segments()]  # recoverable
    assert (story_voice.folder / reread.takes[0].path).exists()  # the original stays
    dataset.set_deleted(segment.id, False)
    assert segment.id in [s.id for s in open_dataset(models_dir, story_voice.name).segments]


def test_nothing_to_build(models_dir, make_voice):
    voice = make_voice()
    with pytest.raises(UserInputError, match="no segments to train on"):
        build_dataset(models_dir, voice.name, "cpu")


def test_two_holders_of_a_dataset_do_not_undo_each_other(models_dir, story_voice):
    """The app's editor and an import job each hold the dataset; both changes survive."""
    editor = open_dataset(models_dir, story_voice.name)
    job = open_dataset(models_dir, story_voice.name)
    first, second = (s.id for s in editor.segments[:2])
    editor.update_text(first, "Fixed by a person.")
    job.set_kept(second, False)
    job.set_speaker_similarities({first: 0.2})
    reread = open_dataset(models_dir, story_voice.name)
    assert reread.segment(first).text == "Fixed by a person."
    assert "other_speaker" in reread.segment(first).flags
    assert not reread.segment(second).kept
    assert Voice.open(story_voice.folder).manifest.dataset.segments == len(reread.segments) - 1


def test_a_segment_that_cannot_be_used_is_reported_and_the_rest_built(models_dir, story_voice):
    from voicestudio.training.features import build_features, extract_segment_features

    dataset = open_dataset(models_dir, story_voice.name)
    bad = dataset.segments[0].id

    def extractor(folder, segment, models, frontend, fp):
        if segment.id == bad:
            raise UserInputError("This clip is damaged and was left out.")
        return extract_segment_features(folder, segment, models, frontend, fp)

    report = build_features(dataset, FeatureModels(models_dir, "cpu"), extractor=extractor)
    assert report.failed == [(bad, "This clip is damaged and was left out.")]
    assert sorted(report.computed) == sorted(s.id for s in dataset.segments[1:])
    assert bad not in FeatureStore(story_voice.folder).segment_ids()
    # Not cached as done: the next build tries it again.
    assert bad in build_features(dataset, FeatureModels(models_dir, "cpu")).computed


def test_the_trainers_read_what_the_build_wrote(models_dir, story_voice):
    """The hand-over to fine-tuning: every built segment makes an S1 and an S2 example."""
    from voicestudio.models.spectrogram import SpectrogramConfig
    from voicestudio.training.batches import s1_examples, s2_examples

    build_dataset(models_dir, story_voice.name, "cpu")
    store = FeatureStore(story_voice.folder)
    features = [store.load(i) for i in store.segment_ids()]
    assert len(s1_examples(features)) == len(features)
    s2 = s2_examples(story_voice.folder, features, SpectrogramConfig(), segment_frames=8)
    assert len(s2) == len(features)
    for example, feature in zip(s2, features, strict=True):
        assert abs(example.ssl.shape[1] - feature.ssl.shape[1]) <= 1  # aligned to the audio
