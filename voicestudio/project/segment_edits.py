"""How the segment editor's cuts change segment records: split at a time, merge two into one.

Pure record arithmetic with no files involved, so the rules (which words go where, which
choices a merged segment inherits) are tested on their own. ``Dataset`` cuts the audio and
saves the result.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # segments.py imports this module to carry out the edits
    from voicestudio.project.segments import SegmentRecord


def join_words(words: list[str], lang: str) -> str:
    """Mandarin is written without spaces between words; English with one."""
    glue = "" if lang == "zh" else " "
    return glue.join(w.strip() for w in words if w.strip())


def split_record(
    segment: SegmentRecord, at_sample: int, second_id: str
) -> tuple[SegmentRecord, SegmentRecord]:
    """The two halves of ``segment`` cut at ``at_sample`` (in its take's samples).

    Words go to the half where they end; with no word timings (a person typed the text) the
    text stays with the first half and the second must be typed: it is left out of training
    until it has text. The split point is a guess at where words part, so both halves' text
    is marked unchecked.
    """
    offset = (at_sample - segment.start_sample) / segment.sample_rate
    first_words = [w for w in segment.words if w.end <= offset + 1e-6]
    second_words = [
        replace(w, start=round(max(w.start - offset, 0.0), 3), end=round(w.end - offset, 3))
        for w in segment.words if w.end > offset + 1e-6
    ]
    if segment.words:
        first_text = join_words([w.text for w in first_words], segment.lang)
        second_text = join_words([w.text for w in second_words], segment.lang)
    else:
        first_text, second_text = segment.text, ""
    heard = segment.words and segment.heard_text is not None
    first = replace(segment, end_sample=at_sample, text=first_text, words=first_words,
                    text_checked=False, kept=segment.kept and bool(first_text),
                    heard_text=first_text if heard else None)
    second = replace(segment, id=second_id, start_sample=at_sample, text=second_text,
                     words=second_words, text_checked=False,
                     kept=segment.kept and bool(second_text),
                     heard_text=second_text if heard else None)
    return first, second


def merge_records(first: SegmentRecord, second: SegmentRecord) -> SegmentRecord:
    """``first`` grown to the end of ``second`` (the next segment of the same take).

    The merged clip holds both halves' audio, so it is trained on only if both were, its
    text is checked only if both texts were, and a person's "other speaker" mark on either
    half stays.
    """
    shift = (second.start_sample - first.start_sample) / first.sample_rate
    words = list(first.words) + [
        replace(w, start=round(w.start + shift, 3), end=round(w.end + shift, 3))
        for w in second.words
    ]
    confidences = [c for c in (first.asr_confidence, second.asr_confidence) if c is not None]
    similarities = [s for s in (first.speaker_similarity, second.speaker_similarity)
                    if s is not None]
    marks = [m for m in (first.other_speaker_mark, second.other_speaker_mark) if m is not None]
    return replace(
        first,
        end_sample=second.end_sample,
        text=join_words([first.text, second.text], first.lang),
        words=words,
        asr_confidence=min(confidences) if confidences else None,
        speaker_similarity=min(similarities) if similarities else None,
        other_speaker_mark=any(marks) if marks else None,
        kept=first.kept and second.kept,
        text_checked=first.text_checked and second.text_checked,
        heard_text=(join_words([first.heard_text, second.heard_text], first.lang)
                    if first.heard_text is not None and second.heard_text is not None
                    else None),
    )
