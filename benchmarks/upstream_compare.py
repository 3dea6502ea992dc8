"""VoiceStudio's inference speed beside upstream GPT-SoVITS: same weights, same inputs, same work.

Times, on the full-size v2 models (S1 77.6 M parameters, the v2 S2 generator):

* S1 single sentence: 40 phones after a 150-token prompt, 250 sampling steps, top_k 15,
  top_p 1, temperature 1, repetition penalty 1.35 (what ``../shared/bench/upstream_bench.py``
  times upstream with); S1 batch of 8 such sentences (aggregate tokens/s);
* S1 runs in the weight format the app picks (``--s1-precision auto``: bf16 on a CPU with
  native bf16, ``models/s1/packed.py``); then the exact fp32 format is timed too
  (``fp32_*``), and the optional int8 weights (batch 8 too with ``--int8-batch``); the
  teacher-forced top-1 token agreement of each reduced format with fp32 on the sequences
  just decoded;
* S2 decode of 250 codes (10 s of 32 kHz audio), noise 0.5;
* a chapter: ``--chapter-sentences`` sentences of 20-60 phones (2.5 tokens per phone),
  decoded with continuous batching (8 rows, a finished row refilled at once) and S2 run on
  each sentence as soon as its tokens are ready: seconds of audio per second, warm (after
  one chapter, as every figure is timed after a warm-up) and cold (that first chapter);
* peak resident memory of the process doing the app's work (the other formats are timed in
  a second process, so formats the app does not hold do not raise it).

With ``--upstream-python PY --upstream-src DIR`` it runs upstream's benchmark script in its
own environment and this one in a child process, alternating (A B A B ...) for ``--rounds``
rounds, prints every round's ratios (upstream time / ours) with the machine load, and ends
with exactly these lines (medians over the rounds)::

    ratio_s1_single: X
    ratio_s1_batch8: X
    ratio_s2: X
    ratio_chapter: X
    int8_top1_agreement: X

Peers (``--peer NAME=PYTHON[:SRC]``, repeatable) run in the same rounds (A, peers, B), each with
its own Python: with ``SRC`` a peer that keeps upstream's API (gpt-sovits-cpufast: SRC is the
folder holding its ``GPT_SoVITS`` package) runs upstream's benchmark script on its code;
without, ``benchmarks/peers/NAME_bench.py`` (``-`` read as ``_``) does the same work through the
peer's own API (gsv-tts-lite). Each round then also prints ``peer_NAME_ratio_*`` (peer time /
ours) and their medians are printed before the last lines above.

Upstream's chapter figure is its single-sentence path (S1 single + S2 for a 10 s sentence)
expressed as audio seconds per compute second: per-token work does not depend on the
sentence, so that is what a chapter rendered sentence by sentence upstream achieves.
Both programs load the files upstream's script writes into ``--work`` (random full-size
weights in the official formats, and the inputs); without upstream and without those files,
ours runs on random full-size models built in memory.

    .venv/bin/python benchmarks/upstream_compare.py --work /tmp/bench \\
        [--upstream-python UPVENV/bin/python --upstream-src SRC] [--rounds 3] [--threads 2] \\
        [--peer gpt-sovits-cpufast=/work/peers/cpufast-venv/bin/python:SITE_PACKAGES] \\
        [--peer gsv-tts-lite=/work/peers/gsvlite-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

S1_FILE, S2_FILE, INPUTS_FILE = "s1_v2_random.ckpt", "s2G_v2_random.pth", "bench_inputs.npz"
N_PHONES, N_PROMPT, N_NEW, BATCH = 40, 150, 250, 8
TOKEN_SECONDS = 0.04  # 25 Hz semantic tokens
CHAPTER_TOKENS_PER_PHONE = 2.5
UPSTREAM_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "upstream_bench.py"
PEER_SCRIPTS = Path(__file__).resolve().parent / "peers"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _median_time(work: Callable[[], object], runs: int) -> float:
    work()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# --------------------------------------------------------------------------- ours (child)


def bench_inputs(work: Path, s1_cfg, s2_cfg):
    """The inputs upstream's script wrote into ``work``, or random ones of the same shapes."""
    import numpy as np
    import torch

    path = work / INPUTS_FILE
    if path.exists():
        data = np.load(path)
        phones = torch.from_numpy(data["phoneme_ids"]).long()  # (1, 40)
        batch = torch.from_numpy(data["phoneme_ids_batch"]).long()  # (8, 40)
        prompt = torch.from_numpy(data["prompt_semantic"]).long()  # (150,)
        codes = torch.from_numpy(data["codes"]).long()  # (1, 1, 250)
        refer = torch.from_numpy(data["refer_spec"]).float()  # (1, 1025, T)
        return phones, batch, prompt, codes, refer
    gen = torch.Generator().manual_seed(1234)
    phones = torch.randint(1, s1_cfg.phoneme_vocab_size, (1, N_PHONES), generator=gen)
    batch = torch.randint(1, s1_cfg.phoneme_vocab_size, (BATCH, N_PHONES), generator=gen)
    batch[0] = phones[0]
    prompt = torch.randint(0, s1_cfg.eos, (N_PROMPT,), generator=gen)
    codes = torch.randint(0, s1_cfg.eos, (1, 1, N_NEW), generator=gen)
    refer = torch.rand(1, s2_cfg.spec_channels, 500, generator=gen)
    return phones, batch, prompt, codes, refer


def measure_ours(work: Path, threads: int, runs: int, chapter_sentences: int,
                 int8_batch: bool, vocoder_precision: str = "auto",
                 s1_precision: str = "auto", part: str = "app") -> dict:
    """``part`` "app": the app's work in the app's formats (S1 single and batch 8, S2, the
    chapter) and the process's peak memory, which is then the app's for that work, not
    raised by formats the app does not hold; "formats": the exact fp32 and the int8 S1
    timed, and each reduced format's agreement with fp32."""
    import torch

    from voicestudio.models.s1 import (
        S1Config,
        SamplingParams,
        decode,
        decode_batch,
        load_s1_checkpoint,
        random_s1_model,
    )
    from voicestudio.models.s1.continuous import decode_continuous
    from voicestudio.models.s1.packed import inference_format, top1_agreement
    from voicestudio.models.s2 import load_s2_checkpoint, random_s2_generator, v2_s2_config
    from voicestudio.models.s2.precision import set_vocoder_precision
    from voicestudio.models.s2.weight_norm import fold_weight_norm_in_place

    torch.set_num_threads(threads)
    if (work / S1_FILE).exists() and (work / S2_FILE).exists():
        s1 = load_s1_checkpoint(work / S1_FILE, "cpu").model
        s2 = load_s2_checkpoint(work / S2_FILE, "cpu").generator
    else:
        s1 = random_s1_model(S1Config(), seed=0).eval()
        s2 = random_s2_generator(v2_s2_config(), seed=0).eval()
    fold_weight_norm_in_place(s2)  # as the Synthesizer does
    vocoder_dtype = set_vocoder_precision(s2, vocoder_precision)
    phones, batch, prompt, codes, refer = bench_inputs(work, s1.config, s2.config)
    bert = torch.zeros(s1.config.bert_dim, N_PHONES)
    params = SamplingParams(top_k=15, top_p=1.0, temperature=1.0, repetition_penalty=1.35,
                            max_new_tokens=N_NEW, min_token_cap=N_NEW)
    app_weights = inference_format("cpu", s1_precision)  # as the Synthesizer does
    figures: dict = {"load": _loadavg(), "vocoder_dtype": str(vocoder_dtype),
                     "s1_weights": app_weights.value}
    decoded: dict = {}

    def single(weights: str) -> None:
        decoded[f"single_{weights}"] = decode(s1, phones[0], bert, prompt, params, seed=1,
                                              weights=weights)

    def batched(weights: str) -> None:
        decoded[f"batch_{weights}"] = decode_batch(s1, list(batch), [bert] * BATCH, prompt,
                                                   params, seed=1, weights=weights)

    formats = [app_weights.value] if part == "app" else ["fp32", "int8"]
    for weights in formats:
        prefix = "" if part == "app" else f"{weights}_"
        seconds = _median_time(lambda w=weights: single(w), runs)
        steps = decoded[f"single_{weights}"].final_step + 1
        figures[f"{prefix}s1_single_tokens_per_s"] = steps / seconds
        if weights == "int8" and not int8_batch:
            continue
        seconds = _median_time(lambda w=weights: batched(w), runs)
        steps = sum(r.final_step + 1 for r in decoded[f"batch_{weights}"])
        figures[f"{prefix}s1_batch8_tokens_per_s"] = steps / seconds
    if part != "app":
        cases = [(phones[0], bert, torch.cat([prompt, decoded["single_fp32"].tokens])),
                 (batch[1], bert, torch.cat([prompt, decoded["batch_fp32"][1].tokens]))]
        figures["int8_top1_agreement"] = top1_agreement(s1, "int8", cases)
        figures["bf16_top1_agreement"] = top1_agreement(s1, "bf16", cases)
        return figures

    text = phones

    def s2_decode() -> None:
        with torch.inference_mode():
            s2.decode(codes, text, refer, noise_scale=0.5)

    figures["s2_decode_10s"] = _median_time(s2_decode, runs)

    gen = torch.Generator().manual_seed(77)
    lengths = torch.randint(20, 61, (chapter_sentences,), generator=gen).tolist()
    rows = [torch.randint(1, s1.config.phoneme_vocab_size, (n,), generator=gen) for n in lengths]
    chapter_params = replace(params, max_tokens_per_phone=CHAPTER_TOKENS_PER_PHONE,
                             min_token_cap=1, max_new_tokens=1500)
    spoken = [0.0]

    def speak(index: int, result) -> None:  # S2 as each sentence's tokens are ready
        with torch.inference_mode():
            s2.decode(result.tokens.view(1, 1, -1), rows[index][None], refer, 0.5)
        spoken[0] += result.tokens.numel() * TOKEN_SECONDS

    def chapter() -> None:
        spoken[0] = 0.0
        decode_continuous(s1, rows, [torch.zeros(s1.config.bert_dim, n) for n in lengths],
                          prompt, chapter_params, seeds=list(range(len(rows))),
                          batch_size=BATCH, weights=app_weights, on_result=speak)

    # The first chapter in a fresh process also builds oneDNN's kernels for each new sentence
    # length; it is reported apart. The figure compared is warm, as every other figure here
    # and upstream's (each after one warm-up run): the app keeps its models warm between
    # chapters. On the 2-core test machine the two differed by less than its noise (3 rounds:
    # cold 4.47, 3.39, 3.04 and warm 3.49, 2.97, 3.84 times upstream).
    start = time.perf_counter()
    chapter()
    figures["chapter_cold_audio_s_per_s"] = spoken[0] / (time.perf_counter() - start)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        chapter()
        times.append(time.perf_counter() - start)
    figures["chapter_audio_s_per_s"] = spoken[0] / statistics.median(times)
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return figures


# --------------------------------------------------------------------------- the two sides


def run_ours(args) -> dict:
    """Both parts, each in its own process: the app's figures and peak, then the formats."""
    figures: dict = {}
    for part in ("app", "formats"):
        cmd = [sys.executable, os.path.abspath(__file__), "--_ours", part,
               "--work", str(args.work), "--threads", str(args.threads),
               "--runs", str(args.runs), "--chapter-sentences", str(args.chapter_sentences),
               "--vocoder-precision", args.vocoder_precision,
               "--s1-precision", args.s1_precision]
        if args.int8_batch:
            cmd.append("--int8-batch")
        root = Path(__file__).resolve().parents[1]
        env = {**os.environ, "PYTHONPATH": str(root)}  # this checkout's voicestudio
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env)
        if done.returncode != 0:
            sys.exit(f"our benchmark failed:\n{done.stderr[-3000:]}")
        found = json.loads(done.stdout.strip().splitlines()[-1])
        figures = {**found, **figures}  # the app part's load and peak stand
    return figures


def run_upstream(args) -> dict:
    cmd = [args.upstream_python, str(args.upstream_bench), "--src", args.upstream_src,
           "--out", str(args.work), "--threads", str(args.threads), "--runs", str(args.runs)]
    load = _loadavg()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"upstream's benchmark failed:\n{done.stderr[-3000:]}")
    result = json.loads((args.work / "bench_results.json").read_text())
    result["load"] = load
    single_seconds = N_NEW / result["s1_tokens_per_s"] + result["s2_decode_s"]
    result["chapter_audio_s_per_s"] = N_NEW * TOKEN_SECONDS / single_seconds
    return result


def parse_peer(spec: str) -> tuple[str, str, str | None]:
    """``NAME=PYTHON[:SRC]`` -> (name, python, src or None)."""
    name, sep, rest = spec.partition("=")
    if not sep or not name or not rest:
        raise argparse.ArgumentTypeError(f"--peer wants NAME=PYTHON[:SRC], got {spec!r}")
    python, _, src = rest.partition(":")
    return name, python, src or None


def run_peer(args, name: str, python: str, src: str | None) -> dict:
    """One peer's figures on the same weights and inputs, in its own folder and venv."""
    folder = args.work / f"peer-{name}"
    folder.mkdir(exist_ok=True)
    for file in (S1_FILE, S2_FILE, INPUTS_FILE):
        if not (args.work / file).exists():
            sys.exit(f"peer {name}: {args.work / file} is missing; run with upstream first")
    for file in (S1_FILE, S2_FILE):  # the weights are only read: linked
        link = folder / file
        if not link.exists():
            link.symlink_to(args.work / file)
    # the inputs are rewritten by upstream's script: a copy, so upstream's file stays its own
    (folder / INPUTS_FILE).unlink(missing_ok=True)
    shutil.copyfile(args.work / INPUTS_FILE, folder / INPUTS_FILE)
    load = _loadavg()
    if src is not None:  # upstream's API: upstream's own benchmark script on the peer's code
        cmd = [python, str(args.upstream_bench), "--src", src, "--out", str(folder),
               "--threads", str(args.threads), "--runs", str(args.runs)]
    else:
        script = PEER_SCRIPTS / f"{name.replace('-', '_')}_bench.py"
        if not script.is_file():
            sys.exit(f"peer {name}: no {script}; give NAME=PYTHON:SRC for an upstream-API peer")
        cmd = [python, str(script), "--work", str(folder), "--threads", str(args.threads),
               "--runs", str(args.runs)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"peer {name}'s benchmark failed:\n{done.stderr[-3000:]}")
    if src is not None:
        result = json.loads((folder / "bench_results.json").read_text())
    else:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = load
    single_seconds = N_NEW / result["s1_tokens_per_s"] + result["s2_decode_s"]
    result["chapter_audio_s_per_s"] = N_NEW * TOKEN_SECONDS / single_seconds
    return result


def peer_ratios(peer: dict, ours: dict) -> dict[str, float]:
    """Peer time / ours for the figures the peer has (> 1: we are faster)."""
    found = {
        "ratio_s1_single": ours["s1_single_tokens_per_s"] / peer["s1_tokens_per_s"],
        "ratio_s2": peer["s2_decode_s"] / ours["s2_decode_10s"],
        "ratio_chapter": ours["chapter_audio_s_per_s"] / peer["chapter_audio_s_per_s"],
        "ratio_peak_rss": peer["peak_rss_mb"] / ours["peak_rss_mib"],
    }
    if peer.get("s1_batch8_tokens_per_s"):
        found["ratio_s1_batch8"] = (ours["s1_batch8_tokens_per_s"]
                                    / peer["s1_batch8_tokens_per_s"])
    return found


def ratios(up: dict, ours: dict) -> dict[str, float]:
    """Upstream time / ours for the same work (> 1: we are faster)."""
    return {
        "ratio_s1_single": ours["s1_single_tokens_per_s"] / up["s1_tokens_per_s"],
        "ratio_s1_batch8": ours["s1_batch8_tokens_per_s"] / up["s1_batch8_tokens_per_s"],
        "ratio_s2": up["s2_decode_s"] / ours["s2_decode_10s"],
        "ratio_chapter": ours["chapter_audio_s_per_s"] / up["chapter_audio_s_per_s"],
        "ratio_chapter_cold": (ours["chapter_cold_audio_s_per_s"]
                               / up["chapter_audio_s_per_s"]),
        "ratio_s1_single_fp32": ours["fp32_s1_single_tokens_per_s"] / up["s1_tokens_per_s"],
        "ratio_s1_batch8_fp32": (ours["fp32_s1_batch8_tokens_per_s"]
                                 / up["s1_batch8_tokens_per_s"]),
        "ratio_s1_single_int8": ours["int8_s1_single_tokens_per_s"] / up["s1_tokens_per_s"],
        "ratio_peak_rss": up["peak_rss_mb"] / ours["peak_rss_mib"],
    }


OUR_UNITS = {
    "s1_single_tokens_per_s": "tokens/s",
    "s1_batch8_tokens_per_s": "tokens/s (aggregate)",
    "fp32_s1_single_tokens_per_s": "tokens/s",
    "fp32_s1_batch8_tokens_per_s": "tokens/s (aggregate)",
    "int8_s1_single_tokens_per_s": "tokens/s",
    "s2_decode_10s": "s",
    "chapter_audio_s_per_s": "s of audio per s",
    "chapter_cold_audio_s_per_s": "s of audio per s (first chapter in the process)",
    "peak_rss_mib": "MiB",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/voicestudio-bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1, help="timed runs per round (+1 warm-up)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chapter-sentences", type=int, default=30)
    parser.add_argument("--int8-batch", action="store_true", help="also time int8 at batch 8")
    parser.add_argument("--vocoder-precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="S2 vocoder format (auto, as the app: bf16 where the CPU has it "
                             "natively)")
    parser.add_argument("--s1-precision", choices=("auto", "fp32", "bf16", "int8"),
                        default="auto", help="S1 weight format of the main figures (auto, as "
                                             "the app: bf16 where the CPU has it natively)")
    parser.add_argument("--upstream-python")
    parser.add_argument("--upstream-src")
    parser.add_argument("--upstream-bench", type=Path, default=UPSTREAM_BENCH)
    parser.add_argument("--peer", action="append", type=parse_peer, default=[],
                        metavar="NAME=PYTHON[:SRC]", help="another engine, in its own venv")
    parser.add_argument("--_ours", choices=("app", "formats"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work = args.work.resolve()
    if args._ours:
        print(json.dumps(measure_ours(args.work, args.threads, args.runs,
                                      args.chapter_sentences, args.int8_batch,
                                      args.vocoder_precision, args.s1_precision, args._ours)))
        return
    with_upstream = bool(args.upstream_python and args.upstream_src)
    if bool(args.upstream_python) != bool(args.upstream_src):
        sys.exit("Give both --upstream-python and --upstream-src, or neither.")
    args.work.mkdir(parents=True, exist_ok=True)
    rounds: list[tuple[dict | None, dict]] = []
    peer_rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in args.peer}
    peer_figures: dict[str, list[dict]] = {name: [] for name, _, _ in args.peer}
    for number in range(args.rounds if with_upstream else 1):
        up = run_upstream(args) if with_upstream else None  # A (builds the files the 1st time)
        peers = {name: run_peer(args, name, python, src) for name, python, src in args.peer}
        ours = run_ours(args)  # B
        rounds.append((up, ours))
        for name, peer in peers.items():
            found = peer_ratios(peer, ours)
            peer_rounds[name].append(found)
            peer_figures[name].append(peer)
            print(f"round {number + 1}: peer {name} load {peer['load']}: " + " ".join(
                f"{key} {value:.3f}" for key, value in found.items()), flush=True)
        line = (f"round {number + 1}: ours load {ours['load']} ({ours['s1_weights']} S1, "
                f"{ours['vocoder_dtype']} vocoder)")
        if up is not None:
            line += f", upstream load {up['load']}: " + " ".join(
                f"{name} {value:.3f}" for name, value in ratios(up, ours).items())
        print(line, flush=True)
    print(f"---- VoiceStudio (median of {len(rounds)} round(s), {args.threads} threads) ----")
    for name, unit in OUR_UNITS.items():
        value = statistics.median(ours[name] for _, ours in rounds)
        print(f"{name}: {value:.4g} {unit}")
    if "int8_s1_batch8_tokens_per_s" in rounds[0][1]:
        value = statistics.median(ours["int8_s1_batch8_tokens_per_s"] for _, ours in rounds)
        print(f"int8_s1_batch8_tokens_per_s: {value:.4g} tokens/s (aggregate)")
    print(f"bf16_top1_agreement: {rounds[0][1]['bf16_top1_agreement']:.4f}")
    if not with_upstream:
        print(f"int8_top1_agreement: {rounds[0][1]['int8_top1_agreement']:.4f}")
        return
    print("---- upstream GPT-SoVITS (same rounds) ----")
    for name in ("s1_tokens_per_s", "s1_batch8_tokens_per_s", "s2_decode_s",
                 "chapter_audio_s_per_s", "peak_rss_mb"):
        print(f"upstream_{name}: {statistics.median(up[name] for up, _ in rounds):.4g}")
    for name, found in peer_rounds.items():
        print(f"---- peer {name} (peer time / ours, median of {len(found)} round(s)) ----")
        for key in ("s1_tokens_per_s", "s2_decode_s", "chapter_audio_s_per_s", "peak_rss_mb"):
            value = statistics.median(r[key] for r in peer_figures[name])
            print(f"peer_{name}_{key}: {value:.4g}")
        for key in found[0]:
            print(f"peer_{name}_{key}: {statistics.median(r[key] for r in found):.3f}")
    all_ratios = [ratios(up, ours) for up, ours in rounds if up is not None]
    for name in ("ratio_chapter_cold", "ratio_s1_single_fp32", "ratio_s1_batch8_fp32",
                 "ratio_s1_single_int8", "ratio_peak_rss"):
        print(f"{name}: {statistics.median(r[name] for r in all_ratios):.3f}")
    for name in ("ratio_s1_single", "ratio_s1_batch8", "ratio_s2", "ratio_chapter"):
        print(f"{name}: {statistics.median(r[name] for r in all_ratios):.3f}")
    agreement = statistics.median(ours["int8_top1_agreement"] for _, ours in rounds)
    print(f"int8_top1_agreement: {agreement:.4f}")


if __name__ == "__main__":
    main()
