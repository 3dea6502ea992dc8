"""The recording session: takes become dataset segments, failed ones are kept but left out,
the session resumes where it stopped, crashes are recovered, consent is stored."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
import soundfile as sf
from speech import piper_speech

from voicestudio.audio.resample import resample
from voicestudio.audio.take_file import PARTIAL_SUFFIX, TakeFile
from voicestudio.errors import UserInputError
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.segments import SEGMENT_SAMPLE_RATE, Dataset
from voicestudio.project.voice import Voice
from voicestudio.services.recording import (
    BREAK_AFTER_TAKES,
    RecordingSession,
    consent_sentence,
    describe_room_noise,
)

RATE = 48000


def read_aloud(text: str, gain: float = 0.5) -> np.ndarray:
    """``text`` as a take would hold it: room tone, the sentence, room tone, at 48 kHz."""
    speech, rate = piper_speech(text)
    speech = resample(speech / np.abs(speech).max() * gain, rate, RATE)
    rng = np.random.default_rng(len(text))
    room = (rng.standard_normal(round(0.5 * RATE)) * 3e-4).astype(np.float32)
    return np.concatenate([room, speech, room])


def record(session: RecordingSession, prompt, audio: np.ndarray):
    path = session.new_take_path(prompt)
    take = TakeFile(path, RATE)
    take.append(audio)
    take.finish()
    return session.add_take(path, prompt)


@pytest.fixture
def data_dir(tmp_path):
    VoiceLibrary(tmp_path).create("Rose", ["en"])
    return tmp_path


def test_a_good_take_becomes_a_kept_segment_like_an_imported_one(data_dir):
    session = RecordingSession.open(data_dir, "Rose")
    prompt = session.next_prompt()
    entry = record(session, prompt, read_aloud(prompt.text))
    assert entry.status == "kept", entry.problems
    dataset = Dataset.open(session.voice)
    (segment,) = dataset.segments
    assert segment.kept and segment.text == prompt.text and segment.lang == "en"
    assert segment.sample_rate == SEGMENT_SAMPLE_RATE and segment.flags == []
    take = dataset.take(segment.take_id)
    assert take.path.startswith("takes/") and take.original_sample_rate == RATE
    # The editor re-cuts segments from the take: the recorded segment is that same cut.
    stored, rate = sf.read(session.voice.folder / segment.audio_path, dtype="float32")
    recut = dataset.take_samples(take.id)[segment.start_sample:segment.end_sample]
    assert rate == SEGMENT_SAMPLE_RATE
    np.testing.assert_allclose(stored, recut, atol=2 / 32767)
    # Silence was trimmed (0.5 s each side minus the pad kept around the speech).
    assert segment.duration_seconds < take.duration_seconds - 0.5
    assert session.coverage().thin and session.next_prompt().id != prompt.id


def test_a_failed_take_stays_on_disk_marked_and_out_of_training(data_dir):
    session = RecordingSession.open(data_dir, "Rose")
    prompt = session.next_prompt()
    entry = record(session, prompt, np.clip(read_aloud(prompt.text) * 6, -1, 1))
    assert entry.status == "failed" and any("distorted" in p for p in entry.problems)
    segment = Dataset.open(session.voice).segment(entry.segment_id)
    assert not segment.kept and "clipping" in segment.flags
    assert (session.voice.folder / entry.file).is_file()
    assert session.next_prompt().id == prompt.id, "its sounds are still wanted"
    session.keep_anyway(entry.take_id)
    assert Dataset.open(session.voice).segment(entry.segment_id).kept
    assert session.next_prompt().id != prompt.id
    session.delete_take(entry.take_id)
    deleted = Dataset.open(session.voice).segment(entry.segment_id)
    assert deleted.deleted and not deleted.kept
    session.restore_take(entry.take_id)
    assert Dataset.open(session.voice).segment(entry.segment_id).kept


def test_session_resumes_another_day_exactly_where_it_stopped(data_dir):
    session = RecordingSession.open(data_dir, "Rose")
    session.set_target("banking")
    first = session.next_prompt()
    record(session, first, read_aloud(first.text))
    session.skip(session.next_prompt())
    upcoming = session.next_prompt()
    seconds, words = session.kept_seconds, session.progress_words()

    again = RecordingSession.open(data_dir, "Rose")
    assert again.target.key == "banking" and again.next_prompt().id == upcoming.id
    assert again.kept_seconds == seconds and again.progress_words() == words
    assert "voice banking" in words and 0 < again.progress < 0.05


def test_a_take_cut_short_by_a_crash_is_recovered_when_the_session_opens(data_dir):
    session = RecordingSession.open(data_dir, "Rose")
    prompt = session.next_prompt()
    path = session.new_take_path(prompt)
    audio = read_aloud(prompt.text)
    take = TakeFile(path, RATE)
    take.append(audio)
    take.make_durable()  # ... and then the process died: no finish()
    assert path.with_name(path.name + PARTIAL_SUFFIX).exists()

    reopened = RecordingSession.open(data_dir, "Rose")
    (entry,) = reopened.recovered
    assert entry.prompt_id == prompt.id and entry.status == "kept"
    assert sf.info(str(path)).frames == audio.size
    assert RecordingSession.open(data_dir, "Rose").recovered == []


def test_break_reminder_after_a_stretch_of_takes(data_dir):
    session = RecordingSession.open(data_dir, "Rose")
    assert not session.needs_break
    session.state.takes_since_break = BREAK_AFTER_TAKES
    assert session.needs_break
    session.take_break()
    assert not RecordingSession.open(data_dir, "Rose").needs_break


def test_consent_names_the_speaker_and_date_and_is_stored_with_its_hash(data_dir):
    on = date(2026, 12, 1)
    own = consent_sentence("en", "Rose Li", on=on)
    assert "Rose Li" in own and "1 December 2026" in own
    proxy = consent_sentence("zh", "李玫", "王芳", "女儿", on=on)
    assert "李玫" in proxy and "王芳" in proxy and "女儿" in proxy and "2026年12月1日" in proxy
    with pytest.raises(UserInputError, match="related"):
        consent_sentence("en", "Rose", given_by="Ann")

    session = RecordingSession.open(data_dir, "Rose")
    assert not session.has_consent
    path = session.consent_take_path()
    take = TakeFile(path, RATE)
    take.append(read_aloud("My name is Rose."))
    take.finish()
    consent = session.record_consent(path, "Rose", "Ann", "daughter")
    stored = Voice.open(session.voice.folder).manifest.consent
    assert stored == consent and stored.relation == "daughter" and stored.given_by == "Ann"
    assert "Ann, daughter of Rose" in stored.statement and len(stored.audio_sha256) == 64
    raw = json.loads(session.voice.manifest_path.read_text())
    assert raw["consent"]["audio_path"] == path.relative_to(session.voice.folder).as_posix()


def test_room_noise_check_speaks_plainly():
    rng = np.random.default_rng(1)
    quiet = rng.standard_normal(3 * RATE) * 10 ** (-65 / 20)
    fan = rng.standard_normal(3 * RATE) * 10 ** (-30 / 20)
    assert describe_room_noise(quiet, RATE).words.startswith("Quiet room")
    noisy = describe_room_noise(fan, RATE)
    assert not noisy.ok and "fridge" in noisy.words and "fan" in noisy.words


def test_a_finished_take_the_session_never_saved_is_added_when_it_opens(data_dir):
    session = RecordingSession.open(data_dir, "Rose")
    prompt = session.next_prompt()
    path = session.new_take_path(prompt)
    take = TakeFile(path, RATE)
    take.append(read_aloud(prompt.text))
    take.finish()  # ... and the app was closed before the checks ran
    (entry,) = RecordingSession.open(data_dir, "Rose").recovered
    assert entry.prompt_id == prompt.id and entry.status == "kept"
    assert RecordingSession.open(data_dir, "Rose").recovered == []
    assert len(Dataset.open(session.voice).takes) == 1


def test_each_language_of_a_voice_keeps_its_own_session(tmp_path):
    VoiceLibrary(tmp_path).create("Li", ["zh", "en"])
    zh = RecordingSession.open(tmp_path, "Li", "zh")
    zh.set_target("banking")
    zh.skip(zh.next_prompt())
    en = RecordingSession.open(tmp_path, "Li", "en")
    en.set_target("better")
    again = RecordingSession.open(tmp_path, "Li", "zh")
    assert again.target.key == "banking" and len(again.state.skipped) == 1
    assert RecordingSession.open(tmp_path, "Li", "en").target.key == "better"
