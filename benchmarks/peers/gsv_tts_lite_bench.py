"""Time gsv-tts-lite (PyPI ``gsv-tts-lite``) on the shared benchmark's weights and inputs.

Run with the Python of a venv that has gsv-tts-lite installed (never the project's venv):

    PEER/bin/python benchmarks/peers/gsv_tts_lite_bench.py --work DIR [--threads 2] [--runs 1]

``DIR`` holds what ``../shared/bench/upstream_bench.py`` writes (random full-size v2 weights in
the official formats and ``bench_inputs.npz``). gsv-tts-lite's ``TTS`` object checks its model
folder on start and downloads HuBERT, G2P and SV models when they are missing; none of them
takes part in this work, so this script uses its loaders (``get_gpt_weights`` /
``get_sovits_weights``) and models directly and never reaches that download. It does the work
upstream's script times, in gsv-tts-lite's own code paths on CPU in fp32:

* S1 single sentence: ``Text2SemanticDecoder.infer`` with EOS disabled and a static KV bucket
  sized so it samples exactly the 250 new tokens upstream's script samples;
* S2: ``get_ge`` on the reference spectrogram plus ``decode`` of the 250 codes, noise 0.5
  (upstream's ``decode`` runs its reference encoder inside, so both are timed);
* peak RSS.

gsv-tts-lite imports torchaudio at the top of its package (for resampling and spectrograms of
audio files, and the SV model) without declaring it, and no torchaudio release loads against
torch 2.13 (the newest, 2.11.1, fails to load its library). None of the timed work uses it, so
an empty stand-in module takes its place; anything that did use it would fail loudly.

It prints one JSON line with upstream's result keys (``s1_tokens_per_s``, ``s2_decode_s``,
``peak_rss_mb``; ``s1_batch8_tokens_per_s`` is null: its batched path pads with bucket
shapes that do not match upstream's batch) and ``s2_audio_noise0`` agreement with upstream.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import os
import resource
import statistics
import sys
import time
import types

N_PHONES, N_PROMPT, N_NEW = 40, 150, 250


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("TQDM_DISABLE", "1")
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    for name in ("torchaudio", "torchaudio.compliance", "torchaudio.compliance.kaldi",
                 "torchaudio.transforms"):  # empty stand-ins: see the docstring
        stand_in = types.ModuleType(name)
        stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        stand_in.__path__ = []
        sys.modules[name] = stand_in
    from gsv_tts.Config import Config
    from gsv_tts.Loader import get_gpt_weights, get_sovits_weights

    config = Config()
    config.device, config.dtype = torch.device("cpu"), torch.float32
    config.use_flash_attn = False
    config.gpt_cache = [(1, N_PHONES + N_PROMPT + N_NEW)]  # one static bucket: 250 new tokens
    config.sovits_cache = []
    t2s = get_gpt_weights(os.path.join(args.work, "s1_v2_random.ckpt"), config).t2s_model
    vits = get_sovits_weights(os.path.join(args.work, "s2G_v2_random.pth"), config).vq_model
    data = np.load(os.path.join(args.work, "bench_inputs.npz"))
    phones = torch.from_numpy(data["phoneme_ids"]).long()  # (1, 40)
    prompt = torch.from_numpy(data["prompt_semantic"]).long()[None]  # (1, 150)
    codes = torch.from_numpy(data["codes"]).long()  # (1, 1, 250)
    refer = torch.from_numpy(data["refer_spec"]).float()  # (1, 1025, T)
    bert = torch.zeros(1, N_PHONES, 1024)
    t2s.EOS = -1  # no token equals -1: the bucket's end stops the decode, as upstream's bench

    def timed(work, runs):
        work()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            out = work()
            times.append(time.perf_counter() - start)
        return statistics.median(times), out

    with torch.inference_mode():
        torch.manual_seed(1)
        s1_seconds, tokens = timed(lambda: t2s.infer(phones, prompt, bert, top_k=15, top_p=1.0,
                                                     temperature=1.0, repetition_penalty=1.35),
                                   args.runs)

        def s2(noise_scale=0.5):
            ge = vits.get_ge(refer)
            return vits.decode(codes, phones, ge, noise_scale=noise_scale, cuda_graph=False)[0]

        s2_seconds, _ = timed(s2, args.runs)
        quiet = s2(0.0)[0, 0].numpy()
    want = data["s2_audio_noise0"] if "s2_audio_noise0" in data.files else None
    n_tokens = int(tokens.shape[-1])
    print(json.dumps({
        "s1_tokens_per_s": n_tokens / s1_seconds,
        "s1_new_tokens": n_tokens,
        "s1_batch8_tokens_per_s": None,
        "s2_decode_s": s2_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "s2_noise0_max_diff_vs_upstream": None if want is None or want.shape != quiet.shape
        else float(np.abs(want - quiet).max()),
    }))


if __name__ == "__main__":
    main()
