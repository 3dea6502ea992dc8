"""How long training takes on this machine: measured, never promised.

Every training run times its steps (seconds per S2 and per S1 step, median over the run,
the first steps of a stage left out as warm-up) and keeps them in the data folder, keyed by
the device and the base models' size (the tiny test set and the real models differ by a
factor of thousands). The presets' descriptions then say what they take here, from those
measurements and the voice's amount of data; before the first run they say plainly that it
has not been measured yet, and on a CPU with the real models that it takes hours.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from voicestudio.project.atomic import atomic_write_json

SPEED_FILE = "training-speed.json"
WARM_UP_STEPS = 2  # the first steps of a stage load data and allocate: not representative


def speed_key(device_label: str, base_model_bytes: int) -> str:
    return f"{device_label}|{base_model_bytes // 2**20} MB"


def measured_speed(data_dir: Path, key: str) -> dict[str, float]:
    """{"s2": seconds per step, "s1": ...} measured here before; {} when never measured."""
    try:
        raw = json.loads((Path(data_dir) / SPEED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = raw.get(key, {}) if isinstance(raw, dict) else {}
    return {k: float(v) for k, v in entry.items() if k in ("s2", "s1")
            and isinstance(v, int | float) and v > 0}


def record_speed(data_dir: Path, key: str, speeds: dict[str, float]) -> None:
    if not speeds:
        return
    path = Path(data_dir) / SPEED_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raw = {}
    except (OSError, ValueError):
        raw = {}
    raw[key] = {**raw.get(key, {}), **{k: round(v, 4) for k, v in speeds.items()}}
    atomic_write_json(path, raw)


class StepTimer:
    """Wraps a run's per-step reports and times the steps of each stage."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[str, tuple[float, int]] = {}
        self._samples: dict[str, list[float]] = {}

    def __call__(self, update: object) -> None:
        stage, step = getattr(update, "stage", ""), int(getattr(update, "step", 0))
        if not getattr(update, "losses", None):
            self._last.pop(stage, None)  # a notice (a checkpoint check) is not step time
            return
        now = self._clock()
        last = self._last.get(stage)
        if last is not None and step > last[1]:
            self._samples.setdefault(stage, []).append((now - last[0]) / (step - last[1]))
        self._last[stage] = (now, step)

    def speeds(self) -> dict[str, float]:
        """Median seconds per step per stage; the warm-up steps only count when a stage had
        no others (a very short run)."""
        out = {}
        for stage, samples in self._samples.items():
            steady = samples[WARM_UP_STEPS:] or samples
            out[stage] = statistics.median(steady)
        return out


def estimate_seconds(speed: dict[str, float], s2_steps: int, s1_steps: int) -> float | None:
    """The whole run's time from measured step times; None when a stage was never timed."""
    if "s2" not in speed or "s1" not in speed:
        return None
    return s2_steps * speed["s2"] + s1_steps * speed["s1"]


def describe_time(seconds: float | None, cpu_only: bool, real_models: bool) -> str:
    if seconds is None:
        if cpu_only and real_models:
            return ("Not measured on this computer yet; on a processor it takes hours and may "
                    "run overnight (the first minutes of a run measure it).")
        return "Not measured on this computer yet (the first minutes of a run measure it)."
    if seconds < 90:
        return f"About {max(1, round(seconds / 10) * 10):.0f} seconds here (measured)."
    minutes = seconds / 60
    if minutes < 90:
        return f"About {minutes:.0f} minutes here (measured)."
    text = f"About {minutes / 60:.1f} hours here (measured)"
    return text + (": it may run overnight." if minutes > 8 * 60 else ".")
