"""The whole audio half of building a dataset: import, slice, transcribe, check."""

from __future__ import annotations

import numpy as np
from speech import espeak_speech, piper_speech, write_audio

from voicestudio.audio.importer import import_files
from voicestudio.audio.quality import QualityFlag
from voicestudio.audio.segment_review import review_recordings
from voicestudio.audio.slicer import SpeechSlicer

STORY = [
    "Every summer we drove to the lake with my grandfather.",
    "He taught me how to fish and how to be patient.",
    "In the evening we cooked dinner by the fire.",
    "The stars were brighter there than anywhere else.",
]


def test_review_of_an_imported_batch(tmp_path, tiny_en, vad):
    pieces = []
    for line in STORY:
        audio, rate = piper_speech(line)
        pieces += [np.array(audio), np.zeros(rate, np.float32)]
    story = write_audio(tmp_path, "story", np.concatenate(pieces) * 0.3, rate, "m4a")
    interruption, espeak_rate = espeak_speech("Grandpa, can we please go swimming tomorrow?")
    other = write_audio(tmp_path, "other", interruption, espeak_rate, "wav-16")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEjunk")

    report = import_files([story, broken, other])
    assert [path.name for path, _ in report.skipped] == ["broken.wav"]
    progress = []
    reviewed = review_recordings(
        report.imported, SpeechSlicer(vad=vad), tiny_en, "en", progress=progress.append
    )

    from_story = [r for r in reviewed if r.recording.source == story]
    from_other = [r for r in reviewed if r.recording.source == other]
    assert len(from_story) >= 2 and len(from_other) == 1
    assert all(QualityFlag.OTHER_SPEAKER not in r.quality.flags for r in from_story)
    assert QualityFlag.OTHER_SPEAKER in from_other[0].quality.flags
    text = " ".join(r.transcript.text for r in from_story).lower()
    assert "grandfather" in text and "stars" in text
    assert all(r.transcript.confidence > 0.5 for r in from_story)
    assert all(r.samples.size == r.segment.end_sample - r.segment.start_sample for r in reviewed)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
