"""Time to open a 60-minute recording in the segment editor, first time and again.

The editor shows a take from its min/max envelope pyramid (``audio.envelope``) and decodes
the audio itself in the background for playing and cutting. This measures, on a voice
whose only take is an hour of 32 kHz mono speech-like sound (written block by block as
FLAC):

* ``decode``: ``Dataset.take_samples`` (decode + loudness normalisation), the background
  job's main cost, paid each time the take is opened;
* ``first open``: ``services.segment_editing.open_take`` on a take never opened (decode +
  envelope computed and saved);
* ``reopen waveform``: ``cached_envelope``, what the editor draws from the moment it is
  opened again (before the audio is decoded);
* ``view``: one redraw's envelope query at full zoom-out and at 10 s (1600 pixels).

The figures are the last lines, ``name: value unit``.

    .venv/bin/python benchmarks/editor_open_benchmark.py [--minutes 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests"))
RATE = 32000


def write_long_take(path: Path, minutes: float) -> None:
    """Speech-like phrases and pauses over faint noise, a minute of blocks at a time."""
    from segment_voice import phrase_audio

    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", RATE, 1, subtype="PCM_16", format="FLAC") as out:
        for minute in range(int(np.ceil(minutes))):
            block = 0.003 * rng.standard_normal(RATE * 60).astype(np.float32)
            for start in range(0, 55, 3):
                phrase = phrase_audio(2.4, minute * 100 + start)
                block[start * RATE:start * RATE + phrase.size] += phrase
            out.write(np.clip(block, -1, 1))


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()

    from voicestudio.project.checksums import sha256_file
    from voicestudio.project.library import VoiceLibrary
    from voicestudio.project.segments import Dataset, TakeRecord
    from voicestudio.project.voice import now_iso
    from voicestudio.services.segment_editing import cached_envelope, open_take

    with tempfile.TemporaryDirectory(prefix="editor-bench-") as folder:
        folder = Path(folder)
        voice = VoiceLibrary(folder).create("Long Interview", ["en"])
        dataset = Dataset.open(voice)
        source = folder / "interview.flac"
        write_long_take(source, args.minutes)
        take_id = dataset.new_take_id(source.name)
        copied = dataset.copy_original(source, take_id)
        dataset.add_take(TakeRecord(
            id=take_id, path=copied.relative_to(voice.folder).as_posix(),
            original_name=source.name, sha256=sha256_file(copied), imported=now_iso(),
            duration_seconds=args.minutes * 60, gain=1.0, original_sample_rate=RATE,
            original_channels=1), [])

        decode_s, _ = timed(lambda: dataset.take_samples(take_id))
        first_s, opened = timed(lambda: open_take(dataset, take_id))
        reopen_s, envelope = timed(lambda: cached_envelope(dataset, take_id))
        assert envelope is not None
        whole_s, _ = timed(lambda: envelope.view(0, envelope.duration_seconds, 1600))
        close_s, _ = timed(lambda: envelope.view(1800, 1810, 1600))
        size_mb = os.path.getsize(
            voice.folder / "segments" / "waveforms" / f"{take_id}.npz") / 1e6

    print(f"recording: {args.minutes:g} minutes, {opened.samples.size} samples at {RATE} Hz")
    print(f"load: {' '.join(open('/proc/loadavg').read().split()[:3])} "
          f"on {os.cpu_count()} cores")
    print(f"decode: {decode_s:.2f} s")
    print(f"first open: {first_s:.2f} s")
    print(f"reopen waveform: {reopen_s * 1000:.0f} ms")
    print(f"envelope file: {size_mb:.1f} MB")
    print(f"view whole take: {whole_s * 1000:.1f} ms")
    print(f"view 10 s: {close_s * 1000:.2f} ms")


if __name__ == "__main__":
    main()
