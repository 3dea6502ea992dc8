"""The reference clip: check it, fix what can be fixed, refuse the rest with a clear reason.

GPT-SoVITS v2 hears the voice to copy through a 3-10 s clip (facts 1.2, 1.6): HuBERT reads it
at 16 kHz with 0.6 s of zeros appended (the S1 prompt was trained with that boundary), and
S2's style encoder reads its 32 kHz linear spectrogram. Upstream refuses any clip outside
3-10 s and silently accepts silence or distortion. Here:

* any format, channel count and sample rate is decoded, mixed to mono and resampled (noted);
* silence and heavy clipping are refused, light clipping is warned about;
* a clip shorter than 3 s is refused (there is too little voice to copy);
* a clip longer than 10 s first loses silence at its ends; if it is still too long, the best
  window (most speech, cut at pauses, least clipping) is used for the voice's sound, and the
  transcript is dropped because it no longer matches (S1 then runs without a prompt).

Everything here is a pure function of the samples, so it is tested without models.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from voicestudio.audio.decode import decode_file
from voicestudio.audio.problems import SilentAudioError
from voicestudio.audio.quality import (
    CLIP_LEVEL,
    LEVEL_FRAME_SECONDS,
    SPEECH_PERCENTILE,
    frame_levels_db,
    narrowband_warning,
)
from voicestudio.audio.resample import resample
from voicestudio.errors import UserInputError

MIN_SECONDS = 3.0
MAX_SECONDS = 10.0
SSL_RATE = 16_000
SPEC_RATE = 32_000
# Upstream appends int(32000 * 0.3) zeros to the 16 kHz clip: 0.6 s, whatever the constant says.
PROMPT_PAD_SAMPLES = 9_600
# Loudest 20 ms frame below this: nothing a microphone picked up is a voice.
SILENT_LEVEL_DBFS = -50.0
# A frame counts as speech when it is within this many dB of the clip's speech level.
SPEECH_RANGE_DB = 30.0
# More than this fraction of samples at full scale: audible distortion (warned) ...
WARN_CLIPPED_FRACTION = 0.001
# ... more than this: the voice is too distorted to copy (refused).
MAX_CLIPPED_FRACTION = 0.02
EDGE_MARGIN_SECONDS = 0.2  # silence kept before and after speech when trimming the ends
WINDOW_STEP_SECONDS = 0.1  # resolution of the best-window search
EDGE_FADE_SECONDS = 0.01  # fade where a window cuts through sound, so the cut does not click
_LOSSLESS_SUFFIXES = {".wav", ".flac", ".aif", ".aiff"}


class ReferenceError(UserInputError):
    """The reference clip cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class PreparedReference:
    """A usable reference: the chosen part of the clip at the two rates the models need."""

    wav_16k: np.ndarray  # (N16,) float32, for HuBERT (PROMPT_PAD_SAMPLES are added later)
    wav_32k: np.ndarray  # (N32,) float32, peak <= 1, for the style encoder's spectrogram
    text: str  # transcript to prompt S1 with; "" = no prompt (timbre only)
    start_seconds: float  # where the chosen part starts and ends in the original clip
    end_seconds: float
    source_seconds: float
    notes: tuple[str, ...] = field(default=())  # conversions made (stereo, rate, format)
    warnings: tuple[str, ...] = field(default=())  # things that may hurt the result

    @property
    def seconds(self) -> float:
        return self.end_seconds - self.start_seconds

    @property
    def hubert_input(self) -> np.ndarray:
        """(N16 + 9600,) the clip as upstream feeds HuBERT: 0.6 s of zeros appended."""
        return np.concatenate([self.wav_16k, np.zeros(PROMPT_PAD_SAMPLES, dtype=np.float32)])


def load_reference(
    path: Path | str, transcript: str = "", trim_long: bool = True
) -> PreparedReference:
    """Decode a reference file of any format and prepare it (see ``prepare_reference``)."""
    path = Path(path)
    try:
        decoded = decode_file(path)
    except SilentAudioError:
        raise _silent(path.name) from None
    notes = []
    if decoded.original_channels > 1:
        notes.append(f"Mixed the {_channels(decoded.original_channels)} reference down to mono.")
    if path.suffix.lower() not in _LOSSLESS_SUFFIXES:
        notes.append(f"Decoded the {path.suffix.lstrip('.').upper() or 'audio'} file.")
    if decoded.sample_rate not in (SSL_RATE, SPEC_RATE):
        notes.append(
            f"Converted the reference from {decoded.sample_rate} Hz to {SSL_RATE} and "
            f"{SPEC_RATE} Hz."
        )
    prepared = prepare_reference(
        decoded.samples, decoded.sample_rate, transcript, trim_long, path.name
    )
    narrowband = narrowband_warning(path.name, decoded.original_sample_rate)
    return replace(prepared, notes=tuple(notes) + prepared.notes,  # conversions first
                   warnings=prepared.warnings + ((narrowband,) if narrowband else ()))


def prepare_reference(
    samples: np.ndarray,
    sample_rate: int,
    transcript: str = "",
    trim_long: bool = True,
    name: str = "the reference clip",
) -> PreparedReference:
    """Check a mono clip and cut it to the part the models will hear.

    Raises ``ReferenceError`` for a silent, badly clipped or too short clip, and for a too
    long one when ``trim_long`` is False.
    """
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ReferenceError(f"“{name}” holds no usable sound. Choose another recording.")
    seconds = x.size / sample_rate
    levels = frame_levels_db(x, sample_rate)  # (frames,) 20 ms RMS in dBFS
    if float(levels.max()) < SILENT_LEVEL_DBFS:
        raise _silent(name)
    warnings = []
    if seconds < MIN_SECONDS:
        raise ReferenceError(
            f"“{name}” is {seconds:.1f} s long; the voice needs a {MIN_SECONDS:.0f} to "
            f"{MAX_SECONDS:.0f} second clip of one person speaking. Choose or record a longer one."
        )

    start, end, text, notes = 0, x.size, transcript.strip(), []
    if seconds > MAX_SECONDS:
        if not trim_long:
            raise ReferenceError(
                f"“{name}” is {seconds:.1f} s long; the voice model uses {MIN_SECONDS:.0f} to "
                f"{MAX_SECONDS:.0f} seconds. Cut it to one or two sentences and their text."
            )
        frame = _frame_samples(sample_rate)
        voiced = np.flatnonzero(speech_frames(levels))
        if voiced.size == 0:
            raise _silent(name)
        first, last = voiced[0], voiced[-1]
        margin = int(EDGE_MARGIN_SECONDS * sample_rate)
        start = max(0, int(first) * frame - margin)
        end = min(x.size, (int(last) + 1) * frame + margin)
        if (end - start) / sample_rate > MAX_SECONDS:
            start, end = best_window(x, sample_rate, levels)
            if text:
                warnings.append(
                    f"“{name}” is {seconds:.1f} s long, more than the {MAX_SECONDS:.0f} s the "
                    f"model can use, so the part from {start / sample_rate:.1f} s to "
                    f"{end / sample_rate:.1f} s was used. Its transcript does not match that "
                    "part, so only the sound of the voice is copied, not its way of speaking. "
                    f"For the best result use a {MIN_SECONDS:.0f}-{MAX_SECONDS:.0f} s clip and "
                    "exactly the words said in it."
                )
            text = ""
        else:
            notes.append(
                f"Trimmed silence from the ends of “{name}” (kept {start / sample_rate:.1f} s "
                f"to {end / sample_rate:.1f} s)."
            )
        if (end - start) / sample_rate < MIN_SECONDS:
            raise ReferenceError(
                f"“{name}” has less than {MIN_SECONDS:.0f} s of continuous speech. Choose a "
                "clip where one person speaks for 3 to 10 seconds."
            )
    clipped = clipped_fraction(x[start:end])  # the part that is used
    if clipped > MAX_CLIPPED_FRACTION:
        raise ReferenceError(
            f"“{name}” is badly distorted: {clipped:.1%} of it is clipped (recorded too loud). "
            "The copied voice would sound distorted too. Record it again a little quieter, "
            "or choose another clip."
        )
    if clipped > WARN_CLIPPED_FRACTION:
        warnings.append(
            f"Parts of “{name}” are clipped (recorded too loud, {clipped:.2%} of samples); "
            "the copied voice may sound rough. A cleaner clip gives a better result."
        )
    window = _faded(x[start:end].copy(), sample_rate, start > 0, end < x.size)
    wav_32k = resample(window, sample_rate, SPEC_RATE)
    peak = float(np.abs(wav_32k).max())
    if peak > 1.0:  # upstream: a louder-than-full-scale reference is scaled by min(2, peak)
        wav_32k = wav_32k / min(2.0, peak)
    return PreparedReference(
        wav_16k=resample(window, sample_rate, SSL_RATE),
        wav_32k=wav_32k.astype(np.float32, copy=False),
        text=text,
        start_seconds=start / sample_rate,
        end_seconds=end / sample_rate,
        source_seconds=seconds,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def clipped_fraction(samples: np.ndarray) -> float:
    """Fraction of samples flattened at the ceiling. Within 1 % of full scale counts, as in
    the take checks; a float file louder than 1.0 was not clipped at full scale, so there
    only a plateau at its own peak counts (a natural peak is one or two samples wide)."""
    magnitude = np.abs(samples)
    return float(np.mean(magnitude >= _clip_ceiling(float(magnitude.max()))))


def _clip_ceiling(peak: float) -> float:
    """The level from which a sample counts as clipped, for a clip peaking at ``peak``."""
    return CLIP_LEVEL if peak <= 1.001 else peak * (1.0 - 1e-4)


def speech_frames(levels: np.ndarray) -> np.ndarray:
    """(frames,) bool: 20 ms frames loud enough to be speech rather than pause or noise."""
    speech_level = float(np.percentile(levels, SPEECH_PERCENTILE))
    return levels > max(speech_level - SPEECH_RANGE_DB, SILENT_LEVEL_DBFS)


def best_window(x: np.ndarray, sample_rate: int, levels: np.ndarray) -> tuple[int, int]:
    """(start, end) samples of the 3-10 s part with the most speech and least clipping,
    preferring cuts in pauses so no word is cut in half."""
    frame = _frame_samples(sample_rate)
    per_step = max(1, round(WINDOW_STEP_SECONDS / LEVEL_FRAME_SECONDS))
    n_steps = len(levels) // per_step
    speech = speech_frames(levels)[: n_steps * per_step].reshape(n_steps, per_step)
    ceiling = _clip_ceiling(float(np.abs(x).max()))
    clip = np.abs(x[: n_steps * per_step * frame]) >= ceiling
    clipped = clip.reshape(n_steps, -1).sum(axis=1)  # (steps,) clipped samples per step
    speech_sum = np.concatenate([[0], np.cumsum(speech.sum(axis=1))])  # prefix sums
    clip_sum = np.concatenate([[0], np.cumsum(clipped)])
    quiet = ~speech.any(axis=1)  # (steps,) steps with no speech frame: a pause
    before = np.concatenate([[True], quiet])  # (steps + 1,) the step before boundary i is quiet
    after = np.concatenate([quiet, [True]])  # the step after boundary i is quiet
    step_seconds = per_step * LEVEL_FRAME_SECONDS
    lo, hi = MIN_SECONDS / step_seconds, MAX_SECONDS / step_seconds

    def search(points: np.ndarray) -> tuple[int, int] | None:
        a, b = points[:, None], points[None, :]  # every (start, end) pair of cut points
        ok = (b - a >= lo) & (b - a <= hi)
        if not ok.any():
            return None
        # speech frames count; each clipped sample costs as much as a frame of speech
        score = (speech_sum[b] - speech_sum[a]) - (clip_sum[b] - clip_sum[a])
        best = np.unravel_index(np.argmax(np.where(ok, score, -np.inf)), ok.shape)
        return int(points[best[0]]), int(points[best[1]])

    # inside a pause; else at least next to one; else anywhere (a clip without pauses)
    chosen = (search(np.flatnonzero(before & after)) or search(np.flatnonzero(before | after))
              or search(np.arange(n_steps + 1)))
    assert chosen is not None, "a clip over 10 s always has a 10 s window"
    start, end = chosen[0] * per_step * frame, chosen[1] * per_step * frame
    return start, min(end, x.size)


def _frame_samples(sample_rate: int) -> int:
    return max(1, round(LEVEL_FRAME_SECONDS * sample_rate))


def _faded(window: np.ndarray, sample_rate: int, fade_in: bool, fade_out: bool) -> np.ndarray:
    n = min(int(EDGE_FADE_SECONDS * sample_rate), window.size // 2)
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    if fade_in and n:
        window[:n] *= ramp
    if fade_out and n:
        window[-n:] *= ramp[::-1]
    return window


def _channels(n: int) -> str:
    return "stereo" if n == 2 else f"{n}-channel"


def _silent(name: str) -> ReferenceError:
    return ReferenceError(
        f"“{name}” is silent: there is no voice in it. Choose a clip where the person speaks "
        "clearly for 3 to 10 seconds (check that the right file was chosen and the microphone "
        "was on)."
    )
