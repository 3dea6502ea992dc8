"""The optional int8 BERT/HuBERT extractors give the fp32 features to int8 rounding."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from voicestudio.models.int8 import Int8Linear
from voicestudio.models.ssl import SSLFeatureExtractor, write_tiny_hubert
from voicestudio.synthesis.tiny_models import write_tiny_bert
from voicestudio.text.bert_features import BertFeatureExtractor

MIN_COSINE = 0.99  # every feature vector keeps its direction


def _min_cosine(a: torch.Tensor, b: torch.Tensor, dim: int) -> float:
    return float(F.cosine_similarity(a.float(), b.float(), dim=dim).min())


def test_int8_bert_features_match_fp32(tmp_path):
    write_tiny_bert(tmp_path / "bert", seed=1)
    exact = BertFeatureExtractor(tmp_path / "bert", "cpu")
    small = BertFeatureExtractor(tmp_path / "bert", "cpu", int8=True)
    assert any(isinstance(m, Int8Linear) for m in small.model.modules())
    text = "今天天气很好我们去公园散步"
    want, got = exact.phone_features(text, [2] * len(text)), small.phone_features(
        text, [2] * len(text))
    assert got.shape == want.shape
    assert _min_cosine(got, want, dim=0) >= MIN_COSINE


def test_int8_hubert_features_match_fp32(tmp_path):
    write_tiny_hubert(tmp_path / "hubert", seed=2)
    exact = SSLFeatureExtractor(tmp_path / "hubert", "cpu")
    small = SSLFeatureExtractor(tmp_path / "hubert", "cpu", int8=True)
    assert any(isinstance(m, Int8Linear) for m in small.model.modules())
    t = np.arange(16000) / 16000
    wav = (0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype("float32")
    want, got = exact.features(wav), small.features(wav)
    assert got.shape == want.shape
    assert _min_cosine(got, want, dim=1) >= MIN_COSINE
