"""Files whose header lies: a clear error, never a traceback or an allocation sized by the lie.

Each file is made the way a damaged download or a hostile one would look: a valid file with
one header field changed (bits per sample, frame count, sample rate) or samples no recording
can hold (NaN, ±1e30, the float format's maximum), plus a symlink that points at itself.
"""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voicestudio.audio.decode import decode_file
from voicestudio.audio.problems import AudioNotFoundError, UnreadableAudioError

RATE = 16000


def _tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _patched(path: Path, offset: int, value: bytes) -> Path:
    raw = bytearray(path.read_bytes())
    raw[offset:offset + len(value)] = value
    path.write_bytes(bytes(raw))
    return path


def _wav(tmp_path: Path, name: str, audio: np.ndarray, subtype: str = "PCM_16") -> Path:
    path = tmp_path / f"{name}.wav"
    sf.write(path, audio, RATE, subtype=subtype, format="WAV")
    return path


def zero_bits_wav(tmp_path: Path) -> Path:
    # Canonical 44-byte header: bits per sample at offset 34 (and block align at 32).
    path = _wav(tmp_path, "zero-bits", _tone())
    return _patched(_patched(path, 34, struct.pack("<H", 0)), 32, struct.pack("<H", 0))


def seven_hertz_wav(tmp_path: Path) -> Path:
    path = _wav(tmp_path, "seven-hertz", _tone())
    return _patched(_patched(path, 24, struct.pack("<I", 7)), 28, struct.pack("<I", 14))


def huge_flac(tmp_path: Path) -> Path:
    """A FLAC whose STREAMINFO claims 2^36 - 1 frames (the 36-bit field's maximum)."""
    path = tmp_path / "huge.flac"
    sf.write(path, _tone(), RATE, format="FLAC", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    assert raw[:4] == b"fLaC" and raw[4] & 0x7F == 0  # STREAMINFO comes first
    packed = int.from_bytes(raw[18:26], "big")
    packed |= (1 << 36) - 1  # the low 36 bits are the total sample count
    raw[18:26] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(raw))
    return path


def float_wav(value: float):
    def make(tmp_path: Path) -> Path:
        audio = _tone().copy()
        audio[RATE // 2] = value
        return _wav(tmp_path, f"float-{value}", audio, "FLOAT")
    return make


DAMAGED = {
    "zero bits per sample": zero_bits_wav,
    "7 Hz sample rate": seven_hertz_wav,
    "NaN sample": float_wav(float("nan")),
    "infinite sample": float_wav(float("inf")),
    "1e30 sample": float_wav(1e30),
    "float maximum": float_wav(float(np.finfo(np.float32).max)),
}


@pytest.mark.parametrize("make", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_lying_or_absurd_file_is_a_clear_error(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(UnreadableAudioError) as caught:
        decode_file(path, 32000)
    assert path.name in str(caught.value) and "skipped" in str(caught.value)


def test_a_frame_count_claim_sizes_no_allocation(tmp_path):
    path = huge_flac(tmp_path)
    tracemalloc.start()
    try:
        try:
            decoded = decode_file(path, 32000)
        except UnreadableAudioError:
            decoded = None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6, f"{peak / 1e6:.0f} MB allocated for a 1 s file"
    if decoded is not None:  # libsndfile may read the frames that are really there
        assert decoded.duration_seconds == pytest.approx(1.0, abs=0.05)


def test_a_symlink_loop_is_not_found(tmp_path):
    loop = tmp_path / "loop.wav"
    loop.symlink_to(loop)
    with pytest.raises(AudioNotFoundError):
        decode_file(loop)


def test_a_folder_or_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(AudioNotFoundError):
        decode_file(tmp_path)
