"""HuBERT (chinese-hubert-base layout) speech features: the input of S2's semantic quantizer.

GPT-SoVITS feeds the raw 16 kHz waveform straight into ``HubertModel`` (no feature-extractor
normalisation) and uses the last hidden state at 50 Hz, 768 channels. The model is loaded with
``transformers`` from a local folder, once per (folder, device), and kept warm because the
synthesis pipeline and the dataset builder call it for every clip.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
import torch

from voicestudio.errors import MissingModelError

log = logging.getLogger(__name__)

SSL_SAMPLE_RATE = 16_000
SSL_HOP = 320  # 50 Hz frames at 16 kHz
SSL_DIM = 768  # fixed: S2's ssl_proj expects 768 channels


class SSLFeatureExtractor:
    """Wraps a HuBERT model; fp16 on CUDA with a fp32 retry when half precision overflows."""

    def __init__(
        self, folder: Path, device: torch.device | str = "cpu", int8: bool = False
    ) -> None:
        from transformers import HubertModel

        from voicestudio.models.int8 import quantize_linears

        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise MissingModelError(
                f"The HuBERT speech model is missing in {folder}. Install the base models "
                "(VoiceStudio → Base models, or `voicestudio models download`)."
            )
        self.device = torch.device(device)
        model = HubertModel.from_pretrained(str(folder), local_files_only=True)
        if model.config.hidden_size != SSL_DIM:
            raise MissingModelError(
                f"{folder} holds a HuBERT with {model.config.hidden_size} channels; "
                f"GPT-SoVITS needs {SSL_DIM} (chinese-hubert-base)."
            )
        self.half = self.device.type == "cuda"
        self.model = (model.half() if self.half else model).to(self.device).eval()
        # Optional on CPU: weight-only int8 linears (models/int8.py), a quarter of the bytes.
        self.int8 = bool(int8) and self.device.type == "cpu"
        if self.int8:
            quantize_linears(self.model)

    @torch.inference_mode()
    def features(self, wav_16k: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(N,) float waveform at 16 kHz -> (1, 768, N // 320) float32 features on the device."""
        wav = torch.as_tensor(wav_16k, dtype=torch.float32, device=self.device).reshape(1, -1)
        if self.half:
            out = self.model(wav.half()).last_hidden_state
            if torch.isfinite(out).all():
                return out.float().transpose(1, 2)
            log.warning("HuBERT produced NaN/inf in fp16; retrying this clip in fp32")
            self.model.float()
            try:
                out = self.model(wav).last_hidden_state
            finally:
                self.model.half()
            return out.transpose(1, 2)
        return self.model(wav).last_hidden_state.transpose(1, 2)  # (1, 768, T)


@functools.lru_cache(maxsize=2)
def _cached(folder: str, device: str, int8: bool) -> SSLFeatureExtractor:
    return SSLFeatureExtractor(Path(folder), device, int8)


def load_ssl_extractor(
    folder: Path, device: torch.device | str = "cpu", int8: bool = False
) -> SSLFeatureExtractor:
    """The warm extractor for this folder, device and weight format (loaded on first use)."""
    return _cached(str(Path(folder).resolve()), str(torch.device(device)), bool(int8))


def write_tiny_hubert(folder: Path, seed: int = 0) -> None:
    """A random HuBERT with the real interface (16 kHz in, 768 x 50 Hz out) but tiny inside.

    For tests and demos only: it lets the whole pipeline run without the 360 MB download.
    """
    from transformers import HubertConfig, HubertModel

    config = HubertConfig(
        hidden_size=SSL_DIM,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(32,) * 7,  # strides below multiply to the real 320-sample hop
        conv_stride=(5, 2, 2, 2, 2, 2, 2),
        conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=16,
        feat_extract_norm="group",
        conv_bias=False,
        do_stable_layer_norm=False,
    )
    with torch.random.fork_rng(devices=[]):  # seeding must not disturb the caller's RNG
        torch.manual_seed(seed)
        model = HubertModel(config).eval()
    model.save_pretrained(str(folder))
