"""Editing a voice's segments: split, merge, bounds, delete/restore, include/exclude, speaker
mark, text; every edit is saved at once, undo restores exactly, and only changed segments
lose their cached features."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
from segment_voice import PHRASES, make_segmented_voice

from voicestudio.audio.quality import QualityFlag
from voicestudio.errors import DiskFullError, UserInputError
from voicestudio.project.disk import disk_full_error
from voicestudio.project.segments import Dataset
from voicestudio.training.feature_store import FeatureStore, SegmentFeatures
from voicestudio.training.features import FeatureModels, build_features


@pytest.fixture
def dataset(tmp_path) -> Dataset:
    return Dataset.open(make_segmented_voice(tmp_path))


def saved(dataset: Dataset) -> Dataset:
    """The dataset as a fresh process would read it from disk."""
    return Dataset.open(dataset.voice)


def audio_of(dataset: Dataset, segment_id: str) -> np.ndarray:
    segment = saved(dataset).segment(segment_id)
    samples, rate = sf.read(dataset.folder / segment.audio_path, dtype="int16")
    assert rate == segment.sample_rate
    return samples


def test_split_cuts_audio_and_words_where_the_playhead_is(dataset):
    take = dataset.take_samples(dataset.takes[0].id)
    first = dataset.segments[0]
    at = first.start_seconds + 1.2  # after three of the six words (0.4 s each)
    change = dataset.split(first.id, at, take)
    left, right = saved(dataset).segments[:2]
    assert [r.id for r in change.after] == [left.id, right.id] and left.id == first.id
    assert left.start_sample == first.start_sample and left.end_sample == right.start_sample
    assert right.end_sample == first.end_sample
    assert left.text == " ".join(PHRASES[0].split()[:3])
    assert right.text == " ".join(PHRASES[0].split()[3:])
    assert right.words[0].start == pytest.approx(0.0)
    whole = np.concatenate([audio_of(dataset, left.id), audio_of(dataset, right.id)])
    original, _ = sf.read(dataset.folder / first.audio_path, dtype="int16") \
        if (dataset.folder / first.audio_path).exists() else (None, None)
    assert original is None  # the old cut's file is gone once nothing names it
    assert whole.size == first.end_sample - first.start_sample
    assert len(saved(dataset).segments) == len(PHRASES) + 1


def test_split_too_near_an_edge_is_refused_and_nothing_changes(dataset):
    first = dataset.segments[0]
    before = dataset.index_path.read_bytes()
    with pytest.raises(UserInputError, match="Split inside"):
        dataset.split(first.id, first.start_seconds + 0.05)
    assert dataset.index_path.read_bytes() == before


def test_merge_with_next_joins_text_and_audio_and_undo_restores_both(dataset):
    take = dataset.take_samples(dataset.takes[0].id)
    a, b = dataset.segments[:2]
    a_audio, b_audio = audio_of(dataset, a.id), audio_of(dataset, b.id)
    change = dataset.merge_with_next(a.id, take)
    merged = saved(dataset).segment(a.id)
    assert merged.text == f"{PHRASES[0]} {PHRASES[1]}"
    assert merged.end_sample == b.end_sample
    assert b.id not in [s.id for s in saved(dataset).segments]
    assert [w.text for w in merged.words] == (PHRASES[0] + " " + PHRASES[1]).split()

    dataset.apply(change.inverse(), take)
    restored = saved(dataset)
    assert [s.id for s in restored.segments[:2]] == [a.id, b.id]
    assert restored.segment(b.id).text == PHRASES[1]
    assert np.array_equal(audio_of(dataset, a.id), a_audio)
    assert np.array_equal(audio_of(dataset, b.id), b_audio)
    dataset.apply(change, take)  # redo
    assert saved(dataset).segment(a.id).end_sample == b.end_sample


def test_last_segment_has_nothing_to_merge_with(dataset):
    with pytest.raises(UserInputError, match="last segment"):
        dataset.merge_with_next(dataset.segments[-1].id)


def test_bounds_move_within_the_take_but_never_over_a_neighbour(dataset):
    a, b = dataset.segments[:2]
    dataset.update_bounds(a.id, a.start_seconds - 0.2, a.end_seconds + 0.1)
    moved = saved(dataset).segment(a.id)
    assert moved.start_sample == a.start_sample - 6400
    assert audio_of(dataset, a.id).size == moved.end_sample - moved.start_sample
    assert [w.text for w in moved.words] == PHRASES[0].split()
    with pytest.raises(UserInputError, match="overlap"):
        dataset.update_bounds(a.id, a.start_seconds, b.start_seconds + 0.5)


def test_delete_restore_exclude_and_speaker_mark_are_saved_and_leave_training(dataset):
    a, b, c = dataset.segments[:3]
    dataset.set_deleted(a.id, True)
    dataset.set_kept(b.id, False)
    dataset.set_other_speaker(c.id, True)
    reread = saved(dataset)
    assert a.id not in [s.id for s in reread.segments]
    assert [s.id for s in reread.deleted_segments()] == [a.id]
    assert QualityFlag.OTHER_SPEAKER in reread.segment(c.id).flags
    assert [s.id for s in reread.kept_segments()] == [dataset.segments[-1].id]
    assert reread.voice.manifest.dataset.segments == 1  # the manifest summary follows
    # the person's mark outlives the automatic speaker check
    reread.set_speaker_similarities({c.id: 0.99})
    assert QualityFlag.OTHER_SPEAKER in saved(dataset).segment(c.id).flags
    dataset.set_deleted(a.id, False)
    assert saved(dataset).segments[0].id == a.id and (dataset.folder / a.audio_path).exists()


def test_typing_the_text_of_a_segment_without_words_includes_it(dataset):
    segment = dataset.segments[0]
    dataset.update_text(segment.id, "")  # no words, and so left out of training:
    dataset.set_kept(segment.id, False)
    assert saved(dataset).segment(segment.id) not in saved(dataset).kept_segments()
    dataset.update_text(segment.id, "the lake was calm")
    assert saved(dataset).segment(segment.id).kept


def test_text_edit_is_saved_as_checked(dataset):
    segment = dataset.segments[1]
    dataset.update_text(segment.id, "  grandfather   rowed us  ")
    raw = json.loads(dataset.index_path.read_text())
    stored = next(s for s in raw["segments"] if s["id"] == segment.id)
    assert stored["text"] == "grandfather rowed us" and stored["text_checked"] is True


def _fake_features(folder, segment, models, frontend, fingerprint):
    return SegmentFeatures(segment.id, segment.text, segment.lang, segment.audio_path,
                           np.ones(3, np.int64), np.zeros((1024, 3), np.float16),
                           np.zeros((768, 4), np.float16), np.zeros(2, np.int64), fingerprint)


def test_only_the_edited_segments_lose_their_cached_features(dataset):
    models = FeatureModels(dataset.voice.folder.parent, identities={
        "hubert": "h", "s2g-v2": "s", "bert": "b"})
    assert len(build_features(dataset, models, extractor=_fake_features).computed) == 4
    store = FeatureStore(dataset.folder)
    untouched = {s.id: store.path(s.id).read_bytes() for s in dataset.segments[2:]}
    a, b = dataset.segments[:2]
    dataset.update_text(a.id, "a different sentence")
    dataset.split(b.id, b.start_seconds + 1.2)
    assert not store.path(a.id).exists() and not store.path(b.id).exists()
    assert {i: store.path(i).read_bytes() for i in untouched} == untouched
    report = build_features(saved(dataset), models, extractor=_fake_features)
    assert sorted(report.computed) == sorted([a.id, b.id, saved(dataset).segments[2].id])
    assert sorted(report.unchanged) == sorted(untouched)



def test_a_full_disk_stops_the_build_and_keeps_what_was_built(dataset):
    """Every later segment would fail the same way: the build stops (it used to report each
    segment as 'left out' and end as if it had worked), keeps what it built, and continues
    from there the next time."""
    models = FeatureModels(dataset.voice.folder.parent, identities={
        "hubert": "h", "s2g-v2": "s", "bert": "b"})
    third = dataset.segments[2].id

    def disk_fills_at_the_third(folder, segment, models, frontend, fingerprint):
        if segment.id == third:
            raise disk_full_error(folder / "segments")
        return _fake_features(folder, segment, models, frontend, fingerprint)

    with pytest.raises(DiskFullError) as caught:
        build_features(dataset, models, extractor=disk_fills_at_the_third)
    message = str(caught.value)
    assert "stopped at segment 3 of 4: the 2 segments built before are kept" in message
    built = [s.id for s in dataset.segments[:2]]
    assert sorted(FeatureStore(dataset.folder).segment_ids()) == sorted(built)
    report = build_features(dataset, models, extractor=_fake_features)
    assert sorted(report.unchanged) == sorted(built) and len(report.computed) == 2


_EDIT_FOREVER = """
import sys
from pathlib import Path
from voicestudio.project.voice import Voice
from voicestudio.project.segments import Dataset
dataset = Dataset.open(Voice.open(Path(sys.argv[1])))
segment_id = dataset.segments[0].id
n = 0
while True:
    dataset.update_text(segment_id, f"edit number {n}")
    print(n, flush=True)
    n += 1
"""


@pytest.mark.parametrize("edits_before_kill", [3, 11])
def test_sigkill_during_edit_saves_leaves_the_previous_or_the_new_index(
        dataset, edits_before_kill):
    import os
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", _EDIT_FOREVER, str(dataset.folder)],
                             stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        done = [int(child.stdout.readline()) for _ in range(edits_before_kill)]
        os.kill(child.pid, signal.SIGKILL)  # while it is saving the next edit
    finally:
        child.kill()
        child.wait()
    reread = saved(dataset)  # parses: no torn file
    # the last edit it reported, or one it finished after that (the pipe runs ahead)
    number = int(reread.segments[0].text.removeprefix("edit number "))
    assert number >= done[-1]
    assert [s.id for s in reread.segments] == [s.id for s in dataset.segments]


@pytest.mark.parametrize("accent, flagged", [("keep", False), ("standard", True)])
def test_a_word_said_differently_follows_the_voices_accent_setting(tmp_path, accent, flagged):
    voice = make_segmented_voice(tmp_path)
    voice.set_accent(accent)
    dataset = Dataset.open(voice)
    segment = dataset.segments[0]
    # recognition heard the speaker's "mornin'"; the person types the standard word
    dataset.update_text(segment.id, "the lake was calm that mornin")
    dataset.update_text(segment.id, PHRASES[0])  # heard text stays what was heard
    reread = saved(dataset).segment(segment.id)
    assert reread.text == PHRASES[0] and reread.kept
    assert (QualityFlag.PRONUNCIATION in reread.flags) is False  # same words as heard
    heard = "the lake was calm that mornin"
    dataset.index.segments[0].heard_text = heard  # as if recognition had heard this
    from voicestudio.project.atomic import atomic_write_json
    atomic_write_json(dataset.index_path, dataset.index.to_json())
    dataset.update_text(segment.id, PHRASES[0])
    reread = saved(dataset).segment(segment.id)
    assert (QualityFlag.PRONUNCIATION in reread.flags) is flagged
    assert reread.kept and reread.text == PHRASES[0]  # kept with the standard text
    # a recogniser's wrong word corrected by the person is not the speaker's accent
    dataset.index = saved(dataset).index
    dataset.index.segments[1].heard_text = "grandfather sold us to the island"
    atomic_write_json(dataset.index_path, dataset.index.to_json())
    dataset.update_text(dataset.segments[1].id, PHRASES[1])
    assert QualityFlag.PRONUNCIATION not in saved(dataset).segments[1].flags
