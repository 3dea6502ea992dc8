"""Peak memory of importing a long recording (decode, loudness, the slicer's level curve).

An old interview of two hours at 48 kHz stereo is the case: importing it must cost about
the memory of its 32 kHz mono result (4 bytes a sample, 0.92 GB for two hours), not
several float64 copies of the whole file. The recording is written block by block as a
48 kHz stereo FLAC (speech-like bursts over noise), then each step runs in a fresh process
so its peak resident memory is its own:

* ``decode``: ``audio.decode.decode_file`` to 32 kHz mono;
* ``import``: ``audio.importer.import_file`` (decode + BS.1770 loudness + normalisation);
* ``import+level``: the import plus the slicer's RMS level curve (``frame_rms_db``).

The voice-activity model (silero, one 32 ms window at a time) and transcription work on
the same 16/32 kHz mono array and are left out: they take minutes per hour of audio.
The figures are the last lines, ``name: value unit``.

    .venv/bin/python benchmarks/import_memory_benchmark.py [--minutes 120]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

# Measure this checkout's code, not whichever copy the environment has installed.
REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
RATE = 48000
STEPS = ("baseline", "decode", "import", "import+level")


def write_recording(path: Path, minutes: float) -> None:
    """A stereo FLAC of ``minutes``: 2 s bursts of tone-modulated noise and 0.5 s pauses."""
    rng = np.random.default_rng(0)
    block = RATE * 10
    with sf.SoundFile(path, "w", RATE, 2, subtype="PCM_16", format="FLAC") as out:
        for start in range(0, int(minutes * 60 * RATE), block):
            t = (start + np.arange(block)) / RATE
            envelope = ((t % 2.5) < 2.0) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))
            voice = 0.2 * envelope * np.sin(2 * np.pi * 180 * t + 3 * np.sin(2 * np.pi * 5 * t))
            noise = 0.002 * rng.standard_normal((block, 2))
            out.write((voice[:, None] + noise).astype(np.float32))


def run_step(step: str, path: str) -> None:
    """One step in this (fresh) process; prints its duration and peak RSS."""
    started = time.perf_counter()
    if step == "decode":
        from voicestudio.audio.decode import decode_file

        decode_file(path, 32000)
    elif step in ("import", "import+level"):
        from voicestudio.audio.importer import import_file

        recording = import_file(path)
        if step == "import+level":
            from voicestudio.audio.slicer import frame_rms_db

            frame_rms_db(recording.samples, 320, 1280)
    else:
        import voicestudio.audio.importer  # noqa: F401 - the imports alone
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{seconds:.1f} {peak_kb}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_step(args.step, args.file)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "interview.flac"
        write_recording(path, args.minutes)
        result_gb = args.minutes * 60 * 32000 * 4 / 1e9
        print(f"{args.minutes:.0f} min 48 kHz stereo FLAC, {path.stat().st_size / 1e6:.0f} MB; "
              f"its 32 kHz mono float32 result: {result_gb:.2f} GB; "
              f"load: {os.getloadavg()[0]:.2f}", file=sys.stderr)
        figures = {}
        for step in STEPS:
            done = subprocess.run(
                [sys.executable, __file__, "--step", step, "--file", str(path)],
                check=True, capture_output=True, text=True, cwd=REPO_ROOT,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            )
            seconds, peak_kb = done.stdout.split()[-2:]
            figures[step] = (float(seconds), int(peak_kb) / 1e6)
    for step, (seconds, peak_gb) in figures.items():
        print(f"peak_rss_{step.replace('+', '_')}: {peak_gb:.2f} GB")
        if step != "baseline":
            print(f"time_{step.replace('+', '_')}: {seconds:.1f} s")


if __name__ == "__main__":
    main()
