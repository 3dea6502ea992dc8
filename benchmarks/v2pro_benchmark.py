"""What the v2Pro families cost: the SV fingerprint per reference, and S2 decode v2 vs v2Pro
vs v2ProPlus, at full size with random weights (speed does not depend on the weights).

* ``sv``: ERes2NetV2 (53.6 M parameters) on a reference of each length: Kaldi fbank +
  forward3, once per reference clip (a voice prompt is computed once and reused);
* ``decode``: one S2 ``decode`` of N semantic tokens (N / 25 seconds of speech) with one
  reference, for each family; v2Pro adds the SV projection and a wider voice vector (1024),
  v2ProPlus a wider vocoder (768 channels, 20-tap first upsampler).

Each figure is the median of ``--repeats`` runs after one warm-up; run on an idle machine
and report ``cat /proc/loadavg`` beside the figures. The figures are the last lines,
``name: value unit``.

    .venv/bin/python benchmarks/v2pro_benchmark.py [--device cpu|cuda] [--tokens 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from voicestudio.models.s2 import random_s2_generator, v2_s2_config  # noqa: E402
from voicestudio.models.s2.config import v2pro_s2_config  # noqa: E402
from voicestudio.models.sv import ERes2NetV2, SpeakerVerifier, SVConfig  # noqa: E402


def timed(fn, repeats: int, device: torch.device) -> float:
    """Median seconds of ``fn()`` after one warm-up call."""
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tokens", type=int, default=100, help="semantic tokens per decode")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, nargs="+", default=[3.0, 10.0],
                        help="reference lengths for the SV figure")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    figures: list[tuple[str, float, str]] = []

    with torch.device("cpu"):
        verifier = SpeakerVerifier(ERes2NetV2(SVConfig()).eval().to(device))
    for seconds in args.seconds:
        wave = (torch.rand(1, int(16000 * seconds)) - 0.5) * 0.2
        cost = timed(lambda w=wave, v=verifier: v.embed_16k(w), args.repeats, device)
        figures.append((f"sv_fingerprint_{seconds:g}s_reference", cost * 1000, "ms"))
    del verifier

    codes = torch.randint(0, 1024, (1, 1, args.tokens), device=device)
    text = torch.randint(1, 732, (1, max(8, args.tokens // 3)), device=device)
    refer = torch.rand(1, 1025, 200, device=device)  # a 4 s reference spectrogram
    for name, config in (("v2", v2_s2_config()), ("v2Pro", v2pro_s2_config("v2Pro")),
                         ("v2ProPlus", v2pro_s2_config("v2ProPlus"))):
        generator = random_s2_generator(config, seed=0).to(device)
        generator.enc_q = None  # inference: no posterior encoder
        sv = torch.rand(1, config.sv_dim, device=device) if config.uses_sv else None
        with torch.inference_mode():
            cost = timed(lambda g=generator, s=sv: g.decode(codes, text, refer, 0.5, sv=s),
                         args.repeats, device)
        audio_seconds = args.tokens / 25
        figures.append((f"s2_decode_{name}_{args.tokens}_tokens", cost * 1000, "ms"))
        figures.append((f"s2_decode_{name}_real_time_factor", cost / audio_seconds, "x"))
        del generator

    print(f"device: {device} threads: {torch.get_num_threads()}")
    for name, value, unit in figures:
        print(f"{name}: {value:.3f} {unit}")


if __name__ == "__main__":
    main()
