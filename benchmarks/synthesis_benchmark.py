"""How fast full-size GPT-SoVITS v2 synthesis runs on this machine.

Measures, with the real model code and the full v2 sizes (S1 77.6 M parameters, S2 v2
generator):

* S1 real-time factor for a 10 s utterance (250 tokens after a prompt), with the KV cache;
* S1 tokens per second with and without the cache (without = recompute the whole sequence
  for every token, the cost the cache removes);
* S1 throughput for 16 sentences decoded as one batch versus one by one;
* S2 real-time factor for a 10 s utterance;
* peak resident memory; and the same on a CUDA GPU when one is present (fp16 S1, S2 under
  fp16 autocast, as upstream runs them), plus peak GPU memory.

Weights are random full-size by default (no download needed; speed does not depend on the
values, except that a random S1 rarely says EOS, so lengths are pinned here). ``--s1 FILE
--s2 FILE`` runs on any official-format checkpoints instead. The figures are the last lines,
``name: value unit``.

    .venv/bin/python benchmarks/synthesis_benchmark.py [--s1 S1.ckpt --s2 S2.pth] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import torch

from voicestudio.models.s1 import (
    KVCache,
    S1Config,
    SamplingParams,
    Text2SemanticModel,
    decode,
    decode_batch,
    inference_dtype,
    load_s1_checkpoint,
    random_s1_model,
)
from voicestudio.models.s1.sampling import draw_tokens, penalize_repeats
from voicestudio.models.s2 import (
    SoVITSGenerator,
    load_s2_checkpoint,
    random_s2_generator,
    v2_s2_config,
)

TOKEN_RATE = 25.0  # semantic tokens per second of audio
UTTERANCE_SECONDS = 10.0
PROMPT_TOKENS = 100  # a 4 s reference
PROMPT_PHONES = 40
PHONES_PER_SECOND = 12  # Mandarin runs at about 5 syllables = 10-12 phones per second


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(device: torch.device, work: Callable[[], object]) -> float:
    _sync(device)
    start = time.perf_counter()
    work()
    _sync(device)
    return time.perf_counter() - start


def _s1_inputs(cfg: S1Config, n_phones: int, device: torch.device, seed: int):
    g = torch.Generator().manual_seed(seed)
    phones = torch.randint(0, cfg.phoneme_vocab_size, (n_phones,), generator=g)
    bert = torch.randn(cfg.bert_dim, n_phones, generator=g) * 0.1
    prompt = torch.randint(0, cfg.eos, (PROMPT_TOKENS,), generator=g)
    return phones.to(device), bert.to(device), prompt.to(device)


@torch.inference_mode()
def s1_generate(model: Text2SemanticModel, phones, bert, prompt, n_tokens: int,
                use_cache: bool) -> None:
    """Exactly ``n_tokens`` tokens with upstream's sampling (EOS masked so length is fixed)."""
    cfg = model.config
    params = SamplingParams()
    generator = torch.Generator(device=phones.device).manual_seed(0)
    phone_ids, bert = phones.unsqueeze(0), bert.unsqueeze(0).to(model.ar_predict_layer.weight)
    text_ok = torch.ones_like(phone_ids, dtype=torch.bool)
    history = prompt.unsqueeze(0)  # (1, P)
    cache = KVCache(cfg.n_layer)
    logits = model.prefill(phone_ids, bert, text_ok, history, cache)
    for step in range(n_tokens):
        logits = logits.float()[:, : cfg.eos]  # (1, V - 1)
        penalize_repeats(logits, history, params.repetition_penalty)
        token = draw_tokens(logits, params, generator)  # (1,)
        history = torch.cat([history, token.unsqueeze(1)], dim=1)
        if step == n_tokens - 1:
            break
        if use_cache:
            logits = model.step(history[:, -1:], history.shape[1] - 1, None, cache)
        else:  # recompute text + every audio token from scratch
            logits = model.prefill(phone_ids, bert, text_ok, history, KVCache(cfg.n_layer))


def benchmark(device: torch.device, s1_path: str | None, s2_path: str | None,
              sentences: int, sentence_tokens: int, nocache_tokens: int) -> dict[str, tuple]:
    prefix = "" if device.type == "cpu" else f"{device.type}_"
    figures: dict[str, tuple] = {}
    print(f"[{device}] building S1 and S2 ...", file=sys.stderr)
    if s1_path:
        s1 = load_s1_checkpoint(s1_path, device).model
    else:
        s1 = random_s1_model(S1Config(), seed=0).to(device, inference_dtype(device)).eval()
    if s2_path:
        s2: SoVITSGenerator = load_s2_checkpoint(s2_path, device).generator
    else:
        s2 = random_s2_generator(v2_s2_config(), seed=0).to(device).eval()
    cfg = s1.config
    n_tokens = int(UTTERANCE_SECONDS * TOKEN_RATE)
    n_phones = int(UTTERANCE_SECONDS * PHONES_PER_SECOND)
    phones, bert, prompt = _s1_inputs(cfg, PROMPT_PHONES + n_phones, device, 0)

    s1_generate(s1, phones, bert, prompt, 8, use_cache=True)  # warm-up
    print(f"[{device}] S1: {n_tokens} tokens with the cache ...", file=sys.stderr)
    cached = _timed(device, lambda: s1_generate(s1, phones, bert, prompt, n_tokens, True))
    figures[f"{prefix}s1_rtf_10s"] = (cached / UTTERANCE_SECONDS, "x")
    figures[f"{prefix}s1_tokens_per_s_cached"] = (n_tokens / cached, "tokens/s")
    print(f"[{device}] S1: {nocache_tokens} tokens without the cache ...", file=sys.stderr)
    uncached = _timed(device, lambda: s1_generate(s1, phones, bert, prompt, nocache_tokens,
                                                  False))
    figures[f"{prefix}s1_tokens_per_s_uncached"] = (nocache_tokens / uncached, "tokens/s")

    # 16 sentences of 2-4 s: the real decoder (EOS allowed) with the length pinned by the cap
    params = replace(SamplingParams(), max_new_tokens=sentence_tokens,
                     min_token_cap=sentence_tokens)
    rows = [_s1_inputs(cfg, PROMPT_PHONES + 24 + 2 * i, device, i + 1)[:2]
            for i in range(sentences)]
    one_by_one: list[int] = []
    batched: list[int] = []
    print(f"[{device}] S1: {sentences} sentences one by one ...", file=sys.stderr)
    single = _timed(device, lambda: one_by_one.extend(
        decode(s1, p, b, prompt, params, seed=i).tokens.numel()
        for i, (p, b) in enumerate(rows)))
    print(f"[{device}] S1: {sentences} sentences in one batch ...", file=sys.stderr)
    batch = _timed(device, lambda: batched.extend(
        r.tokens.numel() for r in decode_batch(s1, [p for p, _ in rows], [b for _, b in rows],
                                                prompt, params, seed=0)))
    figures[f"{prefix}s1_{sentences}_sentences_one_by_one"] = (sum(one_by_one) / single,
                                                               "tokens/s")
    figures[f"{prefix}s1_{sentences}_sentences_batched"] = (sum(batched) / batch, "tokens/s")
    figures[f"{prefix}s1_batch_speedup"] = ((sum(batched) / batch) / (sum(one_by_one) / single),
                                            "x")

    print(f"[{device}] S2: decoding {UTTERANCE_SECONDS:.0f} s ...", file=sys.stderr)
    g = torch.Generator().manual_seed(0)
    codes = torch.randint(0, 1024, (1, 1, n_tokens), generator=g).to(device)
    text = phones[PROMPT_PHONES:].unsqueeze(0).clamp(max=s2.config.n_symbols - 1)  # (1, T)
    refer = torch.rand(1, s2.config.spec_channels, 200, generator=g).to(device)  # 4 s ref
    autocast = torch.autocast("cuda", dtype=torch.float16, enabled=device.type == "cuda")

    def vocalize() -> None:
        with torch.inference_mode(), autocast:
            s2.decode(codes, text, refer)

    vocalize()  # warm-up
    figures[f"{prefix}s2_rtf_10s"] = (_timed(device, vocalize) / UTTERANCE_SECONDS, "x")
    if device.type == "cuda":
        figures["cuda_peak_memory"] = (torch.cuda.max_memory_allocated(device) / 2**20, "MiB")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--s1", help="an S1 .ckpt (default: random full-size weights)")
    parser.add_argument("--s2", help="an S2 generator .pth (default: random full-size weights)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto = the CPU, then the GPU too when there is one")
    parser.add_argument("--sentences", type=int, default=16)
    parser.add_argument("--sentence-tokens", type=int, default=60,
                        help="tokens per sentence in the batch comparison (60 = 2.4 s)")
    parser.add_argument("--nocache-tokens", type=int, default=40)
    parser.add_argument("--threads", type=int, help="CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = []
    if args.device in ("auto", "cpu"):
        devices.append(torch.device("cpu"))
    if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()):
        devices.append(torch.device("cuda"))
    figures: dict[str, tuple] = {}
    for device in devices:
        figures.update(benchmark(device, args.s1, args.s2, args.sentences,
                                 args.sentence_tokens, args.nocache_tokens))
    figures["peak_rss"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MiB")
    figures["cpu_threads"] = (torch.get_num_threads(), "threads")
    # other processes competing for the CPU slow every figure above; say how busy it was
    figures["load_average_1min"] = (os.getloadavg()[0], "processes")
    for name, (value, unit) in figures.items():
        print(f"{name}: {value:.4g} {unit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
