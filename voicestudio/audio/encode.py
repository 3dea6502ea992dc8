"""Write speech in the format a file name asks for: WAV, FLAC, MP3 or OGG (Vorbis).

A name ending in ``.mp3`` must hold MP3 data: players and sites trust the extension, and a
WAV under an MP3 name plays nowhere or plays as noise. Unknown extensions are refused
before any work is done, with the list of those we write.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from voicestudio.audio.wav import write_wav
from voicestudio.errors import UserInputError
from voicestudio.project.atomic import atomic_write_bytes

# extension -> (libsndfile container, subtype); WAV goes through write_wav (int16, clipped).
_ENCODED = {
    ".flac": ("FLAC", "PCM_16"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
    ".ogg": ("OGG", "VORBIS"),
}
OUTPUT_SUFFIXES = (".wav", *_ENCODED)


def check_output_path(path: Path | str) -> Path:
    """The output path if we can write its format; a UserInputError naming the choices if not."""
    path = Path(path)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        choices = ", ".join(s.lstrip(".").upper() for s in OUTPUT_SUFFIXES)
        raise UserInputError(
            f"Cannot write “{path.name}”: the name must end in one of "
            f"{', '.join(OUTPUT_SUFFIXES)} ({choices}), which sets the format.")
    if path.is_dir():
        raise UserInputError(f"{path} is a folder; give a file name such as out.wav.")
    return path


def write_audio(path: Path | str, samples: np.ndarray, sample_rate: int) -> Path:
    """Save mono float samples in the format of ``path``'s extension, atomically."""
    path = check_output_path(path)
    suffix = path.suffix.lower()
    if suffix == ".wav":
        return write_wav(path, samples, sample_rate)
    container, subtype = _ENCODED[suffix]
    data = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    buffer = io.BytesIO()
    sf.write(buffer, data, int(sample_rate), format=container, subtype=subtype)
    atomic_write_bytes(path, buffer.getvalue())
    return path
