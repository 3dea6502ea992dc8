"""Where one S1 decoding step goes on this machine, and how fast its products can stream.

Issue #16 asks for single-sentence S1 at 2x upstream. At batch 1 each step reads every
weight of the 24 layers once, so the question is whether the step's linears alone fit in
the time 2x allows. This prints the figures that decide it:

* decode: ms per token of a single-sentence decode, on the inputs and sampling settings
  ``upstream_compare.py`` uses (40 phones after a 150-token prompt, 250 tokens), in each
  ``--formats`` weight format;
* the rest: the same decode with every linear of the step replaced by a no-op that returns
  zeros of its shape, alternated with the real decode in one process. The difference is
  what the linears cost inside a real decode, with the caches as a real decode leaves them;
* products: one row times each linear shape of a layer, over 24 layers' weights of that
  shape, in fp32 (MKL), bf16 (oneDNN's packed layout, as the bf16 format holds them) and
  int8 weight-only (``models/int8.py``), in µs and GB/s of weights read;
* read bandwidth: a sum over 64 MiB to 1.2 GiB, for what memory gives a plain stream.

With upstream's single-sentence tokens/s (``--upstream-tokens-per-s``, or the
``bench_results.json`` upstream's script wrote into ``--work``) it also prints the ms a step
may take for 2x upstream. The machine's speed moves within a minute, so every figure is a
median over ``--rounds`` alternated rounds, and the load is printed beside them.

    .venv/bin/python benchmarks/s1_step_budget.py [--work /tmp/bench] [--threads 2] \\
        [--rounds 3] [--formats bf16,fp32] [--upstream-tokens-per-s 44.9]

The figures are the last lines, ``name: value unit``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from upstream_compare import N_NEW, S1_FILE, bench_inputs  # noqa: E402

SHAPE_NAMES = ("qkv", "out", "ffn_in", "ffn_out")
BANDWIDTH_MIB = (64, 150, 300, 1200)


def _load_s1(work: Path):
    from voicestudio.models.s1 import S1Config, load_s1_checkpoint, random_s1_model

    if (work / S1_FILE).exists():
        return load_s1_checkpoint(work / S1_FILE, "cpu").model
    return random_s1_model(S1Config(), seed=0).eval()


class _Zeros:
    """A linear that costs nothing: zeros of the product's shape, made once per shape."""

    def __init__(self, out_features: int) -> None:
        self.out_features = out_features
        self._made: dict[tuple, torch.Tensor] = {}

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        key = (*x.shape[:-1], x.dtype)
        if key not in self._made:
            self._made[key] = x.new_zeros(*x.shape[:-1], self.out_features)
        return self._made[key]


def _swap_linears(packed, linears: list[tuple]) -> None:
    for layer, (qkv, out, ffn_in, ffn_out) in zip(packed.layers, linears, strict=True):
        layer.qkv, layer.out, layer.ffn_in, layer.ffn_out = qkv, out, ffn_in, ffn_out


def decode_split(s1, fmt: str, rounds: int, work: Path) -> dict[str, float]:
    """Median ms per token of the real decode and of the decode without its linears."""
    from voicestudio.models.s1 import SamplingParams, decode
    from voicestudio.models.s1.packed import packed_for
    from voicestudio.models.s2 import v2_s2_config

    phones, _batch, prompt, _codes, _refer = bench_inputs(work, s1.config, v2_s2_config())
    bert = torch.zeros(s1.config.bert_dim, phones.shape[1])
    params = SamplingParams(top_k=15, top_p=1.0, temperature=1.0, repetition_penalty=1.35,
                            max_new_tokens=N_NEW, min_token_cap=N_NEW)
    packed = packed_for(s1, fmt)
    real = [(l.qkv, l.out, l.ffn_in, l.ffn_out) for l in packed.layers]
    idle = [tuple(_Zeros(w.shape[0]) for w in (m.self_attn.in_proj_weight,
                                               m.self_attn.out_proj.weight, m.linear1.weight,
                                               m.linear2.weight)) for m in s1.h.layers]

    def per_token(linears: list[tuple]) -> float:
        _swap_linears(packed, linears)
        start = time.perf_counter()
        result = decode(s1, phones[0], bert, prompt, params, seed=1, weights=fmt)
        return (time.perf_counter() - start) / (result.final_step + 1) * 1e3

    per_token(real)  # warm-up: oneDNN builds its kernels on first use
    step, rest = [], []
    try:
        for _ in range(rounds):
            step.append(per_token(real))
            rest.append(per_token(idle))
    finally:
        _swap_linears(packed, real)
    step_ms, rest_ms = statistics.median(step), statistics.median(rest)
    weight_mb = _weight_bytes(s1, fmt) / 1e6
    linears_ms = step_ms - rest_ms
    return {"step_ms": step_ms, "rest_ms": rest_ms, "linears_ms": linears_ms,
            "linear_weights_mb": weight_mb,
            "linears_gb_per_s": weight_mb / linears_ms if linears_ms > 0 else float("nan")}


def _weight_bytes(s1, fmt: str) -> int:
    """Bytes of linear weights one step reads in ``fmt`` (packed.py: bf16 holds all four
    linears in bf16; int8 the FFN in int8 and the attention in fp32)."""
    attention_bytes = {"fp32": 4, "bf16": 2, "int8": 4}[fmt]
    ffn_bytes = {"fp32": 4, "bf16": 2, "int8": 1}[fmt]
    total = 0
    for layer in s1.h.layers:
        total += attention_bytes * (layer.self_attn.in_proj_weight.numel()
                                    + layer.self_attn.out_proj.weight.numel())
        total += ffn_bytes * (layer.linear1.weight.numel() + layer.linear2.weight.numel())
    return total


def _median_us(work: Callable[[], object], calls: int, rounds: int) -> float:
    for _ in range(5):
        work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            work()
        times.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(times)


def _linears_of(kind: str, weights: list[torch.Tensor]) -> tuple[list[Callable], torch.dtype, int]:
    """The 24 products of one shape in ``kind``, their input dtype and bytes per weight."""
    from voicestudio.models.int8 import Int8Linear
    from voicestudio.models.s1.packed import _Bf16Linear

    if kind == "fp32":
        return [lambda x, w=w: F.linear(x, w) for w in weights], torch.float32, 4
    if kind == "bf16":
        return [_Bf16Linear(w, None) for w in weights], torch.bfloat16, 2
    return [Int8Linear(w, None).forward for w in weights], torch.float32, 1


def products(s1, rounds: int) -> dict[str, float]:
    """µs and GB/s of one row times each layer shape, per weight format."""
    layer = s1.h.layers[0]
    shapes = [tuple(w.shape) for w in (layer.self_attn.in_proj_weight,
                                       layer.self_attn.out_proj.weight,
                                       layer.linear1.weight, layer.linear2.weight)]
    figures: dict[str, float] = {}
    generator = torch.Generator().manual_seed(0)
    for name, (rows, cols) in zip(SHAPE_NAMES, shapes, strict=True):
        weights = [torch.randn(rows, cols, generator=generator) * 0.02 for _ in range(24)]
        row = torch.randn(1, cols, generator=generator)
        for kind in ("fp32", "bf16", "int8"):
            linears, dtype, size = _linears_of(kind, weights)
            x = row.to(dtype)
            us = _median_us(lambda linears=linears, x=x: [f(x) for f in linears], 40,
                            rounds) / len(linears)
            key = f"product_{name}_{rows}x{cols}_{kind}"
            figures[f"{key}_us"] = us
            figures[f"{key}_gb_per_s"] = rows * cols * size / us / 1e3
    return figures


def read_bandwidth(rounds: int) -> dict[str, float]:
    figures = {}
    for mib in BANDWIDTH_MIB:
        data = torch.ones(mib * 2**20 // 4)
        seconds = _median_us(data.sum, 5, rounds) / 1e6
        figures[f"read_bandwidth_{mib}mib_gib_per_s"] = mib / 1024 / seconds
        del data
    return figures


def _upstream_tokens_per_s(args) -> float | None:
    if args.upstream_tokens_per_s:
        return args.upstream_tokens_per_s
    results = args.work / "bench_results.json"
    if results.exists():
        return json.loads(results.read_text()).get("s1_tokens_per_s")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default="bf16,fp32")
    parser.add_argument("--upstream-tokens-per-s", type=float, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    s1 = _load_s1(args.work)
    figures: dict[str, float] = {}
    with torch.inference_mode():
        for fmt in args.formats.split(","):
            for key, value in decode_split(s1, fmt, args.rounds, args.work).items():
                figures[f"s1_{fmt}_{key}"] = value
        figures.update(products(s1, args.rounds))
        figures.update(read_bandwidth(args.rounds))
    upstream = _upstream_tokens_per_s(args)
    if upstream:
        figures["upstream_s1_ms_per_token"] = 1e3 / upstream
        figures["s1_step_ms_for_2x"] = 1e3 / upstream / 2
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"machine_load_1_5_15: {load}")
    for name, value in figures.items():
        unit = next((u for suffix, u in (
            ("_ms", "ms"), ("_us", "µs"), ("_gb_per_s", "GB/s"), ("_gib_per_s", "GiB/s"),
            ("_mb", "MB")) if name.endswith(suffix)), "")
        print(f"{name}: {value:.3g} {unit}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
