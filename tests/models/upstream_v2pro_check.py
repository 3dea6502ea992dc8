"""Run by test_upstream_reads_our_v2pro_files in a subprocess: write full-size v2Pro and
v2ProPlus exports with VoiceStudio, open them with upstream GPT-SoVITS's own loader and
SynthesizerTrn, and compare both decodes. Argument: the GPT-SoVITS checkout (its
GPT_SoVITS folder must import; upstream needs einops). Prints one JSON line per version."""

from __future__ import annotations

import json
import sys
import tempfile
import types
from pathlib import Path

upstream = Path(sys.argv[1])
sys.path[:0] = [str(upstream / "GPT_SoVITS"), str(upstream)]
# upstream's models.py imports the v3 DiT at module level; v2Pro never builds it
stub = types.ModuleType("f5_tts.model")
stub.DiT = object
sys.modules.update({"f5_tts": types.ModuleType("f5_tts"), "f5_tts.model": stub})

import process_ckpt  # noqa: E402
import torch  # noqa: E402
from module.models import SynthesizerTrn  # noqa: E402

from voicestudio.models.s2 import (  # noqa: E402
    load_s2_checkpoint,
    random_s2_generator,
    save_s2_checkpoint,
)
from voicestudio.models.s2.config import v2pro_s2_config  # noqa: E402

for version in ("v2Pro", "v2ProPlus"):
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / f"{version}.pth")
        save_s2_checkpoint(path, random_s2_generator(v2pro_s2_config(version), seed=3))
        detected = process_ckpt.get_sovits_version_from_path_fast(path)
        data = process_ckpt.load_sovits_new(path)
        hps = data["config"]
        hps.model.semantic_frame_rate = "25hz"
        hps.model.version = detected[1]
        theirs = SynthesizerTrn(hps.data.filter_length // 2 + 1,
                                hps.train.segment_size // hps.data.hop_length,
                                n_speakers=hps.data.n_speakers, **hps.model).eval()
        result = theirs.load_state_dict(data["weight"], strict=False)
        ours = load_s2_checkpoint(path).generator
        torch.manual_seed(0)
        codes = torch.randint(0, 1024, (1, 1, 20))
        text = torch.randint(1, 732, (1, 25))
        refs = [torch.rand(1, 1025, 50), torch.rand(1, 1025, 37)]
        svs = [torch.rand(1, 20480) * 0.5, torch.rand(1, 20480) * 0.5]
        with torch.no_grad():
            a = theirs.decode(codes, text, refs, noise_scale=0.0, sv_emb=svs)
            b = ours.decode(codes, text, refs, noise_scale=0.0, sv=svs)
        print(json.dumps({
            "version": version, "detected": detected,
            "config_class": f"{type(hps).__module__}.{type(hps).__name__}",
            "missing_not_enc_q": [k for k in result.missing_keys if "enc_q" not in k],
            "unexpected": list(result.unexpected_keys),
            "max_diff": float((a - b).abs().max()), "peak": float(a.abs().max()),
        }))
