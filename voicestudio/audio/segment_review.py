"""From imported recordings to segments a person can review: slice, transcribe, check.

This is the audio half of building a dataset. It runs the stages in order over every
recording and compares voices across all segments of all recordings at the end, because the
"majority speaker" is the person whose voice is being cloned, wherever their clips came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voicestudio.audio.importer import ImportedRecording
from voicestudio.audio.quality import SegmentQuality, assess_segment
from voicestudio.audio.resample import resample
from voicestudio.audio.slicer import Segment, SpeechSlicer
from voicestudio.audio.speakers import EMBEDDING_SAMPLE_RATE, speaker_similarities
from voicestudio.audio.transcribe import Transcriber, Transcript
from voicestudio.jobs import CancelToken, ProgressCallback, ProgressTracker


@dataclass(frozen=True)
class ReviewedSegment:
    recording: ImportedRecording
    segment: Segment
    transcript: Transcript | None
    quality: SegmentQuality

    @property
    def samples(self):
        """The segment's (loudness-normalised) samples."""
        return self.segment.cut(self.recording.samples)


def review_recordings(
    recordings: Sequence[ImportedRecording],
    slicer: SpeechSlicer,
    transcriber: Transcriber | None = None,
    language: str | None = None,
    check_speakers: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[ReviewedSegment]:
    """Slice every recording, transcribe each segment (if a transcriber is given), check
    voices across all segments, and attach quality flags. Progress: slicing 0–20 %,
    transcription 20–80 %, voices 80–100 %."""
    tracker = ProgressTracker(progress, cancel)
    slicing, transcribing, voices = (
        tracker.sub(0.0, 0.2),
        tracker.sub(0.2, 0.8),
        tracker.sub(0.8, 1.0),
    )

    found: list[tuple[ImportedRecording, Segment]] = []
    for index, recording in enumerate(recordings):
        slicing.step(index, len(recordings), f"Finding pauses in {recording.source.name}")
        segments = slicer.slice(recording.samples, recording.sample_rate, recording.source)
        found += [(recording, segment) for segment in segments]

    transcripts: list[Transcript | None] = [None] * len(found)
    if transcriber is not None:
        for index, (recording, segment) in enumerate(found):
            transcribing.step(index, len(found), f"Transcribing {index + 1} of {len(found)}")
            clip = segment.cut(recording.samples)
            transcripts[index] = transcriber.transcribe(clip, segment.sample_rate, language)

    similarities = None
    if check_speakers and found:
        # Recordings may differ in rate; the speaker encoder works at 16 kHz anyway.
        clips = [
            resample(segment.cut(recording.samples), segment.sample_rate, EMBEDDING_SAMPLE_RATE)
            for recording, segment in found
        ]
        similarities = speaker_similarities(
            clips, EMBEDDING_SAMPLE_RATE, lambda p: voices.report(p.fraction, p.message)
        )
    voices.report(1.0, f"{len(found)} segments ready to review")

    reviewed = []
    for index, (recording, segment) in enumerate(found):
        transcript = transcripts[index]
        quality = assess_segment(
            segment.cut(recording.samples),
            segment.sample_rate,
            full_scale=recording.gain,
            transcript_confidence=transcript.confidence if transcript else None,
            speaker_similarity=None if similarities is None else float(similarities[index]),
        )
        reviewed.append(ReviewedSegment(recording, segment, transcript, quality))
    return reviewed
