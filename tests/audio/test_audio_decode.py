"""Decoding every format a person may bring, and a clear, distinct error for bad files."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from speech import piper_speech, write_audio

from voicestudio.audio.decode import decode_file
from voicestudio.audio.problems import (
    AudioNotFoundError,
    EmptyAudioError,
    NoSoundTrackError,
    SilentAudioError,
    UnreadableAudioError,
)
from voicestudio.audio.resample import resample
from voicestudio.errors import VoiceStudioError

TEXT = "Hello, this is a test of the offline speech synthesizer."
RATE = 32000
LOSSLESS = ["wav-u8", "wav-16", "wav-24", "wav-32", "wav-float", "wav-double", "flac"]
LOSSY = ["ogg", "mp3", "m4a", "mp4", "mkv", "webm"]


def best_correlation(decoded: np.ndarray, reference: np.ndarray, max_lag: int = 3200) -> float:
    """Peak normalised cross-correlation within ±max_lag (codecs add a little delay)."""
    n = min(decoded.size, reference.size)
    a, b = decoded[:n] - decoded[:n].mean(), reference[:n] - reference[:n].mean()
    size = 1 << int(np.ceil(np.log2(2 * n)))
    xcorr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    lags = np.concatenate([xcorr[: max_lag + 1], xcorr[-max_lag:]])
    return float(lags.max() / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def speech():
    audio, rate = piper_speech(TEXT)
    return np.array(audio) * 0.8, rate  # below full scale so 8-bit and int formats are exact


@pytest.mark.parametrize("fmt", LOSSLESS + LOSSY)
def test_every_format_decodes_to_the_same_speech(tmp_path, speech, fmt):
    audio, rate = speech
    decoded = decode_file(write_audio(tmp_path, "clip", audio, rate, fmt), RATE)
    reference = resample(audio, rate, RATE)

    assert decoded.sample_rate == RATE and decoded.samples.dtype == np.float32
    assert decoded.samples.ndim == 1 and decoded.original_channels == 1
    assert abs(decoded.duration_seconds - reference.size / RATE) < 0.1
    similarity = best_correlation(decoded.samples, reference)
    # 8-bit quantisation noise is −48 dB; lossy codecs keep the waveform closely.
    assert similarity > (0.99 if fmt in LOSSLESS else 0.8), similarity


@pytest.mark.parametrize("fmt", ["wav-16", "flac", "mp4"])
def test_stereo_48k_is_downmixed_and_resampled(tmp_path, speech, fmt):
    audio, rate = speech
    mono48 = resample(audio, rate, 48000)
    stereo = np.stack([mono48, 0.5 * mono48], axis=1)  # a louder left channel
    decoded = decode_file(write_audio(tmp_path, "stereo", stereo, 48000, fmt), RATE)

    assert decoded.original_channels == 2 and decoded.original_sample_rate == 48000
    expected = resample(0.75 * mono48, 48000, RATE)  # mean of the two channels
    assert best_correlation(decoded.samples, expected) > 0.9
    n = min(expected.size, decoded.samples.size)
    level = np.sqrt(np.mean(decoded.samples[:n] ** 2) / np.mean(expected[:n] ** 2))
    assert level == pytest.approx(1.0, abs=0.1)


def test_reversed_polarity_channel_does_not_cancel_the_voice(tmp_path, speech):
    audio, rate = speech
    stereo = np.stack([audio, -audio], axis=1)  # the mean of the channels would be silence
    decoded = decode_file(write_audio(tmp_path, "tape", stereo, rate, "wav-16"))
    np.testing.assert_allclose(np.abs(decoded.samples), np.abs(audio), atol=1 / 16384)


def test_native_rate_is_kept_without_a_target(tmp_path, speech):
    audio, rate = speech
    decoded = decode_file(write_audio(tmp_path, "clip", audio, rate, "flac"))
    assert decoded.sample_rate == decoded.original_sample_rate == rate
    np.testing.assert_allclose(decoded.samples, audio, atol=1 / 32768)


def test_corrupt_file_is_unreadable(tmp_path):
    path = tmp_path / "grandma.m4a"
    path.write_bytes(np.random.default_rng(1).bytes(5000))
    with pytest.raises(UnreadableAudioError, match="‘grandma.m4a’ could not be read"):
        decode_file(path)


def test_truncated_wav_header_is_unreadable(tmp_path, speech):
    good = write_audio(tmp_path, "full", speech[0], speech[1], "wav-16")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(good.read_bytes()[:30])
    with pytest.raises(UnreadableAudioError):
        decode_file(broken)


def test_silent_file_has_its_own_error(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(SilentAudioError, match=r"‘silence.wav’ contains no sound \(it is silent"):
        decode_file(path)


def test_empty_files_have_their_own_error(tmp_path):
    zero_bytes = tmp_path / "empty.mp3"
    zero_bytes.touch()
    no_frames = tmp_path / "no-frames.wav"
    sf.write(no_frames, np.zeros(0, dtype=np.float32), 16000)
    for path in (zero_bytes, no_frames):
        with pytest.raises(EmptyAudioError, match=f"‘{path.name}’ is empty"):
            decode_file(path)


def test_video_without_sound_track(tmp_path):
    import av

    path = tmp_path / "holiday.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for index in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(NoSoundTrackError, match="has no sound track"):
        decode_file(path)


def test_missing_file(tmp_path):
    with pytest.raises(AudioNotFoundError, match="‘gone.wav’ was not found"):
        decode_file(tmp_path / "gone.wav")


def test_error_types_are_distinct_and_user_facing():
    kinds = [AudioNotFoundError, UnreadableAudioError, NoSoundTrackError, EmptyAudioError]
    kinds.append(SilentAudioError)
    assert len(set(kinds)) == 5
    for kind in kinds:
        assert issubclass(kind, VoiceStudioError)
        assert not any(issubclass(kind, other) for other in kinds if other is not kind)
