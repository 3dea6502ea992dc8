"""Seconds per S2 and S1 fine-tuning epoch for one minute of speech, with full-size models.

Builds a synthetic voice (10 clips of 6 s: the size of one minute after slicing, with
random HuBERT/BERT features and tokens of the real sizes), full-size v2 S2 generator +
discriminator and S1 (random weights: speed does not depend on the values), times a few
real training steps at the device's default batch size and extrapolates to an upstream epoch
(the clip list repeated to >= 100 items). Peak memory is the process's peak RSS on the CPU
and torch's peak allocation on CUDA.

    .venv/bin/python benchmarks/training_benchmark.py [--device cpu|cuda] [--s2-steps N]
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voicestudio.models.devices import resolve_device  # noqa: E402
from voicestudio.models.s1 import S1Config, config_to_upstream, random_s1_model  # noqa: E402
from voicestudio.models.s2 import random_s2_generator, v2_s2_config  # noqa: E402
from voicestudio.models.s2.discriminator import MultiPeriodDiscriminator  # noqa: E402
from voicestudio.training.batches import (  # noqa: E402
    epoch_copies,
    epoch_order,
    load_segment_features,
    s1_examples,
    s2_examples,
)
from voicestudio.training.feature_store import FeatureStore, SegmentFeatures  # noqa: E402
from voicestudio.training.presets import amp_supported, default_batch_size  # noqa: E402
from voicestudio.training.s1 import S1FineTuner  # noqa: E402
from voicestudio.training.s2 import S2FineTuner, spectrogram_config  # noqa: E402

CLIPS, CLIP_SECONDS, SR = 10, 6.0, 32000


def write_minute(folder: Path) -> None:
    rng = np.random.default_rng(0)
    store = FeatureStore(folder)
    (folder / "segments").mkdir(parents=True)
    for i in range(CLIPS):
        n = int(CLIP_SECONDS * SR)
        wav = (0.1 * rng.standard_normal(n)).astype(np.float32)
        sf.write(folder / f"segments/c{i}.wav", wav, SR)
        phones = int(CLIP_SECONDS * 12)
        store.save(SegmentFeatures(
            f"c{i}", "x", "zh", f"segments/c{i}.wav", rng.integers(1, 732, phones),
            rng.standard_normal((1024, phones)).astype(np.float16),
            rng.standard_normal((768, n // 640)).astype(np.float16),
            rng.integers(0, 1024, n // 1280), f"f{i}"))


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def time_steps(trainer, n_examples: int, batch: int, steps: int, device: torch.device) -> float:
    """Mean seconds per step over ``steps`` steps after one warm-up step."""
    order = epoch_order(n_examples, 1, 1234)
    times = []
    for i in range(steps + 1):
        indices = [order[(i * batch + j) % len(order)] for j in range(batch)]
        t0 = time.perf_counter()
        trainer.train_step(indices, i + 1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
        print(f"  step {i}: {times[-1]:.2f} s", file=sys.stderr)
    return sum(times[1:]) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--s2-steps", type=int, default=2)
    parser.add_argument("--s1-steps", type=int, default=4)
    parser.add_argument("--s2-batch", type=int)
    parser.add_argument("--s1-batch", type=int)
    args = parser.parse_args()
    device = resolve_device(args.device).device
    amp = amp_supported(device)
    s2_batch = args.s2_batch or default_batch_size("s2", device)
    s1_batch = args.s1_batch or default_batch_size("s1", device)
    folder = Path(tempfile.mkdtemp())
    write_minute(folder)
    features = load_segment_features(folder)
    items = CLIPS * epoch_copies(CLIPS)

    generator = random_s2_generator(v2_s2_config(), seed=0)
    data = s2_examples(folder, features, spectrogram_config(generator),
                       generator.config.segment_frames)
    s2 = S2FineTuner(generator, MultiPeriodDiscriminator(), data, device,
                     generator.config.to_hparams(), use_amp=amp)
    s2.begin_epoch(1)
    print(f"S2 on {device} (fp16 autocast: {amp}), batch {s2_batch}", file=sys.stderr)
    s2_step = time_steps(s2, len(data), s2_batch, args.s2_steps, device)
    s2_peak = peak_memory_mb(device)
    del s2, generator
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)

    cfg = S1Config()
    model = random_s1_model(cfg, seed=0)
    s1 = S1FineTuner(model, s1_examples(features), device, config_to_upstream(cfg), use_amp=amp)
    print(f"S1 on {device}, batch {s1_batch}", file=sys.stderr)
    s1_step = time_steps(s1, len(features), s1_batch, args.s1_steps, device)
    s1_peak = peak_memory_mb(device)

    s2_epoch = s2_step * math.ceil(items / s2_batch)
    s1_epoch = s1_step * math.ceil(items / s1_batch)
    standard = 8 * s2_epoch + 15 * s1_epoch
    print(f"device: {device.type}")
    print(f"data: {CLIPS * CLIP_SECONDS:.0f} s in {CLIPS} clips, {items} items per epoch")
    print(f"s2_batch_size: {s2_batch} clips")
    print(f"s1_batch_size: {s1_batch} clips")
    print(f"s2_seconds_per_step: {s2_step:.2f} s")
    print(f"s1_seconds_per_step: {s1_step:.2f} s")
    print(f"s2_seconds_per_epoch: {s2_epoch:.1f} s")
    print(f"s1_seconds_per_epoch: {s1_epoch:.1f} s")
    print(f"standard_preset_minutes: {standard / 60:.1f} min")
    print(f"s2_peak_memory: {s2_peak:.0f} MiB")
    print(f"s1_peak_memory: {s1_peak:.0f} MiB")


if __name__ == "__main__":
    main()
