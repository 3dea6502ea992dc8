"""How long training a voice takes: one minute of speech, full-size models, this machine.

1. One minute of speech: English sentences read by the Piper test voice (as the tests make
   speech), one clip per sentence, until the clips add up to 60 s.
2. A data folder with full-size GPT-SoVITS v2 models of random weights, installed through
   the registry: S1, the S2 generator and discriminator, and a HuBERT of chinese-hubert-base's
   size (speed does not depend on the values). BERT stays tiny: English phones get zero BERT
   features (as upstream), so BERT never runs for English speech.
3. The training features of every clip, timed: what ``dataset build`` computes (phones,
   HuBERT, the base S2's semantic codes, the 32 kHz training copy).
4. A few real S2 and S1 fine-tuning steps at the device's default batch size (the trainers
   the Train page runs), the first of each stage timed apart as warm-up.
5. Extrapolation: steps per epoch as a training lays the minute out (the clips repeated to
   ``epoch_copies``), times each preset's epochs, plus the features.

Not included: checkpoint scoring (the held-out sentences spoken after each saved epoch) and
the exports written between epochs. Both figures printed, measured and extrapolated, with the
machine's load before and after (other people's jobs on a shared machine slow every figure).

    .venv/bin/python benchmarks/training_benchmark.py              # CUDA when present, else CPU
    .venv/bin/python benchmarks/training_benchmark.py --device cpu --s2-steps 2 --s1-steps 3
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the test voice: tests/speech.py

from narration_benchmark import full_size_data_dir  # noqa: E402

from voicestudio.audio.resample import resample  # noqa: E402
from voicestudio.audio.wav import write_wav  # noqa: E402
from voicestudio.hub.install import staged_install  # noqa: E402
from voicestudio.hub.status import require_file  # noqa: E402
from voicestudio.models.devices import resolve_device  # noqa: E402
from voicestudio.models.s2.discriminator import MultiPeriodDiscriminator  # noqa: E402
from voicestudio.project.segments import SegmentRecord  # noqa: E402
from voicestudio.text.frontend import TextFrontend  # noqa: E402
from voicestudio.training.base_models import hub_base_models  # noqa: E402
from voicestudio.training.batches import (  # noqa: E402
    epoch_copies,
    epoch_order,
    load_segment_features,
    s1_examples,
    s2_examples,
)
from voicestudio.training.feature_store import FeatureStore  # noqa: E402
from voicestudio.training.features import (  # noqa: E402
    SSL_MODEL,
    FeatureModels,
    extract_segment_features,
)
from voicestudio.training.loop import epoch_steps  # noqa: E402
from voicestudio.training.presets import PRESETS, amp_supported, default_batch_size  # noqa: E402
from voicestudio.training.s1 import S1FineTuner  # noqa: E402
from voicestudio.training.s2 import S2FineTuner, spectrogram_config  # noqa: E402

SPEECH_SECONDS = 60.0
SAMPLE_RATE = 32000
SENTENCES = (
    "The old lighthouse keeper climbed the winding stairs every evening at dusk.",
    "She folded the letter twice and hid it beneath the loose floorboard.",
    "Rain drummed on the tin roof while the children played cards by the stove.",
    "Nobody expected the quiet librarian to win the county chess tournament.",
    "A thin mist rolled over the harbour and swallowed the fishing boats one by one.",
    "He measured the flour carefully, because his grandmother always did.",
    "The train was late again, so we shared a pot of tea on the cold platform.",
    "Bright yellow kites danced above the hill on the first warm day of spring.",
    "Please remember to water the tomatoes before you leave for the weekend.",
    "The museum keeps a clock that has not missed a single hour in two centuries.",
    "Our neighbour plays the violin badly, but he plays it with great joy.",
    "At the end of the valley stood a mill with a wheel that never stopped turning.",
    "They counted the stars until the campfire faded to a soft orange glow.",
    "Every winter the pond froze solid and the whole village came out to skate.",
    "The recipe called for three ripe pears, a lemon and a pinch of cinnamon.",
    "My brother fixed the bicycle with nothing but a spoon and a piece of wire.",
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def install_full_size(folder: Path) -> Path:
    """Tiny base models with S1, S2G, S2D and HuBERT replaced by full-size random ones."""
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    full_size_data_dir(folder)  # S1 and the S2 generator
    name = require_file(folder, "s2d-v2").name
    with staged_install(folder, "s2d-v2", "import") as staging:
        weights = {k: v.half() for k, v in MultiPeriodDiscriminator().state_dict().items()}
        torch.save({"weight": weights}, staging / name)
    with staged_install(folder, SSL_MODEL, "import") as staging:
        HubertModel(HubertConfig()).eval().save_pretrained(str(staging))  # base: 768 x 12
        Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                 do_normalize=True, return_attention_mask=False
                                 ).save_pretrained(str(staging))
    return folder


def one_minute(voice_folder: Path) -> list[SegmentRecord]:
    """Piper clips at 32 kHz, one per sentence, until they add up to a minute."""
    from speech import piper_speech

    (voice_folder / "segments").mkdir(parents=True)
    records, total = [], 0.0
    for number, text in enumerate(SENTENCES * 4):
        if total >= SPEECH_SECONDS:
            break
        audio, rate = piper_speech(text)
        wav = resample(np.asarray(audio, np.float32), rate, SAMPLE_RATE)
        path = f"segments/s{number:02d}.wav"
        write_wav(voice_folder / path, wav, SAMPLE_RATE)
        total += wav.size / SAMPLE_RATE
        records.append(SegmentRecord(f"s{number:02d}", "take", SAMPLE_RATE, 0, wav.size, path,
                                     f"sha-{number}", text, "en"))
    return records


def build_features(data_dir: Path, voice_folder: Path, records: list[SegmentRecord],
                   device: str) -> float:
    """Seconds to compute every clip's training features (models loaded first, untimed)."""
    models = FeatureModels(data_dir, device)
    frontend = TextFrontend()
    store = FeatureStore(voice_folder)
    _ = models.ssl, models.generator
    t0 = time.perf_counter()
    for record in records:
        store.save(extract_segment_features(voice_folder, record, models, frontend,
                                            f"bench-{record.id}"))
    return time.perf_counter() - t0


def time_steps(trainer, n_examples: int, batch: int, steps: int,
               device: torch.device) -> tuple[float, float]:
    """(warm-up step seconds, mean seconds of the ``steps`` steps after it)."""
    order = epoch_order(n_examples, 1, 1234)
    times = []
    for i in range(steps + 1):
        indices = [order[(i * batch + j) % len(order)] for j in range(batch)]
        t0 = time.perf_counter()
        trainer.train_step(indices, i + 1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
        say(f"  step {i}{' (warm-up)' if i == 0 else ''}: {times[-1]:.2f} s")
    return times[0], sum(times[1:]) / steps


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 3 * 3600 else f"{seconds / 3600:.1f} h"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    parser.add_argument("--s2-steps", type=int, default=2, help="timed S2 steps after warm-up")
    parser.add_argument("--s1-steps", type=int, default=3, help="timed S1 steps after warm-up")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device).device
    amp = amp_supported(device)
    s2_batch, s1_batch = default_batch_size("s2", device), default_batch_size("s1", device)
    load_before = load()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="training-benchmark-"))
    say(f"load {load_before}; writing full-size random models into {work} ...")
    data_dir = install_full_size(work / "data")
    voice_folder = work / "voice"
    say("one minute of Piper speech ...")
    records = one_minute(voice_folder)
    speech = sum(r.end_sample for r in records) / SAMPLE_RATE
    say(f"{len(records)} clips, {speech:.1f} s; training features ...")
    features_s = build_features(data_dir, voice_folder, records, str(device))
    features = load_segment_features(voice_folder)
    items = len(features) * epoch_copies(len(features))

    base = hub_base_models(data_dir)  # what a training loads, the same way
    base_s2 = base.s2()
    generator = base_s2.generator
    data = s2_examples(voice_folder, features, spectrogram_config(generator),
                       generator.config.segment_frames)
    discriminator = base.discriminator()
    s2 = S2FineTuner(generator, discriminator, data, device, base_s2.hparams, use_amp=amp)
    s2.begin_epoch(1)
    say(f"S2 on {device} (fp16 autocast: {amp}), batch {s2_batch}")
    s2_warm, s2_step = time_steps(s2, len(data), s2_batch, args.s2_steps, device)
    s2_peak = peak_memory_mb(device)
    del s2, base_s2, generator, discriminator
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)

    s1_loaded = base.s1()
    s1 = S1FineTuner(s1_loaded.model, s1_examples(features), device,
                     s1_loaded.upstream_config, use_amp=amp)
    say(f"S1 on {device}, batch {s1_batch}")
    s1_warm, s1_step = time_steps(s1, len(features), s1_batch, args.s1_steps, device)
    s1_peak = peak_memory_mb(device)

    s2_epoch = s2_step * epoch_steps(items, s2_batch)
    s1_epoch = s1_step * epoch_steps(items, s1_batch)
    presets = {name: features_s + p.s2_epochs * s2_epoch + p.s1_epochs * s1_epoch
               for name, p in PRESETS.items()}
    wall = time.perf_counter() - started
    load_after = load()

    print(f"device: {device.type} ({torch.get_num_threads()} CPU threads)")
    print(f"load_before: {load_before} (1, 5, 15 min)")
    print(f"load_after: {load_after} (1, 5, 15 min)")
    print(f"speech: {speech:.1f} s in {len(records)} clips, {items} items per epoch")
    print(f"features_measured: {features_s:.1f} s")
    print(f"s2_batch_size: {s2_batch} clips")
    print(f"s2_warmup_step_measured: {s2_warm:.2f} s")
    print(f"s2_seconds_per_step_measured: {s2_step:.2f} s (mean of {args.s2_steps})")
    print(f"s2_steps_per_epoch: {epoch_steps(items, s2_batch)}")
    print(f"s2_seconds_per_epoch_extrapolated: {s2_epoch:.0f} s")
    print(f"s1_batch_size: {s1_batch} clips")
    print(f"s1_warmup_step_measured: {s1_warm:.2f} s")
    print(f"s1_seconds_per_step_measured: {s1_step:.2f} s (mean of {args.s1_steps})")
    print(f"s1_steps_per_epoch: {epoch_steps(items, s1_batch)}")
    print(f"s1_seconds_per_epoch_extrapolated: {s1_epoch:.0f} s")
    print(f"s2_peak_memory: {s2_peak:.0f} MiB")
    print(f"s1_peak_memory: {s1_peak:.0f} MiB")
    print(f"benchmark_wall: {wall:.0f} s")
    print("--- summary: time to a usable voice from one minute of speech (extrapolated; "
          "features + epochs, without checkpoint scoring) ---")
    for name, p in PRESETS.items():
        print(f"{name}_preset ({p.s2_epochs} S2 + {p.s1_epochs} S1 epochs): "
              f"{presets[name]:.0f} s = {minutes(presets[name])}")
    print(f"usable_voice_standard: {minutes(presets['standard'])} on {device.type}, "
          f"load {load_before} -> {load_after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
