"""Per-phone BERT features for Mandarin text (what S1 adds to its phone embeddings).

GPT-SoVITS v2 feeds S1 the third-from-last hidden layer of chinese-roberta-wwm-ext-large,
one vector per character, repeated once per phone of that character (``word2ph``). The
model is a Hugging Face folder loaded with ``transformers``; loading takes seconds, so one
extractor per (folder, device) is kept warm for the whole process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from voicestudio.errors import MissingModelError, UserInputError

# v2 reads hidden_states[-3]: the third-from-last layer output.
HIDDEN_LAYER = -3
# BERT sees at most 512 positions ([CLS] + 510 characters + [SEP]); longer text is read in
# windows of this many characters.
MAX_CHARS = 510

log = logging.getLogger(__name__)


def _device_name(preferred: str | None) -> str:
    """'cuda', 'mps' or 'cpu' for a Settings/CLI choice (``models.devices.resolve_device``)."""
    from voicestudio.models.devices import resolve_device

    return str(resolve_device(preferred or "auto").device)


class BertFeatureExtractor:
    """Character-level hidden states of a Chinese BERT, stretched to phone level."""

    def __init__(self, model_dir: Path, device: str | None = None, int8: bool = False) -> None:
        import torch
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        from voicestudio.models.int8 import quantize_linears

        model_dir = Path(model_dir)
        if not (model_dir / "config.json").is_file():
            raise MissingModelError(
                f"No BERT model in {model_dir}. Install the chinese-roberta-wwm-ext-large base "
                "model: open VoiceStudio → Base models (or run `voicestudio models download "
                "bert`)."
            )
        self.device = _device_name(device)
        # Half precision halves memory and time on CUDA; CPU and MPS stay in float32.
        self.dtype = torch.float16 if self.device == "cuda" else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        model = AutoModelForMaskedLM.from_pretrained(model_dir, local_files_only=True)
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        # Only the encoder's hidden states are used: its masked-LM head (a 1024 x 21128
        # product per character) is never run.
        self.encoder = self.model.base_model
        # Optional on CPU: weight-only int8 linears (models/int8.py), a quarter of the bytes.
        self.int8 = bool(int8) and self.device == "cpu"
        if self.int8:
            quantize_linears(self.encoder)
        self.hidden_size = int(self.model.config.hidden_size)
        self._lock = threading.Lock()

    def character_features(self, norm_text: str) -> Any:
        """(n_chars, hidden) float32 CPU tensor: one row per character of ``norm_text``."""
        import torch

        if len(norm_text) > MAX_CHARS:
            windows = [norm_text[i:i + MAX_CHARS] for i in range(0, len(norm_text), MAX_CHARS)]
            return torch.cat([self._window_features(w) for w in windows], dim=0)
        return self._window_features(norm_text)

    def _window_features(self, norm_text: str) -> Any:
        import torch

        inputs = self.tokenizer(norm_text, return_tensors="pt")
        n_tokens = int(inputs["input_ids"].shape[1]) - 2  # [CLS] ... [SEP]
        if n_tokens != len(norm_text):
            raise UserInputError(
                f"The BERT tokenizer split '{norm_text}' into {n_tokens} pieces for "
                f"{len(norm_text)} characters; the text must be normalised Chinese."
            )
        inputs = {key: value.to(self.device) for key, value in inputs.items()}
        with self._lock, torch.inference_mode():
            hidden = self._hidden(inputs)
            if self.dtype != torch.float32 and not torch.isfinite(hidden).all():
                # fp16 can overflow on unusual text; one fp32 pass is slower but correct.
                log.warning("BERT produced NaN/inf in half precision; retrying in fp32")
                self.model.float()
                try:
                    hidden = self._hidden(inputs)
                finally:
                    self.model.to(self.dtype)
        return hidden.float().cpu()

    def _hidden(self, inputs: dict[str, Any]) -> Any:
        output = self.encoder(**inputs, output_hidden_states=True)
        return output.hidden_states[HIDDEN_LAYER][0, 1:-1]  # (n_chars, hidden)

    def phone_features(self, norm_text: str, word2ph: Sequence[int]) -> Any:
        """(hidden, n_phones) features: each character's vector repeated word2ph[i] times."""
        import torch

        if len(word2ph) != len(norm_text):
            raise UserInputError(
                f"word2ph has {len(word2ph)} entries for {len(norm_text)} characters."
            )
        chars = self.character_features(norm_text)
        counts = torch.tensor(list(word2ph), dtype=torch.long)
        return torch.repeat_interleave(chars, counts, dim=0).T.contiguous()


@cache
def _cached_extractor(model_dir: str, device: str, int8: bool) -> BertFeatureExtractor:
    return BertFeatureExtractor(Path(model_dir), device, int8)


def load_bert_extractor(
    model_dir: Path, device: str | None = None, int8: bool = False
) -> BertFeatureExtractor:
    """The process-wide warm extractor for this model folder, device and weight format."""
    return _cached_extractor(str(Path(model_dir).resolve()), _device_name(device), bool(int8))
