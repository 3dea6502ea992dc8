"""A voice whose dataset is made without Whisper: one take, segments cut at known times.

Shared by the segment-editing, voice-bank and Edit page tests, which are about what happens
to segments after an import, not about recognition. The take is a voiced, speech-like
signal (a harmonic tone with syllable-rate loudness changes) with half a second of silence
between phrases, so every segment passes the audio checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voicestudio.audio.importer import import_file
from voicestudio.audio.wav import write_wav
from voicestudio.project.checksums import sha256_file
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.segments import (
    SEGMENT_SAMPLE_RATE,
    Dataset,
    SegmentRecord,
    TakeRecord,
    WordTiming,
    quality_flags,
)
from voicestudio.project.voice import Voice, now_iso

PHRASES = [
    "the lake was calm that morning",
    "grandfather rowed us to the island",
    "we ate bread and cheese on the rocks",
    "then the rain came and we went home",
]
PHRASE_SECONDS = 2.4
GAP_SECONDS = 0.5


def phrase_audio(seconds: float, seed: int, rate: int = SEGMENT_SAMPLE_RATE) -> np.ndarray:
    """A voiced sound with a pitch around 120 Hz and four 'syllables' a second."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    pitch = 110 + 20 * rng.random()
    tone = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 8))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t + rng.random() * 6) ** 2
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    return (0.25 * tone * envelope * fade).astype(np.float32)


def take_audio(phrases: int = len(PHRASES)) -> np.ndarray:
    gap = np.zeros(round(GAP_SECONDS * SEGMENT_SAMPLE_RATE), np.float32)
    parts = [gap]
    for n in range(phrases):
        parts += [phrase_audio(PHRASE_SECONDS, n), gap]
    return np.concatenate(parts)


def make_segmented_voice(data_dir: Path, name: str = "Grandpa", phrases: int = 4) -> Voice:
    """A voice with one take and one kept segment per phrase, with word timings."""
    voice = VoiceLibrary(Path(data_dir)).create(name, ["en"])
    dataset = Dataset.open(voice)
    source = Path(data_dir) / f"{name}-source.wav"
    write_wav(source, take_audio(phrases), SEGMENT_SAMPLE_RATE)
    take_id = dataset.new_take_id("lake story.wav")
    copied = dataset.copy_original(source, take_id)
    recording = import_file(copied, SEGMENT_SAMPLE_RATE)
    rate = SEGMENT_SAMPLE_RATE
    segments = []
    for n, text in enumerate(PHRASES[:phrases]):
        start = round((GAP_SECONDS + n * (PHRASE_SECONDS + GAP_SECONDS)) * rate)
        end = start + round(PHRASE_SECONDS * rate)
        words = text.split()
        step = PHRASE_SECONDS / len(words)
        clip = recording.samples[start:end]
        segment_id = dataset.new_segment_id(take_id, n + 1)
        audio_path, sha = dataset.write_segment_audio(segment_id, clip)
        segments.append(SegmentRecord(
            id=segment_id, take_id=take_id, sample_rate=rate, start_sample=start,
            end_sample=end, audio_path=audio_path, audio_sha256=sha, text=text, lang="en",
            asr_confidence=0.9,
            words=[WordTiming(w, round(i * step, 3), round((i + 1) * step, 3), 0.9)
                   for i, w in enumerate(words)],
            flags=quality_flags(clip, rate, recording.gain, 0.9, None), heard_text=text,
        ))
    dataset.add_take(TakeRecord(
        id=take_id, path=copied.relative_to(voice.folder).as_posix(),
        original_name="lake story.wav", sha256=sha256_file(copied), imported=now_iso(),
        duration_seconds=round(recording.duration_seconds, 3), gain=recording.gain,
        original_sample_rate=rate, original_channels=1,
    ), segments)
    source.unlink()
    return voice
